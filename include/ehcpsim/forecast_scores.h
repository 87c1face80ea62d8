// Scoring forecasts against outturns: the PIT of a forecast given as
// quantiles, CRPS (from quantiles or from samples), coverage of central
// intervals, and the pooled scores scores.csv holds. Definitions are stated
// here and in docs/backtest.md; every score is a pure function of its pairs.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace ehcpsim::calibrate {

// The quantile levels of a forecast, in the order of forecasts.csv's
// p5,p10,p25,p50,p75,p90,p95 columns.
inline constexpr std::array<double, 7> forecast_levels = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};
using Quantiles = std::array<double, 7>;

// A point forecast as quantiles (every quantile the point).
Quantiles point_quantiles(double point);

// Quantiles of samples at forecast_levels, by linear interpolation between
// order statistics (numpy's default: position (n-1)*level). Needs n >= 1.
Quantiles quantiles_of(std::vector<double> samples);

// The forecast CDF a set of quantiles states: piecewise linear through
// (p5, 0.05) ... (p95, 0.95), extended linearly to 0 below p5 and to 1
// above p95 with the slope of the outer segments (p5 - (p10 - p5) has
// probability 0, p95 + (p95 - p90) has 1). The PIT of an outturn y is F(y);
// where F jumps at y (tied quantiles, a point forecast) it is the middle of
// the jump, (F(y-) + F(y)) / 2.
double pit(const Quantiles& q, double y);

// CRPS from quantiles, by the quantile-score approximation
// CRPS = 2 * integral over levels of QS_level, with QS_a(q, y) =
// (1{y < q} - a)(q - y), the integral taken over the seven levels with the
// weights of the intervals between their midpoints (0.075, 0.1, 0.2, 0.25,
// 0.2, 0.1, 0.075). For a point forecast this is |point - y| exactly.
double crps_quantiles(const Quantiles& q, double y);

// CRPS from samples (the empirical forecast distribution):
// mean|X - y| - mean|X - X'| / 2 over all pairs of samples. Exact for the
// empirical distribution; needs n >= 1.
double crps_samples(std::vector<double> samples, double y);

// The median with numpy's definition (mean of the two middle values for an
// even count). Needs n >= 1.
double median_of(std::vector<double> values);

// One forecast paired with its outturn (outturn > 0: errors are in % of it).
struct ScoredPair {
    Quantiles forecast{};
    double outturn = 0;
};

// Scores of a set of pairs. Errors are in percent of the outturn (5 means 5%).
// The coverage and PIT fields are empty for point forecasts, where an interval
// of zero width says nothing about calibration.
struct Scores {
    std::size_t n_pairs = 0;
    double mdape = 0;   // median over pairs of 100 |p50 - y| / y
    double bias = 0;    // mean over pairs of 100 (p50 - y) / y
    std::optional<double> cov50, cov80, cov90, cov_p5_p95;  // share of y in [p25,p75], [p10,p90], [p5,p95], [p5,p95]
    std::optional<double> pit_mean, pit_var;                // var with divisor n (a flat PIT has 1/12)
    double crps = 0;    // mean over pairs of 100 CRPS / y (for a point forecast: mean absolute % error)
    std::array<std::size_t, 10> pit_histogram{};  // counts of PIT in [0,0.1), ..., [0.9,1]; all zero for points
};

// Scores of quantile forecasts (`point` = false) or of point forecasts given
// as point_quantiles (`point` = true). Needs at least one pair.
Scores score_pairs(std::span<const ScoredPair> pairs, bool point);

// Share of pairs where the first forecast's median is strictly closer to the
// outturn than the second's, ties counting half. Both spans pair by index.
double share_won(std::span<const ScoredPair> first, std::span<const ScoredPair> second);

}  // namespace ehcpsim::calibrate
