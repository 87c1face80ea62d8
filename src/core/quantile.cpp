// The inversion samplers of the year step (binomial, Poisson and
// hypergeometric quantiles at a given uniform, MODEL.md section 7): a count
// that never decreases as its probability grows, so variants stay coupled.
// See docs/samplers.md.
#include <algorithm>
#include <math.h>  // lgamma_r (POSIX)

#include <cmath>
#include <cstdint>

#include "ehcpsim/sampler.h"
#include "sampler_tables.h"

namespace ehcpsim {

namespace {

using namespace sampler_detail;

// Loader (2000), "Fast and accurate computation of binomial probabilities":
// stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n), and bd0(x, m) =
// x log(x/m) + m - x without cancellation, so the pmf is accurate at any n.
double stirlerr(double n) {
    // stirling_tail(k) is stirlerr(k + 1) (no lgamma: glibc's writes the
    // global signgam, a data race between threads). n >= 1 here.
    if (n <= 15.0) return stirling_tail(n - 1.0);
    const double nn = n * n;
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680) / nn) / nn) / nn) / n;
}

double bd0(double x, double m) {
    if (std::fabs(x - m) < 0.1 * (x + m)) {
        const double v = (x - m) / (x + m);
        double s = (x - m) * v;
        double ej = 2.0 * x * v;
        const double v2 = v * v;
        for (int j = 1; j < 1000; ++j) {
            ej *= v2;
            const double s1 = s + ej / (2 * j + 1);
            if (s1 == s) return s1;
            s = s1;
        }
        return s;
    }
    return x * std::log(x / m) + m - x;
}

double binomial_pmf(std::int64_t k, std::int64_t n, double p) {
    const double q = 1.0 - p;
    if (k == 0) return probability_of_none(n, p);
    const double x = static_cast<double>(k), nd = static_cast<double>(n);
    if (k == n) return std::exp(nd * std::log(p));
    const double lc = stirlerr(nd) - stirlerr(x) - stirlerr(nd - x) - bd0(x, nd * p) - bd0(nd - x, nd * q);
    const double lf = std::log(2.0 * M_PI) + std::log(x) + std::log1p(-x / nd);
    return std::exp(lc - 0.5 * lf);
}

double poisson_pmf(std::int64_t k, double lambda) {
    if (k == 0) return std::exp(-lambda);
    const double x = static_cast<double>(k);
    return std::exp(-stirlerr(x) - bd0(x, lambda)) / std::sqrt(2.0 * M_PI * x);
}

// p in (0, 1/2].
std::int64_t binomial_quantile_low(double u, std::int64_t n, double p) {
    const double nd = static_cast<double>(n);
    const double mean = nd * p;
    const double r = p / (1.0 - p);
    if (mean < binomial_inversion_limit) {
        // The usual case: the walk from 0 (P(X > 63) < 1e-29 here, so the
        // bound only catches round-off).
        double f = probability_of_none(n, p), sum = f;
        const std::int64_t last = std::min<std::int64_t>(n, inversion_bound);
        std::int64_t k = 0;
        while (sum < u && k < last) {
            ++k;
            f *= r * static_cast<double>(n - k + 1) * reciprocal.value[k];
            sum += f;
        }
        return k;
    }
    const double sd = std::sqrt(mean * (1.0 - p));
    const double from = std::floor(mean - 9.0 * sd - 2.0);
    std::int64_t k = from > 0.0 ? static_cast<std::int64_t>(from) : 0;
    const double to = std::ceil(mean + 40.0 * sd + 50.0);
    const std::int64_t last = to < nd ? static_cast<std::int64_t>(to) : n;
    double f = binomial_pmf(k, n, p);
    double sum = f;
    while (sum < u && k < last) {
        ++k;
        const double inverse = k <= inversion_bound ? reciprocal.value[k] : 1.0 / static_cast<double>(k);
        f *= r * static_cast<double>(n - k + 1) * inverse;
        sum += f;
    }
    return k;
}

}  // namespace

std::int64_t binomial_quantile(double u, std::int64_t n, double p) {
    if (n <= 0 || !(p > 0)) return 0;
    if (p >= 1) return n;
    if (p <= 0.5) return binomial_quantile_low(u, n, p);
    return n - binomial_quantile_low(1.0 - u, n, 1.0 - p);  // still increasing in u and p
}

std::int64_t poisson_quantile(double u, double lambda) {
    if (!(lambda > 0)) return 0;
    const double sd = std::sqrt(lambda);
    const double from = std::floor(lambda - 9.0 * sd - 2.0);
    std::int64_t k = from > 0.0 ? static_cast<std::int64_t>(from) : 0;
    const auto last = static_cast<std::int64_t>(std::ceil(lambda + 40.0 * sd + 50.0));
    double f = poisson_pmf(k, lambda);
    double sum = f;
    while (sum < u && k < last) {
        ++k;
        f *= lambda / static_cast<double>(k);
        sum += f;
    }
    return k;
}

// Draws up to this size start the hypergeometric CDF from P(X = 0) as a product.
constexpr std::int64_t small_draw = 64;

std::int64_t hypergeometric_quantile(double u, std::int64_t good, std::int64_t bad, std::int64_t draw) {
    if (draw <= 0 || good <= 0) return 0;
    if (bad <= 0) return std::min(draw, good);
    const std::int64_t low = std::max<std::int64_t>(0, draw - bad), high = std::min(draw, good);
    if (low >= high) return low;
    const double g = static_cast<double>(good), b = static_cast<double>(bad), d = static_cast<double>(draw);
    const double total = g + b;
    const double mean = d * g / total;
    const double sd = std::sqrt(mean * (b / total) * (total - d) / std::max(1.0, total - 1.0));
    const double from = std::floor(mean - 9.0 * sd - 2.0);
    std::int64_t k = std::max(low, from > 0.0 ? static_cast<std::int64_t>(from) : std::int64_t{0});
    const double to = std::ceil(mean + 40.0 * sd + 50.0);
    const std::int64_t last = to < static_cast<double>(high) ? static_cast<std::int64_t>(to) : high;
    double f;
    if (k == 0 && draw <= small_draw) {
        // P(X = 0) = prod (bad - i) / (total - i): a few multiplies, where
        // the general form below costs nine lgamma calls (the year step draws
        // many small counts' ages).
        f = 1.0;
        for (std::int64_t i = 0; i < draw; ++i) {
            const double id = static_cast<double>(i);
            f *= (b - id) / (total - id);
        }
    } else {
        // lgamma_r, not std::lgamma: glibc's lgamma writes the global signgam,
        // a data race between the runner's threads (ThreadSanitizer reports
        // it). The same function otherwise, so the same values.
        auto log_gamma = [](double x) {
            int sign = 0;
            return ::lgamma_r(x, &sign);
        };
        auto log_choose = [&](double n, double x) {
            return log_gamma(n + 1.0) - log_gamma(x + 1.0) - log_gamma(n - x + 1.0);
        };
        const double x = static_cast<double>(k);
        f = std::exp(log_choose(g, x) + log_choose(b, d - x) - log_choose(total, d));
    }
    double sum = f;
    while (sum < u && k < last) {
        const double kd = static_cast<double>(k);
        f *= (g - kd) * (d - kd) / ((kd + 1.0) * (b - d + kd + 1.0));
        ++k;
        sum += f;
    }
    return k;
}

}  // namespace ehcpsim
