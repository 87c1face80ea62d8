// The command line's checks on what it is given (issue 12, items 9, 10 and
// 11): refused before anything runs, with a message that says why.
#include <gtest/gtest.h>
#include <unistd.h>

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
using testing::TempDir;
using Result = testing::CommandResult;

Result run(const std::string& arguments) { return testing::run_ehcpsim(arguments); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A copy of the small scenario in a directory of its own.
struct SmallCopy {
    TempDir dir;
    SmallCopy() {
        for (const char* name : {"small.toml", "stock.csv", "population.csv"})
            fs::copy_file(source_path(std::string("tests/scenarios/small/") + name), dir / name);
    }
    std::string toml() const { return dir / "small.toml"; }
};

TEST(CliInputs, OutputNamingTheScenarioOrACsvIsRefusedBeforeTheRun) {
    const SmallCopy copy;
    const std::string before = read(copy.toml());
    // --overwrite used to replace the scenario with the HDF5 file.
    Result r = run("run " + copy.toml() + " -n 2 -q --overwrite -o " + copy.toml());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "is the scenario file this run reads")) << r.output;
    EXPECT_EQ(read(copy.toml()), before);
    // Another spelling and a symbolic link of the same file are the same file.
    fs::create_symlink(copy.dir / "stock.csv", copy.dir / "link.csv");
    const std::string stock = read(copy.dir / "stock.csv");
    for (const std::string& name : {copy.dir / "./stock.csv", copy.dir / "link.csv"}) {
        r = run("run " + copy.toml() + " -n 2 -q --overwrite --no-checkpoint -o " + name);
        EXPECT_EQ(r.code, 2) << r.output;
        EXPECT_TRUE(contains(r.output, "is the CSV file")) << r.output;
        EXPECT_EQ(read(copy.dir / "stock.csv"), stock);
    }
}

TEST(CliInputs, OutputNamingADirectoryIsRefusedBeforeTheRun) {
    const SmallCopy copy;
    fs::create_directory(copy.dir / "out");
    const Result r = run("run " + copy.toml() + " -n 2000 -o " + (copy.dir / "out"));
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "is a directory: give the name of the HDF5 file")) << r.output;
    EXPECT_FALSE(contains(r.output, "replicate(s) x")) << "the run went ahead: " << r.output;
}

TEST(CliInputs, SeedsOutsideTheScenarioRangeAreErrorsNotClamped) {
    for (const char* seed : {"-1", "9223372036854775808", "18446744073709551616", "12x"}) {
        const Result r = run("run " + small_scenario() + " -n 2 -q --seed " + seed);
        EXPECT_EQ(r.code, 2) << seed << ": " << r.output;
        EXPECT_TRUE(contains(r.output, "expected a whole number in 0..9223372036854775807")) << r.output;
    }
    const Result top = run("run " + small_scenario() + " -n 2 -q --seed 9223372036854775807 --format csv");
    EXPECT_EQ(top.code, 0) << top.output;
}

TEST(CliInputs, AShardWithNoReplicateIsRefused) {
    TempDir dir;
    // Shards of 2 replicates over 3: shard 1 would be empty (floor(k R / N) boundaries).
    const Result r = run("run " + small_scenario() + " -n 2 -q --shard 1/3 -o " + (dir / "s1.h5"));
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "shard 1/3 would hold no replicate: the run has 2 replicate(s)")) << r.output;
    EXPECT_FALSE(fs::exists(dir / "s1.h5"));
}

TEST(CliInputs, DeterministicWithReplicatesIsRefused) {
    const Result r = run("run " + small_scenario() + " --deterministic -n 50 -q");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "--deterministic computes one expected-value projection: -n/--replicates does "
                                   "not apply"))
        << r.output;
}

TEST(CliInputs, AMisspeltCommandIsNamedWithTheList) {
    const Result r = run("simulate " + small_scenario());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "unknown command 'simulate'; the commands are: run, summary, merge, validate, "
                                   "example, report"))
        << r.output;
}

// `compare` (issue 16, item 5): the README's exit codes from the binary.
TEST(CliInputs, CompareExitCodes) {
    Result r = run("compare only_one.h5");
    EXPECT_EQ(r.code, 2) << r.output;  // a usage error: NEW is required
    r = run("compare missing_old.h5 missing_new.h5");
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_TRUE(contains(r.output, "missing_old.h5: no such file")) << r.output;
    r = run("compare a.h5 b.h5 --format json");
    EXPECT_EQ(r.code, 2) << r.output;
}

TEST(CliInputs, AnUnreadableFileSaysWhy) {
    const SmallCopy copy;
    Result r = run("validate " + copy.dir / "nothing.toml");
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "nothing.toml: there is no such file")) << r.output;
    r = run("validate " + (copy.dir / "."));
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "it is a directory, not a file")) << r.output;
    // A CSV that is a directory, and one that is missing.
    std::string toml = read(copy.toml());
    toml.replace(toml.find("stock = \"stock.csv\""), 19, "stock = \"tables\"");
    toml.replace(toml.find("population = \"population.csv\""), 29, "population = \"none/pop.csv\"");
    fs::create_directory(copy.dir / "tables");
    std::ofstream(copy.dir / "broken.toml") << toml;
    r = run("validate " + (copy.dir / "broken.toml"));
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "data.stock: cannot read the file 'tables'")) << r.output;
    EXPECT_TRUE(contains(r.output, "it is a directory, not a file")) << r.output;
    EXPECT_TRUE(contains(r.output, "there is no such file (its directory")) << r.output;
    if (geteuid() != 0) {  // root reads whatever the permissions say
        fs::permissions(copy.dir / "stock.csv", fs::perms::none);
        r = run("validate " + copy.toml());
        EXPECT_TRUE(contains(r.output, "Permission denied")) << r.output;
    }
}

TEST(CliInputs, ErrorListsAreCappedAtTwentyWithACount) {
    const SmallCopy copy;
    std::ofstream stock(copy.dir / "stock.csv");
    stock << "age,need,placement,count\n";
    for (int i = 0; i < 30; ++i) stock << "1,NOPE,mainstream,1\n";
    stock.close();
    const Result r = run("validate " + copy.toml());
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "invalid scenario (30 problems)")) << r.output;
    EXPECT_TRUE(contains(r.output, "... and 10 more problem(s) not shown")) << r.output;
    EXPECT_TRUE(contains(r.output, "stock.csv:21:3")) << r.output;
    EXPECT_FALSE(contains(r.output, "stock.csv:22:3")) << r.output;
}

TEST(CliInputs, AnXlsxGivenAsACsvIsNamedNotEchoed) {
    TempDir dir;
    for (const testing::BadCase& c : testing::read_bad_cases())
        if (c.name == "csv_xlsx") testing::write_files(testing::apply_edits(c, testing::small_scenario_files()), dir / "");
    const Result r = run("validate " + (dir / testing::small_toml_name));
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.output, "csv/stock.xlsx: this file is a zip archive")) << r.output;
    EXPECT_FALSE(contains(r.output, "PK")) << r.output;
}

TEST(CliInputs, WarningsArePrintedAndTheRunGoesOn) {
    const SmallCopy copy;
    std::string toml = read(copy.toml());
    toml.replace(toml.find("mainstream = 8000"), 17, "mainstream = 80");
    std::ofstream(copy.toml()) << toml;
    Result r = run("validate " + copy.toml());
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "warning: ")) << r.output;
    EXPECT_TRUE(contains(r.output, "money.unit_cost.mainstream: a unit cost of GBP 80 a year per plan is under "
                                   "GBP 1,000"))
        << r.output;
    r = run("run " + copy.toml() + " -n 2 -q --format csv");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "warning: ")) << r.output;
}

// Per-pupil work counts in the size estimate, not just cells and the base
// stock: 1e11 transfers in a year pass validation (below 2^40) and would take
// months; the old estimate (cells, base stock) let it start. `timeout` keeps
// the old behaviour from hanging the test.
TEST(CliInputs, PerPupilWorkIsCaughtByTheSizeEstimate) {
    const SmallCopy copy;
    std::string toml = read(copy.toml());
    const std::string rate = "rate = { 2024 = 5, 2026 = { dist = \"lognormal\", mean = 6, sd = 1.5 } }";
    ASSERT_NE(toml.find(rate), std::string::npos);
    toml.replace(toml.find(rate), rate.size(), "rate = 1e11");
    std::ofstream(copy.toml()) << toml;
    const Result r = testing::run_shell("timeout -s KILL 30 " + std::string(EHCPSIM_BINARY) + " run " + copy.toml() +
                                        " -q -o " + (copy.dir / "out.h5"));
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "days")) << r.output;
    EXPECT_TRUE(contains(r.output, "Add --force")) << r.output;
    EXPECT_FALSE(fs::exists(copy.dir / "out.h5"));
}

// At the magnitude limits (unit cost GBP 1e12, inflation 10 a year, funding
// growth 10) every figure is still finite: money never reaches inf or NaN,
// which used to print as `inf` in a summary. Just past a limit is an error
// naming the key (the overflow_* cases of tests/scenarios/bad_cases.txt).
TEST(CliInputs, MoneyAtTheLimitsStaysFinite) {
    const SmallCopy copy;
    std::string toml = read(copy.toml());
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"mainstream = 8000", "mainstream = 1e12"},
             {"default = 0.03\n", "default = 10\n"},
         }) {
        ASSERT_NE(toml.find(from), std::string::npos) << from;
        toml.replace(toml.find(from), from.size(), to);
    }
    std::ofstream(copy.toml()) << toml;
    const Result r = run("run " + copy.toml() + " --deterministic -q --format csv");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "warning: ")) << r.output;
    EXPECT_TRUE(contains(r.output, "spend")) << r.output;
    for (const char* bad : {",inf", ",-inf", ",nan", ",-nan"}) EXPECT_FALSE(contains(r.output, bad)) << r.output;
}

}  // namespace
}  // namespace ehcpsim
