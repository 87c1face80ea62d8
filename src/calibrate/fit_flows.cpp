// The fit of the flows out of and into the stock, and of the mixes of new
// plans: cease rate by phase, need mix, placement mix (raked into the
// template's phase shapes), transfers in (calibrate_detail.h; docs/calibrate.md).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "calibrate_detail.h"

namespace ehcpsim::calibrate::detail {

namespace {

// Ceases by the phase of the age at the census that started the year (the
// model's age), from ceases by the age at ceasing. A plan ceases on average
// half a year after the census, so of those ceasing at age a about half were
// a at the census and half a - 1; the plans at the oldest age all end in the
// year (ceased, or at the maximum age) and cease at it. Moving half of each
// age to the age below would smooth the ages twice, not undo the shift: a
// quarter of the ceases of the first age past a phase boundary (16, 19),
// where the rate jumps, would land in the phase before. Instead the phase
// rates are fitted to the ages at ceasing by maximum likelihood (EM: each
// age's ceases shared between its two census ages in proportion to
// rate x plans there, then each phase's rate = its share / its plans; 200
// rounds), which undoes the shift where the rate is constant within a phase,
// as the model has it. Returns the ceases by phase of census age, the oldest
// age left out (it ends every plan).
std::vector<double> ceases_by_census_phase(const std::vector<double>& ceasing, const std::vector<double>& plans,
                                           const Dimensions& dims) {
    const std::size_t A = ceasing.size(), phases = dims.phases.size();
    const auto phase = [&](std::size_t i) { return static_cast<std::size_t>(dims.phase_of_age(dims.min_age + static_cast<int>(i))); };
    std::vector<double> rate(phases, 0.0), k(phases, 0.0), n(phases, 0.0);
    for (std::size_t i = 0; i + 1 < A; ++i) {
        k[phase(i)] += ceasing[i];
        n[phase(i)] += plans[i];
    }
    for (std::size_t ph = 0; ph < phases; ++ph) rate[ph] = n[ph] > 0.0 ? std::min(1.0, k[ph] / n[ph]) : 0.0;
    std::vector<double> at_census(A, 0.0);
    for (int round = 0; round < 200; ++round) {
        std::fill(at_census.begin(), at_census.end(), 0.0);
        for (std::size_t i = 0; i < A; ++i) {
            // Census age i (the oldest: every plan of it), and i - 1.
            const double own = i + 1 == A ? plans[i] : 0.5 * rate[phase(i)] * plans[i];
            const double below = i == 0 ? 0.0 : 0.5 * rate[phase(i - 1)] * plans[i - 1];
            const double share = own + below > 0.0 ? own / (own + below) : (i == 0 ? 1.0 : 0.5);
            at_census[i] += share * ceasing[i];
            if (i > 0) at_census[i - 1] += (1.0 - share) * ceasing[i];
        }
        std::fill(k.begin(), k.end(), 0.0);
        for (std::size_t i = 0; i + 1 < A; ++i) k[phase(i)] += at_census[i];
        for (std::size_t ph = 0; ph < phases; ++ph) rate[ph] = n[ph] > 0.0 ? std::min(1.0, k[ph] / n[ph]) : 0.0;
    }
    return k;
}

}  // namespace

void fit_cease(const FitContext& c) {
    const Dimensions& dims = c.dims;
    const int last_flow = c.origin - 1;
    const std::size_t phases = dims.phases.size();
    // The template's relative cease rate by phase (its rates averaged over
    // placements, weighted by its stock), used to split a year's ceased plans
    // when they are not published by age.
    std::vector<double> relative(phases, 0.0), weight(phases, 0.0);
    for (int a = dims.min_age; a <= dims.max_age; ++a) {
        const std::size_t ph = static_cast<std::size_t>(dims.phase_of_age(a));
        for (std::size_t n = 0; n < dims.needs.size(); ++n)
            for (std::size_t p = 0; p < dims.placements.size(); ++p) {
                const double s = static_cast<double>(c.base.stock[dims.cell(a, static_cast<int>(n), static_cast<int>(p))]);
                relative[ph] += s * c.base.cease.rate[ph][p].dist.mean();
                weight[ph] += s;
            }
    }
    for (std::size_t ph = 0; ph < phases; ++ph)
        relative[ph] = weight[ph] > 0.0 ? relative[ph] / weight[ph] : c.base.cease.rate[ph][0].dist.mean();

    struct Ceased {
        std::vector<Count> phase;
        bool by_age = false;
    };
    const auto ceased_of = [&](const std::string& code) -> std::optional<Ceased> {
        const auto total = c.cut.value(code, last_flow, "ceased", "all");
        const double scale = c.scale_of(code);
        if (!total || scale <= 0.0) return std::nullopt;
        // Plans at risk: the stock by phase at the census starting the year.
        if (!c.cut.value(code, last_flow, "stock", "all")) return std::nullopt;
        std::vector<double> at_risk_age = c.stock_by_age(code, last_flow, scale);
        if (!by_age(c.cut, code, "stock", last_flow, dims)) {
            // Ages of the next census (within the cut), scaled to this one's total.
            if (auto next = by_age(c.cut, code, "stock", c.origin, dims)) {
                const std::vector<double> sh = shares(*next);
                const double t = *c.cut.value(code, last_flow, "stock", "all");
                for (std::size_t i = 0; i < sh.size(); ++i) at_risk_age[i] = sh[i] * t;
            }
        }
        Ceased out;
        std::vector<double> k(phases, 0.0);
        if (auto ages = by_age(c.cut, code, "ceased", last_flow, dims)) {
            k = ceases_by_census_phase(*ages, at_risk_age, dims);
            out.by_age = true;
            // The oldest age ends every plan (the engine's aged out): it is
            // no part of the last phase's rate.
            at_risk_age.back() = 0.0;
        } else {
            std::vector<double> w(phases);
            const std::vector<double> at_risk = by_phase(at_risk_age, dims);
            for (std::size_t ph = 0; ph < phases; ++ph) w[ph] = relative[ph] * at_risk[ph];
            const std::vector<double> sh = shares(w);
            for (std::size_t ph = 0; ph < phases; ++ph) k[ph] = *total * sh[ph];
        }
        const std::vector<double> at_risk = by_phase(at_risk_age, dims);
        for (std::size_t ph = 0; ph < phases; ++ph)
            out.phase.push_back({out.by_age ? std::min(k[ph], at_risk[ph]) : k[ph], at_risk[ph]});
        return out;
    };
    std::vector<std::vector<Count>> groups(phases);
    for (const std::string& code : c.group)
        if (const auto x = ceased_of(code))
            for (std::size_t ph = 0; ph < phases; ++ph) groups[ph].push_back(x->phase[ph]);
    const auto own = ceased_of(c.la);
    if (groups[0].empty()) {
        c.out.kept.push_back("cease.rate: no authority has ceased plans for " + std::to_string(last_flow));
        return;
    }
    for (std::size_t ph = 0; ph < phases; ++ph) {
        const BetaPrior prior = beta_prior(groups[ph]);
        const Count k = own ? own->phase[ph] : Count{};
        const BetaPosterior post = beta_posterior(k, prior);
        const std::string data =
            own ? "ceased in " + std::to_string(last_flow) + " at ages " + std::to_string(dims.phases[ph].first_age) +
                      "-" + std::to_string(dims.phases[ph].last_age) + " = " + fmt(k.k, 5) +
                      (own->by_age ? "" : " (the year's total split by the template's age pattern)") + " of " +
                      fmt(k.n, 5) + " plans at the January " + std::to_string(last_flow) + " census"
                : "none for " + std::to_string(last_flow);
        add_fitted(c.out, "cease.rate." + dims.phases[ph].name, "cease rate", write_beta(post.mean(), post.sd()), data,
                   post.own_weight,
                   c.pooled(prior.groups, prior.mean, prior.concentration));
    }
    if (own && !own->by_age)
        c.out.warnings.push_back("ceased plans of " + std::to_string(last_flow) +
                                 " are not published by age: split over phases by the template's relative rates");
    c.out.methods.push_back(
        "Cease rate by phase (one rate for every placement of a phase): the last calendar year's ceased plans "
        "(all reasons, transfers out included: the model has no transfers out) by age at ceasing, taken back "
        "to the age at the census that starts the year (ceasing comes half a year after it on average, so of "
        "those ceasing at age a about half were a - 1) by maximum likelihood of the phase rates (EM), over the "
        "plans of the phase at that census; the oldest age is left out (all its plans end in the year, as the "
        "model's aged out). Beta posterior, empirical-Bayes prior over the "
        "authorities. The template's cease multiplier is not kept: the fitted rate is the origin's level.");
}

void fit_mixes(const FitContext& c) {
    const Dimensions& dims = c.dims;
    const int last_flow = c.origin - 1;
    const std::string yr = std::to_string(last_flow);
    // ------------------------------------------------------------ need mix
    {
        std::vector<std::vector<double>> groups;
        for (const std::string& code : c.group)
            if (auto x = by_need(c.cut, code, "new_plans", last_flow, dims)) groups.push_back(*x);
        if (groups.empty()) {
            c.out.kept.push_back("demand.need_mix: the cut panel has no new plans by need (published for 2024 "
                                 "only, so for origins from 2025)");
        } else {
            const DirichletPrior prior = dirichlet_prior(groups);
            const auto own = by_need(c.cut, c.la, "new_plans", last_flow, dims);
            const std::vector<double> counts = own ? *own : std::vector<double>(dims.needs.size(), 0.0);
            const std::vector<BetaPosterior> post = dirichlet_posterior(counts, prior);
            for (std::size_t n = 0; n < dims.needs.size(); ++n)
                add_fitted(c.out, "demand.need_mix.default." + dims.needs[n], "need mix",
                           write_beta(post[n].mean(), post[n].sd()),
                           own ? "new plans of need " + dims.needs[n] + " in " + yr + " = " + fmt(counts[n], 5)
                               : "none for " + yr,
                           post[n].own_weight,
                           c.pooled(prior.groups, prior.mean[n], prior.concentration));
            c.out.methods.push_back(
                "Need mix of new plans: the last calendar year's new plans by primary need (`unknown` left out), "
                "a Dirichlet posterior with an empirical-Bayes Dirichlet prior over the authorities, each weight "
                "written as its Beta marginal; one mix for every phase (the data have no need by age).");
        }
    }
    // ------------------------------------------------------- placement mix
    std::vector<std::vector<double>> groups;
    for (const std::string& code : c.group)
        if (auto x = by_placement(c.cut, code, "new_plans", last_flow, dims)) groups.push_back(*x);
    if (groups.empty()) {
        c.out.kept.push_back("demand.placement_mix: the cut panel has no new plans by placement for " + yr);
        return;
    }
    const DirichletPrior prior = dirichlet_prior(groups);
    const auto own = by_placement(c.cut, c.la, "new_plans", last_flow, dims);
    const std::vector<double> counts = own ? *own : std::vector<double>(dims.placements.size(), 0.0);
    const std::vector<BetaPosterior> post = dirichlet_posterior(counts, prior);
    const std::size_t phases = dims.phases.size(), places = dims.placements.size();
    std::vector<double> target(places);
    double concentration = 0.0;
    for (std::size_t p = 0; p < places; ++p) {
        target[p] = post[p].mean();
        concentration = post[p].alpha + post[p].beta;
    }
    // The template's shape by phase: its placement mix averaged over needs,
    // weighted by its need mix of that phase.
    std::vector<std::vector<double>> shape(phases, std::vector<double>(places, 0.0));
    for (std::size_t ph = 0; ph < phases; ++ph) {
        std::vector<double> need_w(dims.needs.size());
        for (std::size_t n = 0; n < dims.needs.size(); ++n) need_w[n] = c.base.demand.need_mix[ph][n].dist.mean();
        need_w = shares(need_w);
        for (std::size_t n = 0; n < dims.needs.size(); ++n) {
            std::vector<double> mix(places);
            for (std::size_t p = 0; p < places; ++p) mix[p] = c.base.demand.placement_mix[ph][n][p].dist.mean();
            mix = shares(mix);
            for (std::size_t p = 0; p < places; ++p) shape[ph][p] += need_w[n] * mix[p];
        }
    }
    // Weights of the phases among new plans: by age where published, else by requests, else even.
    std::vector<double> phase_w(phases, 1.0);
    if (auto ages = by_age(c.cut, c.la, "new_plans", last_flow, dims)) phase_w = by_phase(*ages, dims);
    else if (auto r = by_age(c.cut, c.la, "requests", last_flow, dims)) phase_w = by_phase(*r, dims);
    phase_w = shares(phase_w);
    // Raking: one factor per placement so the phase mixes, weighted by the
    // phases, give the fitted mix.
    std::vector<double> lambda(places, 1.0);
    std::vector<std::vector<double>> mix(phases);
    double gap = 0.0;
    for (int sweep = 0; sweep < 500; ++sweep) {
        std::vector<double> got(places, 0.0);
        for (std::size_t ph = 0; ph < phases; ++ph) {
            std::vector<double> m(places);
            for (std::size_t p = 0; p < places; ++p) m[p] = shape[ph][p] * lambda[p];
            mix[ph] = shares(m);
            for (std::size_t p = 0; p < places; ++p) got[p] += phase_w[ph] * mix[ph][p];
        }
        gap = 0.0;
        for (std::size_t p = 0; p < places; ++p) {
            gap = std::max(gap, std::abs(got[p] - target[p]));
            if (got[p] > 0.0) lambda[p] *= target[p] / got[p];
        }
        if (gap < 1e-9) break;
    }
    if (gap > 1e-4)
        c.out.warnings.push_back("placement mix: the template's phase shapes cannot give the fitted mix exactly "
                                 "(largest gap " + fmt(gap, 3) + ")");
    for (std::size_t ph = 0; ph < phases; ++ph)
        for (std::size_t p = 0; p < places; ++p) {
            const double m = mix[ph][p];
            // A phase's mix rests on its share of the new plans, not on all of
            // them: its concentration is the posterior's times the phase's
            // weight (with all of it, a small phase's mix, whose weights are
            // the fitted all-phase shares divided by that small weight, came
            // out several times too sure: recovery through the engine,
            // tests/test_app_engine_recovery.cpp).
            const double sd = std::sqrt(m * (1.0 - m) / (concentration * phase_w[ph] + 1.0));
            const Written w = m <= 0.0 ? write_fixed(0.0) : (m >= 1.0 ? write_fixed(1.0) : write_beta(m, sd));
            add_fitted(c.out, "demand.placement_mix." + dims.phases[ph].name + ".default." + dims.placements[p],
                       "placement mix", w,
                       (own ? "new plans in " + dims.placements[p] + " in " + yr + " = " + fmt(counts[p], 5) +
                                  " of " + fmt(std::accumulate(counts.begin(), counts.end(), 0.0), 5)
                            : "none for " + yr) +
                           "; all phases together " + fmt(target[p]) + ", raked into the template's " +
                           dims.phases[ph].name + " shape",
                       post[p].own_weight,
                       c.pooled(prior.groups, prior.mean[p], prior.concentration));
        }
    c.out.methods.push_back(
        "Placement mix of new plans: the last calendar year's new plans by placement group (mapped to the "
        "template's placements), a Dirichlet posterior pooled like the need mix; then raked into the template's "
        "phase shapes (its placement mix averaged over needs) by one factor per placement, so that the phase "
        "mixes weighted by the phases' shares of new plans give the fitted mix. Each weight is written as a "
        "Beta with the posterior's concentration times the phase's share of new plans. Need-specific placement tables of the template are not kept.");
}

void fit_transfers(const FitContext& c) {
    // Transfers in are not in SEN2: the residual of the stock identity,
    // stock(t+1) - stock(t) - new plans(t) + ceased(t), over the last three
    // calendar years before the origin.
    std::vector<double> residual;
    std::string data;
    for (int t = c.origin - 3; t <= c.origin - 1; ++t) {
        const auto s0 = c.cut.value(c.la, t, "stock", "all"), s1 = c.cut.value(c.la, t + 1, "stock", "all");
        const auto made = c.cut.value(c.la, t, "new_plans", "all"), ceased = c.cut.value(c.la, t, "ceased", "all");
        if (!s0 || !s1 || !made || !ceased) continue;
        residual.push_back(*s1 - *s0 - *made + *ceased);
        data += (data.empty() ? "" : ", ") + std::to_string(t) + ": " + fmt(residual.back(), 5);
    }
    if (residual.empty()) {
        c.out.kept.push_back("transfers_in.rate: the stock identity needs stock, new plans and ceased plans of "
                             "one of the last three years");
        return;
    }
    double mean = 0.0;
    for (double r : residual) mean += r;
    mean /= static_cast<double>(residual.size());
    double var = 0.0;
    for (double r : residual) var += (r - mean) * (r - mean);
    const double sd = residual.size() > 1 ? std::sqrt(var / static_cast<double>(residual.size() - 1)) : mean / 2.0;
    const Written w = mean <= 0.0 ? write_fixed(0.0)
                                  : write_lognormal(mean, std::max(1.0, sd / std::sqrt(residual.size())));
    add_fitted(c.out, "transfers_in.rate", "transfers in", w,
               "stock(t+1) - stock(t) - new plans(t) + ceased(t) = " + data + (mean <= 0.0 ? " (mean <= 0: none)" : ""),
               1.0, "");
    c.out.methods.push_back(
        "Transfers in (not published): the mean residual of the stock identity over the last three years, a "
        "lognormal with the standard error of that mean (0 when the mean is not positive); it also absorbs "
        "whatever else the published flows miss, and is not pooled.");
}

}  // namespace ehcpsim::calibrate::detail
