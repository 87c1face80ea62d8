// The embedded default scenario reproduces Halton's DBV lower-bound
// unmitigated line (MODEL.md section 9; 003_224113c98c2996fa.txt line ~921):
// the median of 1,000 replicates is within 5% of each year's expenditure and
// within 10% (or GBP 0.5m) of each year's cumulative deficit, 2023-2028.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ehcpsim/runner.h"
#include "ehcpsim/summary.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

constexpr double kMillion = 1e6;

std::vector<double> medians(const ResultBlock& block, std::size_t variant, const Shape& shape, int metric) {
    std::vector<double> out;
    for (int t = 0; t < shape.years; ++t) {
        std::vector<double> values;
        for (std::int64_t r = 0; r < block.count; ++r)
            values.push_back(testing::value(block.variants[variant], shape, metric, r, t));
        std::sort(values.begin(), values.end());
        out.push_back(quantile_sorted(values, 0.5));
    }
    return out;
}

TEST(Halton, DefaultScenarioValidatesWithItsBaselineFirst) {
    const ScenarioSet scenario = load_default_scenario();
    ASSERT_FALSE(scenario.variants.empty());
    EXPECT_EQ(scenario.variants.front().variant, "unmitigated_lower");
    EXPECT_EQ(scenario.variants.front().base_year, 2023);
    EXPECT_EQ(scenario.variants.front().horizon, 5);
}

TEST(Halton, UnmitigatedLowerBoundReproducesTheDbvTable) {
    const ScenarioSet scenario = load_default_scenario();
    RunOptions options;
    options.seed = scenario.default_seed;
    options.replicates = 1000;
    options.variants = {"unmitigated_lower"};
    const Runner runner(scenario, options, "test");
    Shape shape;
    shape.years = static_cast<int>(runner.info().years.size());
    shape.placements = static_cast<int>(runner.info().placements.size());
    shape.needs = static_cast<int>(runner.info().needs.size());
    const ResultBlock block = runner.compute_block(0, options.replicates);

    const std::vector<double> spend = {26.1, 28.9, 31.9, 34.6, 36.4, 37.5};
    const std::vector<double> deficit = {2.9, 5.7, 10.8, 17.8, 25.8, 33.9};
    const auto median_spend = medians(block, 0, shape, m_spend);
    const auto median_deficit = medians(block, 0, shape, m_cumulative_deficit);
    ASSERT_EQ(median_spend.size(), spend.size());
    for (std::size_t t = 0; t < spend.size(); ++t) {
        const double s = median_spend[t] / kMillion, d = median_deficit[t] / kMillion;
        EXPECT_NEAR(s, spend[t], 0.05 * spend[t]) << "expenditure " << runner.info().years[t];
        EXPECT_NEAR(d, deficit[t], std::max(0.10 * deficit[t], 0.5)) << "cumulative deficit " << runner.info().years[t];
        std::printf("  %d  spend %.2f (DBV %.1f)  cumulative deficit %.2f (DBV %.1f)\n", runner.info().years[t], s,
                    spend[t], d, deficit[t]);
    }
}

}  // namespace
}  // namespace ehcpsim
