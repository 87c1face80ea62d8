// The fit of a rate's year-to-year variation, for calibrate: how much an
// authority's yearly rate (new plans per request, ceased plans per plan)
// moves from year to year beyond the binomial noise of its counts, and how
// persistent the moves are. The model it fits is the scenario's
// (docs/model.md, Uncertainty): the log of authority i's rate in year t is
// mu_i + sd_i x(t), x a stationary AR(1) of standard normals with
// persistence rho; the observed log(k/n) adds a sampling error of variance
// (1 - p) / k (the delta method for a binomial count).
//
// Estimation, by likelihood on a grid (docs/calibrate.md states it):
//  * per authority, the restricted likelihood of its log rates (mu_i
//    integrated out, so neither its level nor the group's enters) at each
//    (sd, rho) of a grid;
//  * across the group, log sd_i ~ Normal(m, s^2) and one rho: (rho, m, s)
//    maximise the marginal likelihood (empirical Bayes);
//  * the authority's posterior of sd_i: its own likelihood times that prior,
//    on the grid. rho is pooled entirely (one authority's years cannot
//    identify it); its 90% interval is where the profile log-likelihood is
//    within 1.35 of its maximum.
#pragma once

#include <vector>

namespace ehcpsim::calibrate {

// One authority's years: k events out of n at risk in `year`.
struct YearlyCounts {
    std::vector<int> year;
    std::vector<double> k, n;
    // The share of a year's events counted only the next year (the
    // conversion's lag: new plans are (1 - lag) of the year's issued plans
    // and lag of last year's): the log rate seen is then (1 - lag) z(t) +
    // lag z(t-1) of the rate's own AR(1) z, plus the split's chance, and the
    // likelihood says so. 0: none (the cease rate).
    double lag = 0.0;
    void add(int y, double events, double at_risk) {
        year.push_back(y);
        k.push_back(events);
        n.push_back(at_risk);
    }
};

// A year enters when it has at least this many events and more at risk;
// a year whose log rate is beyond x5 or /5 of the authority's median is
// taken for a reporting break (the trend fit's rule, wider: a rate varies
// more than a growth) and left out.
constexpr double variation_min_events = 10.0;

struct VariationPrior {
    bool identified = false;  // at least two authorities with two usable years
    double rho = 0.0;         // persistence (pooled)
    double rho_lo90 = 0.0, rho_hi90 = 0.0;
    bool rho_fitted = false;  // false when no authority has three usable years: rho = 0
    double log_mean = 0.0;    // m: mean of log sd_i across authorities
    double log_sd = 0.0;      // s: their spread
    int authorities = 0;      // that entered
    int years = 0;            // usable authority-years
};

VariationPrior variation_prior(const std::vector<YearlyCounts>& group);

struct VariationPosterior {
    double mean = 0.0, sd = 0.0;      // of sd_i
    double lo90 = 0.0, hi90 = 0.0;    // 5% and 95% of the grid posterior
    double own_weight = 0.0;          // 1 - posterior / prior variance of log sd_i (0 = the group's)
    int years = 0;                    // the authority's usable years
};

VariationPosterior variation_posterior(const YearlyCounts& own, const VariationPrior& prior);

// The usable years of one authority (the rules above), as log rates and
// their sampling variances: what the likelihood reads.
struct LogRates {
    std::vector<int> year;
    std::vector<double> y, noise;
    std::vector<double> split;  // the lag's split chance of each year's log rate, lag (1 - lag) / k
    double lag = 0.0;           // YearlyCounts::lag
};
LogRates usable_log_rates(const YearlyCounts& counts);

}  // namespace ehcpsim::calibrate
