// The metric catalogue and the result block's layout.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "ehcpsim/results.h"

namespace ehcpsim {
namespace {

TEST(MetricCatalogue, NamesFollowMetricIdOrder) {
    const std::vector<std::string> expected = {
        "total_stock",  "stock_by_placement", "requests",       "assessments",      "new_plans",
        "new_plans_by_placement", "new_plans_by_need", "transfers_in", "ceased",    "aged_out",
        "moves",        "spend",              "spend_by_placement", "funding",      "in_year_deficit",
        "cumulative_deficit", "transport_cost", "mitigation_cost", "demand_by_placement", "overflow_by_placement",
        "specialist_demand_by_phase", "demand_by_placement_phase", "overflow_by_placement_phase"};
    const auto& catalogue = metric_catalogue();
    ASSERT_EQ(catalogue.size(), static_cast<std::size_t>(metric_count));
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(catalogue[i].name, expected[i]);
        EXPECT_EQ(metric_index(expected[i]), static_cast<int>(i));
    }
    EXPECT_EQ(catalogue[m_cumulative_deficit].name, "cumulative_deficit");
    EXPECT_EQ(catalogue[m_new_plans_by_need].name, "new_plans_by_need");
    EXPECT_EQ(catalogue[m_mitigation_cost].name, "mitigation_cost");
    EXPECT_FALSE(catalogue[m_mitigation_cost].flow);  // recorded every year, the base year included
    EXPECT_EQ(catalogue[m_mitigation_cost].extent, Extent::year);
    EXPECT_EQ(metric_index("no_such_metric"), -1);
    EXPECT_EQ(metric_index(""), -1);
}

TEST(MetricCatalogue, FlowsUnitsAndExtents) {
    const std::set<std::string> flows = {"requests", "assessments",  "new_plans", "new_plans_by_placement",
                                         "new_plans_by_need", "transfers_in", "ceased", "aged_out", "moves",
                                         "overflow_by_placement", "overflow_by_placement_phase"};
    const std::set<std::string> money = {"spend", "spend_by_placement", "funding", "in_year_deficit",
                                         "cumulative_deficit", "transport_cost", "mitigation_cost"};
    for (const auto& metric : metric_catalogue()) {
        EXPECT_EQ(metric.flow, flows.count(metric.name) == 1) << metric.name;
        EXPECT_EQ(metric.units, money.count(metric.name) ? "GBP" : "plans") << metric.name;
        EXPECT_FALSE(metric.description.empty()) << metric.name;
        EXPECT_EQ(metric.description.find('\n'), std::string::npos) << metric.name;
    }
    const auto& c = metric_catalogue();
    EXPECT_EQ(c[m_stock_by_placement].extent, Extent::year_placement);
    EXPECT_EQ(c[m_new_plans_by_placement].extent, Extent::year_placement);
    EXPECT_EQ(c[m_spend_by_placement].extent, Extent::year_placement);
    EXPECT_EQ(c[m_new_plans_by_need].extent, Extent::year_need);
    EXPECT_EQ(c[m_demand_by_placement].extent, Extent::year_placement);
    EXPECT_EQ(c[m_overflow_by_placement].extent, Extent::year_placement);
    EXPECT_EQ(c[m_specialist_demand_by_phase].extent, Extent::year_phase);
    EXPECT_EQ(c[m_demand_by_placement].name, "demand_by_placement");
    EXPECT_EQ(c[m_specialist_demand_by_phase].name, "specialist_demand_by_phase");
    EXPECT_EQ(c[m_demand_by_placement_phase].extent, Extent::year_placement_phase);
    EXPECT_EQ(c[m_overflow_by_placement_phase].extent, Extent::year_placement_phase);
    EXPECT_EQ(c[m_demand_by_placement_phase].name, "demand_by_placement_phase");
    EXPECT_EQ(c[m_overflow_by_placement_phase].name, "overflow_by_placement_phase");
    EXPECT_FALSE(c[m_demand_by_placement_phase].flow);
    EXPECT_EQ(c[m_stock_by_placement_age_need].extent, Extent::year_placement_age_need);
    EXPECT_EQ(c[m_stock_by_placement_age_need].name, "stock_by_placement_age_need");
    EXPECT_FALSE(c[m_stock_by_placement_age_need].flow);
    int scalars = 0;
    for (const auto& metric : c) scalars += metric.extent == Extent::year;
    EXPECT_EQ(scalars, metric_count - 10);
}

TEST(Shape, ValuesPerReplicate) {
    const Shape shape{6, 8, 12, 5};
    EXPECT_EQ(shape.values_per_replicate(m_total_stock), 6u);
    EXPECT_EQ(shape.values_per_replicate(m_stock_by_placement), 48u);
    EXPECT_EQ(shape.values_per_replicate(m_new_plans_by_need), 72u);
    EXPECT_EQ(shape.values_per_replicate(m_transport_cost), 6u);
    EXPECT_EQ(shape.values_per_replicate(m_demand_by_placement), 48u);
    EXPECT_EQ(shape.values_per_replicate(m_overflow_by_placement), 48u);
    EXPECT_EQ(shape.values_per_replicate(m_specialist_demand_by_phase), 30u);
    EXPECT_EQ(shape.values_per_replicate(m_demand_by_placement_phase), 240u);  // years x placements x phases
    EXPECT_EQ(shape.values_per_replicate(m_stock_by_placement_age_need), 0u);   // only with plan detail
    Shape detailed = shape;
    detailed.plan_detail = true;
    detailed.ages = 26;
    EXPECT_EQ(detailed.values_per_replicate(m_stock_by_placement_age_need), 6u * 8u * 26u * 12u);
    EXPECT_EQ(shape.values_per_replicate(m_overflow_by_placement_phase), 240u);
    EXPECT_EQ((Shape{6, 8, 12}).values_per_replicate(m_specialist_demand_by_phase), 0u);  // no phases
    EXPECT_EQ((Shape{6, 8, 12}).values_per_replicate(m_demand_by_placement_phase), 0u);
}

TEST(ResultBlock, AllocateSizesEveryArrayAndFillsWithNaN) {
    const Shape shape{4, 3, 2, 2};
    ResultBlock block;
    block.allocate(shape, 100, 7, {5, 0});
    EXPECT_EQ(block.first_replicate, 100);
    EXPECT_EQ(block.count, 7);
    ASSERT_EQ(block.variants.size(), 2u);
    for (const auto& variant : block.variants) {
        ASSERT_EQ(variant.metrics.size(), static_cast<std::size_t>(metric_count));
        for (int m = 0; m < metric_count; ++m) {
            EXPECT_EQ(variant.metrics[m].size(), 7 * shape.values_per_replicate(m));
            for (double x : variant.metrics[m]) EXPECT_TRUE(std::isnan(x));
        }
    }
    EXPECT_EQ(block.variants[0].parameters.size(), 35u);
    EXPECT_TRUE(block.variants[1].parameters.empty());

    // Reuse for a smaller block: sizes follow, stale values do not survive.
    block.variants[0].metrics[m_total_stock][0] = 1.0;
    block.allocate(shape, 0, 2, {5, 0});
    EXPECT_EQ(block.variants[0].metrics[m_total_stock].size(), 8u);
    EXPECT_TRUE(std::isnan(block.variants[0].metrics[m_total_stock][0]));
}

}  // namespace
}  // namespace ehcpsim
