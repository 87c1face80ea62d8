// Quantiles and the summary printers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "ehcpsim/summary.h"
#include "json_test_support.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;
using namespace json_testing;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

TEST(QuantileSorted, HandComputedType7) {
    // h = (n - 1) p; q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
    const std::vector<double> x = {1, 2, 3, 4};
    EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.05), 1.15);  // h = 0.15
    EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.25), 1.75);  // h = 0.75
    EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.50), 2.5);   // h = 1.5
    EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.95), 3.85);  // h = 2.85
    EXPECT_EQ(quantile_sorted(x, 0.0), 1.0);
    EXPECT_EQ(quantile_sorted(x, 1.0), 4.0);
    // numpy's exact bits where the two-sided interpolation matters.
    EXPECT_EQ(quantile_sorted(x, 0.95), 3.8499999999999996);
    EXPECT_EQ(quantile_sorted({0.0, 1.7}, 0.95), 1.6149999999999998);  // a + (b - a) t would give 1.615
    EXPECT_EQ(quantile_sorted({1, 2, 3, 4, 5}, 0.90), 4.6);
    EXPECT_EQ(quantile_sorted({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.95), 8.549999999999999);
    EXPECT_EQ(quantile_sorted({7.5}, 0.05), 7.5);
    EXPECT_EQ(quantile_sorted({7.5}, 0.95), 7.5);
    EXPECT_EQ(quantile_sorted({2, 2, 2, 5}, 0.5), 2.0);  // ties
}

TEST(QuantileSorted, IgnoresNaN) {
    const std::vector<double> x = {nan, 1, 2, nan, 3, 4, nan};
    EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.05), 1.15);
    EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.50), 2.5);
    EXPECT_DOUBLE_EQ(quantile_sorted(x, 0.95), 3.85);
    EXPECT_TRUE(std::isnan(quantile_sorted({nan, nan}, 0.5)));
    EXPECT_TRUE(std::isnan(quantile_sorted({}, 0.5)));
    EXPECT_EQ(quantile_sorted({nan, 3.0}, 0.9), 3.0);
}

class Summarise : public ScratchDir {};

// A run whose total_stock is random with many ties and a few NaNs, so the
// selection-based quantiles in summarise() are checked against sorting.
TEST_F(Summarise, MatchesSortedQuantilesAndReplicateOrderMeans) {
    const RunInfo info = small_info(1001);
    const std::size_t years = info.years.size();
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    std::mt19937_64 engine(12345);
    auto& stock = block.variants[1].metrics[m_total_stock];
    for (double& x : stock) x = static_cast<double>(engine() % 50) + (engine() % 7 == 0 ? 0.5 : 0.0);
    for (std::size_t r = 0; r < 1001; r += 97) stock[r * years + 2] = nan;  // year 2025 loses 11 values
    for (std::size_t r = 0; r < 1001; ++r) stock[r * years + 3] = nan;      // year 2026: all NaN
    {
        ResultWriter writer(path("run.h5"), info, false);
        writer.write(block);
        writer.finish();
    }
    const Summary summary = summarise(ResultReader(path("run.h5")));
    ASSERT_EQ(summary.variants.size(), 2u);
    const SeriesSummary& series = summary.variants[1].series[0];
    ASSERT_EQ(series.label, "total_stock");
    ASSERT_EQ(series.quantiles.size(), summary_probabilities.size());
    for (std::size_t y = 0; y < years; ++y) {
        std::vector<double> column;
        double sum = 0;
        for (std::size_t r = 0; r < 1001; ++r) {
            const double x = stock[r * years + y];
            if (std::isnan(x)) continue;
            column.push_back(x);
            sum += x;
        }
        std::sort(column.begin(), column.end());
        if (column.empty()) {
            EXPECT_TRUE(std::isnan(series.mean[y]));
            for (const auto& q : series.quantiles) EXPECT_TRUE(std::isnan(q[y]));
            continue;
        }
        EXPECT_EQ(series.mean[y], sum / static_cast<double>(column.size())) << "year " << y;
        for (std::size_t k = 0; k < summary_probabilities.size(); ++k) {
            EXPECT_EQ(series.quantiles[k][y], quantile_sorted(column, summary_probabilities[k]))
                << "year " << y << " p " << summary_probabilities[k];
        }
    }
}

TEST_F(Summarise, OneSeriesPerMetricAndCategoryInCatalogueOrder) {
    const RunInfo info = small_info(10);
    write_synthetic(path("run.h5"), info, {{0, 10}});
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_EQ(summary.info.seed, info.seed);
    ASSERT_EQ(summary.variants.size(), 2u);
    EXPECT_EQ(summary.variants[0].variant, "baseline");
    std::vector<std::string> expected;
    for (const auto& metric : metric_catalogue()) {
        if (metric.extent == Extent::year_placement_age_need) continue;  // never a series (and not in this file)
        if (metric.extent == Extent::year) expected.push_back(metric.name);
        const auto& categories = metric.extent == Extent::year_need    ? info.needs
                                 : metric.extent == Extent::year_phase ? info.phases
                                                                       : info.placements;
        if (metric.extent == Extent::year_placement_phase) {
            // placement-major, as the dataset: "mss/primary"
            for (const auto& p : info.placements) {
                for (const auto& k : info.phases) expected.push_back(metric.name + "[" + p + "/" + k + "]");
            }
        } else if (metric.extent != Extent::year) {
            for (const auto& c : categories) expected.push_back(metric.name + "[" + c + "]");
        }
    }
    std::vector<std::string> labels;
    for (const auto& s : summary.variants[1].series) labels.push_back(s.label);
    EXPECT_EQ(labels, expected);
    EXPECT_EQ(labels[1], "stock_by_placement[mainstream]");
    // A placement and phase: extra index placement x phases + phase (inmss/secondary = 5).
    const auto split = std::find(labels.begin(), labels.end(), "demand_by_placement_phase[inmss/secondary]");
    ASSERT_NE(split, labels.end());
    const SeriesSummary& phase_series = summary.variants[0].series[static_cast<std::size_t>(split - labels.begin())];
    EXPECT_DOUBLE_EQ(phase_series.mean[2], static_cast<double>(m_demand_by_placement_phase) * 1e4 + 4.5 + 0.5 + 5 * 0.0625);

    // total_stock of variant 0 is r + 0.25 y over r = 0..9.
    const SeriesSummary& stock = summary.variants[0].series[0];
    for (std::size_t y = 0; y < 4; ++y) {
        EXPECT_DOUBLE_EQ(stock.mean[y], 4.5 + 0.25 * y);
        EXPECT_DOUBLE_EQ(stock.quantiles[0][y], 0.45 + 0.25 * y);
        EXPECT_DOUBLE_EQ(stock.quantiles[3][y], 4.5 + 0.25 * y);
    }
    // stock_by_placement[inmss] of variant 1: 1e6 + 1e4 + r + 0.25 y + 2 * 0.0625.
    const SeriesSummary& inmss = summary.variants[1].series[3];
    EXPECT_EQ(inmss.label, "stock_by_placement[inmss]");
    EXPECT_DOUBLE_EQ(inmss.mean[1], 1e6 + 1e4 + 4.5 + 0.25 + 0.125);
    // Flows have no base-year value.
    const SeriesSummary& requests = summary.variants[0].series[1 + info.placements.size()];
    EXPECT_EQ(requests.label, "requests");
    EXPECT_TRUE(std::isnan(requests.mean[0]));
    EXPECT_TRUE(std::isnan(requests.quantiles[3][0]));
    EXPECT_FALSE(std::isnan(requests.mean[1]));
}

class SummaryPrint : public ScratchDir {
protected:
    std::string print(SummaryFormat format, const RunInfo& info) {
        write_synthetic(path("run.h5"), info, {{0, info.replicates}});
        std::ostringstream out;
        print_summary(summarise(ResultReader(path("run.h5"))), format, out);
        return out.str();
    }
};

TEST_F(SummaryPrint, CsvIsLongFormat) {
    const RunInfo info = small_info(10);
    const auto lines = lines_of(print(SummaryFormat::csv, info));
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "variant,metric,year,mean,p5,p10,p25,p50,p75,p90,p95");
    const std::size_t series_per_variant =
        14 + 5 * info.placements.size() + info.needs.size() + info.phases.size() +
        2 * info.placements.size() * info.phases.size();
    EXPECT_EQ(lines.size(), 1 + 2 * series_per_variant * info.years.size());
    EXPECT_EQ(lines[1], "baseline,total_stock,2023,4.5,0.45,0.9,2.25,4.5,6.75,8.1,8.549999999999999");
    EXPECT_NE(std::find(lines.begin(), lines.end(), "baseline,requests,2023,,,,,,,,"), lines.end());
    // Money stays in pounds: spend (metric 11) of variant 1 is 1e6 + 11e4 + r + ...
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "target,spend,2023,1110004.5,1110000.45,1110000.9,1110002.25,1110004.5,1110006.75,"
                        "1110008.1,1110008.55"),
              lines.end());
}

TEST_F(SummaryPrint, CsvQuotesAwkwardNames) {
    RunInfo info = small_info(3);
    info.needs = {"ASD", "a,b \"c\""};
    const std::string csv = print(SummaryFormat::csv, info);
    EXPECT_NE(csv.find("baseline,\"new_plans_by_need[a,b \"\"c\"\"]\",2024,"), std::string::npos);
}

TEST_F(SummaryPrint, TableIsReadable) {
    const RunInfo info = small_info(10);
    const std::string table = print(SummaryFormat::table, info);
    const auto lines = lines_of(table);
    for (const auto& line : lines) {
        std::size_t width = 0;
        for (char c : line) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        EXPECT_LE(width, 120u) << line;
    }
    EXPECT_NE(table.find("== baseline =="), std::string::npos);
    EXPECT_NE(table.find("== target =="), std::string::npos);
    EXPECT_NE(table.find("total_stock (plans)"), std::string::npos);
    EXPECT_NE(table.find("cumulative_deficit (£m)"), std::string::npos);
    EXPECT_NE(table.find("stock_by_placement (plans)"), std::string::npos);
    EXPECT_NE(table.find("  inmss"), std::string::npos);
    EXPECT_NE(table.find("spend_by_placement (£m)"), std::string::npos);
    EXPECT_EQ(table.find("new_plans_by_need"), std::string::npos);
    EXPECT_EQ(table.find("new_plans_by_placement"), std::string::npos);
    // The header row lists the years; a flow's base year shows "-".
    const auto header = std::find_if(lines.begin(), lines.end(),
                                     [](const std::string& l) { return l.find("2023") != std::string::npos &&
                                                                       l.find("2026") != std::string::npos; });
    ASSERT_NE(header, lines.end());
    const auto requests = std::find_if(lines.begin(), lines.end(),
                                       [](const std::string& l) { return l.rfind("requests", 0) == 0; });
    ASSERT_NE(requests, lines.end());
    EXPECT_NE(requests->find(" - "), std::string::npos) << *requests;
    // Money in £m with two decimals: target's cumulative deficit (metric 15)
    // is 1e6 + 15e4 + r + 0.25 y, median in 2023 1150004.5 -> 1.15.
    const std::size_t target_at = table.find("== target ==");
    const std::size_t row_at = table.find("cumulative_deficit (£m)", target_at);
    ASSERT_NE(row_at, std::string::npos);
    const std::string row = table.substr(row_at, table.find('\n', row_at) - row_at);
    EXPECT_NE(row.find("1.15"), std::string::npos) << row;
    const std::size_t range_at = table.find('\n', row_at) + 1;
    const std::string range = table.substr(range_at, table.find('\n', range_at) - range_at);
    EXPECT_NE(range.find("[1.15, 1.15]"), std::string::npos) << range;
}

TEST_F(SummaryPrint, TableWrapsManyYears) {
    RunInfo info = small_info(5);
    info.years.clear();
    for (int y = 2020; y < 2040; ++y) info.years.push_back(y);
    const std::string table = print(SummaryFormat::table, info);
    for (const auto& line : lines_of(table)) EXPECT_LE(line.size(), 125u) << line;  // £ is two bytes
    EXPECT_NE(table.find("2039"), std::string::npos);
}

TEST_F(SummaryPrint, JsonHasTheDocumentedShape) {
    const std::string text = print(SummaryFormat::json, small_info(10));
    const Json json = parse_json(text);
    ASSERT_TRUE(json.is_object());
    EXPECT_EQ(keys_of(json), (std::vector<std::string>{"variants", "years", "replicates", "seed", "drivers"}));
    const Json& baseline = json["variants"]["baseline"];
    EXPECT_EQ(keys_of(json["variants"]), (std::vector<std::string>{"baseline", "target"}));
    const Json& stock = baseline["total_stock"];
    EXPECT_EQ(keys_of(stock), (std::vector<std::string>{"mean", "p5", "p10", "p25", "p50", "p75", "p90", "p95"}));
    EXPECT_EQ(numbers_of(stock["mean"]), (std::vector<double>{4.5, 4.75, 5, 5.25}));
    EXPECT_EQ(stock["p5"][0].get<double>(), 0.45);
    EXPECT_TRUE(baseline["requests"]["mean"][0].is_null());  // a flow has no value in the base year
    EXPECT_EQ(json["years"], Json({2023, 2024, 2025, 2026}));
    EXPECT_EQ(json["replicates"].get<std::int64_t>(), 10);
    EXPECT_EQ(json["seed"].get<std::uint64_t>(), 18446744073709551557ULL);  // above 2^63: exact, unsigned
    EXPECT_EQ(text.find("nan"), std::string::npos);
    EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace ehcpsim
