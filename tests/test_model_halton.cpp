// The embedded default scenario reproduces Halton's DBV lower-bound
// unmitigated line (MODEL.md section 9; the Halton DBV grant application, cited as 003:921 in scenarios/halton/NOTES.md):
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
    const Shape shape = runner.shape();
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

// The DBV target and stretch lines (003:927-933 in scenarios/halton/NOTES.md)
// and the four cumulative opportunities 22/23-27/28 (lines 777-781): medians
// of 1,000 replicates within 5% (expenditure), 10% or GBP 0.5m (cumulative
// deficit) and 10% (opportunity).
TEST(Halton, MitigatedVariantsReproduceTheDbvTableAndOpportunities) {
    const ScenarioSet scenario = load_default_scenario();
    RunOptions options;
    options.seed = scenario.default_seed;
    options.replicates = 1000;
    const Runner runner(scenario, options, "test");
    const Shape shape = runner.shape();
    const ResultBlock block = runner.compute_block(0, options.replicates);
    auto index = [&](const std::string& name) {
        const auto& v = runner.info().variants;
        const auto found = std::find(v.begin(), v.end(), name);
        EXPECT_NE(found, v.end()) << name;
        return static_cast<std::size_t>(found - v.begin());
    };

    struct Line {
        const char* variant;
        std::vector<double> spend, deficit;
    };
    const std::vector<Line> lines = {
        {"target_lower", {26.1, 28.4, 30.4, 32.3, 34.1, 33.0}, {2.9, 5.2, 8.8, 13.5, 18.4, 22.1}},
        {"stretch_lower", {26.1, 28.4, 30.2, 32.1, 33.0, 32.5}, {2.9, 5.2, 8.8, 13.3, 17.8, 21.0}},
    };
    for (const Line& line : lines) {
        const std::size_t v = index(line.variant);
        const auto spend = medians(block, v, shape, m_spend);
        const auto deficit = medians(block, v, shape, m_cumulative_deficit);
        for (std::size_t t = 0; t < line.spend.size(); ++t) {
            std::printf("  %s %d  spend %.2f (DBV %.1f)  cumulative deficit %.2f (DBV %.1f)\n", line.variant,
                        runner.info().years[t], spend[t] / kMillion, line.spend[t], deficit[t] / kMillion,
                        line.deficit[t]);
            EXPECT_NEAR(spend[t] / kMillion, line.spend[t], 0.05 * line.spend[t]) << line.variant << " spend " << t;
            EXPECT_NEAR(deficit[t] / kMillion, line.deficit[t], std::max(0.10 * line.deficit[t], 0.5))
                << line.variant << " deficit " << t;
        }
    }

    struct Opportunity {
        const char* unmitigated;
        const char* mitigated;
        double published;
    };
    const int last = shape.years - 1;
    for (const Opportunity& o : {Opportunity{"unmitigated_lower", "target_lower", 11.8},
                                 Opportunity{"unmitigated_lower", "stretch_lower", 12.9},
                                 Opportunity{"unmitigated_upper", "target_upper", 12.4},
                                 Opportunity{"unmitigated_upper", "stretch_upper", 13.5}}) {
        const std::size_t a = index(o.unmitigated), b = index(o.mitigated);
        std::vector<double> gain;
        for (std::int64_t r = 0; r < block.count; ++r)
            gain.push_back(testing::value(block.variants[a], shape, m_cumulative_deficit, r, last) -
                           testing::value(block.variants[b], shape, m_cumulative_deficit, r, last));
        std::sort(gain.begin(), gain.end());
        const double median = quantile_sorted(gain, 0.5) / kMillion;
        std::printf("  opportunity %s: %.2f (DBV %.1f)\n", o.mitigated, median, o.published);
        EXPECT_NEAR(median, o.published, 0.10 * o.published) << o.mitigated;
    }
}

}  // namespace
}  // namespace ehcpsim
