// What a run records: the catalogue of metrics, the block of results the
// runner hands to its sink, and RunInfo, the one description of a run (with
// the one function that says whether two descriptions are the same run).
// Knows nothing of HDF5, of the scenario or of the model's maths.
//
// Every metric is stored as float64 shaped [replicate, year] or
// [replicate, year, extra] where extra is placement or need. Money is in
// pounds at the prices of its own year. Flows (requests, ceased, ...) have no
// value in the base year, which is observed rather than simulated: they are
// NaN there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ehcpsim {

// A contiguous run of replicates [first, first + count): a block, a shard,
// what a checkpoint already holds.
struct ReplicateRange {
    std::int64_t first = 0;
    std::int64_t count = 0;
};

enum class Extent { year, year_placement, year_need, year_phase, year_placement_phase, year_placement_age_need };

struct MetricInfo {
    std::string name;         // dataset name, e.g. "cumulative_deficit"
    std::string units;        // "plans", "GBP", "children"
    Extent extent;
    bool flow;                // NaN in the base year
    std::string description;  // one line, stored as the dataset's attribute
};

// The fixed catalogue, in output order. Indices into it are MetricId values.
const std::vector<MetricInfo>& metric_catalogue();
int metric_index(const std::string& name);  // -1 if unknown

enum MetricId : int {
    m_total_stock,
    m_stock_by_placement,
    m_requests,
    m_assessments,
    m_new_plans,
    m_new_plans_by_placement,
    m_new_plans_by_need,
    m_transfers_in,
    m_ceased,
    m_aged_out,
    m_moves,
    m_spend,
    m_spend_by_placement,
    m_funding,
    m_in_year_deficit,
    m_cumulative_deficit,
    m_transport_cost,
    m_mitigation_cost,  // GBP; the part on the High Needs Block is also in spend
    m_demand_by_placement,     // plans: stock before any capacity step (= stock in the base year)
    m_overflow_by_placement,   // flow: pupils moved out of a full placement to its overflow
    m_specialist_demand_by_phase,  // plans: demand in the specialist placements, by phase (SCAP)
    m_demand_by_placement_phase,   // plans [year, placement, phase]: demand_by_placement split by phase
    m_overflow_by_placement_phase, // flow [year, placement, phase]: overflow_by_placement split by phase
    m_stock_by_placement_age_need, // plans [year, placement, age, need]: the whole stock, only with plan detail
    metric_count
};

// Results by single year of age, recorded only when asked (Shape::by_age,
// RunOptions::record_by_age): kept in memory beside the catalogue's metrics
// (VariantBlock::by_age) for a caller that reads them (the backtest's
// forecaster); no file stage writes them, so a run's files are the same with
// or without them. Each is [replicate, year, age], age index a = age -
// min_age, float64 plans; the flows are NaN in the base year, like the
// catalogue's.
enum AgeMetricId : int {
    a_stock,      // plans at the census of the year, by age at that census
    a_new_plans,  // new plans (as new_plans), by the age they join the stock at
    a_requests,   // requests (as requests), by the age they are counted at (step 4's age)
    a_ceased,     // ceased (as ceased), by the age before ageing (step 1's age); aged_out is apart
    age_metric_count
};
const std::vector<std::string>& age_metric_names();  // "stock", "new_plans", "requests", "ceased"

// Sizes needed to lay results out.
struct Shape {
    int years = 0;
    int placements = 0;
    int needs = 0;
    int phases = 0;
    bool phase_detail = true;  // false: the [year, placement, phase] metrics hold nothing
    bool plan_detail = false;  // true: stock_by_placement_age_need is recorded (uses `ages`)
    bool by_age = false;       // true: the results by age (AgeMetricId) are recorded
    int ages = 0;              // ages of the model (max_age - min_age + 1); used only with by_age
    std::size_t values_per_replicate(int metric) const;  // years * extra
    std::size_t values_per_replicate_by_age() const { return by_age ? static_cast<std::size_t>(years) * ages : 0; }
};

// One variant's results for a contiguous block of replicates.
struct VariantBlock {
    // metrics[m] holds count * shape.values_per_replicate(m) values,
    // replicate-major: [replicate][year][extra].
    std::vector<std::vector<double>> metrics;
    // parameter draws: count * n_parameters values, [replicate][parameter].
    std::vector<double> parameters;
    // by_age[a] (AgeMetricId) holds count * shape.values_per_replicate_by_age()
    // values, [replicate][year][age]; empty unless shape.by_age.
    std::vector<std::vector<double>> by_age;
};

struct ResultBlock {
    std::int64_t first_replicate = 0;
    std::int64_t count = 0;
    std::vector<VariantBlock> variants;  // in run order

    void allocate(const Shape& shape, std::int64_t first, std::int64_t n,
                  const std::vector<std::size_t>& parameters_per_variant);
};

// A file the scenario was read from, kept whole for the output's provenance
// (the scenario stage's SourceFile, copied by whoever describes the run).
struct SourceText {
    std::string path;  // as named in the scenario (CSV) or given by the user (TOML)
    std::string text;
};

// Everything a run's files record besides the numbers: what was run and how
// its results are laid out.
struct RunInfo {
    std::string scenario_name;
    std::string mode;  // "monte_carlo" or "deterministic"
    std::uint64_t seed = 0;
    std::int64_t replicates = 0;  // replicates in this file
    // A shard of a larger run holds replicates [first_replicate,
    // first_replicate + replicates) of total_replicates; a whole run has
    // first_replicate 0 and total_replicates == replicates. The replicate
    // coordinate holds the global indices.
    std::int64_t first_replicate = 0;
    std::int64_t total_replicates = 0;  // 0 = same as replicates
    std::string engine_version;
    std::vector<int> years;
    std::vector<std::string> placements;
    std::vector<std::string> needs;
    std::vector<std::string> phases;
    // Per variant: its capacity entries, in processing order. An entry caps
    // a whole placement (phase -1) or one phase of it.
    struct CapacityEntry {
        int placement = -1;
        int phase = -1;       // -1 = every age
        int overflow = -1;
        std::vector<double> places;  // [year], +infinity where there is no limit
    };
    std::vector<std::vector<CapacityEntry>> capacity;
    std::vector<std::vector<int>> specialist;  // per variant: specialist placement indices
    // Per variant: its named funding adjustments (scenario [[money.adjustments]]),
    // in the scenario's order; written only when some variant has one.
    struct Adjustment {
        std::string name;
        std::string kind;  // "funding" (in funding) or "write_off" (off the cumulative deficit)
        int year = 0;      // year label
        // GBP when fixed; NaN when drawn per replicate: then it is the
        // parameter "money.adjustments.<name>.amount" of the variant's draws.
        double amount = 0.0;
    };
    std::vector<std::vector<Adjustment>> adjustments;
    // Whether the [year, placement, phase] metrics are recorded: only when
    // some capacity is per phase (they are large and needed for nothing else).
    bool phase_detail = true;
    // Whether stock_by_placement_age_need is recorded (run --plan-detail:
    // the DSG plan's age x need tables and the SCAP return), and the ages it
    // runs over (age labels, min_age..max_age; empty without plan detail).
    bool plan_detail = false;
    std::vector<int> ages;
    std::vector<std::string> variants;
    // Per variant (same order): ambition level ("none", "target", "stretch")
    // and the unmitigated variant it is compared with ("" for none).
    std::vector<std::string> levels;
    std::vector<std::string> compare_to;
    bool common_random_numbers = true;  // false when run with --no-crn
    bool fixed_parameters = false;      // true when run with --fixed-parameters
    // Names of the drawn parameters, per variant (same order as variants).
    std::vector<std::vector<std::string>> parameter_names;
    // What readers are shown (the scenario's labels, docs/scenario.md): per
    // variant, and per variant and parameter (parameter_names' order); ""
    // where there is none. Empty when the run has no labels at all (and in
    // files written before labels existed). Not part of what makes two
    // descriptions the same run (the scenario's text already is), nor of the
    // checkpoint. variant_label() and parameter_label() fall back to the name.
    std::vector<std::string> variant_labels;
    std::vector<std::vector<std::string>> parameter_labels;
    std::vector<SourceText> sources;  // scenario TOML and CSVs, stored whole

    // The sizes a result block of this run has.
    Shape shape() const;
    // Drawn parameters per variant (0 for a variant with none listed).
    std::vector<std::size_t> parameters_per_variant() const;
};

// The label of variant v, or its name when it has none.
std::string variant_label(const RunInfo& info, std::size_t v);
// The label of parameter j of variant v, or its name when it has none.
std::string parameter_label(const RunInfo& info, std::size_t v, std::size_t j);

// A capacity entry's name: its placement, and "/<phase>" when it caps one
// phase ("mss", "mss/primary").
std::string capacity_entry_name(const RunInfo& info, const RunInfo::CapacityEntry& entry);

// The first way in which two descriptions are not of the same run, in words
// a message can put in either order: "<what> <first>" against "<what>
// <second>", or, when the values are too long to show (a scenario file's
// text), "a different <what> (<note>)".
struct RunDifference {
    std::string what;    // "seed", "places of capacity entry 'mss/secondary' of variant 'baseline'"
    std::string first;   // the value in the first description, as text
    std::string second;  // ... in the second
    std::string note;    // set instead of the values: "first difference in line 2"
};

// What must agree. same_run: everything that determines the numbers and the
// layout (scenario name and text, not the files' paths; engine version, mode,
// seed, total replicates, years, placements, needs, phases, variants and
// their levels, comparisons, parameters, specialist placements and capacity;
// common random numbers, fixed parameters, phase detail), as shards of one
// run must. same_shard: that, and the same replicates of it (a checkpoint and
// the run resuming it).
enum class RunMatch { same_run, same_shard };

// The one comparison of two runs (checkpoint and merge both use it): nullopt
// when they agree. Compares the descriptions as given after with_defaults().
std::optional<RunDifference> first_difference(const RunInfo& first, const RunInfo& second, RunMatch match);

// Bitwise equality of two runs' values, NaN included: copies of each other.
bool same_bits(const std::vector<double>& a, const std::vector<double>& b);

// `info` with what a caller may leave out filled in: total_replicates 0 is
// replicates; per-variant lists are padded to one entry per variant (level
// "none", compare_to "", no capacity entry, specialist placement or
// parameter).
RunInfo with_defaults(RunInfo info);

}  // namespace ehcpsim
