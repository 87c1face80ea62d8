// `run --lever-worth` and `summary --levers` (issue 16, item 3) in process:
// the subsets stored, the shares adding up to the variant's opportunity on
// the printed table, a variant that differs from its comparison in more than
// its levers, and the flags the run refuses.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "app_test_support.h"
#include "ehcpsim/output.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::AppOutcome;
using testing::run_request;
using testing::TempDir;

AppOutcome summary(const SummaryRequest& request) {
    return testing::run_in_process([&](const Console& console) { return summary_command(request, console); });
}

SummaryRequest levers_csv(const std::string& file) {
    SummaryRequest request;
    request.file = file;
    request.levers = true;
    request.format = SummaryFormat::csv;
    return request;
}

// The small scenario copied into dir, with a variant that extends "upper"
// (faster growth) at level target but is compared with "lower": its
// opportunity is its levers' worth plus the difference of growth.
std::string small_with_other(const fs::path& dir) {
    const fs::path from = fs::path(testing::small_scenario()).parent_path();
    for (const auto& entry : fs::directory_iterator(from)) fs::copy(entry.path(), dir / entry.path().filename());
    std::ofstream(dir / "small.toml", std::ios::app) << "\n[variants.upper_target]\nextends = \"upper\"\nlevel = "
                                                        "\"target\"\ncompare_to = \"lower\"\n";
    return (dir / "small.toml").string();
}

// variant -> (lever, measure, units) -> mean, from the CSV.
std::map<std::string, std::map<std::string, double>> means_of(const std::string& csv) {
    std::map<std::string, std::map<std::string, double>> means;
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "variant,compare_to,lever,measure,units,mean,p10,p50,p90");
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream fields(line);
        for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
        means[f[0]][f[2] + "/" + f[3] + "/" + f[4]] = std::stod(f[5]);
    }
    return means;
}

TEST(AppLeverWorth, SharesAndTheOtherDifferenceAddUpToTheOpportunity) {
    TempDir dir;
    RunRequest request = testing::small_run(dir / "worth.h5", 30);
    request.scenario = small_with_other(fs::path(dir / "x").parent_path());
    request.variants = {"lower", "upper", "target", "upper_target"};
    request.lever_worth = true;
    const AppOutcome run = run_request(request);
    ASSERT_EQ(run.code, 0) << run.err;
    const AppOutcome printed = summary(levers_csv(request.output));
    ASSERT_EQ(printed.code, 0) << printed.err;
    const auto means = means_of(printed.out);
    ASSERT_EQ(means.size(), 2u) << printed.out;
    for (const auto& [variant, rows] : means) {
        double shares = 0.0, percent = 0.0;
        for (const auto& [key, mean] : rows) {
            if (key.find("/share/GBP") != std::string::npos) shares += mean;
            if (key.find("/share/percent") != std::string::npos) percent += mean;
        }
        const double opportunity = rows.at("/opportunity/GBP");
        EXPECT_NE(opportunity, 0.0);  // (negative here: the small scenario's levers cost more than they save)
        // The CSV's numbers round-trip exactly; the means of shares add up
        // to the mean opportunity to the rounding of a few sums of ~1e6.
        EXPECT_NEAR(shares, opportunity, 1e-6 * std::abs(opportunity)) << variant;
        EXPECT_NEAR(percent, 100.0, 1e-9) << variant;
        // Only the variant that differs from "lower" in its growth has an (other) row.
        EXPECT_EQ(rows.count("(other)/share/GBP"), variant == "upper_target" ? 1u : 0u) << variant;
    }
    EXPECT_LT(means.at("upper_target").at("(other)/share/GBP"), 0.0);  // faster growth: a larger deficit
}

TEST(AppLeverWorth, WithoutTheFlagTheFileHasNoneAndSummarySaysSo) {
    TempDir dir;
    const RunRequest request = testing::small_run(dir / "plain.h5", 10);
    ASSERT_EQ(run_request(request).code, 0);
    EXPECT_TRUE(ResultReader(request.output).read_lever_subsets().empty());
    SummaryRequest table = levers_csv(request.output);
    table.format = SummaryFormat::table;
    const AppOutcome printed = summary(table);
    EXPECT_EQ(printed.code, 0);
    EXPECT_NE(printed.out.find("run with --lever-worth"), std::string::npos) << printed.out;
}

TEST(AppLeverWorth, RefusesFlagsItCannotMeasureUnder) {
    TempDir dir;
    for (const char* flag : {"--no-crn", "--deterministic", "--shard"}) {
        RunRequest request = testing::small_run(dir / "x.h5", 10);
        request.lever_worth = true;
        if (std::string(flag) == "--no-crn") request.no_crn = true;
        if (std::string(flag) == "--deterministic") {
            request.deterministic = true;
            request.replicates = 0;
        }
        if (std::string(flag) == "--shard") request.shard = "1/2";
        const AppOutcome r = run_request(request);
        EXPECT_EQ(r.code, 2) << flag << ": " << r.err;
        EXPECT_NE(r.err.find("--lever-worth"), std::string::npos) << flag << ": " << r.err;
        EXPECT_FALSE(fs::exists(request.output)) << flag;
    }
}

TEST(AppLeverWorth, LeversWithOtherViewsIsAUsageError) {
    SummaryRequest request = levers_csv("missing.h5");
    request.dbv = true;
    const AppOutcome r = summary(request);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--levers"), std::string::npos) << r.err;
}

// `summary --target` and `--by-year` (issue 16, item 4) at the command's
// level: a bad target is a usage error naming the file and the target.
TEST(AppSummaryTargets, UsageErrorsExitTwoAndATargetPrints) {
    TempDir dir;
    const RunRequest request = testing::small_run(dir / "plain.h5", 10);
    ASSERT_EQ(run_request(request).code, 0);
    SummaryRequest bad;
    bad.file = request.output;
    bad.targets = {"cumulative_deficit:2099<=1m"};
    AppOutcome r = summary(bad);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find(request.output + ": --target 'cumulative_deficit:2099<=1m': the file has no year 2099"),
              std::string::npos)
        << r.err;
    SummaryRequest by_year;
    by_year.file = request.output;
    by_year.by_year = true;
    r = summary(by_year);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--by-year goes with --exceed"), std::string::npos) << r.err;
    SummaryRequest good;
    good.file = request.output;
    good.targets = {"share_mainstream:2027>=0.45"};
    r = summary(good);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("share_mainstream:2027>=0.45  lower"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ehcpsim
