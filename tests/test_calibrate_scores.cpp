// Forecast scores on hand-made pairs with known answers: the PIT of a
// forecast given as quantiles, CRPS from quantiles and from samples,
// coverage, the median and mean % errors, and the share of pairs won.
#include <gtest/gtest.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <random>

#include "ehcpsim/forecast_scores.h"

namespace ehcpsim::calibrate {
namespace {

// Uniform draws in [0, 1) from a fixed seed, made from the generator's bits
// (std::uniform_real_distribution is implementation-defined).
std::vector<double> uniforms(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    std::vector<double> out(n);
    for (double& u : out) u = static_cast<double>(engine() >> 11) * 0x1.0p-53;
    return out;
}

double variance(const std::vector<double>& values) {
    double mean = 0, squares = 0;
    for (const double v : values) mean += v;
    mean /= static_cast<double>(values.size());
    for (const double v : values) squares += (v - mean) * (v - mean);
    return squares / static_cast<double>(values.size());
}

TEST(CalibrateScores, PitInterpolatesTheQuantilesAndExtendsTheOuterSegments) {
    const Quantiles q = {10, 20, 30, 40, 50, 60, 70};  // levels 0.05 .. 0.95
    EXPECT_DOUBLE_EQ(pit(q, 40), 0.5);
    EXPECT_DOUBLE_EQ(pit(q, 35), 0.375);                // halfway between p25 and p50
    EXPECT_DOUBLE_EQ(pit(q, 15), 0.075);                // halfway between p5 and p10
    EXPECT_DOUBLE_EQ(pit(q, 5), 0.025);                 // below p5: the p5-p10 slope, reaching 0 at 0
    EXPECT_DOUBLE_EQ(pit(q, 0), 0.0);
    EXPECT_DOUBLE_EQ(pit(q, -100), 0.0);
    EXPECT_DOUBLE_EQ(pit(q, 75), 0.975);                // above p95: reaching 1 at 80
    EXPECT_DOUBLE_EQ(pit(q, 1000), 1.0);
    // A point forecast: 0 below, 1 above, the middle of the jump at the point.
    EXPECT_DOUBLE_EQ(pit(point_quantiles(7), 6.5), 0.0);
    EXPECT_DOUBLE_EQ(pit(point_quantiles(7), 7), 0.5);
    EXPECT_DOUBLE_EQ(pit(point_quantiles(7), 7.5), 1.0);
    // Tied middle quantiles (a count forecast): y on the tie is the middle of p25..p75.
    EXPECT_DOUBLE_EQ(pit({1, 2, 5, 5, 5, 8, 9}, 5), 0.5);
}

TEST(CalibrateScores, PitOfUniformDrawsIsFlat) {
    // A U(0,1) forecast has quantiles equal to their levels, and the linear
    // tails are exact for it, so the PIT of each draw is the draw itself.
    // 20,000 draws at a fixed seed: the variance of U(0,1) samples has
    // standard error sqrt((1/80 - 1/144) / n) = 0.00053 and the mean
    // sqrt(1/12 / n) = 0.0020; the tolerances are four standard errors.
    Quantiles q;
    for (std::size_t k = 0; k < q.size(); ++k) q[k] = forecast_levels[k];
    std::vector<ScoredPair> pairs;
    std::vector<double> pits;
    for (const double u : uniforms(20000, 20261203)) {
        pits.push_back(pit(q, u));
        EXPECT_NEAR(pits.back(), u, 1e-12);
        pairs.push_back({q, u + 1e-9});
    }
    EXPECT_NEAR(variance(pits), 1.0 / 12, 4 * 0.00053);
    const Scores scores = score_pairs(pairs, false);
    ASSERT_TRUE(scores.pit_var && scores.pit_mean);
    EXPECT_NEAR(*scores.pit_var, 1.0 / 12, 4 * 0.00053);
    EXPECT_NEAR(*scores.pit_mean, 0.5, 4 * 0.0020);
    // Each tenth of the histogram holds about n/10 = 2000 (binomial sd 42).
    for (const std::size_t count : scores.pit_histogram) EXPECT_NEAR(static_cast<double>(count), 2000, 4 * 42.5);
    // Coverage of the central intervals: shares with binomial sd <= 0.0036.
    EXPECT_NEAR(*scores.cov50, 0.5, 4 * 0.0036);
    EXPECT_NEAR(*scores.cov80, 0.8, 4 * 0.0029);
    EXPECT_NEAR(*scores.cov90, 0.9, 4 * 0.0022);
    EXPECT_EQ(scores.cov90, scores.cov_p5_p95);
}

TEST(CalibrateScores, PitOfACalibratedNormalForecastIsNearlyFlatAndOfANarrowOneIsNot) {
    // Normal draws scored against the N(0,1) quantiles: interpolating
    // linearly between the seven quantiles and beyond them makes the PIT of a
    // calibrated normal forecast slightly less spread than uniform; its
    // variance, integrated numerically (scipy, a grid of 2e6 points on
    // [-9, 9]), is 0.082042 instead of 1/12 = 0.083333. 20,000 draws: four
    // standard errors of a sample variance near 1/12 are 0.0021.
    const boost::math::normal normal;
    Quantiles q;
    for (std::size_t k = 0; k < q.size(); ++k) q[k] = boost::math::quantile(normal, forecast_levels[k]);
    Quantiles narrow = q;
    for (double& x : narrow) x *= 0.5;  // half the spread: over-confident
    std::vector<double> calibrated, overconfident;
    for (const double u : uniforms(20000, 7)) {
        const double y = boost::math::quantile(normal, std::clamp(u, 1e-12, 1 - 1e-12));
        calibrated.push_back(pit(q, y));
        overconfident.push_back(pit(narrow, y));
    }
    EXPECT_NEAR(variance(calibrated), 0.082042, 4 * 0.00053);
    EXPECT_GT(variance(overconfident), 0.12);  // U-shaped: far above 0.10
}

TEST(CalibrateScores, CrpsOfAPointForecastIsTheAbsoluteError) {
    EXPECT_DOUBLE_EQ(crps_quantiles(point_quantiles(100), 90), 10);
    EXPECT_DOUBLE_EQ(crps_quantiles(point_quantiles(100), 130), 30);
    EXPECT_DOUBLE_EQ(crps_samples({100}, 130), 30);
}

TEST(CalibrateScores, CrpsFromQuantilesApproximatesTheNormalsAndFromSamplesIsExact) {
    // Seven quantiles approximate the integral over levels; measured against
    // the closed form for N(0,1) the ratio is 0.90 at y = 0 and 0.98-1.01 at
    // y = 0.5 .. 3, so 12% bounds the approximation at these points.
    const boost::math::normal normal;
    Quantiles q;
    for (std::size_t k = 0; k < q.size(); ++k) q[k] = boost::math::quantile(normal, forecast_levels[k]);
    for (const double y : {0.0, 0.5, 1.0, 2.0, 3.0}) {
        const double exact = y * (2 * boost::math::cdf(normal, y) - 1) + 2 * boost::math::pdf(normal, y) -
                             1 / std::sqrt(M_PI);
        EXPECT_NEAR(crps_quantiles(q, y) / exact, 1.0, 0.12) << y;
    }
    EXPECT_NEAR(crps_quantiles(q, 0.0), 0.2108328170652724, 1e-12);  // pins the weights
    // Samples {0, 1}, y = 0: mean|X - y| = 0.5, mean|X - X'| = 0.5, CRPS = 0.25.
    EXPECT_DOUBLE_EQ(crps_samples({1, 0}, 0), 0.25);
    // 1, 2, 3, 4 against 2.5: mean|X - y| = 1, mean|X - X'| = 1.25, CRPS = 0.375.
    EXPECT_DOUBLE_EQ(crps_samples({4, 1, 3, 2}, 2.5), 0.375);
}

TEST(CalibrateScores, QuantilesOfSamplesInterpolateOrderStatistics) {
    std::vector<double> samples;
    for (int i = 101; i >= 1; --i) samples.push_back(i);  // 1..101, shuffled order irrelevant
    const Quantiles q = quantiles_of(samples);
    const Quantiles expected = {6, 11, 26, 51, 76, 91, 96};  // 1 + 100 * level
    for (std::size_t k = 0; k < q.size(); ++k) EXPECT_DOUBLE_EQ(q[k], expected[k]);
    EXPECT_DOUBLE_EQ(quantiles_of({1, 2})[3], 1.5);
    EXPECT_DOUBLE_EQ(median_of({3, 1, 2}), 2);
    EXPECT_DOUBLE_EQ(median_of({4, 1, 3, 2}), 2.5);
}

TEST(CalibrateScores, ErrorsCoverageAndWinsOnHandMadePairs) {
    // Three pairs, outturn 100 each; medians 90, 100, 130 -> errors -10%, 0%, +30%.
    const std::vector<ScoredPair> model = {
        {{80, 85, 88, 90, 92, 95, 99}, 100},     // in no interval: 100 > p95 = 99
        {{90, 92, 96, 100, 104, 108, 110}, 100}, // in all
        {{95, 105, 120, 130, 140, 150, 160}, 100},  // in [p5,p95] only
    };
    const Scores s = score_pairs(model, false);
    EXPECT_EQ(s.n_pairs, 3u);
    EXPECT_DOUBLE_EQ(s.mdape, 10);
    EXPECT_DOUBLE_EQ(s.bias, 20.0 / 3);
    EXPECT_DOUBLE_EQ(*s.cov50, 1.0 / 3);
    EXPECT_DOUBLE_EQ(*s.cov80, 1.0 / 3);
    EXPECT_DOUBLE_EQ(*s.cov90, 2.0 / 3);
    const std::vector<ScoredPair> bench = {
        {point_quantiles(95), 100}, {point_quantiles(100), 100}, {point_quantiles(90), 100}};
    const Scores b = score_pairs(bench, true);
    EXPECT_DOUBLE_EQ(b.mdape, 5);
    EXPECT_DOUBLE_EQ(b.bias, -5);
    EXPECT_DOUBLE_EQ(b.crps, 5);  // a point forecast's CRPS is its absolute error: mean of 5, 0, 10 %
    EXPECT_FALSE(b.cov50 || b.cov90 || b.pit_mean || b.pit_var);
    // Model vs benchmark: loses (10 vs 5), ties (0 vs 0), loses (30 vs 10).
    EXPECT_DOUBLE_EQ(share_won(model, bench), 0.5 / 3);
    EXPECT_DOUBLE_EQ(share_won(bench, model), 2.5 / 3);
}

}  // namespace
}  // namespace ehcpsim::calibrate
