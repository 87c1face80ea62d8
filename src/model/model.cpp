#include "ehcpsim/model.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <unordered_map>

#include "ehcpsim/rng.h"
#include "mitigation.h"

namespace ehcpsim {
namespace {

class Compiler {
public:
    explicit Compiler(Model& model) : model_(model) {}

    // The index of a parameter in the table, adding it the first time its
    // name is seen. Slots that inherit a `default` share its name, and so
    // share one draw.
    // `key_name` names the uniform the draw uses (normally the parameter's
    // own name; a stretch effect uses its target's, see compile()).
    int slot(const Param& param) { return slot(param, param.name); }
    int slot(const Param& param, const std::string& key_name) {
        auto found = index_.find(param.name);
        if (found != index_.end()) return found->second;
        const int index = static_cast<int>(model_.param_names.size());
        model_.param_names.push_back(param.name);
        model_.param_dists.push_back(param.dist);
        model_.param_keys.push_back(hash_name(key_name.data(), key_name.size()));
        if (!param.dist.is_fixed()) model_.uncertain_params.push_back(index);
        index_.emplace(param.name, index);
        return index;
    }

    // A slot for a parameter that is absent or fixed at 0 by default (the
    // rate variation): none (-1), so a scenario without it compiles to
    // exactly the parameter table it had before.
    int slot_unless_zero(const Param& param) {
        if (param.name.empty() || (param.dist.is_fixed() && param.dist.a == 0.0)) return -1;
        return slot(param);
    }

    YearSlots year_slots(const YearSeries& series) {
        YearSlots slots;
        slots.default_value = series.before_first;
        for (int t = 0; t <= model_.horizon; ++t) {
            const int year = model_.year_of(t);
            int chosen = -1;
            for (const auto& [point_year, param] : series.points)
                if (point_year <= year) chosen = slot(param);
            slots.param.push_back(chosen);
        }
        return slots;
    }

private:
    Model& model_;
    std::unordered_map<std::string, int> index_;
};

double value_or(const std::vector<double>& values, int slot, double fallback) {
    return slot < 0 ? fallback : values[static_cast<std::size_t>(slot)];
}

double year_value(const YearSlots& slots, const std::vector<double>& values, int t) {
    return value_or(values, slots.param[static_cast<std::size_t>(t)], slots.default_value);
}

double clamp_probability(double p) { return std::clamp(p, 0.0, 1.0); }
double nonnegative(double x) { return std::max(x, 0.0); }

// Normalises drawn weights in place (negative draws count as zero). All-zero
// weights cannot pass validation with fixed values; with uncertain weights
// they fall back to equal shares rather than dividing by zero.
void normalise(double* weights, int k) {
    double total = 0.0;
    for (int i = 0; i < k; ++i) {
        weights[i] = nonnegative(weights[i]);
        total += weights[i];
    }
    for (int i = 0; i < k; ++i) weights[i] = total > 0.0 ? weights[i] / total : 1.0 / static_cast<double>(k);
}

// Cumulative sums of k weights (the last set to exactly 1 when they sum to
// 1 up to round-off, so a uniform below 1 always finds a category).
void cumulate(const double* weights, double* cdf, int k) {
    double sum = 0.0;
    for (int i = 0; i < k; ++i) cdf[i] = sum += weights[i];
    if (k > 0 && std::fabs(cdf[k - 1] - 1.0) < 1e-9) cdf[k - 1] = 1.0;
}

}  // namespace

Model compile(const Scenario& scenario) {
    Model model;
    const Dimensions& dims = scenario.dims;
    model.variant = scenario.variant;
    model.base_year = scenario.base_year;
    model.horizon = scenario.horizon;
    model.min_age = dims.min_age;
    model.ages = dims.ages();
    model.needs = static_cast<int>(dims.needs.size());
    model.placements = static_cast<int>(dims.placements.size());
    model.phases = static_cast<int>(dims.phases.size());
    model.need_names = dims.needs;
    model.placement_names = dims.placements;
    for (int a = 0; a < model.ages; ++a) model.phase_of_age.push_back(dims.phase_of_age(a + dims.min_age));
    for (const Phase& phase : dims.phases) {
        model.phase_names.push_back(phase.name);
        model.phase_first_age.push_back(phase.first_age - dims.min_age);
        model.phase_last_age.push_back(phase.last_age - dims.min_age);
    }

    const int A = model.ages, N = model.needs, P = model.placements, Ph = model.phases;
    model.base_stock.assign(model.cells(), 0);
    for (int a = 0; a < A; ++a)
        for (int n = 0; n < N; ++n)
            for (int p = 0; p < P; ++p)
                model.base_stock[model.cell(p, a, n)] = scenario.stock[dims.cell(a + dims.min_age, n, p)];
    for (int t = 0; t <= model.horizon; ++t) {
        auto found = scenario.population.find(model.year_of(t));
        assert(found != scenario.population.end() && static_cast<int>(found->second.size()) == A);
        model.population.push_back(found->second);
    }

    Compiler c(model);
    const Demand& demand = scenario.demand;
    for (int ph = 0; ph < Ph; ++ph) model.request_rate.push_back(c.slot(demand.request_rate[ph]));
    model.assess_rate = c.slot(demand.assess_rate);
    model.issue_rate = c.slot(demand.issue_rate);
    model.lag = c.slot(demand.lag);
    model.pipeline_total = demand.pipeline_total;
    model.pipeline_by_age = demand.pipeline_by_age;
    model.growth = c.slot(demand.growth);
    model.growth_long_run = c.slot(demand.growth_long_run);
    model.persistence = c.slot(demand.persistence);
    model.shock_sd = c.slot(demand.shock_sd);
    model.request_multiplier = c.year_slots(demand.request_multiplier);
    for (int ph = 0; ph < Ph; ++ph)
        for (int n = 0; n < N; ++n) model.need_mix.push_back(c.slot(demand.need_mix[ph][n]));
    for (int ph = 0; ph < Ph; ++ph)
        for (int n = 0; n < N; ++n)
            for (int p = 0; p < P; ++p) model.placement_mix.push_back(c.slot(demand.placement_mix[ph][n][p]));

    for (int ph = 0; ph < Ph; ++ph)
        for (int p = 0; p < P; ++p) model.cease_rate.push_back(c.slot(scenario.cease.rate[ph][p]));
    model.cease_multiplier = c.year_slots(scenario.cease.multiplier);
    model.conversion_sd = c.slot_unless_zero(demand.conversion_sd);
    model.conversion_persistence = c.slot_unless_zero(demand.conversion_persistence);
    model.cease_sd = c.slot_unless_zero(scenario.cease.variation_sd);
    model.cease_persistence = c.slot_unless_zero(scenario.cease.variation_persistence);
    model.rate_variation = model.conversion_sd >= 0 || model.cease_sd >= 0;

    model.moves.assign(static_cast<std::size_t>(A) * N * P, {});
    model.move_rows.assign(A, {});
    for (const TransitionRule& rule : scenario.transitions) {
        for (int age : rule.into_ages) {
            const int a = age - dims.min_age;
            if (a <= 0 || a >= A) continue;  // nobody moves into the youngest age
            for (int n = 0; n < N; ++n) {
                if (!rule.needs.empty() && std::find(rule.needs.begin(), rule.needs.end(), n) == rule.needs.end())
                    continue;
                auto& row = model.moves[(static_cast<std::size_t>(a) * N + n) * P + rule.from];
                if (row.empty()) model.move_rows[a].push_back({n, rule.from});
                for (const auto& [to, param] : rule.to) row.push_back({to, c.slot(param)});
            }
        }
    }

    const TransfersIn& transfers = scenario.transfers_in;
    model.transfers_rate = c.year_slots(transfers.rate);

    const Money& money = scenario.money;
    for (int p = 0; p < P; ++p) {
        model.unit_cost.push_back(c.slot(money.unit_cost[p]));
        model.cost_inflation.push_back(c.slot(money.cost_inflation[p]));
    }
    model.other_spend = c.slot(money.other_spend);
    model.other_growth = c.slot(money.other_growth);
    const int last_known = money.funding_known.points.empty() ? model.base_year - 1
                                                              : money.funding_known.points.back().first;
    YearSlots funding = c.year_slots(money.funding_known);
    for (int t = 0; t <= model.horizon; ++t)
        model.funding_known.push_back(model.year_of(t) <= last_known ? funding.param[t] : -1);
    model.funding_growth = c.slot(money.funding_growth);
    model.opening_deficit = c.slot(money.opening_deficit);
    for (const FundingAdjustment& adjustment : money.adjustments)
        model.adjustments.push_back({adjustment.name, adjustment.kind == FundingAdjustment::Kind::write_off,
                                     adjustment.year - model.base_year, c.slot(adjustment.amount)});
    model.transport.resize(P);
    for (int p = 0; p < P && p < static_cast<int>(money.transport.size()); ++p) {
        const Transport& tr = money.transport[p];
        if (tr.users.name.empty()) continue;  // no transport for this placement
        model.transport[p] = {c.slot(tr.users), c.slot(tr.out_of_borough_share), c.slot(tr.cost_in_borough),
                              c.slot(tr.cost_out_of_borough)};
    }
    model.transport_inflation = c.slot(money.transport_inflation);

    // Capacity: fixed whole places, resolved to each year (step function).
    for (const Capacity& cap : scenario.capacity) {
        Model::CapacityStep step;
        step.placement = cap.placement;
        step.phase = cap.phase;
        step.overflow = cap.overflow;
        const int first_age = cap.phase < 0 ? 0 : model.phase_first_age[cap.phase];
        const int last_age = cap.phase < 0 ? model.ages - 1 : model.phase_last_age[cap.phase];
        step.first_cell = static_cast<std::size_t>(first_age) * N;
        step.end_cell = static_cast<std::size_t>(last_age + 1) * N;
        for (int t = 0; t <= model.horizon; ++t) {
            double places = cap.places.before_first;
            for (const auto& [year, param] : cap.places.points)
                if (year <= model.year_of(t)) places = param.dist.a;
            step.places.push_back(places);
        }
        model.capacity.push_back(std::move(step));
    }
    model.specialist = scenario.specialist_placements;

    // Levers: only the chosen ambition level's effects, and only when the
    // variant has a level at all (an unmitigated variant pays for nothing).
    if (scenario.level != AmbitionLevel::none)
        for (const Mitigation& mitigation : scenario.mitigations) {
            // A lever's stretch effect is drawn at the same quantile as its
            // target effect (same uniform): a replicate where delivery goes
            // well goes well at both levels, so stretch never trails target
            // by chance and the range between them is not noise.
            const int effect = scenario.level == AmbitionLevel::target
                                   ? c.slot(mitigation.target)
                                   : c.slot(mitigation.stretch, mitigation.target.name);
            const int cost = c.slot(mitigation.annual_cost);
            model.levers.push_back(compile_lever(mitigation, model, effect, cost));
        }
    return model;
}

std::vector<double> draw_parameters(const Model& model, std::uint64_t seed, std::uint64_t replicate) {
    std::vector<double> values;
    draw_parameters(model, seed, replicate, values);
    return values;
}

double draw_parameter(const Distribution& dist, std::uint64_t name_key, const ReplicateKey& replicate) {
    if (dist.is_fixed()) return dist.a;
    Stream stream(replicate, Process::parameters, 0, name_key);
    return dist.quantile(stream.uniform());
}

void draw_parameters(const Model& model, std::uint64_t seed, std::uint64_t replicate, std::vector<double>& values) {
    values.resize(model.param_dists.size());
    const ReplicateKey key(seed, replicate);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = draw_parameter(model.param_dists[i], model.param_keys[i], key);
}

std::vector<double> mean_parameters(const Model& model) {
    std::vector<double> values;
    values.reserve(model.param_dists.size());
    for (const Distribution& dist : model.param_dists) values.push_back(dist.mean());
    return values;
}

std::vector<double> draw_shocks(const Model& model, std::uint64_t seed, std::uint64_t replicate) {
    std::vector<double> shocks;
    draw_shocks(model, seed, replicate, shocks);
    return shocks;
}

void draw_shocks(const Model& model, std::uint64_t seed, std::uint64_t replicate, std::vector<double>& shocks) {
    shocks.assign(static_cast<std::size_t>(model.horizon) + 1, 0.0);
    const ReplicateKey key(seed, replicate);
    for (int t = 1; t <= model.horizon; ++t) {
        Stream stream(key, Process::growth_shock, model.year_of(t));
        shocks[t] = standard_normal(stream);
    }
    if (!model.rate_variation) return;  // off: no stream drawn, nothing appended
    const std::size_t years = static_cast<std::size_t>(model.horizon) + 1;
    shocks.resize(3 * years);
    for (std::uint64_t rate = 0; rate < 2; ++rate)
        for (int t = 0; t <= model.horizon; ++t) {
            Stream stream(key, Process::rate_variation, model.year_of(t), rate);
            shocks[(1 + rate) * years + static_cast<std::size_t>(t)] = standard_normal(stream);
        }
}

void rate_multipliers(double sd, double rho, const double* eps, int years, std::vector<double>& out) {
    out.assign(static_cast<std::size_t>(years), 1.0);
    if (!(sd > 0.0) || years <= 1) return;
    rho = std::clamp(rho, 0.0, 1.0);
    const double innovation = std::sqrt(1.0 - rho * rho);
    const double z0 = eps[0];
    double z = z0, rho_t = 1.0;
    for (int t = 1; t < years; ++t) {
        z = rho * z + innovation * eps[t];
        rho_t *= rho;
        // log m(t) = sd (z(t) - z(0)), of variance 2 sd^2 (1 - rho^t), less
        // half that variance: E m(t) = 1.
        out[static_cast<std::size_t>(t)] = std::exp(sd * (z - z0) - sd * sd * (1.0 - rho_t));
    }
}

Rates realise(const Model& model, const std::vector<double>& parameters, const std::vector<double>& shocks) {
    Rates rates;
    realise(model, parameters, shocks, rates);
    return rates;
}

// Fills `r` in place, reusing its storage: after the first replicate on a
// thread, realising the next one allocates nothing.
void realise(const Model& model, const std::vector<double>& v, const std::vector<double>& shocks, Rates& r) {
    const int A = model.ages, N = model.needs, P = model.placements, Ph = model.phases;
    const int Y = model.horizon + 1;
    r.years = Y;

    // Demand trend G(t): g(t) = g_inf + phi (g(t-1) - g_inf) + sigma z(t), g(y0) = g.
    const double g_inf = v[model.growth_long_run];
    const double phi = std::clamp(v[model.persistence], 0.0, 1.0);
    const double sigma = nonnegative(v[model.shock_sd]);
    r.trend.assign(Y, 1.0);
    double g = v[model.growth];
    for (int t = 1; t < Y; ++t) {
        g = g_inf + phi * (g - g_inf) + sigma * shocks[t];
        r.trend[t] = r.trend[t - 1] * std::max(0.0, 1.0 + g);  // G >= 0 even after a huge negative shock
    }

    // The yearly rate multipliers (docs/model.md, Uncertainty): 1 unless the
    // scenario gives a variation and its normals were drawn (not in
    // deterministic mode, whose `shocks` hold the H + 1 growth shocks only).
    r.conversion_multiplier.assign(Y, 1.0);
    r.cease_variation.assign(Y, 1.0);
    if (model.rate_variation && shocks.size() >= 3 * static_cast<std::size_t>(Y)) {
        rate_multipliers(nonnegative(value_or(v, model.conversion_sd, 0.0)), value_or(v, model.conversion_persistence, 0.0),
                         &shocks[static_cast<std::size_t>(Y)], Y, r.conversion_multiplier);
        rate_multipliers(nonnegative(value_or(v, model.cease_sd, 0.0)), value_or(v, model.cease_persistence, 0.0),
                         &shocks[2 * static_cast<std::size_t>(Y)], Y, r.cease_variation);
    }

    // The levers in force this replicate (mitigation.h owns what they do).
    const Levers levers(model, v, r.scratch_effects);

    r.request.resize(static_cast<std::size_t>(Y) * A);
    r.cease.resize(static_cast<std::size_t>(Y) * Ph * P);
    for (int t = 0; t < Y; ++t) {
        const double m_r = nonnegative(year_value(model.request_multiplier, v, t));
        for (int a = 0; a < A; ++a) {
            const int ph = model.phase_of_age[a];
            const double rate = levers.requests(nonnegative(v[model.request_rate[ph]]) * r.trend[t] * m_r, ph, t);
            r.request[static_cast<std::size_t>(t) * A + a] = clamp_probability(rate);
        }
        const double m_c = nonnegative(year_value(model.cease_multiplier, v, t));
        const double varied = r.cease_variation[static_cast<std::size_t>(t)];  // exactly 1 when off
        for (int ph = 0; ph < Ph; ++ph)
            for (int p = 0; p < P; ++p) {
                const double rate =
                    levers.ceases(clamp_probability(v[model.cease_rate[ph * P + p]]) * m_c * varied, ph, p, t);
                r.cease[(static_cast<std::size_t>(t) * Ph + ph) * P + p] = std::min(1.0, rate);
            }
    }
    const double assess = clamp_probability(v[model.assess_rate]);
    r.lag = clamp_probability(v[model.lag]);
    const double issue = clamp_probability(v[model.issue_rate]);

    // The issue rate, year by year: a "fewer plans" lever at the issue stage
    // with no needs multiplies it. (A need-scoped one thins the issued plans
    // of its needs instead, pupil by pupil: see `thin` below.)
    // The year's conversion multiplier m scales p_assess x p_issue: it goes
    // on p_assess, and when p_assess x m passes 1 the excess goes on p_issue
    // (p_assess = 1, p_issue = min(1, p_issue x p_assess x m)), so the
    // product is capped only where it would pass 1. With m = 1 both are the
    // parameters, bit for bit.
    r.assess.resize(static_cast<std::size_t>(Y));
    r.issue.resize(static_cast<std::size_t>(Y) * Ph);
    for (int t = 0; t < Y; ++t) {
        double a = assess * r.conversion_multiplier[static_cast<std::size_t>(t)], i = issue;
        if (a > 1.0) {
            i = std::min(1.0, issue * a);
            a = 1.0;
        }
        r.assess[static_cast<std::size_t>(t)] = a;
        for (int ph = 0; ph < Ph; ++ph)
            r.issue[static_cast<std::size_t>(t) * Ph + ph] = clamp_probability(levers.issues(i, ph, t));
    }

    // The mixes of new plans as the scenario gives them, and their
    // cumulative tables (inversion in the fixed category order).
    r.need_mix.resize(static_cast<std::size_t>(Ph) * N);
    r.need_cdf.resize(r.need_mix.size());
    r.placement_mix.resize(static_cast<std::size_t>(Ph) * N * P);
    r.placement_cdf.resize(r.placement_mix.size());
    for (int ph = 0; ph < Ph; ++ph) {
        double* needs = &r.need_mix[static_cast<std::size_t>(ph) * N];
        for (int n = 0; n < N; ++n) needs[n] = v[model.need_mix[ph * N + n]];
        normalise(needs, N);
        cumulate(needs, &r.need_cdf[static_cast<std::size_t>(ph) * N], N);
        for (int n = 0; n < N; ++n) {
            const std::size_t row = (static_cast<std::size_t>(ph) * N + n) * P;
            double* mix = &r.placement_mix[row];
            for (int p = 0; p < P; ++p) mix[p] = v[model.placement_mix[(ph * N + n) * P + p]];
            normalise(mix, P);
            cumulate(mix, &r.placement_cdf[row], P);
        }
    }

    // Need-scoped "fewer plans" levers thin the issued plans of their needs
    // (requests carry no need): the share of each need removed.
    r.thin.assign(static_cast<std::size_t>(Y) * Ph * N, 0.0);
    for (int t = 0; t < Y; ++t)
        for (int ph = 0; ph < Ph; ++ph)
            for (int n = 0; n < N; ++n) r.thin[(static_cast<std::size_t>(t) * Ph + ph) * N + n] = levers.thinned(ph, n, t);

    // Diversions by year: years with none in force point nowhere (-1).
    r.divert_set.assign(Y, -1);
    std::size_t sets = 0;
    for (int t = 0; t < Y; ++t) {
        if (!levers.diverting(t)) continue;
        const std::size_t set = sets++;
        r.divert_set[t] = static_cast<int>(set);
        if (r.diverts.size() <= set) r.diverts.resize(set + 1);
        std::vector<Rates::DivertRow>& rows = r.diverts[set];
        rows.resize(static_cast<std::size_t>(Ph) * N * P);
        for (int ph = 0; ph < Ph; ++ph)
            for (int n = 0; n < N; ++n)
                for (int p = 0; p < P; ++p)
                    levers.divert_row(ph, n, p, t, rows[(static_cast<std::size_t>(ph) * N + n) * P + p]);
    }

    // Moves on ageing, before any diversion (a diversion of movers is a
    // thinning of those bound for `from`, applied by the step).
    r.move_set.assign(Y, 0);
    if (r.moves.empty()) r.moves.resize(1);
    std::vector<double>& weights = r.scratch;
    {
        std::vector<Rates::MoveRow>& rows = r.moves[0];
        rows.resize(model.moves.size());
        for (std::size_t row = 0; row < model.moves.size(); ++row) {
            Rates::MoveRow& out = rows[row];
            out.to.clear();
            out.prob.clear();
            out.total = 0.0;
            if (model.moves[row].empty()) continue;
            weights.assign(P, 0.0);
            double total = 0.0;
            for (const Model::Move& move : model.moves[row]) {
                const double p = clamp_probability(v[move.param]);
                weights[move.to] += p;
                total += p;
            }
            if (total > 1.0)  // uncertain move probabilities drawn above 1 in total are scaled to 1
                for (double& w : weights) w /= total;
            const int from = static_cast<int>(row % static_cast<std::size_t>(P));
            for (int q = 0; q < P; ++q) {
                if (q == from || weights[q] <= 0.0) continue;
                out.to.push_back(q);
                out.prob.push_back(weights[q]);
                out.total += weights[q];
            }
            out.total = std::min(out.total, 1.0);
        }
    }

    // Transfers in arrive with the expected mix of new plans: ages weighted
    // by population x base request rate (MODEL.md section 11).
    r.transfers.resize(Y);
    r.transfer_age_mix.resize(Y);
    r.transfer_age_cdf.resize(Y);
    for (int t = 0; t < Y; ++t) {
        r.transfers[t] = nonnegative(year_value(model.transfers_rate, v, t));
        std::vector<double>& mix = r.transfer_age_mix[t];
        mix.resize(A);
        for (int a = 0; a < A; ++a)
            mix[a] = model.population[t][a] * nonnegative(v[model.request_rate[model.phase_of_age[a]]]);
        normalise(mix.data(), A);
        r.transfer_age_cdf[t].resize(A);
        cumulate(mix.data(), r.transfer_age_cdf[t].data(), A);
    }

    // The base year's pipeline (MODEL.md 4, step 4): plans agreed at age a in
    // the base year and issued after its end join at a + 1 in the first
    // simulated year. By default lag x the base year's expected issued plans
    // at each age; the scenario may give a count by age or a total, spread
    // over ages like the base year's issued plans.
    r.pipeline.assign(A, 0.0);
    {
        std::vector<double>& issued = r.scratch;
        issued.assign(A, 0.0);
        double issued_total = 0.0;
        for (int a = 0; a + 1 < A; ++a) {
            std::int64_t with_plan = 0;
            for (int p = 0; p < P; ++p)
                for (int n = 0; n < N; ++n) with_plan += model.base_stock[model.cell(p, a, n)];
            const double eligible = std::max(0.0, model.population[0][a] - static_cast<double>(with_plan));
            issued[a] = eligible * r.request[a] * r.assess[0] * r.issue[model.phase_of_age[a]];
            issued_total += issued[a];
        }
        for (int a = 0; a + 1 < A; ++a) {
            double count = r.lag * issued[a];
            if (!model.pipeline_by_age.empty())
                count = model.pipeline_by_age[a];
            else if (model.pipeline_total >= 0.0)
                count = issued_total > 0.0 ? model.pipeline_total * issued[a] / issued_total : 0.0;
            r.pipeline[a + 1] = count;
        }
    }

    levers.costs(Y, r.mitigation_cost, r.mitigation_cost_on_block);

    r.unit_cost.resize(static_cast<std::size_t>(Y) * P);
    r.transport_per_plan.resize(static_cast<std::size_t>(Y) * P);
    r.other_spend.resize(Y);
    r.funding.resize(Y);
    const double transport_inflation = value_or(v, model.transport_inflation, 0.0);
    for (int p = 0; p < P; ++p) {
        double price = nonnegative(v[model.unit_cost[p]]);
        const double inflation = v[model.cost_inflation[p]];
        const Model::TransportSlots& tr = model.transport[p];
        double transport = 0.0;
        if (tr.users >= 0) {
            const double oob = clamp_probability(v[tr.out_of_borough_share]);
            transport = clamp_probability(v[tr.users]) *
                        ((1.0 - oob) * nonnegative(v[tr.cost_in]) + oob * nonnegative(v[tr.cost_out]));
        }
        for (int t = 0; t < Y; ++t) {
            if (t > 0) {
                price *= 1.0 + inflation;
                transport *= 1.0 + transport_inflation;
            }
            r.unit_cost[static_cast<std::size_t>(t) * P + p] = price * levers.unit_cost_factor(p, t);
            r.transport_per_plan[static_cast<std::size_t>(t) * P + p] = transport;
        }
    }
    double other = v[model.other_spend];
    const double funding_growth = v[model.funding_growth];
    for (int t = 0; t < Y; ++t) {
        if (t > 0) other *= 1.0 + v[model.other_growth];
        r.other_spend[t] = other;
        const int known = model.funding_known[t];
        r.funding[t] = known >= 0 ? v[known] : (t > 0 ? r.funding[t - 1] * (1.0 + funding_growth) : 0.0);
    }
    // Named adjustments after the allocations, so a one-off payment does not
    // compound into later years' growth; none (the default) changes nothing.
    r.write_off.clear();
    if (!model.adjustments.empty()) {
        r.write_off.assign(Y, 0.0);
        for (const Model::Adjustment& adjustment : model.adjustments) {
            if (adjustment.year < 0 || adjustment.year >= Y) continue;
            const double amount = v[adjustment.amount];
            if (adjustment.write_off)
                r.write_off[adjustment.year] += amount;
            else
                r.funding[adjustment.year] += amount;
        }
    }
    r.opening_deficit = v[model.opening_deficit];
}

}  // namespace ehcpsim
