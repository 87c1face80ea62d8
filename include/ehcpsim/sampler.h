// Discrete samplers: binomial, Poisson, hypergeometric, multinomial, thinning
// and alias tables drawing from a Stream, and the inversion samplers (counts
// at a given uniform) by which the year step couples variants (MODEL.md 7).
//
// Binomial: inversion (sequential search from 0) when n*min(p,1-p) < 10,
// BTRS (Hormann 1993, transformed rejection with squeeze) above, by the
// symmetry n - X(n, 1-p) for p > 0.5. Inversion keeps draws monotone in p for
// a fixed stream, which couples variants tightly. Edge cases return without
// drawing: n <= 0, p <= 0, p >= 1 (p a hair above 1 is clamped). Counts are
// 64-bit. std::binomial_distribution is not used: its algorithm differs by
// standard library and it recomputes its set-up whenever p changes.
#pragma once

#include <cstdint>
#include <vector>

#include "ehcpsim/rng.h"

namespace ehcpsim {

// n*min(p, 1-p) below which binomial() inverts; at or above it, BTRS.
inline constexpr double binomial_inversion_limit = 10.0;
// lambda below which poisson() inverts; at or above it, PTRS (Hormann 1993).
inline constexpr double poisson_inversion_limit = 10.0;

std::int64_t binomial(Stream& rng, std::int64_t n, double p);
std::int64_t poisson(Stream& rng, double lambda);
double standard_normal(Stream& rng);  // by inverse CDF of one uniform

// Inversion samplers for common random numbers (MODEL.md section 7): the
// count is the smallest k with F(k) >= u, so for a fixed u it never decreases
// when p, n or lambda grow, and two variants whose probabilities differ a
// little draw counts that differ a little. Exact in distribution: the CDF is
// summed from a point 9 standard deviations below the mean (the mass below
// it is under 1e-18), with the pmf there from Loader's saddle-point form
// (accurate for any n). Cost O(sd) steps; u in (0, 1).
std::int64_t binomial_quantile(double u, std::int64_t n, double p);
std::int64_t poisson_quantile(double u, double lambda);
// The hypergeometric count by the same inversion: of `draw` taken without
// replacement from `good` + `bad`, how many are good. Never decreases as u
// or `good` grows.
std::int64_t hypergeometric_quantile(double u, std::int64_t good, std::int64_t bad, std::int64_t draw);

// Counter-based uniforms: the i-th value of the SplitMix64 sequence started
// at `base` (a 64-bit draw from a Stream), as a uniform on (0, 1). A pupil or
// a cell draws the uniform at its own index, so it gets the same number in
// every variant whatever the variants draw for the others, and indices that
// need no number cost nothing.
inline double uniform_at(std::uint64_t base, std::uint64_t i) {
    return (static_cast<double>(splitmix64(base + i * 0x9e3779b97f4a7c15ULL) >> 12) + 0.5) * 0x1.0p-52;
}

// Multinomial by conditional binomials in category order, each conditional p
// clamped to [0, 1], stopping once nothing is left. `probs` need not sum to
// exactly 1: they are treated as weights over their sum. out has k entries.
void multinomial(Stream& rng, std::int64_t n, const double* probs, int k, std::int64_t* out);

// Independent thinning: out[i] ~ Binomial(counts[i], p) for every i, exact in
// distribution, at a cost that grows with the number of selected units rather
// than the number of cells: geometric gaps over the cells laid end to end when
// the expected number selected is small, per-cell binomials otherwise. Cells
// with zero count cost nothing. out may alias nothing; it is overwritten.
void thin(Stream& rng, const std::int64_t* counts, std::size_t cells, double p, std::int64_t* out);

// Walker/Vose alias table over k categories: one uniform per sample.
class AliasTable {
public:
    AliasTable() = default;
    explicit AliasTable(const std::vector<double>& weights) { rebuild(weights); }  // weights >= 0, sum > 0
    // Rebuilds in place, reusing the table's storage (no allocation once warm).
    void rebuild(const std::vector<double>& weights);
    int sample(Stream& rng) const {
        const int k = size();
        // One uniform: the integer part picks the column, the fraction tosses the coin.
        const double x = rng.uniform() * k;
        int column = static_cast<int>(x);
        if (column >= k) column = k - 1;  // rounding of u*k up to k for large k
        const double coin = x - column;
        return coin < prob_[static_cast<std::size_t>(column)] ? column : alias_[static_cast<std::size_t>(column)];
    }
    int size() const { return static_cast<int>(prob_.size()); }

private:
    std::vector<double> prob_;
    std::vector<int> alias_;
    std::vector<double> scaled_;  // build scratch, kept to avoid reallocating
    std::vector<int> small_, large_;
};

// Multivariate hypergeometric: take `draw` units without replacement from
// cells holding counts[i]; out[i] is how many come from cell i. Conditional
// hypergeometric draws in cell order (used by the capacity step).
void multivariate_hypergeometric(Stream& rng, const std::int64_t* counts, std::size_t cells,
                                 std::int64_t draw, std::int64_t* out);
std::int64_t hypergeometric(Stream& rng, std::int64_t good, std::int64_t bad, std::int64_t draw);

}  // namespace ehcpsim
