// The backtest: for every authority and every origin Y of a range, cut the
// panel at Y, ask a forecaster for Y+1 .. Y+H, compute the benchmarks from
// the same cut data, pair every forecast with what was then published, and
// score. Writes forecasts.csv and scores.csv exactly as CALIBRATION.md
// section 4 fixes them, plus files of the project's own (docs/backtest.md).
// The forecaster only ever sees the cut panel.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ehcpsim/benchmarks.h"
#include "ehcpsim/forecast_scores.h"
#include "ehcpsim/panel.h"

namespace ehcpsim::calibrate {

// One forecast of one series for one year, as quantiles at forecast_levels.
struct QuantileForecast {
    std::string series;     // measure: stock, new_plans, requests, ceased
    std::string breakdown;  // all, placement:<group>, age:<lo>-<hi>
    int year = 0;           // must be target_year(series, origin, horizon)
    int horizon = 0;        // 1 .. H
    double mean = 0;
    Quantiles quantiles{};  // non-decreasing
};

// A forecaster: the panel cut at `origin` (it holds every authority, for
// pooling), the authority, the origin and the horizon H -> its forecasts.
// It may forecast any series; those the backtest scores are listed by
// backtest_series(). It is called once per (origin, authority), origins in
// ascending order; it must be a function of its arguments (the backtest's
// files are then a function of the panel and the options).
using Forecaster = std::function<std::vector<QuantileForecast>(const Panel& cut, const std::string& la_code,
                                                               int origin, int horizon)>;

struct BacktestProgress {
    std::size_t done = 0;   // (origin, authority) units finished
    std::size_t total = 0;
    int origin = 0;
    std::string la_code;    // the unit just finished
};
using BacktestProgressFn = std::function<void(const BacktestProgress&)>;

// Runs body(i) for every i in [0, n), in any order and on any threads (the
// app hands in oneTBB's parallel_for); the backtest knows no threads itself.
using ParallelFor = std::function<void(std::size_t n, const std::function<void(std::size_t)>& body)>;

struct BacktestOptions {
    std::vector<std::string> authorities;  // empty: every authority of the panel
    int first_origin = 0;                  // the origins Y: the last census used
    int last_origin = 0;
    int horizon = 5;                       // H: forecasts for Y+1 .. Y+H
    SeriesChoice series;                   // what is scored
    std::string model_name = "ehcpsim";    // `model` of the forecaster's rows in scores.csv
    // When set, the forecaster is called for the authorities of one origin
    // through it (so it must be safe to call concurrently), and progress is
    // reported as each finishes, from whichever thread ran it (calls do not
    // overlap). The files are the same as without it: answers are kept in
    // authority order. Empty: one authority after another.
    ParallelFor parallel_for;
};

// The origins a panel allows for stocks: from the second census year (the
// first at which persistence is defined) to the second-last (the last with
// an outturn to score).
std::optional<std::pair<int, int>> default_origins(const Panel& panel);

// One row of scores.csv (pooled over authorities and origins) or of
// scores_by_authority.csv (la_code set).
struct ScoreRow {
    std::string la_code;  // empty in the pooled rows
    SeriesKey key;
    int horizon = 0;
    std::string model;    // model_name or a benchmark's name
    Scores scores;
};

// One row of wins.csv: how often `model` beat `benchmark` on the same pairs.
struct WinRow {
    SeriesKey key;
    int horizon = 0;
    std::string model;
    std::string benchmark;
    std::size_t n_pairs = 0;
    double share_won = 0;
};

// One benchmark forecast with its outturn (when published).
struct BenchmarkForecast {
    std::string la_code;
    int origin = 0;
    SeriesKey key;
    int year = 0;
    int horizon = 0;
    std::string model;
    double forecast = 0;
    std::optional<double> outturn;
};

struct BacktestResult {
    std::vector<std::string> authorities;
    int first_origin = 0;
    int last_origin = 0;
    int horizon = 0;
    bool has_model = false;  // a forecaster was given
    std::vector<std::pair<std::pair<std::string, int>, QuantileForecast>> forecasts;  // ((la, origin), forecast)
    std::vector<BenchmarkForecast> benchmarks;
    std::vector<ScoreRow> scores;              // pooled
    std::vector<ScoreRow> scores_by_authority;
    std::vector<WinRow> wins;
};

// Runs the backtest in memory. `forecaster` may be empty: the benchmarks
// alone are then scored (and forecasts.csv has its header only). Throws
// ScenarioError for options the panel cannot serve (an unknown authority,
// an empty origin range, H < 1) and RuntimeError for a forecaster's
// malformed answer (a wrong year, decreasing quantiles, a repeat).
//
// Pairs: a (authority, origin, series, horizon) is scored when its outturn
// is published and > 0 and every model (the forecaster if given, and each
// benchmark) has a forecast for it, so all models are scored on the same
// pairs.
BacktestResult compute_backtest(const Panel& panel, const BacktestOptions& options, const Forecaster& forecaster,
                                const BacktestProgressFn& progress = {});
// The same with the forecasts made from `history` (cut at each origin) and
// scored against `outturns` (for example a later release, or the whole panel
// when `history` has lost its later rows: the strict-cut test).
BacktestResult compute_backtest(const Panel& history, const Panel& outturns, const BacktestOptions& options,
                                const Forecaster& forecaster, const BacktestProgressFn& progress = {});

// The files written into `directory` (created if absent), each written to a
// temporary name and renamed into place once all are written. Refuses
// (RuntimeError, naming the file) when one of them exists, unless `overwrite`.
inline const std::vector<std::string> backtest_files = {"forecasts.csv", "scores.csv", "scores_by_authority.csv",
                                                        "benchmarks.csv", "wins.csv", "pit_histogram.csv"};
void write_backtest(const BacktestResult& result, const std::filesystem::path& directory, bool overwrite);
// The texts of those files, (name, text) in the order of backtest_files, for
// a caller that publishes them with files of its own (the command's summary).
std::vector<std::pair<std::string, std::string>> backtest_file_texts(const BacktestResult& result);

// compute_backtest, then write_backtest.
BacktestResult run_backtest(const Panel& panel, const BacktestOptions& options, const Forecaster& forecaster,
                            const BacktestProgressFn& progress, const std::filesystem::path& directory,
                            bool overwrite);

// A forecaster that gives, for (authority, origin), the rows of a saved
// forecasts.csv (the fixed header) up to the horizon asked: saved forecasts,
// this project's or another tool's, scored again on any range of origins
// with no model run. A file that is not forecasts.csv: ScenarioError naming
// the file, line and column.
Forecaster forecasts_file_forecaster(const std::string& path);

// The fixed headers (CALIBRATION.md section 4).
inline constexpr const char* forecasts_header =
    "la_code,origin,year,horizon,series,breakdown,mean,p5,p10,p25,p50,p75,p90,p95";
inline constexpr const char* scores_header =
    "series,breakdown,horizon,model,n_pairs,mdape,bias,cov50,cov80,cov90,cov_p5_p95,pit_mean,pit_var,crps";

}  // namespace ehcpsim::calibrate
