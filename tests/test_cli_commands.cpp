// The command line end to end: the real binary, its exit codes and messages.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bad_cases.h"
#include "json_test_support.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::small_scenario;
using testing::source_path;

using Result = testing::CommandResult;
using testing::TempDir;

Result run(const std::string& arguments) { return testing::run_ehcpsim(arguments); }
int shell(const std::string& command) { return testing::run_shell(command).code; }

TEST(Cli, HelpListsCommandsAndExitCodes) {
    const Result r = run("--help");
    EXPECT_EQ(r.code, 0);
    for (const char* word : {"run", "summary", "validate", "example", "Exit codes"})
        EXPECT_NE(r.output.find(word), std::string::npos) << word;
    EXPECT_EQ(run("run --help").code, 0);
    EXPECT_EQ(run("summary --help").code, 0);
}

TEST(Cli, VersionPrintsTheVersion) {
    const Result r = run("--version");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.output.find("ehcpsim "), std::string::npos);
}

TEST(Cli, WrongFlagIsAUsageError) {
    const Result r = run("run --no-such-flag");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("no-such-flag"), std::string::npos);
    EXPECT_EQ(run("").code, 2);  // a subcommand is required
    EXPECT_EQ(run("run -n 0").code, 2);
    EXPECT_EQ(run("run --format yaml").code, 2);
}

TEST(Cli, MissingScenarioFileIsAUsageError) {
    const Result r = run("validate /nonexistent/scenario.toml");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("/nonexistent/scenario.toml"), std::string::npos);
    EXPECT_EQ(run("run /nonexistent/scenario.toml").code, 2);
}

TEST(Cli, ValidateAcceptsTheSmallAndDefaultScenarios) {
    Result r = run("validate " + small_scenario());
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("valid scenario"), std::string::npos);
    r = run("validate");
    EXPECT_EQ(r.code, 0) << r.output;
}

// A broken scenario through the binary: exit 2 and the message naming the
// file, key and line. Every case of tests/scenarios/bad_cases.txt is
// validated in process by app.AppValidate.ReportsEveryBrokenScenario.
TEST(Cli, ValidateReportsABrokenScenario) {
    const testing::ScenarioFiles base = testing::small_scenario_files();
    const std::vector<testing::BadCase> cases = testing::read_bad_cases();
    ASSERT_FALSE(cases.empty());
    for (const testing::BadCase* c : {&cases.front(), &cases.back()}) {
        TempDir dir;
        testing::write_files(testing::apply_edits(*c, base), dir / "");
        const Result r = run("validate " + (dir / testing::small_toml_name));
        EXPECT_EQ(r.code, 2) << c->name << "\n" << r.output;
        EXPECT_NE(r.output.find(c->expected), std::string::npos)
            << c->name << ": expected '" << c->expected << "' in\n" << r.output;
        EXPECT_NE(r.output.find("error: invalid scenario"), std::string::npos) << r.output;
    }
}

TEST(Cli, RunWritesAFileAndSummaryReadsIt) {
    TempDir dir;
    const std::string out = dir / "small.h5";
    Result r = run("run " + small_scenario() + " -n 40 --seed 3 -q -o " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(fs::exists(out));
    EXPECT_NE(r.output.find("cumulative_deficit"), std::string::npos) << r.output;
    r = run("summary " + out + " --format json");
    ASSERT_EQ(r.code, 0) << r.output;
    {
        const json_testing::Json d = json_testing::parse_json(r.output);
        EXPECT_EQ(d["replicates"], 40);
        EXPECT_EQ(d["seed"], 3);
        EXPECT_GT(d["years"].size(), 1u);
        const auto& v = d["variants"].front();
        for (const char* k : {"mean", "p5", "p50", "p95"}) EXPECT_TRUE(v["cumulative_deficit"].contains(k)) << k;
    }
    r = run("summary " + out + " --format csv");
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.output.rfind("variant,metric,year,mean,p5,p10,p25,p50,p75,p90,p95", 0), 0u) << r.output.substr(0, 200);
}

TEST(Cli, ExistingOutputIsNotOverwrittenUnlessAsked) {
    TempDir dir;
    const std::string out = dir / "keep.h5";
    std::ofstream(out) << "precious";
    Result r = run("run " + small_scenario() + " -n 5 -q -o " + out);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("exists"), std::string::npos) << r.output;
    std::ifstream in(out);
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");
    r = run("run " + small_scenario() + " -n 5 -q --overwrite -o " + out);
    EXPECT_EQ(r.code, 0) << r.output;
}

TEST(Cli, SummaryOfAMissingOrForeignFileIsARuntimeError) {
    TempDir dir;
    EXPECT_EQ(run("summary " + (dir / "none.h5")).code, 3);
    std::ofstream(dir / "text.h5") << "not hdf5";
    const Result r = run("summary " + (dir / "text.h5"));
    EXPECT_EQ(r.code, 3);
    EXPECT_NE(r.output.find("text.h5"), std::string::npos) << r.output;
}

TEST(Cli, DeterministicModePrintsOneLine) {
    const Result r = run("run " + small_scenario() + " --deterministic -q --format csv");
    ASSERT_EQ(r.code, 0) << r.output;
    // With one replicate every quantile equals the mean.
    std::istringstream lines(r.output);
    std::string line;
    std::getline(lines, line);
    int rows = 0;
    while (std::getline(lines, line)) {
        if (line.find(",total_stock,") == std::string::npos) continue;
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string field;
        while (std::getline(ss, field, ',')) fields.push_back(field);
        ASSERT_EQ(fields.size(), 11u);
        for (int i = 4; i < 11; ++i) EXPECT_EQ(fields[i], fields[3]) << line;
        ++rows;
    }
    EXPECT_GT(rows, 0);
}

TEST(Cli, DbvHeadlineAndExceedanceFromTheSummary) {
    TempDir dir;
    const std::string out = dir / "dbv.h5";
    ASSERT_EQ(run("run " + small_scenario() + " -n 200 -q -o " + out).code, 0);
    Result r = run("summary " + out + " --dbv");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("DBV headline"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Range (stretch - target)"), std::string::npos) << r.output;
    r = run("summary " + out + " --format json --exceed 8m --exceed 500k");
    ASSERT_EQ(r.code, 0) << r.output;
    {
        const json_testing::Json d = json_testing::parse_json(r.output);
        const auto& o = d["dbv"]["bounds"]["lower"]["opportunity"]["target"];
        for (const char* k : {"mean", "p5", "p50", "p95", "deterministic", "variance_reduction"})
            EXPECT_TRUE(o.contains(k)) << k;
        EXPECT_GT(o["variance_reduction"].get<double>(), 10.0);
        const auto& p = d["exceedance"]["probability"]["lower"];  // P(> 8m) <= P(> 500k)
        ASSERT_EQ(p.size(), 2u);
        EXPECT_LE(0.0, p[0].get<double>());
        EXPECT_LE(p[0].get<double>(), p[1].get<double>());
        EXPECT_LE(p[1].get<double>(), 1.0);
    }
    r = run("summary " + out + " --exceed 30x");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("30x"), std::string::npos) << r.output;
}

TEST(Cli, NoCrnRecordsItselfAndChangesOnlyTheMitigatedVariants) {
    if (shell("command -v h5dump >/dev/null 2>&1") != 0) GTEST_SKIP() << "h5dump (hdf5-tools) not installed";
    TempDir dir;
    ASSERT_EQ(run("run " + small_scenario() + " -n 20 -q --no-crn -o " + (dir / "ind.h5")).code, 0);
    EXPECT_EQ(shell("h5dump -a /common_random_numbers " + (dir / "ind.h5") + " | grep -q '(0): 0'"), 0);
    ASSERT_EQ(run("run " + small_scenario() + " -n 20 -q -o " + (dir / "crn.h5")).code, 0);
    EXPECT_EQ(shell("h5dump -a /common_random_numbers " + (dir / "crn.h5") + " | grep -q '(0): 1'"), 0);
}

TEST(Cli, PlacePlanningAndScapExport) {
    TempDir dir;
    const std::string out = dir / "places.h5";
    ASSERT_EQ(run("run " + small_scenario() + " -n 300 -q --variants lower -o " + out).code, 0);
    Result r = run("summary " + out + " --places");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("special"), std::string::npos) << r.output;
    r = run("summary " + out + " --format json");
    ASSERT_EQ(r.code, 0);
    {
        const json_testing::Json d = json_testing::parse_json(r.output);
        const auto& s = d["places"]["lower"]["special"];
        EXPECT_EQ(s["overflow_to"], "independent");
        EXPECT_EQ(s["p_shortfall"].size(), d["years"].size());
        const auto& needed = s["needed"];
        ASSERT_EQ(needed["p50"].size(), d["years"].size());
        for (std::size_t y = 0; y < needed["p50"].size(); ++y) {
            if (needed["p50"][y].is_null()) continue;
            EXPECT_LE(needed["p50"][y].get<double>(), needed["p80"][y].get<double>()) << y;
            EXPECT_LE(needed["p80"][y].get<double>(), needed["p95"][y].get<double>()) << y;
        }
    }
    r = run("summary " + out + " --scap");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.rfind("variant,year,phase,mean,p50,p80,p95", 0), 0u) << r.output.substr(0, 200);
    EXPECT_EQ(run("summary " + out + " --scap --format json").code, 2);
}

// The plan tables (summary --dsg-plan, --scap-return) from a run with
// --plan-detail, and their usage errors (exit 2).
TEST(Cli, DsgPlanAndScapReturn) {
    TempDir dir;
    const std::string out = dir / "detail.h5";
    ASSERT_EQ(run("run " + small_scenario() + " -n 20 -q --plan-detail --variants lower -o " + out).code, 0);
    Result r = run("summary " + out + " --dsg-plan --band 50 --format csv");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.rfind("table,label_1,label_2,column,value\n", 0), 0u) << r.output.substr(0, 200);
    EXPECT_NE(r.output.find(",Cumulative position,P25,"), std::string::npos);
    EXPECT_NE(r.output.find("Children and young people with an EHCP: lower, January 2024"), std::string::npos);
    r = run("summary " + out + " --scap-return");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("Independent special"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("The forecast ends in"), std::string::npos) << r.output;  // horizon 5: secondary short
    for (const std::string& flags : {std::string("--dsg-plan --band 100"), std::string("--band 50"),
                                     std::string("--dsg-plan --dbv"), std::string("--dsg-plan --scap-return"),
                                     std::string("--scap-return --band 80")}) {
        r = run("summary " + out + " " + flags);
        EXPECT_EQ(r.code, 2) << flags << ": " << r.output;
    }
}

TEST(Cli, UnwritableTargetIsAClearRuntimeError) {
    // /proc is read-only even for root, so this fails whoever runs the tests.
    const Result r = run("run " + small_scenario() + " -n 5 -q -o /proc/ehcpsim-test.h5");
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("/proc/ehcpsim-test.h5"), std::string::npos) << r.output;
}

TEST(Cli, ExampleWritesAScenarioThatValidates) {
    TempDir dir;
    Result r = run("example --dir " + (dir / "halton"));
    ASSERT_EQ(r.code, 0) << r.output;
    r = run("validate " + (dir / "halton/halton.toml"));
    EXPECT_EQ(r.code, 0) << r.output;
    r = run("example");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.output.find("[scenario]"), std::string::npos);
    EXPECT_EQ(run("example --dir " + (dir / "halton")).code, 3);  // will not overwrite
}

}  // namespace
}  // namespace ehcpsim
