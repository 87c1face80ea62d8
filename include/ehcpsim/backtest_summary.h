// The readable summary of a backtest (summary.md): for each scored series
// and horizon, the model's median error, the coverage of its P5-P95 and
// P25-P75 bands and its PIT variance beside each benchmark's median error and
// how often the model beat it; then, in plain words, whether it beats the
// benchmarks and whether its bands are honest against the targets of issue
// 14 (P5-P95 coverage 0.85-0.95, PIT variance 0.07-0.10). A pure function of
// the result: docs/backtest.md is the reader's guide to it.
#pragma once

#include <string>
#include <vector>

#include "ehcpsim/backtest.h"

namespace ehcpsim::calibrate {

// The targets the summary judges the bands against.
inline constexpr double coverage_target_lo = 0.85, coverage_target_hi = 0.95;
inline constexpr double pit_var_target_lo = 0.07, pit_var_target_hi = 0.10;

struct BacktestSummaryText {
    std::string markdown;  // the whole of summary.md
    std::string headline;  // the verdicts and the tables of the `all` series (printed by the command)
};

// `run_lines`: what was run (panel, authorities, origins, R, seed, template,
// time), one line each, written under the title; `notes` after the tables
// (what the forecaster could not give, units skipped).
BacktestSummaryText backtest_summary(const BacktestResult& result, const std::string& model_name,
                                     const std::vector<std::string>& run_lines,
                                     const std::vector<std::string>& notes);

}  // namespace ehcpsim::calibrate
