// The fit of the year-to-year variation of conversion (new plans per
// request) and of the cease rate (ceased plans per plan at the January
// census), from the authorities' yearly rates up to the origin, pooled by
// empirical Bayes (rate_variation_fit.h; calibrate_detail.h; docs/calibrate.md).
#include <algorithm>
#include <cmath>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>

#include "ehcpsim/distribution.h"

#include "calibrate_detail.h"
#include "ehcpsim/rate_variation_fit.h"

namespace ehcpsim::calibrate::detail {

namespace {

// The group's part of a family's fit: each year's totals over the group and
// the prior fitted to every authority's rates relative to them. The prior is
// the same for every authority of the group at an origin, so it is kept in a
// GroupFitCache when one is given.
struct GroupVariation {
    std::map<int, std::pair<double, double>> totals;  // year -> (events, at risk) over the group
    double all_k = 0.0, all_n = 0.0;
    VariationPrior prior;
};

struct Family {
    const char* sd_key;
    const char* persistence_key;
    const char* what;     // "conversion", "cease rate"
    const char* events;   // "new plans"
    const char* at_risk;  // "requests"
    const char* events_measure;   // in the panel: "new_plans"
    const char* at_risk_measure;  // "requests"
    bool lagged = false;          // a year's events are partly the year before's (the template's lag)
};

// One authority's yearly events and those at risk in the window, declared
// breaks left out.
YearlyCounts counts_of(const FitContext& c, const Family& f, const std::string& code) {
    YearlyCounts out;
    if (f.lagged) out.lag = std::clamp(c.base.demand.lag.dist.mean(), 0.0, 0.95);
    for (int t = c.origin - variation_window; t <= c.origin - 1; ++t) {
        if (declared_break(t)) continue;
        const auto events = c.cut.value(code, t, f.events_measure, "all");
        const auto at_risk = c.cut.value(code, t, f.at_risk_measure, "all");
        if (events && at_risk && *at_risk > 0.0) out.add(t, *events, *at_risk);
    }
    return out;
}

// The group's counts relative to each year's group rate (cheap: panel
// look-ups), and the prior fitted to them (the costly part: a likelihood
// grid for every authority), which the cache keeps by the counts themselves,
// so a cached prior is reused only for the very same data.
std::shared_ptr<const GroupVariation> group_variation(const FitContext& c,
                                                      const std::function<YearlyCounts(const std::string&)>& counts_of) {
    auto g = std::make_shared<GroupVariation>();
    std::vector<YearlyCounts> group;
    for (const std::string& code : c.group) {
        group.push_back(counts_of(code));
        const YearlyCounts& x = group.back();
        for (std::size_t i = 0; i < x.year.size(); ++i) {
            g->totals[x.year[i]].first += x.k[i];
            g->totals[x.year[i]].second += x.n[i];
        }
    }
    for (const auto& [year, t] : g->totals) {
        g->all_k += t.first;
        g->all_n += t.second;
    }
    std::string key;
    for (YearlyCounts& x : group) {
        for (std::size_t i = 0; i < x.year.size(); ++i) {
            const auto& t = g->totals[x.year[i]];
            if (t.first > 0.0 && t.second > 0.0 && g->all_k > 0.0) x.n[i] *= (t.first / t.second) / (g->all_k / g->all_n);
        }
        if (c.cache == nullptr) continue;
        key.append(reinterpret_cast<const char*>(x.year.data()), x.year.size() * sizeof(int));
        key.append(reinterpret_cast<const char*>(x.k.data()), x.k.size() * sizeof(double));
        key.append(reinterpret_cast<const char*>(x.n.data()), x.n.size() * sizeof(double));
        key.append(reinterpret_cast<const char*>(&x.lag), sizeof x.lag);
        key.push_back('|');
    }
    if (c.cache == nullptr) {
        g->prior = variation_prior(group);
        return g;
    }
    GroupFitCache::Entries& cache = c.cache->entries();
    std::shared_ptr<std::shared_future<VariationPrior>> slot;
    std::promise<VariationPrior> mine;
    {
        const std::lock_guard<std::mutex> lock(cache.mutex);
        auto& entry = cache.variation_priors[key];
        if (entry) {
            slot = entry;
        } else {
            entry = std::make_shared<std::shared_future<VariationPrior>>(mine.get_future().share());
        }
    }
    if (slot) {
        g->prior = slot->get();  // fitted by another call (or under way there)
        return g;
    }
    try {
        g->prior = variation_prior(group);
        mine.set_value(g->prior);
    } catch (...) {
        mine.set_exception(std::current_exception());
        throw;
    }
    return g;
}

void fit_one(const FitContext& c, const Family& f, const std::function<YearlyCounts(const std::string&)>& counts_of) {
    // Each authority's rate relative to the group's rate of the same year: a
    // change of definition or a national shift (2014's ceased statements,
    // the person-level return from 2022) moves every authority together and
    // is not one authority's variation. n is scaled by the year's group rate
    // over the window's, so log(k / n) loses the year's common part.
    const std::shared_ptr<const GroupVariation> fitted = group_variation(c, counts_of);
    const GroupVariation& g = *fitted;
    const auto relative = [&](YearlyCounts x) {
        for (std::size_t i = 0; i < x.year.size(); ++i) {
            const auto it = g.totals.find(x.year[i]);
            if (it == g.totals.end()) continue;
            const auto& t = it->second;
            if (t.first > 0.0 && t.second > 0.0 && g.all_k > 0.0) x.n[i] *= (t.first / t.second) / (g.all_k / g.all_n);
        }
        return x;
    };
    const VariationPrior& prior = g.prior;
    const int first = c.origin - variation_window, last = c.origin - 1;
    const std::string years = std::to_string(first) + "-" + std::to_string(last) + " without 2020-2021";
    if (!prior.identified) {
        c.out.kept.push_back(std::string(f.sd_key) + ", " + f.persistence_key + ": fewer than two authorities with two "
                             "usable years of " + f.events + " per " + f.at_risk + " in " + years +
                             " (no year-to-year variation written)");
        return;
    }
    const YearlyCounts own = relative(counts_of(c.la));
    const VariationPosterior post = variation_posterior(own, prior);
    std::string data = std::to_string(post.years) + " usable years of " + f.events + " per " + f.at_risk + " in " + years +
                       ", each relative to the group's rate of its year";
    const LogRates rates = usable_log_rates(own);
    for (std::size_t i = 0; i < rates.year.size(); ++i)
        data += (i == 0 ? ": " : ", ") + std::to_string(rates.year[i]) + " " + fmt(std::exp(rates.y[i]), 3);
    const std::string pool = "the group's log sd " + fmt(prior.log_mean, 3) + " (sd " + fmt(prior.log_sd, 2) +
                             "; median " + fmt(std::exp(prior.log_mean), 3) + ") over " +
                             std::to_string(prior.authorities) + " authorities (" + c.group_name + ")";
    // Written as a Beta of the posterior's mean and sd: an sd of a log rate
    // above 1 is beyond anything the panel shows, and a Beta keeps every
    // draw in [0, 1] (a lognormal of a wide posterior can draw past the key's
    // limit of 5 at the engine's extreme uniforms, and would be refused).
    // A posterior too wide for a Beta of that mean: a lognormal, else its mean.
    Written sd = write_beta(post.mean, post.sd);
    if (post.mean >= 1.0 || post.sd * post.sd >= post.mean * (1.0 - post.mean)) {
        sd = write_lognormal(post.mean, post.sd);
        if (Distribution{Distribution::Kind::lognormal, post.mean, post.sd, 0.0}.quantile(1.0 - 0x1.0p-53) > 5.0)
            sd = write_fixed(std::min(post.mean, 5.0));
    }
    if (post.mean > 1.0)
        c.out.warnings.push_back(std::string(f.sd_key) + " is fitted at " + fmt(post.mean, 3) + ": the " + f.what +
                                 " moves by a factor of e or more a year; look at the data (a reporting break?)");
    add_fitted(c.out, f.sd_key, "rate variation", sd,
               data + "; grid posterior 90% " + fmt(post.lo90, 3) + " - " + fmt(post.hi90, 3), post.own_weight, pool);
    if (prior.rho_fitted) {
        // The profile interval on a grid of step 0.1, widened by half a step
        // each side (the grid's resolution), as a Beta's 90%.
        const double spread = (prior.rho_hi90 - prior.rho_lo90 + 0.1) / 3.29;
        add_fitted(c.out, f.persistence_key, "rate variation",
                   prior.rho > 0.0 && spread > 0.0 ? write_beta(prior.rho, spread) : write_fixed(prior.rho),
                   std::to_string(prior.years) + " authority-years of " + std::to_string(prior.authorities) +
                       " authorities, " + years + "; profile-likelihood 90% interval " + fmt(prior.rho_lo90, 2) +
                       " - " + fmt(prior.rho_hi90, 2) + " (grid step 0.1)",
                   0.0, "pooled entirely (" + c.group_name + ")");
    } else {
        c.out.kept.push_back(std::string(f.persistence_key) + ": no authority has three usable years in " + years +
                             ": 0 (independent years)");
    }
}

}  // namespace

void fit_rate_variation(const FitContext& c) {
    const int first = c.origin - variation_window, last = c.origin - 1;
    for (const Family& f : {Family{"demand.conversion_sd", "demand.conversion_persistence", "conversion", "new plans",
                                   "requests", "new_plans", "requests", true},
                            Family{"cease.variation_sd", "cease.variation_persistence", "cease rate", "ceased plans",
                                   "plans at the January census", "ceased", "stock", false}})
        fit_one(c, f, [&](const std::string& code) { return counts_of(c, f, code); });
    c.out.methods.push_back(
        "Year-to-year variation of conversion (new plans per request, the product p_assess x p_issue) and of the "
        "cease rate (ceased plans of the calendar year per plan at its January census, every phase together): "
        "the yearly log rates of calendar " + std::to_string(first) + "-" + std::to_string(last) +
        " without 2020 and 2021 (Covid, a declared break), a year with fewer than 10 events or beyond x5 or /5 "
        "of the authority's median left out (reporting breaks); each year's rate taken relative to the group's "
        "rate of that year (k over n scaled by the group's rate of the year against the window's), so a change of "
        "definition or a national shift moving every authority together is not taken for an authority's "
        "variation. Model: log rate = the authority's level + sd x "
        "a stationary AR(1) of persistence rho, plus the binomial sampling error of log(k/n), (1 - p)/k, so "
        "that chance in small counts is not taken for variation. For conversion, with the template's lag, a "
        "year's new plans per request is (1 - lag) z(t) + lag z(t-1) of the rate's own AR(1) z, plus the late "
        "plans' binomial split counted in two years, and the covariance says so. Likelihood on a grid: each authority's "
        "restricted likelihood (its level integrated out) at each (sd, rho); across the group log sd ~ "
        "Normal(m, s^2) and one rho, (rho, m, s) by maximum marginal likelihood (empirical Bayes); the "
        "authority's posterior of sd is its own likelihood times that prior, written as a Beta of the "
        "posterior mean and sd (every draw in [0, 1]); the weight of its own data is 1 - posterior / prior variance of log sd. rho is "
        "pooled entirely (a Beta whose 90% spans its profile-likelihood 90% interval on a grid of step 0.1, "
        "widened by half a step each side); without three usable years in any "
        "authority it is 0. The fitted level (assess, issue and cease rates) is the last year's and keeps its "
        "own posterior; the model takes it as one year of the varying rate (docs/model.md, Uncertainty).");
}

}  // namespace ehcpsim::calibrate::detail
