// The fit of the demand trend: the growth of per-head requests (new plans
// where an authority has too few years of requests), pooled over the panel's
// authorities as an AR(1) of yearly growth, the authority's own recent growth
// shrunk towards the pool (calibrate_detail.h; docs/calibrate.md).
#include <algorithm>
#include <cmath>
#include <map>

#include "calibrate_detail.h"
#include "ehcpsim/distribution.h"

namespace ehcpsim::calibrate::detail {

namespace {

// Yearly growths of one authority's per-head series in the window, with the
// part of their variance that Poisson counts alone give.
struct Growth {
    int year = 0;
    double g = 0.0;
    double chance_var = 0.0;
};

constexpr int window = 6;  // growths of calendar origin-6 .. origin-1
// A yearly count under 20, or a growth beyond x3 or /3, is taken for a
// reporting break (the panel has authorities reporting 0, 1 or 2 requests
// in a year between hundreds), not demand: left out.
constexpr double smallest_count = 20.0;
const double largest_log_growth = std::log(3.0);

// The model's growth is arithmetic (G(t) = G(t-1) (1 + g)); the fit is on
// log growth q: g = exp(q) - 1, its sd exp(q) times q's.
double to_growth(double q) { return std::exp(q) - 1.0; }

// The shock sd as a lognormal of the estimate and its standard error, unless
// that lognormal can draw beyond the key's limit of 1 at the engine's most
// extreme uniform (1 - 2^-53), which validation refuses: a few authorities
// (statistical neighbours, say) give a large standard error, e.g. mean 0.264,
// sd 0.054 reaches 1.6. Then a Beta of the same mean and sd, whose support
// [0, 1] is inside the key's domain; the written mean and sd are unchanged.
Written write_shock_sd(double mean, double sd) {
    const Written lognormal = write_lognormal(mean, sd);
    const Distribution d{Distribution::Kind::lognormal, mean, sd, 0.0};
    if (!(mean > 0.0 && sd > 0.0) || d.quantile(1.0 - 0x1.0p-53) <= 1.0) return lognormal;
    return write_beta(mean, sd);
}

}  // namespace

void fit_trend(const FitContext& c) {
    const int last = c.origin - 1, first = last - window + 1;
    const auto population = [&](int year) {
        double s = 0.0;
        for (int a = c.dims.min_age; a <= c.dims.max_age; ++a) s += c.england.population(year, a);
        return s;
    };
    std::string measure_note;
    const auto growths_of = [&](const std::string& code, std::string* measure) {
        std::string m = "requests";
        Series x = c.cut.series(code, m, "all");
        int years = 0;
        for (int t = first - 1; t <= last; ++t) years += x.count(t) && x.at(t) >= smallest_count;
        if (years < 4) {
            m = "new_plans";
            x = c.cut.series(code, m, "all");
        }
        if (measure) *measure = m;
        std::vector<Growth> out;
        for (int t = first; t <= last; ++t) {
            if (declared_break(t) || !x.count(t) || !x.count(t - 1) || x.at(t) < smallest_count ||
                x.at(t - 1) < smallest_count)
                continue;
            const double q = std::log(x.at(t) / x.at(t - 1)) - std::log(population(t) / population(t - 1));
            if (std::abs(q) >= largest_log_growth) continue;
            out.push_back({t, q, 1.0 / x.at(t) + 1.0 / x.at(t - 1)});
        }
        return out;
    };
    std::map<std::string, std::vector<Growth>> all;
    double sum = 0.0;
    int n = 0;
    for (const std::string& code : c.group) {
        auto g = growths_of(code, nullptr);
        for (const Growth& x : g) {
            sum += x.g;
            ++n;
        }
        if (!g.empty()) all[code] = std::move(g);
    }
    if (n < 10) {
        c.out.kept.push_back("demand.growth, growth_long_run, persistence, shock_sd: fewer than 10 yearly growths "
                             "in the cut panel");
        return;
    }
    const double m = sum / n;
    // Pooled AR(1) on consecutive growths: phi by least squares through the mean.
    double sxy = 0.0, sxx = 0.0;
    for (const auto& [code, g] : all)
        for (std::size_t i = 1; i < g.size(); ++i)
            if (g[i].year == g[i - 1].year + 1) {
                sxy += (g[i].g - m) * (g[i - 1].g - m);
                sxx += (g[i - 1].g - m) * (g[i - 1].g - m);
            }
    const double phi = sxx > 0.0 ? std::clamp(sxy / sxx, 0.0, 0.9) : 0.0;
    double resid = 0.0, chance = 0.0;
    int pairs = 0;
    for (const auto& [code, g] : all)
        for (std::size_t i = 1; i < g.size(); ++i)
            if (g[i].year == g[i - 1].year + 1) {
                const double e = g[i].g - m - phi * (g[i - 1].g - m);
                resid += e * e;
                chance += g[i].chance_var + phi * phi * g[i - 1].chance_var;
                ++pairs;
            }
    const double resid_var = pairs > 0 ? resid / pairs : 0.0;
    const double sigma2 = std::max(1e-6, resid_var - (pairs > 0 ? chance / pairs : 0.0));
    const double sigma = std::sqrt(sigma2);
    const double phi_se = sxx > 0.0 ? std::sqrt(resid_var / sxx) : 0.0;
    // Authorities' mean recent growth (last three): its between-authority variance.
    const auto recent = [&](const std::vector<Growth>& g, double& mean, double& var) {
        const std::size_t k = std::min<std::size_t>(3, g.size());
        mean = 0.0;
        double cv = 0.0;
        for (std::size_t i = g.size() - k; i < g.size(); ++i) {
            mean += g[i].g;
            cv += g[i].chance_var;
        }
        mean /= static_cast<double>(k);
        var = (sigma2 + cv / static_cast<double>(k)) / static_cast<double>(k);
    };
    double spread = 0.0, noise = 0.0;
    for (const auto& [code, g] : all) {
        double mean = 0.0, var = 0.0;
        recent(g, mean, var);
        spread += (mean - m) * (mean - m);
        noise += var;
    }
    const double groups = static_cast<double>(all.size());
    const double tau2 = std::max(1e-5, spread / groups - noise / groups);
    // growth_long_run's spread across authorities, honestly: the estimate
    // spread - noise of the variance of the authorities' means has a
    // standard error sqrt(2 / (groups - 1)) x spread / groups (the means'
    // sample variance), which with four noisy growths each is as large as
    // the spread itself; the posterior of tau^2 >= 0 under a flat prior is
    // that normal truncated at 0, and its mean (not the floored point) is
    // the variance written, so an estimate at the floor still says how large
    // a spread the data cannot rule out.
    double tau2_long_run = tau2;
    if (groups > 1.0) {
        const double mu = spread / groups - noise / groups;
        const double se = std::sqrt(2.0 / (groups - 1.0)) * spread / groups;
        if (se > 0.0) {
            const double a = mu / se;
            const double pdf = std::exp(-0.5 * a * a) / std::sqrt(2.0 * 3.14159265358979323846);
            const double cdf = 0.5 * std::erfc(-a / std::sqrt(2.0));
            if (cdf > 1e-12) tau2_long_run = std::max(1e-5, mu + se * pdf / cdf);
        }
    }
    std::string measure;
    const std::vector<Growth> own = growths_of(c.la, &measure);
    double g_mean = m, g_sd = std::sqrt(tau2), weight = 0.0;
    std::string data = "no growth of its own in " + std::to_string(first) + "-" + std::to_string(last);
    if (!own.empty()) {
        double mean = 0.0, var = 0.0;
        recent(own, mean, var);
        weight = tau2 / (tau2 + var);
        g_mean = weight * mean + (1.0 - weight) * m;
        g_sd = std::sqrt(1.0 / (1.0 / tau2 + 1.0 / var));
        data = "per-head " + measure + " growth";
        const std::size_t k = std::min<std::size_t>(3, own.size());
        for (std::size_t i = own.size() - k; i < own.size(); ++i)
            data += (i == own.size() - k ? " " : ", ") + std::to_string(own[i].year) + ": " + fmt(to_growth(own[i].g), 3);
        data += " (mean log growth " + fmt(mean, 3) + ")";
    }
    // The model's growth is the base year's own, g(Y) = level + phi (g(Y-1) -
    // level) + that year's shock, not the level: the level's posterior with
    // the shock's variance added, updated by the last growth seen (calendar
    // Y-1 over Y-2 measures g(Y), with the variance chance gives its counts).
    // Without it the interval left the shock out and held the base year's
    // growth 0.12 of the time (recovery through the engine,
    // tests/test_app_engine_recovery.cpp).
    {
        double prior_mean = g_mean;
        const double prior_var = g_sd * g_sd + sigma2;
        const Growth* seen = !own.empty() && own.back().year == last ? &own.back() : nullptr;
        if (seen && own.size() > 1 && own[own.size() - 2].year == last - 1)
            prior_mean = g_mean + phi * (own[own.size() - 2].g - g_mean);
        if (seen && seen->chance_var > 0.0) {
            const double precision = 1.0 / prior_var + 1.0 / seen->chance_var;
            g_mean = (prior_mean / prior_var + seen->g / seen->chance_var) / precision;
            g_sd = std::sqrt(1.0 / precision);
            data += "; the base year's growth: that level plus a shock, updated by " + std::to_string(last) + "'s";
        } else {
            g_mean = prior_mean;
            g_sd = std::sqrt(prior_var);
            data += "; the base year's growth: that level plus a shock";
        }
    }
    const std::string pool = "the mean growth of " + std::to_string(all.size()) + " authorities (" + c.group_name + "), " + fmt(to_growth(m), 3);
    add_fitted(c.out, "demand.growth", "trend", write_normal(to_growth(g_mean), std::exp(g_mean) * g_sd), data,
               weight, pool);
    add_fitted(c.out, "demand.growth_long_run", "trend",
               write_normal(to_growth(m), std::exp(m) * std::sqrt(tau2_long_run + resid_var / n)),
               std::to_string(n) + " yearly growths of " + std::to_string(all.size()) + " authorities, " +
                   std::to_string(first) + "-" + std::to_string(last) + " without 2020-2021; sd = spread of "
                   "authorities' mean growth",
               0.0, "pooled entirely (" + c.group_name + ")");
    add_fitted(c.out, "demand.persistence", "trend", write_beta(phi, phi_se),
               std::to_string(pairs) + " consecutive pairs of growths (pooled least squares, clamped to 0-0.9)", 0.0,
               "pooled entirely (" + c.group_name + ")");
    add_fitted(c.out, "demand.shock_sd", "trend",
               write_shock_sd(std::exp(m) * sigma, std::exp(m) * sigma / std::sqrt(2.0 * std::max(1, pairs))),
               "residual sd of the pooled AR(1) less the Poisson part of the counts' growth", 0.0, "pooled entirely (" + c.group_name + ")");
    c.out.methods.push_back(
        "Trend: the yearly log growth of requests per head of the proxy population (new plans where an authority "
        "has fewer than four years of requests), calendar " + std::to_string(first) + "-" + std::to_string(last) +
        " without 2020 and 2021 (Covid: a declared break), leaving out a year under 20 or a growth beyond x3 or "
        "/3 (reporting breaks); written as the model's arithmetic growth exp(q) - 1. Pooled over the authorities as an AR(1), "
        "g(t) - m = phi (g(t-1) - m) + e: m is growth_long_run (sd: the spread of authorities' mean growth, "
        "the posterior mean of that variance given its estimate and standard error, truncated at 0), "
        "phi persistence (least squares, sd its standard error), the sd of e the shock less the variance that "
        "Poisson counts alone give. growth, the base year's growth, is the authority's mean of its last three "
        "growths shrunk towards m by tau^2 / (tau^2 + its sampling variance), tau^2 the between-authority "
        "variance of those means. The model's G multiplies the per-head request rate, so this is the growth "
        "of requests beyond the population's.");
}

}  // namespace ehcpsim::calibrate::detail
