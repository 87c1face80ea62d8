// Labels through the file and the summary (docs/output.md, "Labels"), and the
// spend not driven by the stock ("other") that makes spend add up on screen.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class SummaryLabels : public ScratchDir {};

TEST_F(SummaryLabels, LabelsSurviveTheFileAndFallBackToNames) {
    RunInfo info = small_info(6);
    info.variant_labels = {"", "Mitigations at target"};
    info.parameter_labels = {{"Demand growth", "", ""}, {}};
    write_synthetic(path("labelled.h5"), info, {{0, 6}});
    const RunInfo read = ResultReader(path("labelled.h5")).info();
    EXPECT_EQ(read.variant_labels, info.variant_labels);
    EXPECT_EQ(read.parameter_labels, info.parameter_labels);
    EXPECT_EQ(variant_label(read, 0), "baseline");  // none given: the name
    EXPECT_EQ(variant_label(read, 1), "Mitigations at target");
    EXPECT_EQ(parameter_label(read, 0, 0), "Demand growth");
    EXPECT_EQ(parameter_label(read, 0, 1), "cease.rate.primary.mainstream");
    std::ostringstream json;
    print_summary(summarise(ResultReader(path("labelled.h5"))), SummaryFormat::json, json);
    EXPECT_NE(json.str().find(R"("labels": {
    "variants": {
      "target": "Mitigations at target"
    },
    "parameters": {
      "baseline": {
        "demand.growth": "Demand growth")"),
              std::string::npos)
        << json.str();

    // A file without labels (as every file before them): none read, names shown, no "labels" key.
    write_synthetic(path("plain.h5"), small_info(6), {{0, 6}});
    const RunInfo plain = ResultReader(path("plain.h5")).info();
    EXPECT_TRUE(plain.variant_labels.empty());
    EXPECT_TRUE(plain.parameter_labels.empty());
    EXPECT_EQ(variant_label(plain, 1), "target");
    std::ostringstream plain_json;
    print_summary(summarise(ResultReader(path("plain.h5"))), SummaryFormat::json, plain_json);
    EXPECT_EQ(plain_json.str().find("\"labels\""), std::string::npos);
}

// spend = sum of spend_by_placement + other, replicate by replicate, so the
// means add up exactly (to rounding: 1e-9 relative) and the table shows it.
TEST_F(SummaryLabels, OtherSpendIsSpendLessItsPlacementsAndIsShown) {
    const RunInfo info = small_info(9);
    write_synthetic(path("run.h5"), info, {{0, 9}});
    const Summary summary = summarise(ResultReader(path("run.h5")));
    ASSERT_EQ(summary.variants.size(), 2u);
    for (const VariantSummary& variant : summary.variants) {
        ASSERT_EQ(variant.other_spend.mean.size(), info.years.size());
        for (std::size_t y = 0; y < info.years.size(); ++y) {
            double parts = variant.other_spend.mean[y], spend = std::nan("");
            for (const SeriesSummary& series : variant.series) {
                if (series.metric == m_spend_by_placement) parts += series.mean[y];
                if (series.metric == m_spend) spend = series.mean[y];
            }
            EXPECT_NEAR(parts, spend, 1e-9 * std::fabs(spend)) << variant.variant << " year " << info.years[y];
        }
    }
    std::ostringstream table;
    print_summary(summary, SummaryFormat::table, table);
    EXPECT_NE(table.str().find("  other (not driven by the stock)"), std::string::npos) << table.str();
}

// One year convention: the DBV headline and table (money) by financial year,
// the table's columns headed "2022-23", not "2023".
TEST_F(SummaryLabels, TheDbvViewIsByFinancialYear) {
    write_dbv(path("dbv.h5"), dbv_info(), true);
    std::ostringstream text;
    PrintOptions options;
    options.dbv = true;
    print_summary(summarise(ResultReader(path("dbv.h5"))), SummaryFormat::table, text, options);
    EXPECT_NE(text.str().find("cumulative opportunity to 2025-26 (£m)"), std::string::npos) << text.str();
    const std::string table = text.str().substr(text.str().find("DBV table"));
    for (const char* year : {"2022-23", "2023-24", "2024-25", "2025-26"})
        EXPECT_NE(table.find(year), std::string::npos) << year << " in " << table;
    EXPECT_EQ(table.find(" 2023 "), std::string::npos) << table;
}

}  // namespace
}  // namespace ehcpsim
