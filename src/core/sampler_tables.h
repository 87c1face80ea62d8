// Pieces shared by the samplers (sampler.cpp) and the inversion samplers
// (quantile.cpp): the reciprocal table of the inversion recurrences,
// P(X = 0) of a binomial and the Stirling correction. Internal to the core library.
#pragma once

#include <cmath>
#include <cstdint>

namespace ehcpsim::sampler_detail {

// Inversion searches for mean < 10 stop here and restart with a new uniform.
// P(X > 63) is below 1e-29 for a binomial or Poisson of mean < 10, so the
// restart only ever catches round-off (u above the computed total mass).
inline constexpr int inversion_bound = 63;

// 1/x for x = 0..inversion_bound: the inversion recurrences multiply by these
// instead of dividing (a divide is ~4x the latency of a multiply, and the
// recurrence is a serial dependency chain).
struct Reciprocals {
    double value[inversion_bound + 1];
    constexpr Reciprocals() : value{} {
        for (int i = 1; i <= inversion_bound; ++i) value[i] = 1.0 / i;
    }
};
inline constexpr Reciprocals reciprocal{};

// q^n by repeated squaring for n <= 2^20 (a handful of multiplies for the
// small counts the year step sees; relative error <= n * 2^-53 from the
// rounding of q = 1 - p, at most 1.2e-10), exp(n log1p(-p)) above (accurate
// for any n).
inline constexpr std::int64_t power_by_squaring_limit = std::int64_t{1} << 20;

inline double probability_of_none(std::int64_t n, double p) {
    if (n > power_by_squaring_limit) return std::exp(static_cast<double>(n) * std::log1p(-p));
    double base = 1.0 - p;
    double result = 1.0;
    auto e = static_cast<std::uint64_t>(n);
    for (;;) {
        if (e & 1U) result *= base;
        e >>= 1U;
        if (e == 0) break;
        base *= base;
    }
    return result;
}

// log(k!) - [log sqrt(2 pi) + (k + 1/2) log(k + 1) - (k + 1)]: the Stirling
// correction. Exact (to 1e-17) for k < 10 from this table, computed with
// mpmath at 40 digits; the series to z^-7 above (error < 4e-13 at k = 10).
inline constexpr double stirling_table[10] = {
    0.08106146679532725822, 0.041340695955409294094, 0.027677925684998339149,
    0.020790672103765093112, 0.016644691189821192163, 0.013876128823070747999,
    0.011896709945891770095, 0.010411265261972096497, 0.0092554621827127329177,
    0.0083305634333628712565};
inline constexpr double log_sqrt_2pi = 0.91893853320467274178;

inline double stirling_tail(double k) {
    if (k < 10) return stirling_table[static_cast<int>(k)];
    const double z = k + 1;
    const double z2 = z * z;
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - 1.0 / (1680 * z2)) / z2) / z2) / z;
}

}  // namespace ehcpsim::sampler_detail
