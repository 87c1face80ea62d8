// The year step (MODEL.md section 4, steps 1-6) and the money of section 6,
// over one replicate's state: the step moves the state on a year and reports
// the year's flows (YearFlows); recording them is record.h's job. One
// function serves both modes: templated on the count type and the way draws
// are made, it runs with integer counts and random draws (Monte Carlo) or
// with real counts and every draw replaced by its expectation (deterministic
// mode). It knows nothing of threads, ranks, files or the results block.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "ehcpsim/model.h"

namespace ehcpsim {

template <class Count>
struct State {
    std::vector<Count> stock;   // [cell], placement-major (Model::cell)
    // Plans issued late last year (or the base year's pipeline), labelled
    // when agreed, joining this year.
    struct Late {
        int age, need, placement;
        Count count;
    };
    std::vector<Late> pipeline, scratch_pipeline;
    double cumulative_deficit = 0.0;
    // Working space reused from year to year (no allocation in the step).
    std::vector<Count> scratch_before, scratch_moved, scratch_cells, scratch_counts;
    std::vector<Count> scratch_placements, scratch_issued, scratch_eligible;
    std::vector<Count> arrivals;  // [cell]: this year's arrivals (only when some placement is capped)
    // Unconstrained demand (MODEL.md section 11): pupils moved on by overflow,
    // by the placement they were first meant for. [first * cells + cell]: of
    // the pupils in `cell`, those whose first choice was placement `first`;
    // a pupil leaves it when it ceases, ages out or moves on by a transition.
    // Kept only when some placement is capped.
    std::vector<Count> first_choice;
    std::vector<Count> first_choice_total;  // [first]: the sum of its block
    std::vector<Count> labelled;            // [cell]: the sum over `first` (to skip cells quickly)
    std::vector<Count> received;            // like first_choice: this year's overflow arrivals
    std::vector<Count> scratch_first, scratch_split, scratch_stock;
    std::vector<double> scratch_weights;
};

// Demand by placement (MODEL.md section 11): the stock before any capacity
// step, each pupil overflowed in an earlier year counted at the placement
// first meant for them (unconstrained demand).
template <class Count>
struct PlacementDemand {
    std::vector<Count> by_placement;         // [placement]
    std::vector<Count> specialist_by_phase;  // [phase]: the specialist placements' demand
    std::vector<Count> by_placement_phase;   // [placement * phases + phase]
};

// What happened in one year (all flows are counts of plans): the value the
// year step produces (a recorder turns it into results: record.h). Reused
// from year to year, so that a run allocates nothing once warm.
template <class Count>
struct YearFlows {
    Count requests = 0, assessments = 0, new_plans = 0, transfers_in = 0;
    Count ceased = 0, aged_out = 0, moves = 0;
    std::vector<Count> new_by_placement;  // [placement]
    std::vector<Count> new_by_need;       // [need]
    // Capacity (step 6): pupils moved on from a full placement.
    std::vector<Count> overflow_by_placement;        // [placement]
    std::vector<Count> overflow_by_placement_phase;  // [placement * phases + phase]
    // By age index (age - min_age), filled only when the caller asks: the
    // step fills them when new_by_age is non-empty (it then sizes all three
    // to the model's ages); left empty, they cost the step nothing.
    std::vector<Count> new_by_age;       // new plans by the age they join at
    std::vector<Count> requests_by_age;  // requests by step 4's age
    std::vector<Count> ceased_by_age;    // ceases by the age before ageing
    // Demand before the capacity step, measured by the step when the model
    // has capacity (the step then moves pupils). Without capacity the step
    // leaves it alone: demand is then the stock after the step
    // (measure_demand of the state).
    PlacementDemand<Count> demand;
};

// Money and stock totals of one year, recorded for every year incl. the base.
struct YearAccounts {
    std::vector<double> stock_by_placement;  // plans
    std::vector<double> spend_by_placement;  // GBP
    double total_stock = 0.0, spend = 0.0, funding = 0.0, in_year_deficit = 0.0;
    double cumulative_deficit = 0.0, transport = 0.0;
    double mitigation_cost = 0.0;  // GBP; the on-block part is inside spend
};

// Where the draws of one replicate come from.
struct RandomDraws {
    std::uint64_t seed = 0;
    std::uint64_t replicate = 0;
    std::uint64_t* uniforms_used = nullptr;  // optional counter (benchmarks)
    // Optional stop request (the runner passes its cancel flag): seen before
    // each year and every few thousand pupils of a per-pupil loop, so a stop
    // is honoured within one year's work. A stopped projection returns
    // false, leaves the later years of its slot unwritten and must not be
    // kept as finished (the runner drops the whole block).
    const std::atomic<bool>* stop = nullptr;
    bool stopped() const { return stop && stop->load(std::memory_order_relaxed); }
};
struct ExpectedDraws {};

// State and flows kept between projections on one thread, so that a run
// allocates nothing per replicate or per year once warm.
template <class Count>
struct Workspace {
    State<Count> state;
    YearFlows<Count> flows;
    PlacementDemand<Count> demand;  // measured from the state when the step does not
};

// The single year step from year index t-1 to t: `state` moves on a year and
// `flows` receives what happened in it.
void step_year(const Model& model, const Rates& rates, int t, const RandomDraws& draws,
               State<std::int64_t>& state, YearFlows<std::int64_t>& flows);
void step_year(const Model& model, const Rates& rates, int t, const ExpectedDraws& draws,
               State<double>& state, YearFlows<double>& flows);

template <class Count>
State<Count> initial_state(const Model& model);
template <class Count>
void reset_state(const Model& model, State<Count>& state);

// The base year's pipeline (MODEL.md 4, step 4) put into a reset state:
// plans agreed in the base year that join in the first simulated year.
// project() does this; a test stepping years by hand calls it after
// reset_state() (without it the pipeline is empty).
void seed_pipeline(const Model& model, const Rates& rates, const RandomDraws& draws, State<std::int64_t>& state);
void seed_pipeline(const Model& model, const Rates& rates, const ExpectedDraws& draws, State<double>& state);

template <class Count>
YearAccounts account(const Model& model, const Rates& rates, int t, const State<Count>& state,
                     double previous_cumulative_deficit);

// Demand as it stands in `state` (before any capacity step of the year).
template <class Count>
void measure_demand(const Model& model, const State<Count>& state, PlacementDemand<Count>& demand);

}  // namespace ehcpsim
