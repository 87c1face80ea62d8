// Discrete samplers on a Stream. See docs/samplers.md for the algorithms,
// switch-over points, edge cases and measured costs.
#include "ehcpsim/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "sampler_tables.h"

namespace ehcpsim {

namespace {

using namespace sampler_detail;

double log_factorial(double k) {
    return log_sqrt_2pi + (k + 0.5) * std::log(k + 1) - (k + 1) + stirling_tail(k);
}

// log(a! / (a-j)!), written so that no term of size a log a cancels: the
// absolute error is about j log(a) 2^-53, not a log(a) 2^-53.
double log_falling(double a, double j) {
    const double c = a - j;
    return (c + 0.5) * std::log1p(j / (c + 1)) + j * std::log(a + 1) - j + stirling_tail(a) -
           stirling_tail(c);
}

double log_choose(double a, double j) { return log_falling(a, j) - log_factorial(j); }

// Binomial by sequential inversion from 0 with the pmf recurrence
// f(x) = f(x-1) * ((n+1) r / x - r), r = p/q. Requires p <= 1/2 and n p < 10.
std::int64_t binomial_inversion(Stream& rng, std::int64_t n, double p) {
    const double f0 = probability_of_none(n, p);
    const double r = p / (1.0 - p);
    const double g = r * (static_cast<double>(n) + 1.0);
    const std::int64_t bound = std::min<std::int64_t>(n, inversion_bound);
    for (;;) {
        double u = rng.uniform();
        double f = f0;
        std::int64_t x = 0;
        while (u > f) {
            if (x == bound) break;  // round-off: u above the computed mass; redraw
            u -= f;
            ++x;
            f *= g * reciprocal.value[x] - r;
        }
        if (u <= f) return x;
    }
}

// BTRS: Hormann (1993), "The generation of binomial random variates", J.
// Statist. Comput. Simul. 46, algorithm BTRS, as in TensorFlow and dust.
// Requires p <= 1/2 and n p >= 10. Expected ~1.15 pairs of uniforms a draw.
std::int64_t binomial_btrs(Stream& rng, std::int64_t n, double p) {
    const double nd = static_cast<double>(n);
    const double q = 1.0 - p;
    const double spq = std::sqrt(nd * p * q);
    const double b = 1.15 + 2.53 * spq;
    const double a = -0.0873 + 0.0248 * b + 0.01 * p;
    const double c = nd * p + 0.5;
    const double alpha = (2.83 + 5.1 / b) * spq;
    const double v_r = 0.92 - 4.2 / b;
    const double r = p / q;
    const double m = std::floor((nd + 1) * p);
    const double log_h_mode =
        (m + 0.5) * std::log((m + 1) / (r * (nd - m + 1))) + stirling_tail(m) + stirling_tail(nd - m);
    for (;;) {
        const double u = rng.uniform() - 0.5;
        double v = rng.uniform();
        const double us = 0.5 - std::fabs(u);  // > 0: uniform() is on the open interval
        const double k = std::floor((2 * a / us + b) * u + c);
        if (k < 0 || k > nd) continue;
        if (us >= 0.07 && v <= v_r) return static_cast<std::int64_t>(k);  // squeeze
        v = std::log(v * alpha / (a / (us * us) + b));
        // log f(k)/f(mode) by Stirling with corrections; log1p keeps the
        // (n+1) factor from amplifying round-off at huge n.
        const double log_ratio = log_h_mode + (nd + 1) * std::log1p((k - m) / (nd - k + 1)) +
                                 (k + 0.5) * std::log(r * (nd - k + 1) / (k + 1)) - stirling_tail(k) -
                                 stirling_tail(nd - k);
        if (v <= log_ratio) return static_cast<std::int64_t>(k);
    }
}

// p in (0, 1/2].
std::int64_t binomial_lower_half(Stream& rng, std::int64_t n, double p) {
    if (static_cast<double>(n) * p < binomial_inversion_limit) return binomial_inversion(rng, n, p);
    return binomial_btrs(rng, n, p);
}

// PTRS: Hormann (1993), "The transformed rejection method for generating
// Poisson random variables", Insurance: Mathematics and Economics 12, as in
// numpy. lambda >= 10.
std::int64_t poisson_ptrs(Stream& rng, double lambda) {
    const double slam = std::sqrt(lambda);
    const double log_lambda = std::log(lambda);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double log_inv_alpha = std::log(1.1239 + 1.1328 / (b - 3.4));
    const double v_r = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        const double u = rng.uniform() - 0.5;
        const double v = rng.uniform();
        const double us = 0.5 - std::fabs(u);
        const double k = std::floor((2 * a / us + b) * u + lambda + 0.43);
        if (k < 0) continue;
        if (us >= 0.07 && v <= v_r) return static_cast<std::int64_t>(k);
        if (us < 0.013 && v > us) continue;
        if (std::log(v) + log_inv_alpha - std::log(a / (us * us) + b) <=
            -lambda + k * log_lambda - log_factorial(k))
            return static_cast<std::int64_t>(k);
    }
}

std::int64_t poisson_inversion(Stream& rng, double lambda) {
    const double f0 = std::exp(-lambda);
    for (;;) {
        double u = rng.uniform();
        double f = f0;
        int x = 0;
        while (u > f) {
            if (x == inversion_bound) break;  // round-off only; redraw
            u -= f;
            ++x;
            f *= lambda * reciprocal.value[x];
        }
        if (u <= f) return x;
    }
}

// Wichura (1988), Algorithm AS 241 PPND16: the standard normal quantile to
// about 1e-16 relative accuracy. p in (0, 1).
double normal_quantile(double p) {
    const double q = p - 0.5;
    if (std::fabs(q) <= 0.425) {
        const double r = 0.180625 - q * q;
        return q *
               (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                     6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r +
                   1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r +
                 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) /
               (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                     3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r +
                   5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r +
                 4.2313330701600911252e+1) * r + 1.0);
    }
    double r = q < 0 ? p : 1.0 - p;
    r = std::sqrt(-std::log(r));
    double value;
    if (r <= 5.0) {
        r -= 1.6;
        value = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r +
                      2.41780725177450611770e-1) * r + 1.27045825245236838258e+0) * r +
                    3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r +
                  4.63033784615654529590e+0) * r + 1.42343711074968357734e+0) /
                (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r +
                      1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r +
                    6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r +
                  2.05319162663775882187e+0) * r + 1.0);
    } else {
        r -= 5.0;
        value = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                      1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r +
                    2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r +
                  5.46378491116411436990e+0) * r + 6.65790464350110377720e+0) /
                (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r +
                      1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r +
                    1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
                  5.99832206555887937690e-1) * r + 1.0);
    }
    return q < 0 ? -value : value;
}

// Hypergeometric with lower support 0 (good <= bad, draw <= bad): inversion
// from 0 when the mean is small, otherwise a chop-down search alternating
// down and up from the mode (cost O(sd) steps; f(0) would underflow there).
// Both are exact up to round-off in the pmf: ~1e-16 per step, plus the
// mode's log-factorials (~1e-16 draw log(draw) relative).
constexpr double hypergeometric_inversion_limit = 10.0;
constexpr std::int64_t hypergeometric_inversion_bound = 80;  // P(X > 80 | mean < 10) < 1e-40
constexpr std::int64_t hypergeometric_product_terms = 32;

std::int64_t hypergeometric_reduced(Stream& rng, std::int64_t good, std::int64_t bad, std::int64_t draw) {
    const double g = static_cast<double>(good);
    const double b = static_cast<double>(bad);
    const double d = static_cast<double>(draw);
    const double total = g + b;
    const std::int64_t upper = std::min(draw, good);
    const double slack = b - d;  // >= 0 here, so the lower end of the support is 0
    if (d * g / total < hypergeometric_inversion_limit) {
        // f(0) = C(bad, draw) / C(total, draw) = prod_{i < draw} (bad - i) / (total - i)
        //      = prod_{i < good} (total - draw - i) / (total - i): a short product
        // when either is small (the usual case in a capacity step), else by
        // log-factorials.
        double f0;
        const std::int64_t terms = std::min(good, draw);
        if (terms <= hypergeometric_product_terms) {
            const double top = good <= draw ? total - d : b;
            f0 = 1.0;
            for (std::int64_t i = 0; i < terms; ++i) {
                const auto id = static_cast<double>(i);
                f0 *= (top - id) / (total - id);
            }
        } else {
            f0 = std::exp(log_falling(b, d) - log_falling(total, d));
        }
        const std::int64_t bound = std::min(upper, hypergeometric_inversion_bound);
        for (;;) {
            double u = rng.uniform();
            double f = f0;
            std::int64_t x = 0;
            while (u > f) {
                if (x == bound) break;  // round-off only; redraw
                u -= f;
                const double xd = static_cast<double>(x);
                f *= (g - xd) * (d - xd) / ((xd + 1) * (slack + xd + 1));
                ++x;
            }
            if (u <= f) return x;
        }
    }
    const auto mode = std::clamp(
        static_cast<std::int64_t>(std::floor((d + 1) * (g + 1) / (total + 2))), std::int64_t{0}, upper);
    const double md = static_cast<double>(mode);
    const double f_mode = std::exp(log_choose(g, md) + log_choose(b, d - md) - log_choose(total, d));
    for (;;) {
        double u = rng.uniform() - f_mode;
        if (u <= 0) return mode;
        std::int64_t lo = mode, hi = mode;
        double f_lo = f_mode, f_hi = f_mode;
        for (;;) {
            bool moved = false;
            if (lo > 0 && f_lo > 0) {
                const double x = static_cast<double>(lo);
                f_lo *= x * (slack + x) / ((g - x + 1) * (d - x + 1));
                --lo;
                u -= f_lo;
                if (u <= 0) return lo;
                moved = true;
            }
            if (hi < upper && f_hi > 0) {
                const double x = static_cast<double>(hi);
                f_hi *= (g - x) * (d - x) / ((x + 1) * (slack + x + 1));
                ++hi;
                u -= f_hi;
                if (u <= 0) return hi;
                moved = true;
            }
            if (!moved) break;  // round-off: u above the computed mass; redraw
        }
    }
}

// thin() walks geometric gaps when the expected number selected is below this
// fraction of the occupied cells, and draws cell by cell otherwise. Measured
// (docs/samplers.md): a selected unit costs ~44 ns by gaps (a uniform, a log
// and a mispredicted branch), an occupied cell ~5.5 ns by the per-call CDF
// tables below, and both pay ~0.7 ns per cell to scan; they break even at
// 0.09-0.1 selected per occupied cell.
constexpr double thin_gap_fraction = 0.1;

// Geometric gaps over the units of all cells laid end to end: the number of
// unselected units before the next selected one is floor(log u / log q),
// since P(gap >= j) = P(u <= q^j) = q^j. One uniform per selected unit + 1.
void thin_by_gaps(Stream& rng, const std::int64_t* counts, std::size_t cells, double p, std::int64_t total,
                  std::int64_t* out) {
    std::fill(out, out + cells, std::int64_t{0});
    const double inv_log_q = 1.0 / std::log1p(-p);  // < 0; -inf for denormal p
    const double units = static_cast<double>(total);
    std::int64_t position = -1;  // unit index of the last unit selected
    std::size_t cell = 0;
    std::int64_t cell_end = counts[0];  // one past the last unit index of `cell`
    for (;;) {
        // Compared in double before any conversion: the gap may be ~1e300.
        const double gap = std::floor(std::log(rng.uniform()) * inv_log_q);
        if (gap >= units - 1 - static_cast<double>(position)) return;
        position += static_cast<std::int64_t>(gap) + 1;
        while (position >= cell_end) cell_end += counts[++cell];
        ++out[cell];
    }
}

// Cells holding up to this many units are drawn from CDF tables built once
// per thin() call (lazily, one row per count seen); larger cells by binomial().
constexpr int thin_table_counts = 16;

// Per-cell inversion, one uniform per occupied cell: X = min{x : u <= F(x)},
// by the symmetry c - X(c, 1-p) for p > 1/2, so draws stay monotone in p.
void thin_by_cells(Stream& rng, const std::int64_t* counts, std::size_t cells, double p, std::int64_t* out) {
    const bool mirrored = p > 0.5;
    const double p_low = mirrored ? 1.0 - p : p;
    const double r = p_low / (1.0 - p_low);
    double cdf[thin_table_counts + 1][thin_table_counts + 1];
    bool built[thin_table_counts + 1] = {};
    for (std::size_t i = 0; i < cells; ++i) {
        const std::int64_t c = counts[i];
        if (c == 0) {
            out[i] = 0;
            continue;
        }
        if (c > thin_table_counts) {
            out[i] = binomial(rng, c, p);
            continue;
        }
        double* row = cdf[c];
        if (!built[c]) {
            // c * p_low <= 8: the same recurrence as binomial_inversion().
            double f = probability_of_none(c, p_low);
            const double g = r * static_cast<double>(c + 1);
            double sum = f;
            row[0] = sum;
            for (std::int64_t x = 1; x < c; ++x) {
                f *= g * reciprocal.value[x] - r;
                sum += f;
                row[x] = sum;
            }
            for (std::int64_t x = c; x < 4; ++x) row[x] = 1.0;  // the search always ends at c
            row[c] = 1.0;
            built[c] = true;
        }
        const double u = rng.uniform();
        std::int64_t x;
        if (c <= 4) {
            // Most cells: count the steps of F below u without branches (F is
            // non-decreasing, so this is min{x : u <= F(x)}).
            x = static_cast<std::int64_t>(u > row[0]) + static_cast<std::int64_t>(u > row[1]) +
                static_cast<std::int64_t>(u > row[2]) + static_cast<std::int64_t>(u > row[3]);
        } else {
            x = 0;
            while (u > row[x]) ++x;
        }
        out[i] = mirrored ? c - x : x;
    }
}

}  // namespace

std::int64_t binomial(Stream& rng, std::int64_t n, double p) {
    assert(!std::isnan(p) && "binomial: p is NaN");
    if (n <= 0 || !(p > 0)) return 0;  // !(p > 0) also keeps a NaN out of the loops
    if (p >= 1) return n;              // clamps p a hair above 1
    if (p <= 0.5) return binomial_lower_half(rng, n, p);
    return n - binomial_lower_half(rng, n, 1.0 - p);  // 1 - p is exact for p in [1/2, 1]
}

std::int64_t poisson(Stream& rng, double lambda) {
    assert(!std::isnan(lambda) && lambda < 1e18 && "poisson: lambda out of range");
    if (!(lambda > 0)) return 0;
    if (lambda < poisson_inversion_limit) return poisson_inversion(rng, lambda);
    return poisson_ptrs(rng, lambda);
}

double standard_normal(Stream& rng) { return normal_quantile(rng.uniform()); }

void multinomial(Stream& rng, std::int64_t n, const double* probs, int k, std::int64_t* out) {
    if (k <= 0) return;
    std::fill(out, out + k, std::int64_t{0});
    double weight_left = 0;
    int last = -1;  // the last category with positive weight takes the remainder
    for (int i = 0; i < k; ++i) {
        assert(probs[i] >= 0 && std::isfinite(probs[i]) && "multinomial: bad weight");
        weight_left += probs[i];
        if (probs[i] > 0) last = i;
    }
    assert((n <= 0 || last >= 0) && "multinomial: all weights zero");
    if (n <= 0 || last < 0) return;
    std::int64_t left = n;
    for (int i = 0; i < last && left > 0; ++i) {
        const double p = probs[i] >= weight_left ? 1.0 : probs[i] / weight_left;
        out[i] = binomial(rng, left, p);
        left -= out[i];
        weight_left -= probs[i];
    }
    out[last] = left;
}

void thin(Stream& rng, const std::int64_t* counts, std::size_t cells, double p, std::int64_t* out) {
    assert(!std::isnan(p) && "thin: p is NaN");
    if (!(p > 0)) {
        std::fill(out, out + cells, std::int64_t{0});
        return;
    }
    if (p >= 1) {
        std::copy(counts, counts + cells, out);
        return;
    }
    // Read-only first pass: units and occupied cells. For 0 <= c < 2^63,
    // c != 0 is the sign bit of -c: shifts and adds that vectorise with plain
    // SSE2 (a 64-bit compare would not).
    std::uint64_t total = 0;
    std::uint64_t occupied = 0;
    for (std::size_t i = 0; i < cells; ++i) {
        assert(counts[i] >= 0 && "thin: negative count");
        const auto c = static_cast<std::uint64_t>(counts[i]);
        total += c;
        occupied += (0 - c) >> 63;
    }
    if (total == 0) {
        std::fill(out, out + cells, std::int64_t{0});
        return;
    }
    if (static_cast<double>(total) * p < thin_gap_fraction * static_cast<double>(occupied)) {
        thin_by_gaps(rng, counts, cells, p, static_cast<std::int64_t>(total), out);
    } else {
        thin_by_cells(rng, counts, cells, p, out);
    }
}

void AliasTable::rebuild(const std::vector<double>& weights) {
    const std::size_t k = weights.size();
    assert(k > 0 && k <= static_cast<std::size_t>(std::numeric_limits<int>::max()));
    double sum = 0;
    for (double w : weights) {
        assert(w >= 0 && std::isfinite(w) && "AliasTable: bad weight");
        sum += w;
    }
    assert(sum > 0 && "AliasTable: weights sum to zero");
    prob_.assign(k, 1.0);
    alias_.resize(k);
    scaled_.resize(k);
    small_.clear();
    large_.clear();
    for (std::size_t i = 0; i < k; ++i) {
        alias_[i] = static_cast<int>(i);
        scaled_[i] = weights[i] * static_cast<double>(k) / sum;
        (scaled_[i] < 1.0 ? small_ : large_).push_back(static_cast<int>(i));
    }
    // Vose (1991): pair each under-full column with an over-full donor.
    while (!small_.empty() && !large_.empty()) {
        const int s = small_.back();
        small_.pop_back();
        const int l = large_.back();
        prob_[s] = scaled_[s];
        alias_[s] = l;
        scaled_[l] = (scaled_[l] + scaled_[s]) - 1.0;
        if (scaled_[l] < 1.0) {
            large_.pop_back();
            small_.push_back(l);
        }
    }
    // Whatever is left is full up to round-off: prob 1, alias itself (set above).
}

std::int64_t hypergeometric(Stream& rng, std::int64_t good, std::int64_t bad, std::int64_t draw) {
    assert(good >= 0 && bad >= 0 && draw <= good + bad && "hypergeometric: bad arguments");
    if (draw <= 0 || good <= 0) return 0;
    const std::int64_t total = good + bad;
    if (draw >= total) return good;
    if (bad <= 0) return draw;
    // Draw the rarer colour (X = draw - X(bad, good, draw)) and the smaller
    // sample (X = good - X(good, bad, total - draw)), so the support starts at 0
    // and the search is as short as it can be.
    const bool swapped = good > bad;
    if (swapped) std::swap(good, bad);
    const bool complemented = draw > total / 2;
    const std::int64_t sample = complemented ? total - draw : draw;
    std::int64_t x = hypergeometric_reduced(rng, good, bad, sample);
    if (complemented) x = good - x;
    if (swapped) x = draw - x;
    return x;
}

void multivariate_hypergeometric(Stream& rng, const std::int64_t* counts, std::size_t cells,
                                 std::int64_t draw, std::int64_t* out) {
    std::int64_t units_left = 0;
    for (std::size_t i = 0; i < cells; ++i) {
        assert(counts[i] >= 0 && "multivariate_hypergeometric: negative count");
        units_left += counts[i];
    }
    assert(draw <= units_left && "multivariate_hypergeometric: draw exceeds the population");
    std::int64_t draw_left = std::clamp(draw, std::int64_t{0}, units_left);
    for (std::size_t i = 0; i < cells; ++i) {
        if (draw_left == 0) {
            out[i] = 0;
            continue;
        }
        units_left -= counts[i];  // the later cells are the "bad" units
        out[i] = hypergeometric(rng, counts[i], units_left, draw_left);
        draw_left -= out[i];
    }
}

}  // namespace ehcpsim
