// Every DBV lever in one place (docs/model.md, "Mitigations"): how a
// scenario's mitigation becomes a compiled lever, and what the levers in
// force do to each rate in each year. realise() (model.cpp) asks this module
// for the year's factors and knows no lever kind; a new kind of lever touches
// this file (and the scenario's reader), nothing else in the model.
#pragma once

#include <vector>

#include "ehcpsim/model.h"
#include "ehcpsim/scenario.h"

namespace ehcpsim {

// The compiled lever of `mitigation` at a variant's ambition level; `effect`
// and `cost` are the parameter slots of its full effect and annual cost.
Model::Lever compile_lever(const Mitigation& mitigation, const Model& model, int effect, int cost);

// The levers of one replicate: each lever's effect in each year at this
// replicate's parameter values. The factors are applied lever by lever in
// the scenario's order (value *= factor), so a rate with several levers gets
// the same bits whichever way it is asked for.
class Levers {
public:
    // `effects` is scratch storage reused from replicate to replicate.
    Levers(const Model& model, const std::vector<double>& parameters, std::vector<double>& effects);

    // "Fewer plans" at the requests stage (not need-scoped): the request
    // rate of phase `phase` in year t.
    double requests(double rate, int phase, int t) const;
    // "Fewer plans" at the issue stage (not need-scoped): the issue rate.
    double issues(double rate, int phase, int t) const;
    // Need-scoped "fewer plans": the share of the issued plans of `need` removed.
    double thinned(int phase, int need, int t) const;
    // "Cease more": the cease rate of (phase, placement), before its cap at 1.
    double ceases(double rate, int phase, int placement, int t) const;
    // "Cheaper unit cost": the factor on the unit cost of `placement`.
    double unit_cost_factor(int placement, int t) const;
    // Whether any diversion is in force in year t, and the diversion of the
    // arrivals bound for `from` with this (phase, need).
    bool diverting(int t) const;
    void divert_row(int phase, int need, int from, int t, Rates::DivertRow& row) const;
    // The levers' annual costs by year: all of them, and those on the block.
    void costs(int years, std::vector<double>& all, std::vector<double>& on_block) const;

private:
    double effect(std::size_t lever, int t) const { return effects_[lever * static_cast<std::size_t>(years_) + t]; }
    template <class InScope>
    double multiply(double value, Mitigation::Kind kind, int t, double sign, InScope&& in_scope) const;

    const Model& model_;
    const std::vector<double>& parameters_;
    const std::vector<double>& effects_;
    int years_;
};

}  // namespace ehcpsim
