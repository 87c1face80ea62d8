// The compiled model: a Scenario turned into dense arrays and indices, with
// its invariants checked once, and the per-replicate realisation of its
// uncertain parameters. Knows nothing of files, threads or HDF5.
//
// Two levels of randomness (MODEL.md section 3):
//  * draw_parameters(): every parameter once per replicate, by the inverse
//    CDF of a uniform keyed by (seed, replicate, parameter name), so every
//    variant of a replicate sees the same quantile of each parameter;
//  * realise(): those values, plus the year-to-year demand shocks e(t), turned
//    into the rates the year step reads (cease probabilities per year, request
//    rates per year and age, cumulative mixes, diversions, unit costs, funding).
//
// Internal cell layout is placement-major, (placement, age, need), so the
// cells sharing a cease probability (one phase, one placement) are contiguous.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ehcpsim/sampler.h"
#include "ehcpsim/scenario.h"

namespace ehcpsim {

// A year-keyed parameter resolved to each simulated year: the index of the
// parameter in force, or -1 where the series' default value holds.
struct YearSlots {
    std::vector<int> param;  // per year index 0..H
    double default_value = 1.0;
};

struct Model {
    std::string variant;
    int base_year = 0;
    int horizon = 0;
    int min_age = 0;
    int ages = 0;
    int needs = 0;
    int placements = 0;
    int phases = 0;
    std::vector<std::string> need_names;
    std::vector<std::string> placement_names;
    std::vector<std::string> phase_names;
    std::vector<int> phase_of_age;       // [age index]
    std::vector<int> phase_first_age;    // [phase] age index
    std::vector<int> phase_last_age;     // [phase] age index, inclusive

    std::vector<std::int64_t> base_stock;       // [cell], placement-major
    std::vector<std::vector<double>> population;  // [year index 0..H][age index]

    // The parameter table: one entry per distinct name.
    std::vector<std::string> param_names;
    std::vector<Distribution> param_dists;
    std::vector<std::uint64_t> param_keys;  // hash of the name: the draw's stream key
    std::vector<int> uncertain_params;      // indices of the non-fixed ones (recorded)

    // Slots: indices into the parameter table.
    std::vector<int> request_rate;  // [phase]
    int assess_rate = -1, issue_rate = -1, lag = -1;
    int growth = -1, growth_long_run = -1, persistence = -1, shock_sd = -1;
    YearSlots request_multiplier;
    std::vector<int> need_mix;       // [phase][need]
    std::vector<int> placement_mix;  // [phase][need][placement]
    std::vector<int> cease_rate;     // [phase][placement]
    YearSlots cease_multiplier;
    // Year-to-year variation of the conversion and of the cease rate (sd of
    // the log rate, AR(1) persistence; -1 = none). `rate_variation` is true
    // when either sd may be non-zero: only then are its normals drawn.
    int conversion_sd = -1, conversion_persistence = -1, cease_sd = -1, cease_persistence = -1;
    bool rate_variation = false;
    YearSlots transfers_rate;
    // Moves on ageing: for (age index moved into, need, from) the targets.
    struct Move {
        int to;
        int param;
    };
    std::vector<std::vector<Move>> moves;  // [(age * needs + need) * placements + from]
    // The (need, from) rows some rule touches, per age moved into, so the step
    // visits only those.
    struct MoveCell {
        int need;
        int from;
    };
    std::vector<std::vector<MoveCell>> move_rows;  // [age index]

    // The base year's pipeline when the scenario gives it ([demand]
    // pipeline): a total spread over ages like the base year's issued plans
    // (>= 0), or counts by the age the plans were agreed at (non-empty);
    // otherwise (-1, empty) lag x the base year's expected issued plans.
    double pipeline_total = -1.0;
    std::vector<double> pipeline_by_age;  // [age index]

    std::vector<int> unit_cost;       // [placement]
    std::vector<int> cost_inflation;  // [placement]
    int other_spend = -1, other_growth = -1;
    std::vector<int> funding_known;   // [year index]: param or -1 = grow from previous year
    int funding_growth = -1;
    int opening_deficit = -1;
    // Named funding adjustments (Money::adjustments), in the scenario's order.
    struct Adjustment {
        std::string name;
        bool write_off = false;  // false: added to funding; true: taken off the cumulative deficit
        int year = 0;            // year index 1..H
        int amount = -1;         // parameter slot
    };
    std::vector<Adjustment> adjustments;
    struct TransportSlots {
        int users = -1, out_of_borough_share = -1, cost_in = -1, cost_out = -1;
    };
    std::vector<TransportSlots> transport;  // [placement]; users -1 = none
    int transport_inflation = -1;

    // Mitigations in force for this variant's ambition level (none when the
    // level is "none"): effect and cost as parameter slots, scope as masks.
    struct Lever {
        Mitigation::Kind kind;
        Mitigation::Stage stage;
        int start = 0;  // year index of the first year with an effect
        int ramp = 1;
        int effect = -1;  // parameter slot of the full effect
        int cost = -1;    // parameter slot of the annual cost
        int cost_end = -1;  // last year index the cost is paid (inclusive); -1 = every year from start
        bool on_block = true;
        std::vector<char> phase, need, placement;  // masks: 1 = in scope
        bool need_scoped = false;                  // fewer_plans thinning issued plans by need
        int from = -1, to = -1;
        std::string name;  // the mitigation's name (lever worth, docs/output.md)
        // Effect in year index t: full * min(1, (t - start + 1) / ramp), 0 before start.
        double effect_in(int t, double full) const {
            if (t < start) return 0.0;
            const double share = static_cast<double>(t - start + 1) / static_cast<double>(ramp);
            return full * (share < 1.0 ? share : 1.0);
        }
    };
    std::vector<Lever> levers;

    // Capped placements in processing order (a placement before those it
    // overflows into): whole places per year index, +infinity = no limit.
    struct CapacityStep {
        int placement = -1;
        int phase = -1;  // -1 = every age of the placement
        int overflow = -1;
        std::vector<double> places;  // [year index]
        // Offsets of the capped cells within a placement's block (the ages of
        // the phase, all needs): [first_cell, end_cell).
        std::size_t first_cell = 0, end_cell = 0;
    };
    std::vector<CapacityStep> capacity;
    std::vector<int> specialist;  // placements counted in specialist demand (SCAP)

    std::size_t cells() const { return static_cast<std::size_t>(placements) * ages * needs; }
    std::size_t cell(int placement, int age_index, int need) const {
        return (static_cast<std::size_t>(placement) * ages + age_index) * needs + need;
    }
    int year_of(int year_index) const { return base_year + year_index; }
};

// Compile one resolved variant. Scenario validation has already run; what is
// checked here are internal invariants (assertions).
Model compile(const Scenario& scenario);

// Parameter values for one replicate (every entry of the parameter table).
std::vector<double> draw_parameters(const Model& model, std::uint64_t seed, std::uint64_t replicate);
void draw_parameters(const Model& model, std::uint64_t seed, std::uint64_t replicate, std::vector<double>& out);
// One parameter's draw: the inverse CDF at the uniform keyed by the name.
double draw_parameter(const Distribution& dist, std::uint64_t name_key, const ReplicateKey& replicate);
// Every parameter at its mean: the deterministic mode's values.
std::vector<double> mean_parameters(const Model& model);

// Everything the year step reads, for one replicate of one variant.
struct Rates {
    int years = 0;  // H + 1 (index 0 is the base year)
    // [year index][phase * placements + placement], min(1, c * m_c(t)).
    std::vector<double> cease;
    // [year index][age index]: r0[phase] * G(t) * m_r(t).
    std::vector<double> request;
    // [year index]: p_assess x the year's conversion multiplier (capped at 1;
    // the excess then raises that year's issue rate: see realise()).
    std::vector<double> assess;
    double lag = 0.0;
    std::vector<double> issue;  // [year index][phase]: p_issue, thinned by "fewer plans" levers

    // Mixes of new plans, as the scenario gives them (no lever changes a
    // mix): a pupil's need and placement are drawn by inversion over these
    // cumulative tables in the fixed category order, so the same uniform
    // gives the same need and placement in every variant (MODEL.md 7).
    std::vector<double> need_mix;       // [phase * needs + need], sums to 1 per phase
    std::vector<double> need_cdf;       // the same, cumulative
    std::vector<double> placement_mix;  // [(phase * needs + need) * placements + p]
    std::vector<double> placement_cdf;  // the same, cumulative
    // Need-scoped "fewer plans" levers: the share of issued plans of a need
    // thinned away, [year index][phase * needs + need] (0 = none).
    std::vector<double> thin;
    // Diversions (MODEL.md 5 and 11): of the arrivals bound for placement p
    // (new plans, transfers in, movers on ageing), the share sent elsewhere.
    // Each lever from p takes its fraction of the original arrivals; the
    // fractions are summed and capped at 1 (when they sum above 1, each is
    // scaled down in proportion so the shares of the levers keep their
    // ratio). A diversion is a thinning with uniforms of its own: a pupil
    // diverted when u < total, to[j] for the first j with u < upto[j].
    struct DivertRow {
        std::vector<int> to;
        std::vector<double> upto;  // cumulative shares, the last = total
        double total = 0.0;        // share diverted (<= 1)
    };
    std::vector<int> divert_set;                     // [year index]: -1 = no diversion in force
    std::vector<std::vector<DivertRow>> diverts;     // [set][(phase * needs + need) * placements + p]
    // Moves on ageing, per [(age * needs + need) * placements + from]: the
    // placements moved to (non-zero probabilities only, rows sum to <= 1, the
    // rest stay), before any diversion. An empty row means nobody moves.
    struct MoveRow {
        std::vector<int> to;
        std::vector<double> prob;
        double total = 0.0;  // probability of moving at all (<= 1)
        bool empty() const { return to.empty(); }
    };
    std::vector<int> move_set;                   // [year index] (one set: diversions are applied apart)
    std::vector<std::vector<MoveRow>> moves;     // [set][row]
    // Transfers in: expected number per year, and the age mix of arrivals.
    std::vector<double> transfers;           // [year index]
    std::vector<std::vector<double>> transfer_age_mix;  // [year index][age index]
    std::vector<std::vector<double>> transfer_age_cdf;  // [year index][age index], cumulative
    // Plans agreed in the base year and issued after its end, joining in the
    // first simulated year: expected count by the age they join at (MODEL.md
    // 4, step 4), from `lag` or the scenario's own pipeline.
    std::vector<double> pipeline;  // [age index]
    // Money, at each year's prices.
    std::vector<double> unit_cost;     // [year index][placement]
    std::vector<double> other_spend;   // [year index]
    std::vector<double> funding;       // [year index], allocation plus the funding adjustments
    std::vector<double> write_off;     // [year index], taken off the cumulative deficit; empty = none
    std::vector<double> transport_per_plan;  // [year index][placement]
    std::vector<double> mitigation_cost;           // [year index], GBP, every lever in force
    std::vector<double> mitigation_cost_on_block;  // [year index], the part on the High Needs Block
    double opening_deficit = 0.0;
    std::vector<double> trend;  // G(t) [year index]
    // The yearly rate multipliers (1 in every year unless the scenario gives
    // a variation and the normals were drawn): [year index].
    std::vector<double> conversion_multiplier, cease_variation;
    // Working space for realise(), kept so a reused Rates allocates nothing.
    std::vector<double> scratch, scratch_divert, scratch_effects;
};

// shocks: standard normal draws z(t) for t = 1..H (index 0 unused), scaled by
// the replicate's shock_sd; all zero in deterministic mode. When the model
// has rate variation, draw_shocks() appends the standard normals of the
// yearly rate multipliers: H + 1 for the conversion, then H + 1 for the
// cease rate (year indices 0..H). A `shocks` of H + 1 values (deterministic
// mode) leaves every multiplier at its mean, 1.
Rates realise(const Model& model, const std::vector<double>& parameters, const std::vector<double>& shocks);
// The yearly multipliers of one rate from its normals eps[0..years): with z
// a stationary AR(1) of standard normals (z(0) = eps[0], z(t) = rho z(t-1)
// + sqrt(1 - rho^2) eps[t]), m(t) = exp(sd (z(t) - z(0)) - sd^2 (1 - rho^t)):
// the base year's rate is one year of the process, m(0) = 1, and each m(t)
// is lognormal with mean 1 (docs/model.md, Uncertainty).
void rate_multipliers(double sd, double rho, const double* eps, int years, std::vector<double>& out);
// The same into an existing Rates, reusing its storage (the runner's path).
void realise(const Model& model, const std::vector<double>& parameters, const std::vector<double>& shocks,
             Rates& out);

// The standard normal demand shocks of one replicate, keyed by year only so
// every variant shares them; with rate variation, the rate multipliers'
// normals after them, keyed by (year, rate), shared by every variant too.
std::vector<double> draw_shocks(const Model& model, std::uint64_t seed, std::uint64_t replicate);
void draw_shocks(const Model& model, std::uint64_t seed, std::uint64_t replicate, std::vector<double>& out);

}  // namespace ehcpsim
