#include "ehcpsim/results.h"

#include <cassert>
#include <limits>

namespace ehcpsim {

const std::vector<MetricInfo>& metric_catalogue() {
    // Immutable table; the order is the MetricId order and the file's order.
    static const std::vector<MetricInfo> catalogue = {
        {"total_stock", "plans", Extent::year, false,
         "Active EHCPs at the census of the year, all ages, needs and placements"},
        {"stock_by_placement", "plans", Extent::year_placement, false,
         "Active EHCPs at the census of the year, by placement (after capacity and overflow)"},
        {"requests", "plans", Extent::year, true,
         "Requests for an EHC needs assessment made in the year"},
        {"assessments", "plans", Extent::year, true, "EHC needs assessments agreed in the year"},
        {"new_plans", "plans", Extent::year, true,
         "New plans starting in the year (issued this year, or issued late from last year's assessments)"},
        {"new_plans_by_placement", "plans", Extent::year_placement, true,
         "New plans starting in the year, by the placement they start in"},
        {"new_plans_by_need", "plans", Extent::year_need, true,
         "New plans starting in the year, by primary need"},
        {"transfers_in", "plans", Extent::year, true,
         "Plans transferred in from other local authorities in the year"},
        {"ceased", "plans", Extent::year, true,
         "Plans ceased in the year (needs met, moved away, left education)"},
        {"aged_out", "plans", Extent::year, true, "Plans ended in the year by passing the maximum age"},
        {"moves", "plans", Extent::year, true, "Plans that changed placement on ageing in the year"},
        {"spend", "GBP", Extent::year, false,
         "High Needs spend: plans times unit cost, other spend and mitigation costs on the block, "
         "at the year's prices"},
        {"spend_by_placement", "GBP", Extent::year_placement, false,
         "Spend on plans by placement: stock times unit cost, at the year's prices"},
        {"funding", "GBP", Extent::year, false, "High Needs funding allocated for the year"},
        {"in_year_deficit", "GBP", Extent::year, false, "Spend minus funding in the year"},
        {"cumulative_deficit", "GBP", Extent::year, false,
         "Cumulative High Needs deficit at the end of the year (the base year's is given)"},
        {"transport_cost", "GBP", Extent::year, false,
         "Home-to-school transport cost (General Fund, not on the DSG), at the year's prices"},
        {"mitigation_cost", "GBP", Extent::year, false,
         "Cost of mitigations in the year, whether or not on the High Needs Block (the part on the block is "
         "also in spend)"},
        {"demand_by_placement", "plans", Extent::year_placement, false,
         "EHCPs wanting a place in each placement at the census of the year, before any capacity limit "
         "(equals stock_by_placement in the base year)"},
        {"overflow_by_placement", "plans", Extent::year_placement, true,
         "Pupils arriving in the year who found the placement full and were moved to its overflow placement, "
         "by the placement they were moved out of"},
        {"specialist_demand_by_phase", "plans", Extent::year_phase, false,
         "Demand for specialist places (the scenario's specialist placements, before any capacity limit) at "
         "the census of the year, by phase"},
        {"demand_by_placement_phase", "plans", Extent::year_placement_phase, false,
         "demand_by_placement split by the phase of each pupil's age: EHCPs wanting a place in the placement at "
         "the census of the year, before any capacity limit"},
        {"overflow_by_placement_phase", "plans", Extent::year_placement_phase, true,
         "overflow_by_placement split by the phase of each pupil's age: arrivals in the year moved out of the "
         "placement (or out of their phase's places in it) to the overflow placement"},
        {"stock_by_placement_age_need", "plans", Extent::year_placement_age_need, false,
         "Active EHCPs at the census of the year by placement, age at the census and primary need (after capacity "
         "and overflow); recorded only when the run asks for it (run --plan-detail)"},
    };
    assert(catalogue.size() == static_cast<std::size_t>(metric_count));
    return catalogue;
}

int metric_index(const std::string& name) {
    const auto& catalogue = metric_catalogue();
    for (std::size_t i = 0; i < catalogue.size(); ++i) {
        if (catalogue[i].name == name) return static_cast<int>(i);
    }
    return -1;
}

const std::vector<std::string>& age_metric_names() {
    static const std::vector<std::string> names = {"stock", "new_plans", "requests", "ceased"};
    assert(names.size() == static_cast<std::size_t>(age_metric_count));
    return names;
}

std::size_t Shape::values_per_replicate(int metric) const {
    assert(metric >= 0 && metric < metric_count);
    const auto y = static_cast<std::size_t>(years);
    switch (metric_catalogue()[static_cast<std::size_t>(metric)].extent) {
        case Extent::year: return y;
        case Extent::year_placement: return y * static_cast<std::size_t>(placements);
        case Extent::year_need: return y * static_cast<std::size_t>(needs);
        case Extent::year_phase: return y * static_cast<std::size_t>(phases);
        case Extent::year_placement_phase:
            return phase_detail ? y * static_cast<std::size_t>(placements) * static_cast<std::size_t>(phases) : 0;
        case Extent::year_placement_age_need:
            return plan_detail ? y * static_cast<std::size_t>(placements) * static_cast<std::size_t>(ages) *
                                     static_cast<std::size_t>(needs)
                               : 0;
    }
    return y;
}

void ResultBlock::allocate(const Shape& shape, std::int64_t first, std::int64_t n,
                           const std::vector<std::size_t>& parameters_per_variant) {
    assert(first >= 0 && n >= 0);
    first_replicate = first;
    count = n;
    const auto replicates = static_cast<std::size_t>(n);
    variants.resize(parameters_per_variant.size());
    for (std::size_t v = 0; v < variants.size(); ++v) {
        VariantBlock& block = variants[v];
        block.metrics.resize(metric_count);
        for (int m = 0; m < metric_count; ++m) {
            // assign() keeps the capacity, so a reused block does not reallocate.
            block.metrics[static_cast<std::size_t>(m)].assign(replicates * shape.values_per_replicate(m),
                                                              std::numeric_limits<double>::quiet_NaN());
        }
        block.parameters.assign(replicates * parameters_per_variant[v], std::numeric_limits<double>::quiet_NaN());
        if (shape.by_age) {
            block.by_age.resize(age_metric_count);
            for (auto& values : block.by_age)
                values.assign(replicates * shape.values_per_replicate_by_age(), std::numeric_limits<double>::quiet_NaN());
        } else {
            block.by_age.clear();
        }
    }
}

}  // namespace ehcpsim
