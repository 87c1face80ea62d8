// Private to src/app: the backtest's charts, drawn by scripts/backtest_chart.py
// under /usr/bin/python3 (matplotlib), found the way `ehcpsim report` finds
// report.py. Not a public header.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ehcpsim/backtest.h"

namespace ehcpsim {

struct ChartOutcome {
    std::vector<std::pair<std::string, std::string>> files;  // (PNG name, bytes), to publish with the rest
    std::string failure;                                       // why none were drawn ("" when they were)
};

// Draws backtest_scores.png (errors and coverage by horizon against the
// benchmarks) and backtest_fan_<CODE>.png (the fans of January stock at each
// origin with the outturns) in a private directory under `output`, reads
// them back and removes the directory. Never throws for a missing Python or
// matplotlib, or a failing script: says why in `failure`.
ChartOutcome draw_backtest_charts(const calibrate::BacktestResult& result, const calibrate::Panel& panel,
                                  const std::string& fan_authority, const std::string& model_name,
                                  const std::filesystem::path& output, const std::string& executable);

}  // namespace ehcpsim
