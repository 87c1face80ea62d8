// Forecast scores (forecast_scores.h): PIT from quantiles, CRPS, coverage and
// the pooled scores of a set of pairs.
#include "ehcpsim/forecast_scores.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace ehcpsim::calibrate {

namespace {

struct Knot {
    double x;
    double level;
};

// The knots of the piecewise-linear CDF: the quantiles plus the two
// extrapolated ends where the CDF reaches 0 and 1.
std::array<Knot, 9> cdf_knots(const Quantiles& q) {
    std::array<Knot, 9> knots{};
    const double below = forecast_levels[0] / (forecast_levels[1] - forecast_levels[0]);
    const double above = (1.0 - forecast_levels[6]) / (forecast_levels[6] - forecast_levels[5]);
    knots[0] = {q[0] - (q[1] - q[0]) * below, 0.0};
    for (std::size_t k = 0; k < q.size(); ++k) knots[k + 1] = {q[k], forecast_levels[k]};
    knots[8] = {q[6] + (q[6] - q[5]) * above, 1.0};
    return knots;
}

// F(y), right-continuous.
double cdf_right(const std::array<Knot, 9>& knots, double y) {
    if (y < knots.front().x) return 0.0;
    if (y >= knots.back().x) return 1.0;
    std::size_t k = 0;
    while (k + 1 < knots.size() && knots[k + 1].x <= y) ++k;  // last knot with x <= y; the next is > y
    const Knot& a = knots[k];
    const Knot& b = knots[k + 1];
    return a.level + (b.level - a.level) * (y - a.x) / (b.x - a.x);
}

// F(y-), the limit from the left.
double cdf_left(const std::array<Knot, 9>& knots, double y) {
    if (y <= knots.front().x) return 0.0;
    if (y > knots.back().x) return 1.0;
    std::size_t k = 0;
    while (knots[k].x < y) ++k;  // first knot with x >= y; the one before is < y
    const Knot& a = knots[k - 1];
    const Knot& b = knots[k];
    return a.level + (b.level - a.level) * (y - a.x) / (b.x - a.x);
}

// Weights of the levels for the CRPS integral: the widths of the intervals
// between the midpoints of adjacent levels, the outer ones reaching 0 and 1.
std::array<double, 7> level_weights() {
    std::array<double, 7> w{};
    for (std::size_t k = 0; k < w.size(); ++k) {
        const double lo = k == 0 ? 0.0 : (forecast_levels[k - 1] + forecast_levels[k]) / 2;
        const double hi = k + 1 == w.size() ? 1.0 : (forecast_levels[k] + forecast_levels[k + 1]) / 2;
        w[k] = hi - lo;
    }
    return w;
}

double mean_of(const std::vector<double>& values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

}  // namespace

Quantiles point_quantiles(double point) {
    Quantiles q;
    q.fill(point);
    return q;
}

Quantiles quantiles_of(std::vector<double> samples) {
    assert(!samples.empty());
    std::sort(samples.begin(), samples.end());
    Quantiles q{};
    const double last = static_cast<double>(samples.size() - 1);
    for (std::size_t k = 0; k < q.size(); ++k) {
        const double position = last * forecast_levels[k];
        const auto below = static_cast<std::size_t>(std::floor(position));
        const std::size_t above = std::min(below + 1, samples.size() - 1);
        const double fraction = position - static_cast<double>(below);
        q[k] = samples[below] + (samples[above] - samples[below]) * fraction;
    }
    return q;
}

double pit(const Quantiles& q, double y) {
    const std::array<Knot, 9> knots = cdf_knots(q);
    return (cdf_left(knots, y) + cdf_right(knots, y)) / 2;
}

double crps_quantiles(const Quantiles& q, double y) {
    static const std::array<double, 7> weights = level_weights();
    double sum = 0;
    for (std::size_t k = 0; k < q.size(); ++k) {
        const double indicator = y < q[k] ? 1.0 : 0.0;
        sum += weights[k] * (indicator - forecast_levels[k]) * (q[k] - y);
    }
    return 2 * sum;
}

double crps_samples(std::vector<double> samples, double y) {
    assert(!samples.empty());
    std::sort(samples.begin(), samples.end());
    const double n = static_cast<double>(samples.size());
    double to_outturn = 0, spread = 0;
    // sum over i<j of (x_j - x_i) for sorted x is sum_i x_i (2i - n + 1).
    for (std::size_t i = 0; i < samples.size(); ++i) {
        to_outturn += std::abs(samples[i] - y);
        spread += samples[i] * (2.0 * static_cast<double>(i) - n + 1.0);
    }
    // mean over all ordered pairs |X - X'| = 2 * spread / n^2.
    return to_outturn / n - spread / (n * n);
}

double median_of(std::vector<double> values) {
    assert(!values.empty());
    const std::size_t middle = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle), values.end());
    const double upper = values[middle];
    if (values.size() % 2 == 1) return upper;
    const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
    return (lower + upper) / 2;
}

Scores score_pairs(std::span<const ScoredPair> pairs, bool point) {
    assert(!pairs.empty());
    Scores out;
    out.n_pairs = pairs.size();
    std::vector<double> absolute, signed_error, crps, pits;
    std::size_t in50 = 0, in80 = 0, in90 = 0;
    for (const ScoredPair& pair : pairs) {
        assert(pair.outturn > 0);
        const Quantiles& q = pair.forecast;
        const double y = pair.outturn;
        const double error = 100.0 * (q[3] - y) / y;
        absolute.push_back(std::abs(error));
        signed_error.push_back(error);
        crps.push_back(100.0 * crps_quantiles(q, y) / y);
        if (point) continue;
        in50 += q[2] <= y && y <= q[4];
        in80 += q[1] <= y && y <= q[5];
        in90 += q[0] <= y && y <= q[6];
        const double u = pit(q, y);
        pits.push_back(u);
        ++out.pit_histogram[std::min<std::size_t>(9, static_cast<std::size_t>(u * 10))];
    }
    out.mdape = median_of(absolute);
    out.bias = mean_of(signed_error);
    out.crps = mean_of(crps);
    if (!point) {
        const double n = static_cast<double>(pairs.size());
        out.cov50 = static_cast<double>(in50) / n;
        out.cov80 = static_cast<double>(in80) / n;
        out.cov90 = static_cast<double>(in90) / n;
        out.cov_p5_p95 = out.cov90;
        const double mean = mean_of(pits);
        double squares = 0;
        for (const double u : pits) squares += (u - mean) * (u - mean);
        out.pit_mean = mean;
        out.pit_var = squares / n;
    }
    return out;
}

double share_won(std::span<const ScoredPair> first, std::span<const ScoredPair> second) {
    assert(first.size() == second.size() && !first.empty());
    double won = 0;
    for (std::size_t i = 0; i < first.size(); ++i) {
        assert(first[i].outturn == second[i].outturn);
        const double a = std::abs(first[i].forecast[3] - first[i].outturn);
        const double b = std::abs(second[i].forecast[3] - second[i].outturn);
        won += a < b ? 1.0 : a == b ? 0.5 : 0.0;
    }
    return won / static_cast<double>(first.size());
}

}  // namespace ehcpsim::calibrate
