// The plan detail (RunOptions::record_plan_detail, run --plan-detail): the
// whole stock by placement, age and need at each census adds up to the stock
// by placement in every replicate, variant and year, and asking for it
// changes no other number; a run that does not ask records none.
#include <gtest/gtest.h>

#include <cmath>

#include "ehcpsim/runner.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::small_scenario;
using testing::value;

TEST(PlanDetail, TheWholeStockAddsUpAndChangesNothingElse) {
    const ScenarioSet scenario = load_scenario(small_scenario());
    RunOptions options;
    options.seed = 31;
    options.replicates = 12;
    const Runner plain(scenario, options, "test");
    options.record_plan_detail = true;
    const Runner detailed(scenario, options, "test");
    const Shape shape = detailed.shape();
    ASSERT_TRUE(shape.plan_detail);
    EXPECT_FALSE(plain.shape().plan_detail);
    EXPECT_EQ(plain.shape().values_per_replicate(m_stock_by_placement_age_need), 0u);
    ASSERT_EQ(detailed.info().ages.size(), static_cast<std::size_t>(shape.ages));
    EXPECT_EQ(detailed.info().ages.front(), scenario.variants.front().dims.min_age);
    const ResultBlock a = plain.compute_block(0, 12), b = detailed.compute_block(0, 12);
    const std::size_t cells = static_cast<std::size_t>(shape.placements) * shape.ages * shape.needs;
    for (std::size_t v = 0; v < b.variants.size(); ++v) {
        for (int m = 0; m < metric_count; ++m) {
            if (m == m_stock_by_placement_age_need) continue;
            const auto& x = a.variants[v].metrics[m];
            const auto& y = b.variants[v].metrics[m];
            ASSERT_EQ(x.size(), y.size());
            for (std::size_t i = 0; i < x.size(); ++i)
                ASSERT_TRUE((std::isnan(x[i]) && std::isnan(y[i])) || x[i] == y[i]) << metric_catalogue()[m].name;
        }
        const auto& detail = b.variants[v].metrics[m_stock_by_placement_age_need];
        ASSERT_EQ(detail.size(), static_cast<std::size_t>(b.count) * shape.years * cells);
        for (std::int64_t r = 0; r < b.count; ++r)
            for (int t = 0; t < shape.years; ++t)
                for (int p = 0; p < shape.placements; ++p) {
                    const std::size_t first = (static_cast<std::size_t>(r) * shape.years + t) * cells +
                                              static_cast<std::size_t>(p) * shape.ages * shape.needs;
                    double sum = 0.0;
                    for (std::size_t i = 0; i < static_cast<std::size_t>(shape.ages) * shape.needs; ++i) {
                        ASSERT_GE(detail[first + i], 0.0);
                        sum += detail[first + i];
                    }
                    ASSERT_EQ(sum, value(b.variants[v], shape, m_stock_by_placement, r, t, p));
                }
    }
}

}  // namespace
}  // namespace ehcpsim
