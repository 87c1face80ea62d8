// Every DBV lever in one place: see mitigation.h.
#include "mitigation.h"

#include <algorithm>

namespace ehcpsim {
namespace {

double clamp_probability(double p) { return std::clamp(p, 0.0, 1.0); }
double nonnegative(double x) { return std::max(x, 0.0); }

std::vector<char> mask(const std::vector<int>& chosen, int size) {
    std::vector<char> m(static_cast<std::size_t>(size), chosen.empty() ? 1 : 0);
    for (int i : chosen) m[static_cast<std::size_t>(i)] = 1;
    return m;
}

}  // namespace

Model::Lever compile_lever(const Mitigation& mitigation, const Model& model, int effect, int cost) {
    Model::Lever lever;
    lever.kind = mitigation.kind;
    lever.stage = mitigation.stage;
    lever.start = mitigation.start_year - model.base_year;
    lever.ramp = std::max(1, mitigation.ramp);
    lever.effect = effect;
    lever.cost = cost;
    lever.on_block = mitigation.cost_on_high_needs_block;
    if (mitigation.cost_kind == Mitigation::CostKind::one_off)
        lever.cost_end = lever.start;
    else if (mitigation.cost_until > 0)
        lever.cost_end = mitigation.cost_until - model.base_year;
    lever.phase = mask(mitigation.phases, model.phases);
    lever.need = mask(mitigation.needs, model.needs);
    lever.placement = mask(mitigation.placements, model.placements);
    lever.need_scoped = mitigation.kind == Mitigation::Kind::fewer_plans && !mitigation.needs.empty();
    lever.from = mitigation.from;
    lever.to = mitigation.to;
    lever.name = mitigation.name;
    return lever;
}

Levers::Levers(const Model& model, const std::vector<double>& parameters, std::vector<double>& effects)
    : model_(model), parameters_(parameters), effects_(effects), years_(model.horizon + 1) {
    const std::size_t L = model.levers.size();
    effects.assign(L * static_cast<std::size_t>(years_), 0.0);
    for (std::size_t l = 0; l < L; ++l) {
        const Model::Lever& lever = model.levers[l];
        const double v = parameters[static_cast<std::size_t>(lever.effect)];
        const double full = lever.kind == Mitigation::Kind::cease_more ? nonnegative(v) : clamp_probability(v);
        for (int t = 0; t < years_; ++t) effects[l * static_cast<std::size_t>(years_) + t] = lever.effect_in(t, full);
    }
}

// value times (1 + sign x effect) for each lever of `kind` in scope, in order.
template <class InScope>
double Levers::multiply(double value, Mitigation::Kind kind, int t, double sign, InScope&& in_scope) const {
    for (std::size_t l = 0; l < model_.levers.size(); ++l) {
        const Model::Lever& lever = model_.levers[l];
        if (lever.kind == kind && in_scope(lever)) value *= sign > 0.0 ? 1.0 + effect(l, t) : 1.0 - effect(l, t);
    }
    return value;
}

double Levers::requests(double rate, int phase, int t) const {
    return multiply(rate, Mitigation::Kind::fewer_plans, t, -1.0, [&](const Model::Lever& lever) {
        return lever.stage == Mitigation::Stage::requests && !lever.need_scoped && lever.phase[phase];
    });
}

double Levers::issues(double rate, int phase, int t) const {
    return multiply(rate, Mitigation::Kind::fewer_plans, t, -1.0, [&](const Model::Lever& lever) {
        return lever.stage == Mitigation::Stage::issues && !lever.need_scoped && lever.phase[phase];
    });
}

double Levers::thinned(int phase, int need, int t) const {
    const double survive = multiply(1.0, Mitigation::Kind::fewer_plans, t, -1.0, [&](const Model::Lever& lever) {
        return lever.need_scoped && lever.phase[phase] && lever.need[need];
    });
    return 1.0 - survive;
}

double Levers::ceases(double rate, int phase, int placement, int t) const {
    return multiply(rate, Mitigation::Kind::cease_more, t, 1.0,
                    [&](const Model::Lever& lever) { return lever.phase[phase] && lever.placement[placement]; });
}

double Levers::unit_cost_factor(int placement, int t) const {
    return multiply(1.0, Mitigation::Kind::cheaper_unit_cost, t, -1.0,
                    [&](const Model::Lever& lever) { return lever.placement[placement]; });
}

bool Levers::diverting(int t) const {
    for (std::size_t l = 0; l < model_.levers.size(); ++l)
        if (model_.levers[l].kind == Mitigation::Kind::divert && effect(l, t) > 0.0) return true;
    return false;
}

// Every lever from the same placement takes its fraction of the original
// arrivals; the fractions are summed and capped at 1: when they sum above 1
// every arrival is diverted and each lever's share is scaled down in
// proportion (effect / sum), so nobody is diverted twice.
void Levers::divert_row(int phase, int need, int from, int t, Rates::DivertRow& row) const {
    row.to.clear();
    row.upto.clear();
    row.total = 0.0;
    auto in_scope = [&](const Model::Lever& lever) {
        return lever.kind == Mitigation::Kind::divert && lever.from == from && lever.phase[phase] && lever.need[need];
    };
    double sum = 0.0;
    for (std::size_t l = 0; l < model_.levers.size(); ++l)
        if (in_scope(model_.levers[l])) sum += effect(l, t);
    if (sum <= 0.0) return;
    const double scale = sum > 1.0 ? 1.0 / sum : 1.0;
    double upto = 0.0;
    for (std::size_t l = 0; l < model_.levers.size(); ++l) {
        if (!in_scope(model_.levers[l])) continue;
        const double share = effect(l, t) * scale;
        if (share <= 0.0) continue;
        upto += share;
        row.to.push_back(model_.levers[l].to);
        row.upto.push_back(upto);
    }
    row.total = std::min(1.0, upto);
    if (!row.upto.empty()) row.upto.back() = row.total;
}

// Paid in full every year from the start year, whatever the ramp.
void Levers::costs(int years, std::vector<double>& all, std::vector<double>& on_block) const {
    all.assign(years, 0.0);
    on_block.assign(years, 0.0);
    for (const Model::Lever& lever : model_.levers) {
        const double cost = nonnegative(parameters_[static_cast<std::size_t>(lever.cost)]);
        const int end = lever.cost_end < 0 ? years : std::min(years, lever.cost_end + 1);
        for (int t = std::max(lever.start, 0); t < end; ++t) {
            all[t] += cost;
            if (lever.on_block) on_block[t] += cost;
        }
    }
}

}  // namespace ehcpsim
