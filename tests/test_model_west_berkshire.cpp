// The second authority: West Berkshire's Deficit Management Plan update
// (West Berkshire's DBV update to Schools' Forum, March 2025, cited as 002 in its NOTES.md; readings of the figures in
// scenarios/west_berkshire/NOTES.md). Medians of 1,000 replicates within 10%
// of: the cumulative deficit at the end of 2024-25, unmitigated and mitigated
// (lines 69, 85), and the cumulative savings of 2025/26-2027/28 (lines 98-99),
// unmitigated minus mitigated cumulative deficit, replicate by replicate.
#include <gtest/gtest.h>

#include <algorithm>

#include "ehcpsim/runner.h"
#include "ehcpsim/summary.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

TEST(WestBerkshire, ReproducesThePublishedDeficitsAndSavings) {
    const ScenarioSet scenario = load_scenario(testing::source_path("scenarios/west_berkshire/west_berkshire.toml"));
    RunOptions options;
    options.seed = scenario.default_seed;
    options.replicates = 1000;
    const Runner runner(scenario, options, "test");
    const auto& info = runner.info();
    ASSERT_EQ(info.variants, (std::vector<std::string>{"unmitigated", "mitigated"}));
    const Shape& shape = runner.shape();
    const ResultBlock block = runner.compute_block(0, options.replicates);
    auto year_index = [&](int year) {
        return static_cast<int>(std::find(info.years.begin(), info.years.end(), year) - info.years.begin());
    };
    auto median = [&](auto&& per_replicate) {
        std::vector<double> x;
        for (std::int64_t r = 0; r < block.count; ++r) x.push_back(per_replicate(r) / 1e6);
        std::sort(x.begin(), x.end());
        return quantile_sorted(x, 0.5);
    };
    auto deficit = [&](std::size_t v, int year) {
        return [&, v, year](std::int64_t r) {
            return testing::value(block.variants[v], shape, m_cumulative_deficit, r, year_index(year));
        };
    };
    const double unmitigated_2025 = median(deficit(0, 2025));
    const double mitigated_2025 = median(deficit(1, 2025));
    EXPECT_NEAR(unmitigated_2025, 20.86, 0.10 * 20.86);
    EXPECT_NEAR(mitigated_2025, 15.77, 0.10 * 15.77);
    std::printf("  2024-25 deficit: unmitigated %.2f (20.86), mitigated %.2f (15.77)\n", unmitigated_2025,
                mitigated_2025);
    const std::vector<std::pair<int, double>> savings = {{2026, 9.10}, {2027, 15.33}, {2028, 21.73}};
    for (const auto& [year, published] : savings) {
        const double saved = median([&, year = year](std::int64_t r) { return deficit(0, year)(r) - deficit(1, year)(r); });
        std::printf("  savings to %d: %.2f (%.2f)\n", year, saved, published);
        EXPECT_NEAR(saved, published, 0.10 * published) << year;
    }
}

}  // namespace
}  // namespace ehcpsim
