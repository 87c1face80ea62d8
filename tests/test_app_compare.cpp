// `ehcpsim compare OLD NEW` (issue 16, item 5) in process, on runs of the
// small scenario: a run against itself, two runs one key apart, two keys
// apart (parts and remainder add up), different seeds, a file that is not
// an ensemble.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "app_test_support.h"
#include "ehcpsim/compare.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::AppOutcome;
using testing::run_request;
using testing::TempDir;

// The small scenario copied into `name` under dir, with `from` replaced by `to` in its TOML.
std::string edited_scenario(const TempDir& dir, const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& edits) {
    const fs::path into = fs::path(dir / name);
    fs::create_directories(into);
    const fs::path from = fs::path(testing::small_scenario()).parent_path();
    for (const auto& entry : fs::directory_iterator(from)) fs::copy(entry.path(), into / entry.path().filename());
    std::string text = testing::contents((into / "small.toml").string());
    for (const auto& [old_text, new_text] : edits) {
        const std::size_t at = text.find(old_text);
        EXPECT_NE(at, std::string::npos) << old_text;
        text.replace(at, old_text.size(), new_text);
    }
    std::ofstream((into / "small.toml").string(), std::ios::trunc) << text;
    return (into / "small.toml").string();
}

std::string run_of(const TempDir& dir, const std::string& scenario, const std::string& output, std::uint64_t seed = 5) {
    RunRequest request = testing::small_run(dir / output, 30, seed);
    request.scenario = scenario;
    request.variants = {"lower", "target"};
    const AppOutcome r = run_request(request);
    EXPECT_EQ(r.code, 0) << r.err;
    return request.output;
}

CompareRequest compare(const std::string& a, const std::string& b) {
    CompareRequest request;
    request.old_file = a;
    request.new_file = b;
    request.threads = 2;
    return request;
}

TEST(AppCompare, ARunAgainstItselfReportsNoChange) {
    TempDir dir;
    const std::string file = run_of(dir, testing::small_scenario(), "a.h5");
    const CompareReport report = compare_runs(compare(file, file));
    EXPECT_TRUE(report.keys.empty());
    EXPECT_TRUE(report.settings.empty());
    EXPECT_TRUE(report.attributed);
    ASSERT_EQ(report.figures.size(), 6u);  // two variants x three figures
    for (const FigureChange& c : report.figures) {
        if (std::isnan(c.old_value)) continue;  // no opportunity for the unmitigated variant
        EXPECT_EQ(c.change, 0.0) << c.variant << " " << c.figure;
        EXPECT_EQ(c.remainder, 0.0);
        EXPECT_TRUE(c.parts.empty());
    }
}

TEST(AppCompare, TwoRunsOneKeyApartGiveTheWholeChangeToThatKey) {
    TempDir dir;
    const std::string a = run_of(dir, testing::small_scenario(), "a.h5");
    const std::string b = run_of(dir, edited_scenario(dir, "b", {{"shock_sd = 0.01", "shock_sd = 0.03"}}), "b.h5");
    const CompareReport report = compare_runs(compare(a, b));
    ASSERT_EQ(report.keys.size(), 1u);
    EXPECT_EQ(report.keys[0].key, "demand.shock_sd");
    EXPECT_TRUE(report.attributed);
    EXPECT_TRUE(report.old_reproduced);
    bool moved = false;
    for (const FigureChange& c : report.figures) {
        if (std::isnan(c.old_value)) continue;
        ASSERT_EQ(c.parts.size(), 1u);
        // OLD with the key as in NEW is NEW's scenario: the re-run gives
        // NEW's figures bit for bit, so the part is the change itself.
        EXPECT_EQ(c.parts[0], c.change) << c.variant << " " << c.figure;
        EXPECT_EQ(c.remainder, 0.0) << c.variant << " " << c.figure;
        moved = moved || c.change != 0.0;
    }
    EXPECT_TRUE(moved);
}

TEST(AppCompare, PartsAndRemainderAddUpToTheChangeAndTheTableListsTheKeys) {
    TempDir dir;
    const std::string a = run_of(dir, testing::small_scenario(), "a.h5");
    const std::string b = run_of(
        dir, edited_scenario(dir, "b", {{"shock_sd = 0.01", "shock_sd = 0.03"}, {"lag = 0.1", "lag = 0.3"}}), "b.h5");
    const CompareReport report = compare_runs(compare(a, b));
    ASSERT_EQ(report.keys.size(), 2u);
    for (const FigureChange& c : report.figures) {
        if (std::isnan(c.old_value)) continue;
        ASSERT_EQ(c.parts.size(), 2u);
        // remainder = change - (part1 + part2), so the sum is the change to
        // the rounding of two additions of figures of ~1e6 (a few ulps).
        EXPECT_NEAR(c.parts[0] + c.parts[1] + c.remainder, c.change, 1e-9 * std::abs(c.old_value))
            << c.variant << " " << c.figure;
    }
    const AppOutcome printed = testing::run_in_process([&](const Console& console) {
        return compare_command(compare(a, b), console);
    });
    ASSERT_EQ(printed.code, 0) << printed.err;
    EXPECT_NE(printed.out.find("[1] demand.lag: 0.1 -> 0.3"), std::string::npos) << printed.out;
    EXPECT_NE(printed.out.find("[2] demand.shock_sd: 0.01 -> 0.03"), std::string::npos) << printed.out;
    EXPECT_NE(printed.out.find("remainder"), std::string::npos) << printed.out;
}

TEST(AppCompare, DifferentSeedsAreNotSplitAndAFileThatIsNotAnEnsembleIsARuntimeError) {
    TempDir dir;
    const std::string a = run_of(dir, testing::small_scenario(), "a.h5", 5);
    const std::string b = run_of(dir, testing::small_scenario(), "b.h5", 6);
    const CompareReport report = compare_runs(compare(a, b));
    EXPECT_FALSE(report.attributed);
    EXPECT_NE(report.not_attributed.find("different seeds (5 and 6)"), std::string::npos) << report.not_attributed;
    EXPECT_EQ(report.settings, std::vector<std::string>{"seed 5 -> 6"});
    const std::string text = dir / "not.h5";
    std::ofstream(text) << "not HDF5\n";
    const AppOutcome r = testing::run_in_process([&](const Console& console) {
        return compare_command(compare(a, text), console);
    });
    EXPECT_EQ(r.code, 3);
    EXPECT_NE(r.err.find(text + ": not an ehcpsim ensemble file"), std::string::npos) << r.err;
}

TEST(AppCompare, AStoredScenarioTheEngineCannotLoadIsNotSplitButStillCompared) {
    TempDir dir;
    // Synthetic files (output_test_support.h) store a scenario that is only a fragment.
    RunInfo info = output_testing::small_info(4);
    const std::string a = dir / "a.h5", b = dir / "b.h5";
    output_testing::write_synthetic(a, info, {{0, 4}});
    info.sources.front().text += "extra = 1\n";
    output_testing::write_synthetic(b, info, {{0, 4}});
    const CompareReport report = compare_runs(compare(a, b));
    EXPECT_EQ(report.keys.size(), 1u);
    EXPECT_FALSE(report.attributed);
    EXPECT_NE(report.not_attributed.find("OLD's stored scenario cannot be re-run by this engine"), std::string::npos)
        << report.not_attributed;
    for (const FigureChange& c : report.figures) {
        if (!std::isnan(c.old_value)) {
            EXPECT_EQ(c.change, 0.0);
        }
    }
}

}  // namespace
}  // namespace ehcpsim
