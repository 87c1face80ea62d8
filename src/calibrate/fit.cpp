// The fit of demand: conversion (p_assess, p_issue) and the request rate by
// phase, from the last calendar year before the origin, pooled across the
// panel's authorities (calibrate_detail.h; docs/calibrate.md).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "calibrate_detail.h"
#include "ehcpsim/error.h"

namespace ehcpsim::calibrate::detail {

void add_fitted(Calibration& out, const std::string& key, const std::string& family, const Written& w,
                const std::string& data, double weight, const std::string& towards) {
    out.fitted.push_back({key, family, w.text, w.mean, w.lo90, w.hi90, data, weight, towards});
}

std::string fmt(double v, int digits) {
    std::ostringstream out;
    out.precision(digits);
    out << v;
    return out.str();
}

std::string FitContext::pooled(int authorities, double mean, double size) const {
    return "the mean of " + std::to_string(authorities) + " authorities (" + group_name + "), " + fmt(mean) +
           " (prior size " + fmt(size, 4) + ")";
}

double FitContext::scale_of(const std::string& code) const {
    const auto own = cut.value(code, origin, "stock", "all");
    const auto all = england.plans(origin);
    if (!own || !all || *all <= 0.0) return 0.0;
    return *own / *all;
}

std::vector<double> FitContext::stock_by_age(const std::string& code, int year, double scale) const {
    if (auto ages = by_age(cut, code, "stock", year, dims)) return *ages;
    const double total = cut.value(code, year, "stock", "all").value_or(0.0);
    std::vector<double> pop(static_cast<std::size_t>(dims.ages()));
    for (int a = dims.min_age; a <= dims.max_age; ++a)
        pop[static_cast<std::size_t>(a - dims.min_age)] = england.population(year, a) * scale;
    const std::vector<double> s = shares(pop);
    for (std::size_t i = 0; i < pop.size(); ++i) pop[i] = s[i] * total;
    return pop;
}

std::vector<double> FitContext::exposure(const std::string& code, double scale) const {
    const std::vector<double> stock = stock_by_age(code, origin, scale);
    std::vector<double> e(static_cast<std::size_t>(dims.ages()));
    for (int a = dims.min_age; a <= dims.max_age; ++a) {
        const std::size_t i = static_cast<std::size_t>(a - dims.min_age);
        e[i] = std::max(0.0, england.population(origin, a) * scale - stock[i]);
    }
    return by_phase(e, dims);
}

void fit_demand(const FitContext& c) {
    const Panel& cut = c.cut;
    const Scenario& base = c.base;
    const Dimensions& dims = c.dims;
    Calibration& out = c.out;
    const std::string& la = c.la;
    const int last_flow = c.origin - 1;
    const std::size_t phases = dims.phases.size();
    const auto add = add_fitted;
    // Phase shares of a year's requests: requests by age, else new plans by age, else none.
    const auto request_shares = [&](const std::string& code, int year) -> std::optional<std::vector<double>> {
        if (auto ages = by_age(cut, code, "requests", year, dims)) return shares(by_phase(*ages, dims));
        if (auto ages = by_age(cut, code, "new_plans", year, dims)) return shares(by_phase(*ages, dims));
        return std::nullopt;
    };
    // ----------------------------------------------------------- request rate
    // Conversion first (it imputes requests where a year has none).
    // With a lag, a year's new plans are (1 - lag) of its issued plans and
    // lag of last year's (docs/model.md): new plans(t) = issued(t) -
    // lag (issued(t) - issued(t-1)) and a few of the split's chance. The
    // issued plans are taken as the new plans plus lag times the authority's
    // smooth change (its mean growth of new plans over up to four years),
    // and what is left, lag times the year's change about that trend and the
    // split's binomial chance, is added to the interval (extra_var, in
    // plans): lag^2 x the variance of the change of issued plans (that of new
    // plans about the trend, times the lag's smoothing factor, at the
    // template's persistence of conversion) + 2 lag (1 - lag) new plans.
    const double lag = std::clamp(base.demand.lag.dist.mean(), 0.0, 0.95);
    const double rho = std::clamp(base.demand.conversion_persistence.dist.mean(), 0.0, 1.0);
    // Var(change of issued) / Var(change of new plans) when both are a
    // stationary AR(1) log rate of persistence rho averaged with weights
    // (1 - lag, lag) over two years.
    const double smoothing = 1.0 / std::max(0.05, (1.0 - lag) * (1.0 - lag) + lag * lag -
                                                      lag * (1.0 - lag) * (1.0 - rho));
    struct Conv {
        Count assess, issue;
        double rel_var = -1.0;  // the new plans' squared relative change about the trend (-1: unknown)
        double issued = 0.0, refused = 0.0, extra_var = 0.0;
        bool has = false;
    };
    const auto new_plans = [&](const std::string& code, int year) { return cut.value(code, year, "new_plans", "all"); };
    const auto conversion = [&](const std::string& code) {
        Conv cv;
        const auto req = cut.value(code, last_flow, "requests", "all");
        const auto made = new_plans(code, last_flow);
        const auto refused = cut.value(code, last_flow, "not_issued", "all");
        if (!req || !made || !refused || *req <= 0.0) return cv;
        double issued = *made;
        if (lag > 0.0) {
            // The smooth growth: over the latest up to four years back with new plans.
            double growth = 0.0;
            for (int k = 4; k >= 1; --k)
                if (const auto then = new_plans(code, last_flow - k); then && *then > 0.0 && *made > 0.0) {
                    growth = std::pow(*made / *then, 1.0 / k) - 1.0;
                    break;
                }
            issued = *made * (1.0 + lag * growth);
            // The change about the trend, squared, relative, over the years
            // the variation's fit reads (declared breaks left out).
            double sum = 0.0;
            int terms = 0;
            for (int y = last_flow; y > last_flow - variation_window; --y) {
                if (declared_break(y) || declared_break(y - 1)) continue;
                const auto a = new_plans(code, y), b = new_plans(code, y - 1);
                if (!a || !b || *b <= 0.0) continue;
                const double d = (*a - *b) / *b - growth;
                sum += d * d;
                ++terms;
            }
            if (terms >= 2) cv.rel_var = sum / terms;
        }
        issued = std::min(issued, *req - *refused);
        issued = std::max(issued, 0.0);
        cv.issued = issued;
        cv.refused = *refused;
        cv.assess = {issued + *refused, *req};
        cv.issue = {issued, issued + *refused};
        cv.has = true;
        return cv;
    };
    std::vector<Count> assess_groups, issue_groups;
    std::vector<double> group_rel_vars;  // the members' squared changes about their trend (below)
    for (const std::string& code : c.group) {
        const Conv cv = conversion(code);
        if (cv.rel_var >= 0.0) group_rel_vars.push_back(cv.rel_var);
        if (!cv.has) continue;
        assess_groups.push_back(cv.assess);
        issue_groups.push_back(cv.issue);
    }
    const Conv own_conv = conversion(la);
    const double tmpl_conv = base.demand.assess_rate.dist.mean() * base.demand.issue_rate.dist.mean();
    double conv_mean = tmpl_conv;
    if (!assess_groups.empty()) {
        const BetaPrior pa = beta_prior(assess_groups), pi = beta_prior(issue_groups);
        // The lag's share of the uncertainty makes the authority's own counts
        // worth fewer trials: a count k of n whose chance has the binomial
        // variance v = n p (1 - p) and `extra` more counts as k f of n f,
        // f = v / (v + extra), so the posterior leans on the prior as much
        // more as the own year is noisier. `extra` is in issued plans: the
        // authority's own squared change about its trend, shrunk to the
        // group's mean by four years' weight.
        Count own_a = own_conv.has ? own_conv.assess : Count{}, own_i = own_conv.has ? own_conv.issue : Count{};
        if (own_conv.has && lag > 0.0) {
            double group_sum = 0.0;
            for (const double v : group_rel_vars) group_sum += v;
            const double group_rel = group_rel_vars.empty() ? 0.0 : group_sum / static_cast<double>(group_rel_vars.size());
            const double own_rel = own_conv.rel_var >= 0.0 ? (8.0 * own_conv.rel_var + 4.0 * group_rel) / 12.0 : group_rel;
            const double I = own_conv.issued, X = own_conv.refused;
            const double extra = lag * lag * smoothing * own_rel * I * I + 2.0 * lag * (1.0 - lag) * I;
            const auto fewer = [](Count k, double extra_counts) {
                if (k.n <= 0.0) return k;
                const double p = std::clamp(k.k / k.n, 0.5 / k.n, 1.0 - 0.5 / k.n);
                const double v = k.n * p * (1.0 - p);
                const double f = v / (v + extra_counts);
                return Count{k.k * f, k.n * f};
            };
            own_a = fewer(own_a, extra);
            if (I + X > 0.0) own_i = fewer(own_i, X * X / ((I + X) * (I + X)) * extra);
        }
        const BetaPosterior a = beta_posterior(own_a, pa);
        const BetaPosterior i = beta_posterior(own_i, pi);
        conv_mean = pa.mean * pi.mean;
        const std::string yr = std::to_string(last_flow);
        const std::string da = own_conv.has ? "issued (new plans with the lag's trend) + not issued " + fmt(own_conv.assess.k, 6) + " of " +
                                                  fmt(own_conv.assess.n, 6) + " requests in " + yr
                                            : "no requests, new plans and not-issued for " + yr + ": the group's";
        const std::string di = own_conv.has ? "issued " + fmt(own_conv.issue.k, 6) + " of " +
                                                  fmt(own_conv.issue.n, 6) + " assessments decided in " + yr
                                            : "no data for " + yr + ": the group's";
        add(out, "demand.assess_rate", "conversion", write_beta(a.mean(), a.sd()), da, a.own_weight,
            c.pooled(pa.groups, pa.mean, pa.concentration));
        add(out, "demand.issue_rate", "conversion", write_beta(i.mean(), i.sd()), di, i.own_weight,
            c.pooled(pi.groups, pi.mean, pi.concentration));
    } else {
        out.kept.push_back("demand.assess_rate and demand.issue_rate: no authority has requests, new plans and "
                           "not-issued for " + std::to_string(last_flow) + " in the cut panel");
    }
    out.methods.push_back(
        "Conversion: p_assess = (issued + assessments not issued) / requests and p_issue = issued / (issued + "
        "not issued), both in the last calendar year before the origin, so that p_assess x p_issue is the "
        "year's issued plans per request. With the template's lag a year's new plans are (1 - lag) of its "
        "issued plans and lag of last year's: issued = new plans x (1 + lag x the authority's mean growth of "
        "new plans over up to four years), and the rest of the lag's effect (lag x the year's change about "
        "that trend, and the split's binomial chance) widens the interval. Beta posteriors with an "
        "empirical-Bayes Beta prior over all the panel's authorities (method of moments).");

    // Requests by phase of every authority: counts k and residents without a plan n.
    struct Req {
        std::vector<Count> phase;
        std::string source;
    };
    std::vector<double> template_shares(phases, 0.0);
    for (std::size_t p = 0; p < phases; ++p) template_shares[p] = base.demand.request_rate[p].dist.mean();
    const auto requests_of = [&](const std::string& code) -> std::optional<Req> {
        const double s = c.scale_of(code);
        if (s <= 0.0) return std::nullopt;
        const std::vector<double> e = c.exposure(code, s);
        double total = 0.0;
        std::string source;
        if (const auto r = cut.value(code, last_flow, "requests", "all")) {
            total = *r;
            source = "requests";
        } else if (const auto made = cut.value(code, last_flow, "new_plans", "all"); made && conv_mean > 0.0) {
            total = *made / conv_mean;
            source = "new plans / conversion";
        } else {
            return std::nullopt;
        }
        std::vector<double> sh;
        if (auto found = request_shares(code, last_flow)) sh = *found;
        else {
            std::vector<double> w(phases);
            for (std::size_t p = 0; p < phases; ++p) w[p] = template_shares[p] * e[p];
            sh = shares(w);
        }
        Req r;
        r.source = source;
        for (std::size_t p = 0; p < phases; ++p) r.phase.push_back({total * sh[p], e[p]});
        return r;
    };
    std::vector<std::vector<Count>> phase_groups(phases);
    std::vector<std::vector<Count>> fallback_groups(phases);
    for (const std::string& code : c.group)
        if (const auto r = requests_of(code))
            for (std::size_t p = 0; p < phases; ++p) {
                (r->source == "requests" ? phase_groups : fallback_groups)[p].push_back(r->phase[p]);
            }
    const auto own_req = requests_of(la);
    for (std::size_t p = 0; p < phases; ++p) {
        const std::vector<Count>& groups = phase_groups[p].empty() ? fallback_groups[p] : phase_groups[p];
        const BetaPrior prior = beta_prior(groups);
        const Count own = own_req ? own_req->phase[p] : Count{};
        const BetaPosterior post = beta_posterior(own, prior);
        const std::string& phase = dims.phases[p].name;
        const std::string data =
            own_req ? own_req->source + " in " + std::to_string(last_flow) + " at ages " +
                          std::to_string(dims.phases[p].first_age) + "-" + std::to_string(dims.phases[p].last_age) +
                          " = " + fmt(own.k, 5) + " on " + fmt(own.n, 6) + " residents without a plan (proxy)"
                    : "none for " + std::to_string(last_flow);
        add(out, "demand.request_rate." + phase, "request rate", write_beta(post.mean(), post.sd()), data,
            post.own_weight,
            c.pooled(prior.groups, prior.mean, prior.concentration));
    }
    if (own_req && own_req->source != "requests")
        out.warnings.push_back("no requests for " + std::to_string(last_flow) +
                               ": the request rate is fitted to new plans divided by the pooled conversion (" +
                               fmt(conv_mean) + ")");
    out.methods.push_back(
        "Request rate by phase: the last calendar year's requests (by single age where published, else split "
        "like that year's new plans by age, a band spread evenly over its ages) over the proxy population less "
        "the plans at the origin census. Beta posterior (a binomial count, as the model draws it) with an "
        "empirical-Bayes Beta prior over the authorities with requests that year; the weight of the "
        "authority's own data is n / (n + prior size).");

}

}  // namespace ehcpsim::calibrate::detail
