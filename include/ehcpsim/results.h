// What a run records: the catalogue of metrics and the block of results the
// runner hands to the writer. Knows nothing of HDF5 or of the model's maths.
//
// Every metric is stored as float64 shaped [replicate, year] or
// [replicate, year, extra] where extra is placement or need. Money is in
// pounds at the prices of its own year. Flows (requests, ceased, ...) have no
// value in the base year, which is observed rather than simulated: they are
// NaN there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ehcpsim {

// A contiguous run of replicates [first, first + count): a block, a shard,
// what a checkpoint already holds.
struct ReplicateRange {
    std::int64_t first = 0;
    std::int64_t count = 0;
};

enum class Extent { year, year_placement, year_need, year_phase, year_placement_phase };

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
    metric_count
};

// Sizes needed to lay results out.
struct Shape {
    int years = 0;
    int placements = 0;
    int needs = 0;
    int phases = 0;
    bool phase_detail = true;  // false: the [year, placement, phase] metrics hold nothing
    std::size_t values_per_replicate(int metric) const;  // years * extra
};

// One variant's results for a contiguous block of replicates.
struct VariantBlock {
    // metrics[m] holds count * shape.values_per_replicate(m) values,
    // replicate-major: [replicate][year][extra].
    std::vector<std::vector<double>> metrics;
    // parameter draws: count * n_parameters values, [replicate][parameter].
    std::vector<double> parameters;
};

struct ResultBlock {
    std::int64_t first_replicate = 0;
    std::int64_t count = 0;
    std::vector<VariantBlock> variants;  // in run order

    void allocate(const Shape& shape, std::int64_t first, std::int64_t n,
                  const std::vector<std::size_t>& parameters_per_variant);
};

}  // namespace ehcpsim
