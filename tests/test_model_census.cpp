// The re-based scenarios against the census (issue 14 item 4): the Halton
// default (embedded) and West Berkshire take their base stock and flows from
// their SEN2 history, so the median January stock of their baseline must be
// within 5% of the authority's published census in every year the run and the
// shipped panel (data/sen2_la/panel.csv) both have. The census is read from
// the shipped panel, never typed in here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ehcpsim/panel.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/summary.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

const calibrate::Panel& shipped_panel() {
    static const calibrate::Panel panel = calibrate::Panel::read_file(testing::source_path("data/sen2_la/panel.csv"));
    return panel;
}

// Median January stock of the baseline (the first variant) by year, over
// `replicates` replicates at the scenario's own seed.
std::vector<double> median_stock(const ScenarioSet& scenario, std::int64_t replicates, std::vector<int>& years) {
    RunOptions options;
    options.seed = scenario.default_seed;
    options.replicates = replicates;
    options.variants = {scenario.variants.front().variant};
    const Runner runner(scenario, options, "test");
    const Shape& shape = runner.shape();
    const ResultBlock block = runner.compute_block(0, replicates);
    years = runner.info().years;
    std::vector<double> out;
    for (int t = 0; t < shape.years; ++t) {
        std::vector<double> x;
        for (std::int64_t r = 0; r < block.count; ++r) x.push_back(testing::value(block.variants[0], shape, m_total_stock, r, t));
        std::sort(x.begin(), x.end());
        out.push_back(quantile_sorted(x, 0.5));
    }
    return out;
}

// Returns how many years were compared, so a test can insist on some.
int expect_median_stock_within_census(const ScenarioSet& scenario, const std::string& la_code) {
    // 200 replicates: the median's own sampling error is about 0.3% of the
    // stock here (sd of the stock ~2-3% by the second year, / sqrt(200) x 1.25),
    // far inside the 5% tolerance, so a failure is the scenario, not the noise.
    std::vector<int> years;
    const std::vector<double> median = median_stock(scenario, 200, years);
    const calibrate::Series census = shipped_panel().series(la_code, "stock", "all");
    int compared = 0;
    for (std::size_t t = 0; t < years.size(); ++t) {
        const auto found = census.find(years[t]);
        if (found == census.end()) continue;
        ++compared;
        const double error = median[t] / found->second - 1;
        std::printf("  %s January %d: median stock %.0f, census %.0f (%+.1f%%)\n", la_code.c_str(), years[t], median[t],
                    found->second, 100 * error);
        // Issue 14 item 4: "its caseload matches the published census within 5%".
        EXPECT_LT(std::abs(error), 0.05) << la_code << " January " << years[t] << ": median " << median[t]
                                         << ", census " << found->second;
    }
    return compared;
}

TEST(Census, HaltonDefaultMedianStockIsWithinFivePercentOfTheCensus) {
    const ScenarioSet scenario = load_default_scenario();
    EXPECT_EQ(expect_median_stock_within_census(scenario, "E06000006"), 3);  // January 2023, 2024, 2025
}

TEST(Census, WestBerkshireMedianStockIsWithinFivePercentOfTheCensus) {
    const ScenarioSet scenario = load_scenario(testing::source_path("scenarios/west_berkshire/west_berkshire.toml"));
    EXPECT_EQ(expect_median_stock_within_census(scenario, "E06000037"), 2);  // January 2024, 2025
}

}  // namespace
}  // namespace ehcpsim
