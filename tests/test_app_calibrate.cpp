// `ehcpsim calibrate` in process: the files it writes for Halton at origin
// 2024 from the shipped panel and the embedded template, a scenario that
// `validate` accepts and `run` runs, the report in both formats, and the
// mistakes it refuses with their exit codes (these from an excerpt of the
// panel: Halton and its statistical neighbours).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app_test_support.h"
#include "ehcpsim/calibrate.h"
#include "ehcpsim/output.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::AppOutcome;
using testing::run_in_process;
using testing::read_text_file;
using testing::TempDir;

AppOutcome calibrate(const CalibrateRequest& request) {
    return run_in_process([&](const Console& console) { return calibrate_command(request, console); });
}

CalibrateRequest halton(const TempDir& dir, const std::string& panel = "") {
    CalibrateRequest request;
    request.panel = panel;
    request.authority = "E06000006";
    request.origin = 2024;
    request.output = dir / "halton.toml";
    request.report = dir / "fit.md";
    return request;
}

// The shipped panel's rows of Halton and its statistical neighbours (13,000
// of 171,000), written into `dir`, for the tests of what the command does
// with files, templates and refusals: reading the whole panel would take
// four fifths of each calibration (WritesAScenarioThatValidatesAndRuns
// calibrates from the shipped panel itself).
std::string halton_and_neighbours_panel(const TempDir& dir) {
    const std::string shipped = testing::source_path("data/sen2_la/panel.csv");
    std::vector<std::string> codes =
        calibrate::read_statistical_neighbours(testing::source_path("data/sen2_la/stat_neighbours.csv"), "E06000006");
    codes.push_back("E06000006");
    std::istringstream in(read_text_file(shipped));
    std::ostringstream out;
    std::string line;
    std::getline(in, line);
    out << line << "\n";
    while (std::getline(in, line))
        for (const std::string& code : codes)
            if (line.rfind(code + ",", 0) == 0) out << line << "\n";
    const std::string path = dir / "halton_and_neighbours.csv";
    std::ofstream(path, std::ios::binary) << out.str();
    return path;
}

TEST(AppCalibrate, WritesAScenarioThatValidatesAndRuns) {
    TempDir dir;
    const CalibrateRequest request = halton(dir);
    const AppOutcome r = calibrate(request);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("base stock 1524 plans (January 2024 census 1524)"), std::string::npos) << r.out;
    for (const char* name : {"halton.toml", "halton_stock.csv", "halton_population.csv", "fit.md"})
        EXPECT_TRUE(fs::exists(dir / std::string(name))) << name;
    EXPECT_NE(read_text_file(dir / "fit.md").find("# Fit report: Halton (E06000006), origin 2024"), std::string::npos);

    const AppOutcome valid = run_in_process([&](const Console& c) { return validate_command(request.output, c); });
    ASSERT_EQ(valid.code, 0) << valid.err;
    EXPECT_NE(valid.out.find("years 2024-2029"), std::string::npos) << valid.out;
    EXPECT_NE(valid.out.find("1524 plans in the base year"), std::string::npos) << valid.out;

    RunRequest run;
    run.scenario = request.output;
    run.replicates = 20;
    run.seed = 3;
    run.threads = 1;
    run.quiet = true;
    run.output = dir / "run.h5";
    const AppOutcome ran = testing::run_request(run);
    ASSERT_EQ(ran.code, 0) << ran.err;
    EXPECT_EQ(ResultReader(run.output).info().replicates, 20);
}

TEST(AppCalibrate, WritesTheReportAsJsonAndRefusesToReplaceFiles) {
    TempDir dir;
    CalibrateRequest request = halton(dir);
    request.panel = halton_and_neighbours_panel(dir);
    request.report = dir / "fit.json";
    ASSERT_EQ(calibrate(request).code, 0);
    EXPECT_EQ(read_text_file(dir / "fit.json").rfind("{", 0), 0u);
    const std::string before = read_text_file(dir / "halton.toml");
    const AppOutcome again = calibrate(request);
    EXPECT_EQ(again.code, 2);
    EXPECT_NE(again.err.find("exists: give --overwrite"), std::string::npos) << again.err;
    request.overwrite = true;
    EXPECT_EQ(calibrate(request).code, 0);
    EXPECT_EQ(read_text_file(dir / "halton.toml"), before);  // the same inputs, the same bytes
}

TEST(AppCalibrate, RefusesAnUnknownAuthorityAnOriginOutsideThePanelAndABadTemplate) {
    TempDir dir;
    const std::string panel = halton_and_neighbours_panel(dir);
    CalibrateRequest request = halton(dir, panel);
    request.authority = "E99999999";
    AppOutcome r = calibrate(request);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("authority 'E99999999' is not in the panel"), std::string::npos) << r.err;

    request = halton(dir, panel);
    request.origin = 2031;
    r = calibrate(request);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("origin 2031 is outside the years the panel allows for E06000006"), std::string::npos)
        << r.err;

    request = halton(dir, panel);
    request.scenario_template = dir / "missing.toml";
    r = calibrate(request);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("missing.toml"), std::string::npos) << r.err;

    const std::string broken = dir / "broken.toml";
    std::ofstream(broken) << "[scenario]\nname = \"x\"\nbase_year = 2023\nhorizon = \n";
    request.scenario_template = broken;
    r = calibrate(request);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("broken.toml"), std::string::npos) << r.err;

    request = halton(dir, panel);
    request.panel = dir / "no_panel.csv";
    r = calibrate(request);
    EXPECT_EQ(r.code, 2);  // a missing input file is a usage error, as for `run`'s scenario
    EXPECT_NE(r.err.find("no_panel.csv"), std::string::npos) << r.err;

    request = halton(dir, panel);
    request.pool = "nearby";
    r = calibrate(request);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--pool 'nearby' is not all or neighbours"), std::string::npos) << r.err;

    request = halton(dir, panel);
    request.report = dir / "fit.txt";
    r = calibrate(request);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("must end in .md"), std::string::npos) << r.err;
    // Nothing was written by a refused calibration.
    EXPECT_FALSE(fs::exists(dir / "halton.toml"));
}

TEST(AppCalibrate, PoolsTowardsStatisticalNeighbours) {
    TempDir dir;
    CalibrateRequest request = halton(dir);
    request.panel = halton_and_neighbours_panel(dir);
    request.pool = "neighbours";
    const AppOutcome r = calibrate(request);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(read_text_file(dir / "fit.md").find("Pooling group: statistical neighbours"), std::string::npos);
}

// A template from disk: the small test scenario (other placements, other
// phases) is calibrated for Halton and runs.
TEST(AppCalibrate, TakesATemplateFromDisk) {
    TempDir dir;
    CalibrateRequest request = halton(dir);
    request.panel = halton_and_neighbours_panel(dir);
    request.scenario_template = testing::small_scenario();
    const AppOutcome r = calibrate(request);
    ASSERT_EQ(r.code, 0) << r.err;
    const AppOutcome valid = run_in_process([&](const Console& c) { return validate_command(request.output, c); });
    EXPECT_EQ(valid.code, 0) << valid.err;
}

}  // namespace
}  // namespace ehcpsim
