// `ehcpsim backtest` in process (app.h): the files it writes and their fixed
// headers, the summary, the refusal of a non-empty output directory, charts
// that cannot be drawn said aloud, and every bad choice an exit code 2 (3
// for an output that cannot be written) with a message naming it. On a small
// synthetic panel (four authorities, years 2030-2037), so each test takes a
// fraction of a second.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "app_test_support.h"
#include "ehcpsim/backtest.h"
#include "ehcpsim/error.h"
#include "panel_text.h"

namespace ehcpsim {
namespace {

using testing::AppOutcome;
using testing::contents;
using testing::run_in_process;
using testing::TempDir;

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// Two synthetic authorities, origins 2033-2034, two years ahead, 50 replicates, no chart.
BacktestRequest small_backtest(const TempDir& dir, const std::string& output = "out") {
    const std::string panel = dir / "synthetic.csv";
    if (!std::filesystem::exists(panel)) std::ofstream(panel) << testing::synthetic_panel_text();
    BacktestRequest request;
    request.panel = panel;
    request.authorities = {"Z00000001", "Z00000002"};
    request.origins = "2033:2034";
    request.horizon = 2;
    request.replicates = 50;
    request.output = dir / output;
    request.quiet = true;
    request.chart = BacktestRequest::Chart::off;
    return request;
}

AppOutcome backtest(const BacktestRequest& request) {
    return run_in_process([&](const Console& console) { return backtest_command(request, console); });
}

TEST(BacktestCommand, WritesTheFixedFilesAndTheSummaryTogether) {
    TempDir dir;
    BacktestRequest request = small_backtest(dir);
    request.quiet = false;
    const AppOutcome outcome = backtest(request);
    ASSERT_EQ(outcome.code, 0) << outcome.err;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "out"))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    std::vector<std::string> expected = calibrate::backtest_files;
    expected.push_back("summary.md");
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(names, expected) << "no temporaries, no chart directory left";
    EXPECT_EQ(first_line(dir / "out/forecasts.csv"),
              "la_code,origin,year,horizon,series,breakdown,mean,p5,p10,p25,p50,p75,p90,p95");
    EXPECT_EQ(first_line(dir / "out/scores.csv"),
              "series,breakdown,horizon,model,n_pairs,mdape,bias,cov50,cov80,cov90,cov_p5_p95,pit_mean,pit_var,crps");
    const std::string summary = contents(dir / "out/summary.md");
    EXPECT_NE(summary.find("## Verdict"), std::string::npos);
    EXPECT_NE(summary.find("**stock (all)**"), std::string::npos);
    EXPECT_NE(summary.find("| 2 | 4 |"), std::string::npos) << "2 authorities x 2 origins at horizon 2";
    EXPECT_NE(summary.find("Not forecast: requests and ceased by placement"), std::string::npos)
        << "says what the engine cannot forecast";
    EXPECT_EQ(summary.find("Not forecast: stock, new_plans and ceased by age band"), std::string::npos)
        << "age bands are forecast";
    EXPECT_NE(outcome.out.find("## Verdict"), std::string::npos) << "the headline is printed";
    EXPECT_NE(contents(dir / "out/forecasts.csv").find("\nZ00000002,2034,2036,2,stock,all,"), std::string::npos);
}

TEST(BacktestCommand, RefusesANonEmptyDirectoryUnlessOverwrite) {
    TempDir dir;
    std::filesystem::create_directories(dir / "out");
    std::ofstream(dir / "out/notes.txt") << "mine\n";
    BacktestRequest request = small_backtest(dir);
    request.benchmarks_only = true;
    const AppOutcome refused = backtest(request);
    EXPECT_EQ(refused.code, exit_usage);
    EXPECT_NE(refused.err.find("not empty"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--overwrite"), std::string::npos) << refused.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out/scores.csv"));
    request.overwrite = true;
    EXPECT_EQ(backtest(request).code, 0);
    EXPECT_EQ(contents(dir / "out/notes.txt"), "mine\n") << "only the backtest's files are replaced";
    EXPECT_EQ(first_line(dir / "out/forecasts.csv"), calibrate::forecasts_header) << "header only: no model";
}

TEST(BacktestCommand, ChartsThatCannotBeDrawnAreSaidNotSkippedSilently) {
    TempDir dir;
    BacktestRequest request = small_backtest(dir);
    request.benchmarks_only = true;
    request.chart = BacktestRequest::Chart::when_possible;
    ::setenv("EHCPSIM_PYTHON", (dir / "no-python").c_str(), 1);
    const AppOutcome noted = backtest(request);
    EXPECT_EQ(noted.code, 0) << noted.err;
    EXPECT_NE(noted.err.find("charts not drawn"), std::string::npos) << noted.err;
    EXPECT_NE(noted.err.find("no-python"), std::string::npos) << noted.err;
    request.chart = BacktestRequest::Chart::required;
    request.output = dir / "out2";
    const AppOutcome failed = backtest(request);
    ::unsetenv("EHCPSIM_PYTHON");
    EXPECT_EQ(failed.code, exit_runtime) << failed.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out2/scores.csv")) << "nothing published when --chart fails";

    // A script that exits 0 without drawing the chart it was given rows for
    // is a failure too, not a chart quietly left out.
    std::filesystem::create_directories(dir / "scripts");
    std::ofstream(dir / "scripts/backtest_chart.py") << "import sys\nsys.exit(0)\n";
    ::setenv("EHCPSIM_SCRIPTS_DIR", (dir / "scripts").c_str(), 1);
    request.output = dir / "out3";
    const AppOutcome undrawn = backtest(request);
    ::unsetenv("EHCPSIM_SCRIPTS_DIR");
    EXPECT_EQ(undrawn.code, exit_runtime) << undrawn.err;
    EXPECT_NE(undrawn.err.find("wrote no backtest_scores.png"), std::string::npos) << undrawn.err;
}

TEST(BacktestCommand, BadChoicesExitTwoNamingThem) {
    TempDir dir;
    std::ofstream(dir / "bad.csv") << "la_code;la_name;year;measure;breakdown;value\n";
    struct Case {
        const char* what;
        void (*change)(BacktestRequest&);
        const char* said;
    };
    const Case cases[] = {
        {"unknown authority", [](BacktestRequest& r) { r.authorities = {"Z00000001", "Q12345678"}; }, "Q12345678"},
        {"origin outside", [](BacktestRequest& r) { r.origins = "2035:2040"; }, "2031 to 2037"},
        {"empty range", [](BacktestRequest& r) { r.origins = "2034:2033"; }, "empty range"},
        {"not a year", [](BacktestRequest& r) { r.origins = "20x3"; }, "20x3"},
        {"horizon 0", [](BacktestRequest& r) { r.horizon = 0; }, "--horizon"},
        {"horizon past the template", [](BacktestRequest& r) { r.horizon = 9; }, "template's horizon"},
        {"replicates 0", [](BacktestRequest& r) { r.replicates = 0; }, "-n"},
        {"pool", [](BacktestRequest& r) { r.pool = "some"; }, "--pool"},
        {"fan authority", [](BacktestRequest& r) { r.fan_authority = "Z00000003"; }, "Z00000003"},
        {"no output", [](BacktestRequest& r) { r.output.clear(); }, "-o DIR"},
    };
    for (const Case& c : cases) {
        BacktestRequest request = small_backtest(dir);
        c.change(request);
        const AppOutcome outcome = backtest(request);
        EXPECT_EQ(outcome.code, exit_usage) << c.what << ": " << outcome.err;
        EXPECT_NE(outcome.err.find(c.said), std::string::npos) << c.what << ": " << outcome.err;
        EXPECT_FALSE(std::filesystem::exists(dir / "out")) << c.what << ": nothing written";
    }
    BacktestRequest request = small_backtest(dir);
    request.panel = dir / "bad.csv";
    const AppOutcome outcome = backtest(request);
    EXPECT_EQ(outcome.code, exit_usage) << outcome.err;
    EXPECT_NE(outcome.err.find("bad.csv"), std::string::npos) << outcome.err;
    EXPECT_NE(outcome.err.find("semicolon"), std::string::npos) << outcome.err;
}

TEST(BacktestCommand, AnOutputThatCannotBeWrittenExitsThree) {
    TempDir dir;
    std::ofstream(dir / "file") << "x\n";
    BacktestRequest request = small_backtest(dir, "file/out");
    request.benchmarks_only = true;
    const AppOutcome outcome = backtest(request);
    EXPECT_EQ(outcome.code, exit_runtime) << outcome.err;
    EXPECT_NE(outcome.err.find("file/out"), std::string::npos) << outcome.err;
}

// The strict cut end to end: the command given a panel file with every row
// dated after the origin deleted (as text) writes the same forecasts.csv as
// given the whole file. Whatever the command, the forecaster or calibrate
// read of the panel, nothing after the origin reaches a forecast. (Only the
// forecasts: the scores need the later rows as outturns.)
TEST(BacktestCommand, ForecastsFromAPanelWithEveryRowAfterTheOriginDeletedAreTheSameBytes) {
    TempDir dir;
    BacktestRequest whole = small_backtest(dir, "whole");
    whole.authorities.clear();  // all four
    whole.origins = "2033";
    ASSERT_EQ(backtest(whole).code, 0);
    std::ofstream(dir / "truncated.csv") << testing::without_rows_after(testing::synthetic_panel_text(), 2033, true);
    BacktestRequest cut = whole;
    cut.panel = dir / "truncated.csv";
    cut.output = dir / "cut";
    ASSERT_EQ(backtest(cut).code, 0);
    EXPECT_EQ(contents(dir / "whole/forecasts.csv"), contents(dir / "cut/forecasts.csv"));
    EXPECT_NE(contents(dir / "cut/forecasts.csv").find("\nZ00000004,2033,2035,2,stock,all,"), std::string::npos);
}

TEST(BacktestCommand, SavedForecastsScoredAgainOnLaterOriginsMatchARunOfThoseOrigins) {
    TempDir dir;
    BacktestRequest both = small_backtest(dir, "both");
    ASSERT_EQ(backtest(both).code, 0);
    BacktestRequest later = small_backtest(dir, "later");
    later.origins = "2034";
    ASSERT_EQ(backtest(later).code, 0);
    BacktestRequest rescored = small_backtest(dir, "rescored");
    rescored.origins = "2034";
    rescored.forecasts_from = dir / "both/forecasts.csv";
    ASSERT_EQ(backtest(rescored).code, 0);
    for (const std::string& name : calibrate::backtest_files)
        EXPECT_EQ(contents(dir / ("later/" + name)), contents(dir / ("rescored/" + name))) << name;
}

}  // namespace
}  // namespace ehcpsim
