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

#include "bad_cases.h"
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

// Every class of user mistake in tests/scenarios/bad_cases.txt, with the message it must give.
TEST(Cli, ValidateReportsEveryBrokenScenario) {
    const testing::ScenarioFiles base = testing::small_scenario_files();
    int cases = 0;
    for (const testing::BadCase& c : testing::read_bad_cases()) {
        TempDir dir;
        testing::write_files(testing::apply_edits(c, base), dir / "");
        const std::string file = dir / testing::small_toml_name;
        const std::string message = c.expected;
        const Result r = run("validate " + file);
        EXPECT_EQ(r.code, 2) << c.name << "\n" << r.output;
        EXPECT_NE(r.output.find(message), std::string::npos) << c.name << ": expected '" << message << "' in\n" << r.output;
        EXPECT_NE(r.output.find("error: invalid scenario"), std::string::npos) << r.output;
        ++cases;
    }
    EXPECT_GE(cases, 20);
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
    std::ofstream(dir / "summary.json") << r.output;
    if (fs::exists("/usr/bin/python3")) {
        const std::string check = "/usr/bin/python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); "
                                  "assert d['replicates']==40 and d['seed']==3 and len(d['years'])>1; "
                                  "v=next(iter(d['variants'].values())); "
                                  "assert all(k in v['cumulative_deficit'] for k in ('mean','p5','p50','p95'))\" " +
                                  (dir / "summary.json");
        EXPECT_EQ(shell(check), 0);
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
    std::ofstream(dir / "dbv.json") << r.output;
    if (fs::exists("/usr/bin/python3")) {
        const std::string check =
            "/usr/bin/python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); "
            "b=d['dbv']['bounds']['lower']; o=b['opportunity']['target']; "
            "assert all(k in o for k in ('mean','p5','p50','p95','deterministic','variance_reduction')); "
            "assert o['variance_reduction'] > 10; "
            "p=d['exceedance']['probability']['lower']; assert len(p)==2 and 0<=p[0]<=p[1]<=1\" " +
            (dir / "dbv.json");
        EXPECT_EQ(shell(check), 0);
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
    std::ofstream(dir / "places.json") << r.output;
    if (fs::exists("/usr/bin/python3")) {
        const std::string check =
            "/usr/bin/python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); s=d['places']['lower']['special']; "
            "assert s['overflow_to']=='independent'; assert len(s['p_shortfall'])==len(d['years']); "
            "assert all(a<=b<=c for a,b,c in zip(s['needed']['p50'],s['needed']['p80'],s['needed']['p95']))\" " +
            (dir / "places.json");
        EXPECT_EQ(shell(check), 0);
    }
    r = run("summary " + out + " --scap");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.rfind("variant,year,phase,mean,p50,p80,p95", 0), 0u) << r.output.substr(0, 200);
    EXPECT_EQ(run("summary " + out + " --scap --format json").code, 2);
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
