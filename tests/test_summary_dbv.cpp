// Ambition levels, the expected-value projection in the file, the DBV
// headline and table, exceedance probabilities and amounts on the command line.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "ehcpsim/summary.h"
#include "json_test_support.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;
using namespace json_testing;

class Dbv : public ScratchDir {};

std::string printed(const Summary& summary, SummaryFormat format, bool dbv = false) {
    std::ostringstream out;
    print_summary(summary, format, out, PrintOptions{dbv});
    return out.str();
}

// ---------------------------------------------------------------------------
// The file.

TEST_F(Dbv, LevelsCompareToAndCrnRoundTrip) {
    RunInfo info = dbv_info();
    info.common_random_numbers = false;
    write_dbv(path("run.h5"), info, false);
    const ResultReader reader(path("run.h5"));
    EXPECT_EQ(reader.info().levels, info.levels);
    EXPECT_EQ(reader.info().compare_to, info.compare_to);
    EXPECT_FALSE(reader.info().common_random_numbers);
}

TEST_F(Dbv, WriterRefusesBadLevels) {
    RunInfo info = dbv_info();
    info.levels = {"none", "target"};  // not one per variant
    EXPECT_THROW(ResultWriter(path("a.h5"), info, false), std::invalid_argument);
    info = dbv_info();
    info.levels[1] = "ambitious";
    EXPECT_THROW(ResultWriter(path("b.h5"), info, false), std::invalid_argument);
    info = dbv_info();
    info.compare_to = {""};
    EXPECT_THROW(ResultWriter(path("c.h5"), info, false), std::invalid_argument);
    EXPECT_TRUE(listing().empty());
}

// A file from before levels existed: no level, compare_to or
// common_random_numbers attributes. Every variant reads as unmitigated.
TEST_F(Dbv, FileWithoutLevelAttributesReadsAsUnmitigated) {
    write_dbv(path("run.h5"), dbv_info(), false);
    {
        const hid_t file = H5Fopen(path("run.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(file, 0);
        EXPECT_GE(H5Adelete(file, "common_random_numbers"), 0);
        for (const auto& variant : dbv_info().variants) {
            const std::string group = "variants/" + variant;
            EXPECT_GE(H5Adelete_by_name(file, group.c_str(), "level", H5P_DEFAULT), 0);
            EXPECT_GE(H5Adelete_by_name(file, group.c_str(), "compare_to", H5P_DEFAULT), 0);
        }
        H5Fclose(file);
    }
    const ResultReader reader(path("run.h5"));
    EXPECT_EQ(reader.info().levels, std::vector<std::string>(5, "none"));
    EXPECT_EQ(reader.info().compare_to, std::vector<std::string>(5, ""));
    EXPECT_TRUE(reader.info().common_random_numbers);
    const Summary summary = summarise(reader);
    EXPECT_FALSE(has_levels(summary.info));
    EXPECT_TRUE(summary.dbv.bounds.empty());
    EXPECT_EQ(printed(summary, SummaryFormat::json).find("\"dbv\""), std::string::npos);
}

TEST_F(Dbv, ExpectedDatasetsRoundTrip) {
    const RunInfo info = dbv_info();
    write_dbv(path("run.h5"), info, true);
    const ResultReader reader(path("run.h5"));
    const ResultBlock expected = dbv_expected(info);
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        for (int m = 0; m < metric_count; ++m) {
            const auto& name = metric_catalogue()[static_cast<std::size_t>(m)].name;
            const auto got = reader.read_expected(info.variants[v], MetricId(m));
            const auto& want = expected.variants[v].metrics[static_cast<std::size_t>(m)];
            ASSERT_EQ(got.size(), want.size()) << name;
            for (std::size_t i = 0; i < got.size(); ++i) {
                EXPECT_TRUE(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])))
                    << info.variants[v] << "/" << name << "[" << i << "]";
            }
        }
    }
    // The ensemble itself is untouched by them.
    EXPECT_EQ(reader.read_metric("stretch", m_cumulative_deficit).back(), 33.0);
    EXPECT_THROW(reader.read_expected("nope", m_spend), RuntimeError);
    EXPECT_THROW(reader.read_expected("target", MetricId(metric_count)), std::invalid_argument);
}

TEST_F(Dbv, FileWithoutExpectedDatasetsReadsEmpty) {
    write_dbv(path("run.h5"), dbv_info(), false);
    const ResultReader reader(path("run.h5"));
    EXPECT_TRUE(reader.read_expected("baseline", m_spend).empty());
    EXPECT_TRUE(reader.read_expected("upper_target", m_stock_by_placement).empty());
}

TEST_F(Dbv, WriteExpectedRefusesMisfits) {
    const RunInfo info = dbv_info();
    {
        ResultWriter writer(path("a.h5"), info, false);
        EXPECT_THROW(writer.write_expected(synthetic_block(info, 0, 2)), std::invalid_argument);
        EXPECT_THROW(writer.write_expected(synthetic_block(info, 1, 1)), std::invalid_argument);
        ResultBlock short_block = synthetic_block(info, 0, 1);
        short_block.variants[2].metrics[m_spend].pop_back();
        EXPECT_THROW(writer.write_expected(short_block), std::invalid_argument);
        writer.write_expected(dbv_expected(info));  // nothing was written by the refusals
        EXPECT_THROW(writer.write_expected(dbv_expected(info)), std::logic_error);
        writer.write(dbv_block(info));
        writer.finish();
        EXPECT_THROW(writer.write_expected(dbv_expected(info)), std::logic_error);
    }
    EXPECT_EQ(ResultReader(path("a.h5")).read_expected("stretch", m_cumulative_deficit).back(), 19.5);
}

TEST_F(Dbv, ExpectedMayComeAfterTheBlocksAndTheBytesStayReproducible) {
    const RunInfo info = dbv_info();
    for (const char* name : {"a.h5", "b.h5"}) {
        ResultWriter writer(path(name), info, false);
        writer.write(dbv_block(info));
        writer.write_expected(dbv_expected(info));
        writer.finish();
    }
    EXPECT_EQ(read_file(path("a.h5")), read_file(path("b.h5")));
    EXPECT_EQ(ResultReader(path("a.h5")).read_expected("baseline", m_cumulative_deficit).back(), 25.0);
}

// ---------------------------------------------------------------------------
// The statistics, against hand-computed values.

TEST(CompareDeficits, HandComputed) {
    // A - B = {2, 3, 4, 5}: mean 3.5; type 7: p5 = 2 + 0.15, p95 = 4 + 0.85.
    // var(A) = 500/3, var(B) = 405/3, var(A - B) = 5/3: factor (500 + 405) / 5 = 181.
    const Opportunity o = compare_deficits({10, 20, 30, 40}, {8, 17, 26, 35});
    EXPECT_DOUBLE_EQ(o.statistics.mean, 3.5);
    EXPECT_DOUBLE_EQ(o.statistics.p5, 2.15);
    EXPECT_DOUBLE_EQ(o.statistics.p50, 3.5);
    EXPECT_DOUBLE_EQ(o.statistics.p95, 4.85);
    EXPECT_DOUBLE_EQ(o.variance_reduction, 181.0);
    EXPECT_TRUE(std::isnan(o.deterministic));  // the caller fills it

    // Independent-looking noise: A - B varies as much as A and B together.
    // A = {1, 2, 3, 4}, B = {4, 3, 2, 1}: var A = var B = 5/3, var(A - B) = 20/3.
    EXPECT_DOUBLE_EQ(compare_deficits({1, 2, 3, 4}, {4, 3, 2, 1}).variance_reduction, 0.5);

    // A constant difference: var(A - B) = 0, no factor.
    EXPECT_TRUE(std::isnan(compare_deficits({100, 110, 120, 130}, {90, 100, 110, 120}).variance_reduction));
    // One replicate: statistics, no variances.
    const Opportunity one = compare_deficits({5}, {3});
    EXPECT_EQ(one.statistics.p5, 2.0);
    EXPECT_EQ(one.statistics.mean, 2.0);
    EXPECT_TRUE(std::isnan(one.variance_reduction));
    // NaN replicates are left out in pairs.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const Opportunity holes = compare_deficits({10, nan, 20, 30, 40}, {8, 1, 17, nan, 26});
    EXPECT_DOUBLE_EQ(holes.statistics.mean, (2.0 + 3.0 + 14.0) / 3.0);
    EXPECT_TRUE(std::isnan(compare_deficits({}, {}).statistics.mean));
}

TEST_F(Dbv, HeadlinePerBoundWithRange) {
    const RunInfo info = dbv_info();
    write_dbv(path("run.h5"), info, true);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_TRUE(has_levels(summary.info));
    const DbvSummary& dbv = summary.dbv;
    EXPECT_EQ(dbv.horizon_year, 2026);
    EXPECT_TRUE(dbv.unmatched.empty());
    ASSERT_EQ(dbv.bounds.size(), 2u);

    const DbvBound& lower = dbv.bounds[0];
    EXPECT_EQ(lower.unmitigated, "baseline");
    ASSERT_EQ(lower.opportunities.size(), 2u);
    const Opportunity& target = lower.opportunities[0];
    EXPECT_EQ(target.variant, "target");
    EXPECT_EQ(target.compare_to, "baseline");
    EXPECT_EQ(target.level, AmbitionLevel::target);
    EXPECT_FALSE(target.range);
    EXPECT_DOUBLE_EQ(target.statistics.mean, 3.5);
    EXPECT_DOUBLE_EQ(target.statistics.p5, 2.15);
    EXPECT_DOUBLE_EQ(target.statistics.p50, 3.5);
    EXPECT_DOUBLE_EQ(target.statistics.p95, 4.85);
    EXPECT_DOUBLE_EQ(target.deterministic, 25.0 - 21.0);
    EXPECT_DOUBLE_EQ(target.variance_reduction, 181.0);

    // baseline - stretch = {3, 5, 6, 7}: var 8.75/3; var(stretch) = 378.75/3.
    const Opportunity& stretch = lower.opportunities[1];
    EXPECT_EQ(stretch.variant, "stretch");
    EXPECT_EQ(stretch.level, AmbitionLevel::stretch);
    EXPECT_DOUBLE_EQ(stretch.statistics.mean, 5.25);
    EXPECT_DOUBLE_EQ(stretch.statistics.p5, 3.3);
    EXPECT_DOUBLE_EQ(stretch.statistics.p50, 5.5);
    EXPECT_DOUBLE_EQ(stretch.statistics.p95, 6.85);
    EXPECT_DOUBLE_EQ(stretch.deterministic, 5.5);
    EXPECT_DOUBLE_EQ(stretch.variance_reduction, (500.0 + 378.75) / 8.75);

    // Range = stretch minus target opportunity = target - stretch deficits
    // = {1, 2, 2, 2}: var 0.75/3; factor (405 + 378.75) / 0.75 = 1045.
    ASSERT_TRUE(lower.range.has_value());
    EXPECT_EQ(lower.range->variant, "stretch");
    EXPECT_EQ(lower.range->compare_to, "target");
    EXPECT_TRUE(lower.range->range);
    EXPECT_EQ(lower.range->level, AmbitionLevel::stretch);  // the stretch variant against the target one
    EXPECT_DOUBLE_EQ(lower.range->statistics.mean, 1.75);
    EXPECT_DOUBLE_EQ(lower.range->statistics.p5, 1.15);
    EXPECT_DOUBLE_EQ(lower.range->statistics.p50, 2.0);
    EXPECT_DOUBLE_EQ(lower.range->statistics.p95, 2.0);
    EXPECT_DOUBLE_EQ(lower.range->deterministic, 1.5);
    EXPECT_DOUBLE_EQ(lower.range->variance_reduction, 1045.0);
    // Replicate by replicate, the range is the difference of the opportunities.
    for (std::size_t r = 0; r < 4; ++r) {
        const auto& d = dbv_horizon_deficit();
        EXPECT_EQ((d[0][r] - d[2][r]) - (d[0][r] - d[1][r]), d[1][r] - d[2][r]);
    }

    const DbvBound& upper = dbv.bounds[1];
    EXPECT_EQ(upper.unmitigated, "upper");
    ASSERT_EQ(upper.opportunities.size(), 1u);
    EXPECT_EQ(upper.opportunities[0].variant, "upper_target");
    EXPECT_EQ(upper.opportunities[0].statistics.p50, 10.0);
    EXPECT_DOUBLE_EQ(upper.opportunities[0].deterministic, 10.0);
    EXPECT_TRUE(std::isnan(upper.opportunities[0].variance_reduction));  // var(A - B) = 0
    EXPECT_FALSE(upper.range.has_value());  // no stretch variant
}

TEST_F(Dbv, MitigatedVariantWithoutItsComparatorIsUnmatched) {
    RunInfo info = dbv_info();
    info.compare_to[4] = "unmitigated_upper";  // not in the file (a --variants subset)
    write_dbv(path("run.h5"), info, true);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_EQ(summary.dbv.unmatched, std::vector<std::string>{"upper_target"});
    ASSERT_EQ(summary.dbv.bounds.size(), 1u);
    EXPECT_EQ(summary.dbv.bounds[0].unmitigated, "baseline");
    const std::string table = printed(summary, SummaryFormat::table, true);
    EXPECT_NE(table.find("upper_target (ambition level target) is compared with 'unmitigated_upper', which is not in "
                         "this file: no opportunity. Run it with its comparison variant (--variants "
                         "upper_target,unmitigated_upper)."),
              std::string::npos)
        << table;
    EXPECT_EQ(table.find("No variant has an ambition level"), std::string::npos);
}

// A file holding only a mitigated variant (ehcpsim run --variants
// target_lower): it has an ambition level; what is missing is the variant it
// is compared with. The table used to say "No variant has an ambition level".
TEST_F(Dbv, OnlyAMitigatedVariantNamesItsMissingComparator) {
    RunInfo info = dbv_info();
    info.variants = {"target_lower"};
    info.levels = {"target"};
    info.compare_to = {"unmitigated_lower"};
    info.parameter_names = {{}};
    write_dbv(path("run.h5"), info, true);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_TRUE(summary.dbv.bounds.empty());
    EXPECT_EQ(summary.dbv.unmatched, std::vector<std::string>{"target_lower"});
    const std::string table = printed(summary, SummaryFormat::table, true);
    EXPECT_EQ(table.find("No variant has an ambition level"), std::string::npos) << table;
    EXPECT_NE(table.find("target_lower (ambition level target) is compared with 'unmitigated_lower', which is not in "
                         "this file"),
              std::string::npos)
        << table;
}

TEST_F(Dbv, TableSeriesAreTheQuantilesAndTheExpectedValues) {
    const RunInfo info = dbv_info();
    write_dbv(path("run.h5"), info, true);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    ASSERT_EQ(summary.dbv.table.size(), 5u);
    const DbvTableEntry& stretch = summary.dbv.table[2];
    EXPECT_EQ(stretch.variant, "stretch");
    EXPECT_EQ(stretch.level, AmbitionLevel::stretch);
    EXPECT_EQ(stretch.compare_to, "baseline");
    // spend of variant 2: 2e6 + 11e4 + r + 0.25 y over r = 0..3.
    for (std::size_t y = 0; y < 4; ++y) {
        const double base = 2e6 + 11e4 + 0.25 * static_cast<double>(y);
        EXPECT_DOUBLE_EQ(stretch.spend.p50[y], base + 1.5);
        EXPECT_DOUBLE_EQ(stretch.spend.p5[y], base + 0.15);
        EXPECT_DOUBLE_EQ(stretch.spend.p95[y], base + 2.85);
        EXPECT_DOUBLE_EQ(stretch.spend.deterministic[y], base + 1000.5);
    }
    EXPECT_DOUBLE_EQ(stretch.cumulative_deficit.p50[3], 19.5);  // {7, 15, 24, 33}
    EXPECT_EQ(stretch.cumulative_deficit.deterministic[3], 19.5);
}

TEST_F(Dbv, WithoutExpectedDatasetsTheDeterministicValuesAreMissing) {
    write_dbv(path("run.h5"), dbv_info(), false);
    const Summary summary = summarise(ResultReader(path("run.h5")), SummaryOptions{{25}});
    ASSERT_EQ(summary.dbv.bounds.size(), 2u);
    EXPECT_DOUBLE_EQ(summary.dbv.bounds[0].opportunities[0].statistics.mean, 3.5);
    EXPECT_TRUE(std::isnan(summary.dbv.bounds[0].opportunities[0].deterministic));
    EXPECT_TRUE(std::isnan(summary.dbv.bounds[0].range->deterministic));
    for (double x : summary.dbv.table[0].spend.deterministic) EXPECT_TRUE(std::isnan(x));
    for (const auto format : {SummaryFormat::table, SummaryFormat::json}) {
        for (const bool dbv : {false, true}) EXPECT_FALSE(printed(summary, format, dbv).empty());
    }
    const Json json = parse_json(printed(summary, SummaryFormat::json));
    EXPECT_TRUE(json["dbv"]["bounds"]["baseline"]["opportunity"]["target"]["deterministic"].is_null());
    EXPECT_EQ(json["dbv"]["table"]["baseline"]["spend"]["deterministic"], Json({nullptr, nullptr, nullptr, nullptr}));
    const std::string table = printed(summary, SummaryFormat::table, true);
    const auto lines = lines_of(table);
    const auto deterministic = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.rfind("  deterministic", 0) == 0;
    });
    ASSERT_NE(deterministic, lines.end());
    EXPECT_EQ(deterministic->find_first_not_of(" -", std::string("  deterministic").size()), std::string::npos)
        << *deterministic;
}

// ---------------------------------------------------------------------------
// Exceedance.

TEST_F(Dbv, ExceedanceIsTheFractionStrictlyAbove) {
    write_dbv(path("run.h5"), dbv_info(), false);
    const Summary summary = summarise(ResultReader(path("run.h5")), SummaryOptions{{25, 30, -1e9, 40, 115}});
    const Exceedance& e = summary.exceedance;
    EXPECT_EQ(e.year, 2026);
    EXPECT_EQ(e.thresholds, (std::vector<double>{25, 30, -1e9, 40, 115}));
    ASSERT_EQ(e.probability.size(), 5u);
    EXPECT_EQ(e.probability[0], (std::vector<double>{0.5, 0.25, 1.0, 0.0, 0.0}));  // {10, 20, 30, 40}
    EXPECT_EQ(e.probability[2], (std::vector<double>{0.25, 0.25, 1.0, 0.0, 0.0}));  // {7, 15, 24, 33}
    EXPECT_EQ(e.probability[3], (std::vector<double>{1.0, 1.0, 1.0, 1.0, 0.5}));    // {100, ..., 130}

    EXPECT_TRUE(summarise(ResultReader(path("run.h5"))).exceedance.thresholds.empty());
}

TEST_F(Dbv, ExceedanceLeavesNaNOut) {
    const RunInfo info = small_info(4);
    ResultBlock block = synthetic_block(info, 0, 4);
    auto& deficit = block.variants[0].metrics[m_cumulative_deficit];
    const double values[] = {1, std::numeric_limits<double>::quiet_NaN(), 3, 4};
    for (std::size_t r = 0; r < 4; ++r) deficit[r * 4 + 3] = values[r];
    for (double& x : block.variants[1].metrics[m_cumulative_deficit]) x = std::numeric_limits<double>::quiet_NaN();
    {
        ResultWriter writer(path("run.h5"), info, false);
        writer.write(block);
        writer.finish();
    }
    const Summary summary = summarise(ResultReader(path("run.h5")), SummaryOptions{{2}});
    EXPECT_DOUBLE_EQ(summary.exceedance.probability[0][0], 2.0 / 3.0);
    EXPECT_TRUE(std::isnan(summary.exceedance.probability[1][0]));
    const Json json = parse_json(printed(summary, SummaryFormat::json));
    EXPECT_EQ(json["exceedance"]["probability"]["target"], Json::array({nullptr}));
    EXPECT_EQ(json["exceedance"]["probability"]["baseline"][0].get<double>(), 2.0 / 3.0);
}

// ---------------------------------------------------------------------------
// Printing.

TEST_F(Dbv, TableShowsHeadlineAndDbvRows) {
    write_dbv(path("run.h5"), dbv_info(), true);
    const Summary summary = summarise(ResultReader(path("run.h5")), SummaryOptions{{30e6, 500e3}});
    const std::string table = printed(summary, SummaryFormat::table, true);
    for (const auto& line : lines_of(table)) {
        std::size_t width = 0;
        for (char c : line) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        EXPECT_LE(width, 120u) << line;
    }
    for (const char* text : {"DBV headline", "Bound: baseline", "Bound: upper", "Range (stretch - target)",
                             "Unmitigated Expenditure", "Unmitigated Cumulative Deficit", "Target Expenditure",
                             "Stretch Expenditure", "Target Cumulative Deficit", "Stretch Cumulative Deficit",
                             "5-95%", "deterministic", "> £30m", "> £500k"}) {
        EXPECT_NE(table.find(text), std::string::npos) << text;
    }
    // In the DBV template's order: unmitigated rows, then expenditures, then deficits.
    const std::size_t at = table.find("DBV table: baseline");
    ASSERT_NE(at, std::string::npos);
    const std::size_t rows[] = {table.find("Unmitigated Expenditure", at), table.find("Unmitigated Cumulative Deficit", at),
                                table.find("Target Expenditure", at), table.find("Stretch Expenditure", at),
                                table.find("Target Cumulative Deficit", at), table.find("Stretch Cumulative Deficit", at)};
    for (std::size_t i = 1; i < 6; ++i) EXPECT_LT(rows[i - 1], rows[i]) << i;
    // The headline in £m: the opportunities here are a few pounds, 0.00.
    EXPECT_NE(table.find("181.0"), std::string::npos);   // variance reduction of target
    EXPECT_NE(table.find("1045"), std::string::npos);    // of the range
    // The per-variant tables are not repeated in the DBV view.
    EXPECT_EQ(table.find("== baseline =="), std::string::npos);
    // Without --dbv: the usual tables, then exceedance.
    const std::string plain = printed(summary, SummaryFormat::table, false);
    EXPECT_NE(plain.find("== baseline =="), std::string::npos);
    EXPECT_EQ(plain.find("DBV headline"), std::string::npos);
    EXPECT_NE(plain.find("P(cumulative deficit at the end of 2025-26 > X)"), std::string::npos);
}

TEST_F(Dbv, TableNamesVariantsWhenNoneHasALevel) {
    const RunInfo info = small_info(3);
    write_synthetic(path("run.h5"), info, {{0, 3}});
    const std::string table = printed(summarise(ResultReader(path("run.h5"))), SummaryFormat::table, true);
    EXPECT_NE(table.find("No variant has an ambition level"), std::string::npos);
    EXPECT_NE(table.find("baseline Expenditure"), std::string::npos);
    EXPECT_NE(table.find("target Cumulative Deficit"), std::string::npos);
}

TEST_F(Dbv, CsvHeadlineIsLong) {
    write_dbv(path("run.h5"), dbv_info(), true);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const auto lines = lines_of(printed(summary, SummaryFormat::csv, true));
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0], "bound,variant,compare_to,level,mean,p5,p50,p95,deterministic,variance_reduction");
    EXPECT_EQ(lines[1], "baseline,target,baseline,target,3.5,2.15,3.5,4.85,4,181");
    EXPECT_EQ(lines[2].rfind("baseline,stretch,baseline,stretch,5.25,", 0), 0u) << lines[2];
    EXPECT_EQ(lines[3], "baseline,stretch,target,range,1.75,1.15,2,2,1.5,1045");
    EXPECT_EQ(lines[4], "upper,upper_target,upper,target,10,10,10,10,10,");
}

TEST_F(Dbv, CsvExceedanceAndTheConflict) {
    write_dbv(path("run.h5"), dbv_info(), false);
    const Summary summary = summarise(ResultReader(path("run.h5")), SummaryOptions{{30, 2.5e7}});
    const auto lines = lines_of(printed(summary, SummaryFormat::csv));
    ASSERT_EQ(lines.size(), 1u + 5 * 2);
    EXPECT_EQ(lines[0], "variant,year,threshold,probability");
    EXPECT_EQ(lines[1], "baseline,2026,30,0.25");
    EXPECT_EQ(lines[2], "baseline,2026,25000000,0");
    std::ostringstream out;
    EXPECT_THROW(print_summary(summary, SummaryFormat::csv, out, PrintOptions{true}), std::invalid_argument);
}

TEST_F(Dbv, JsonKeepsTheExistingKeysAndAddsDbvAndExceedance) {
    write_dbv(path("run.h5"), dbv_info(), true);
    const Summary summary = summarise(ResultReader(path("run.h5")), SummaryOptions{{30}});
    const std::string text = printed(summary, SummaryFormat::json);
    const Json json = parse_json(text);
    EXPECT_EQ(keys_of(json),
              (std::vector<std::string>{"variants", "years", "replicates", "seed", "dbv", "exceedance", "drivers"}));
    EXPECT_EQ(json["seed"].get<std::uint64_t>(), 18446744073709551557ULL);
    const Json& dbv = json["dbv"];
    EXPECT_EQ(keys_of(dbv), (std::vector<std::string>{"horizon", "common_random_numbers", "bounds", "unmatched", "table"}));
    const Json& lower = dbv["bounds"]["baseline"];
    EXPECT_EQ(lower["opportunity"]["target"],
              Json::parse(R"({"level": "target", "mean": 3.5, "p5": 2.15, "p50": 3.5, "p95": 4.85,
                              "deterministic": 4, "variance_reduction": 181})"))
        << lower.dump(2);
    EXPECT_TRUE(dbv["bounds"]["upper"]["opportunity"]["upper_target"]["variance_reduction"].is_null())
        << dbv.dump(2);
    EXPECT_EQ(lower["range"]["target"], "target");
    EXPECT_EQ(lower["range"]["stretch"], "stretch");
    EXPECT_EQ(lower["range"]["mean"].get<double>(), 1.75);
    EXPECT_TRUE(dbv["bounds"]["upper"]["range"].is_null());  // upper has no stretch
    EXPECT_EQ(json["exceedance"]["year"], 2026);
    EXPECT_EQ(numbers_of(json["exceedance"]["thresholds"]), std::vector<double>{30});
    EXPECT_EQ(json["exceedance"]["probability"]["baseline"][0].get<double>(), 0.25);
    EXPECT_EQ(text.find("nan"), std::string::npos);
    EXPECT_EQ(text.find("inf"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Amounts.

TEST(ParseAmount, SuffixesSignsAndPounds) {
    EXPECT_EQ(parse_amount("30m"), 30e6);
    EXPECT_EQ(parse_amount("30M"), 30e6);
    EXPECT_EQ(parse_amount("500k"), 500e3);
    EXPECT_EQ(parse_amount("1.3m"), 1300000.0);
    EXPECT_EQ(parse_amount("0.1m"), 100000.0);
    EXPECT_EQ(parse_amount("2.5bn"), 2.5e9);
    EXPECT_EQ(parse_amount("2.5B"), 2.5e9);
    EXPECT_EQ(parse_amount("2500000"), 2500000.0);
    EXPECT_EQ(parse_amount("2.5e7"), 2.5e7);
    EXPECT_EQ(parse_amount("1e3k"), 1e6);
    EXPECT_EQ(parse_amount(".5m"), 500000.0);
    EXPECT_EQ(parse_amount("£30m"), 30e6);
    EXPECT_EQ(parse_amount("-£3m"), -3e6);
    EXPECT_EQ(parse_amount("£-3m"), -3e6);
    EXPECT_EQ(parse_amount("+7"), 7.0);
    EXPECT_EQ(parse_amount(" 30m "), 30e6);
    EXPECT_EQ(parse_amount("0"), 0.0);
    for (const char* bad : {"", "m", "30x", "30 m", "30mm", "thirty", "1,000,000", "inf", "nan", "-inf", "--3",
                            "+-3", "1e", "1e400", "£", "0x10", "3m4", "e5", "£-£3"}) {
        EXPECT_FALSE(parse_amount(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace ehcpsim
