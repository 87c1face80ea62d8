// The scenario as the user wrote it: plain, validated data, names resolved to
// indices, nothing random and nothing compiled. Produced by load_scenario()
// from a TOML file and the CSV tables it names; the format is documented in
// docs/scenario.md.
//
// A scenario file holds one baseline and named variants (MODEL.md section 7).
// Each variant is the baseline TOML with the variant's table deep-merged over
// it, parsed and validated as a whole, so a variant can override any key and
// every variant here is a complete Scenario of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ehcpsim/ambition.h"  // AmbitionLevel
#include "ehcpsim/distribution.h"
#include "ehcpsim/error.h"

namespace ehcpsim {

// A numeric parameter: its distribution and where it was written. The name is
// the dotted key it came from ("cease.rate.primary.mainstream",
// "funding.known.2024"); it keys the parameter's random draw, so the same name
// gets the same uniform in every variant of a replicate.
struct Param {
    std::string name;
    Distribution dist;
    SourceLocation where;
};

// A year-keyed step function (MODEL.md section 11): each value holds from its
// year until the next listed year. Before the first listed year the value is
// `before_first` (a multiplier's 1, say). Points are sorted by year.
struct YearSeries {
    double before_first = 1.0;
    std::vector<std::pair<int, Param>> points;
    bool empty() const { return points.empty(); }
};

struct Phase {
    std::string name;
    int first_age = 0;
    int last_age = 0;  // inclusive
};

// Dimensions (MODEL.md section 2). Ages are min_age..max_age inclusive.
struct Dimensions {
    int min_age = 0;
    int max_age = 25;
    std::vector<std::string> needs;
    std::vector<std::string> placements;
    std::vector<Phase> phases;  // cover min_age..max_age, in age order, no gaps

    int ages() const { return max_age - min_age + 1; }
    int phase_of_age(int age) const;  // index into phases
    // Flat index of cell (age, need, placement); age is the real age.
    std::size_t cell(int age, int need, int placement) const {
        return (static_cast<std::size_t>(age - min_age) * needs.size() + need) * placements.size() +
               placement;
    }
    std::size_t cells() const { return static_cast<std::size_t>(ages()) * needs.size() * placements.size(); }
};

// A placement change for pupils moving into given ages (MODEL.md step 3):
// from `from` to each target with the given probability; the rest stay.
struct TransitionRule {
    std::vector<int> into_ages;  // real ages, e.g. {5} or {11} or {6,7,8,9,10}
    std::vector<int> needs;      // need indices; empty = all needs
    int from = 0;                // placement index
    std::vector<std::pair<int, Param>> to;  // (placement index, probability)
    SourceLocation where;
};

struct Demand {
    std::vector<Param> request_rate;  // r0 per phase (index = phase)
    Param assess_rate;                // p_assess
    Param issue_rate;                 // p_issue
    Param lag;                        // share of issued plans that start next year
    // Plans agreed in the base year, issued after its end ([demand] pipeline):
    // a total (>= 0) or counts by age agreed (index = age - min_age); -1 and
    // empty = lag x the base year's expected issued plans.
    double pipeline_total = -1.0;
    std::vector<double> pipeline_by_age;
    Param growth;                     // g: growth of the request trend in y0
    Param growth_long_run;            // g_inf
    Param persistence;                // phi
    Param shock_sd;                   // sigma of e(t)
    // Year-to-year variation of the conversion p_assess x p_issue: the sd of
    // the log of the yearly rate about its long-run level, and the AR(1)
    // persistence of that log across years (docs/model.md, Uncertainty).
    Param conversion_sd;
    Param conversion_persistence;
    YearSeries request_multiplier;    // m_r(t)
    // need_mix[phase][need]: weights, normalised after drawing.
    std::vector<std::vector<Param>> need_mix;
    // placement_mix[phase][need][placement]: weights, normalised after drawing.
    std::vector<std::vector<std::vector<Param>>> placement_mix;
};

struct Cease {
    std::vector<std::vector<Param>> rate;  // c[phase][placement]
    YearSeries multiplier;                 // m_c(t)
    // Year-to-year variation of the cease rate (every phase and placement
    // together), as for the conversion (Demand::conversion_sd).
    Param variation_sd;
    Param variation_persistence;
};

struct TransfersIn {
    YearSeries rate;  // lambda_in(t), expected transfers in a year (before_first = 0)
};

struct Transport {
    Param users;                  // share of plans in this placement that get transport
    Param out_of_borough_share;   // share of those travelling out of borough
    Param cost_in_borough;        // £ a year per user, base-year prices
    Param cost_out_of_borough;    // £ a year per user, base-year prices
};

// A named, dated funding adjustment (docs/scenario.md, "Funding
// adjustments"): a block transfer, a safety-valve or other one-off payment
// (kind funding: added to F(t) of its year), or a write-off of part of the
// accumulated deficit (kind write_off: taken off D(t) of its year, outside
// the in-year position). Positive amounts help the position.
struct FundingAdjustment {
    enum class Kind { funding, write_off };
    std::string name;
    Kind kind = Kind::funding;
    int year = 0;   // the year label (2026 = financial year 2025-26), a simulated year
    Param amount;   // GBP; parameter "money.adjustments.<name>.amount"
    SourceLocation where;
};

struct Money {
    std::vector<Param> unit_cost;       // u[p](y0), £ a year per plan
    std::vector<Param> cost_inflation;  // i[p], a year
    Param other_spend;                  // other(y0), £
    Param other_growth;                 // a year
    YearSeries funding_known;           // F(t) for the years allocations are known (before_first unused)
    Param funding_growth;               // f, a year after the last known year
    Param opening_deficit;              // D(y0), £ (end of base year, incl. base-year spend)
    std::vector<Transport> transport;   // per placement
    Param transport_inflation;          // a year
    std::vector<FundingAdjustment> adjustments;  // in the scenario's order; none by default
};

// A DBV lever (MODEL.md section 5). Its effect in year t is
// full * min(1, (t - start_year + 1) / ramp) from start_year on, 0 before;
// `full` is the parameter of the variant's ambition level.
struct Mitigation {
    enum class Kind {
        fewer_plans,       // request rate (or issue rate) x (1 - effect); need-scoped: thins issued plans
        divert,            // a fraction `effect` of arrivals into `from` go to `to` instead
        cease_more,        // cease rate x (1 + effect)
        cheaper_unit_cost  // unit cost x (1 - effect)
    };
    enum class Stage { requests, issues };  // fewer_plans only

    std::string name;
    std::string label;  // for readers ("" = none: the name is shown)
    Kind kind = Kind::fewer_plans;
    Stage stage = Stage::requests;
    int start_year = 0;
    int ramp = 1;        // years to full effect, >= 1
    Param target;        // effect at full strength, ambition "target"
    Param stretch;       // ambition "stretch" (defaults to target)
    Param annual_cost;   // GBP a year, paid in full from start_year (one_off: the one payment)
    bool cost_on_high_needs_block = true;
    // When the cost is paid: every year from start_year (annual), up to and
    // including cost_until when given (0 = no end); or once, in start_year
    // (one_off). Both default to the old rule, every year from start_year.
    enum class CostKind { annual, one_off };
    CostKind cost_kind = CostKind::annual;
    int cost_until = 0;
    // Scope; empty = all. Phases and needs are indices; placements too.
    std::vector<int> phases;
    std::vector<int> needs;
    std::vector<int> placements;  // cease_more, cheaper_unit_cost
    int from = -1, to = -1;       // divert
    SourceLocation where;
};

// Places in one placement (MODEL.md section 4 step 6): whole places by year
// (a step function; before the first listed year there is no limit) and the
// placement that takes the excess.
// A capacity either covers a whole placement (phase -1) or the ages of one
// phase of it (a primary-only resource base, a secondary special school).
struct Capacity {
    int placement = -1;
    int phase = -1;     // -1 = every age; else a phase index
    YearSeries places;  // fixed whole numbers; before_first = +infinity
    int overflow = -1;  // placement receiving the excess (never `placement`)
    SourceLocation where;
};

// One fully resolved variant.
struct Scenario {
    std::string variant;  // "baseline" or the variant's name
    std::string label;    // for readers ("" = none: the name is shown); [scenario] baseline_label for the baseline
    std::string description;
    AmbitionLevel level = AmbitionLevel::none;  // which effect of each mitigation applies
    // The unmitigated variant this one's opportunity is measured against
    // (empty for unmitigated variants): by default the variant it extends,
    // or the baseline.
    std::string compare_to;
    int base_year = 0;  // y0: the year whose stock is given
    int horizon = 0;    // H: years simulated after y0
    Dimensions dims;
    std::vector<std::int64_t> stock;  // S[cell] at y0, dims.cell() order
    // population[year][age - min_age], years y0..y0+H (step function filled in).
    std::map<int, std::vector<double>> population;
    Demand demand;
    Cease cease;
    std::vector<TransitionRule> transitions;
    TransfersIn transfers_in;
    Money money;
    std::vector<Mitigation> mitigations;  // all declared; `level` says which effect applies
    // Capped placements in processing order: a placement comes before any
    // placement it overflows into (chains allowed, cycles rejected).
    std::vector<Capacity> capacity;
    // Placements that count as specialist places in the place-planning
    // export (SCAP): [capacity] specialist, default every capped placement
    // and every overflow placement.
    std::vector<int> specialist_placements;

    std::vector<int> years() const;  // y0..y0+H
};

// A file the scenario was read from, kept whole for the output's provenance.
struct SourceFile {
    std::string path;  // as named in the scenario (CSV) or given by the user (TOML)
    std::string text;
};

struct ScenarioSet {
    std::string name;         // [scenario] name
    std::string description;  // [scenario] description
    std::uint64_t default_seed = 0;
    std::int64_t default_replicates = 1000;
    std::vector<Scenario> variants;  // baseline first, then in file order
    // [labels]: a drawn parameter's name ("money.cost_inflation.default") ->
    // the words shown for it; where it was written, for a name no variant draws.
    std::map<std::string, std::pair<std::string, SourceLocation>> parameter_labels;
    std::vector<SourceFile> sources; // the TOML first, then each CSV once
    std::vector<std::string> notes;  // non-fatal remarks (e.g. clamped ranges)
    // Legal values that are almost certainly a slip (a unit cost under
    // GBP 1,000, inflation of 3 meaning 3%): the run goes on.
    std::vector<std::string> warnings;
};

// Reads a file by the path it is named with (relative paths resolved against
// the scenario's directory by the caller). Returns nullopt if it does not exist.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// Parse and validate. Throws ScenarioError listing every problem found.
ScenarioSet load_scenario(const std::string& toml_path);
ScenarioSet load_scenario(const std::string& display_path, const std::string& toml_text,
                          const FileReader& read_relative);

// The embedded default scenario (Halton DBV): its TOML and CSV files.
ScenarioSet load_default_scenario();
const std::vector<SourceFile>& default_scenario_files();  // TOML first

}  // namespace ehcpsim
