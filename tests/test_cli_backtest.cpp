// `ehcpsim backtest` through the real binary: the flags of CALIBRATION.md
// section 5 (--authorities CODE,CODE, --origins FIRST:LAST, --horizon, -n,
// -o), the charts drawn by backtest_chart.py under /usr/bin/python3, and a
// usage error's exit code. On the small synthetic panel (tests/panel_text.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "panel_text.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::TempDir;

TEST(CliBacktest, TheContractsCommandLineWritesFilesAndCharts) {
    TempDir dir;
    std::ofstream(dir / "synthetic.csv") << testing::synthetic_panel_text();
    const testing::CommandResult result = testing::run_ehcpsim(
        "backtest --panel " + dir / "synthetic.csv" + " --authorities Z00000001,Z00000002 --origins 2033:2034 "
        "--horizon 2 -n 20 --chart -o " + dir / "out");
    ASSERT_EQ(result.code, 0) << result.output;
    EXPECT_NE(result.output.find("## Verdict"), std::string::npos) << result.output;
    for (const char* name : {"forecasts.csv", "scores.csv", "summary.md", "backtest_scores.png",
                             "backtest_fan_Z00000001.png"})
        EXPECT_TRUE(std::filesystem::exists(dir / (std::string("out/") + name))) << name;
    // A PNG, not an error page: the signature and some size.
    std::ifstream png(dir / "out/backtest_scores.png", std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
    EXPECT_GT(std::filesystem::file_size(dir / "out/backtest_fan_Z00000001.png"), 10000u);
}

TEST(CliBacktest, AnEmptyRangeOfOriginsIsAUsageError) {
    TempDir dir;
    std::ofstream(dir / "synthetic.csv") << testing::synthetic_panel_text();
    const testing::CommandResult result =
        testing::run_ehcpsim("backtest --panel " + dir / "synthetic.csv" + " --origins 2034:2033 -o " + dir / "out");
    EXPECT_EQ(result.code, 2) << result.output;
    EXPECT_NE(result.output.find("--origins 2034:2033 is an empty range"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace ehcpsim
