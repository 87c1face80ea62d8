// Discrete samplers: exact distribution (chi-square against the pmf),
// moments on both sides of every algorithm switch, edge cases that must not
// draw, and pinned known answers.
//
// Statistical tolerances: every test uses a fixed key, so results are
// deterministic. Moment checks allow 5 standard errors (a false alarm rate
// of ~6e-7 per check for a correct sampler); chi-square tests reject at
// p < 1e-4 after pooling bins with expected count < 5. A wrong algorithm
// (e.g. an off-by-one in a recurrence or a wrong BTRS constant) moves the
// statistic by far more than these margins at 200,000 draws.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <cstdio>
#include <functional>
#include <numeric>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

#include "ehcpsim/rng.h"
#include "ehcpsim/sampler.h"

namespace ehcpsim {
namespace {

constexpr int chi_square_draws = 200000;
constexpr double chi_square_reject = 1e-4;
constexpr double moment_sigmas = 5.0;

// Upper-tail p-value of Pearson's statistic for observed counts against a
// pmf on 0..pmf.size()-1 (values beyond the end count in the last bin), with
// adjacent bins pooled until each expects at least 5.
double chi_square_p_value(const std::vector<std::int64_t>& observed, const std::vector<double>& pmf,
                          std::int64_t draws) {
    std::vector<double> exp_bins, obs_bins;
    double e = 0, o = 0;
    for (std::size_t x = 0; x < pmf.size(); ++x) {
        e += pmf[x] * static_cast<double>(draws);
        o += x < observed.size() ? static_cast<double>(observed[x]) : 0.0;
        if (x + 1 == pmf.size())
            for (std::size_t y = pmf.size(); y < observed.size(); ++y) o += static_cast<double>(observed[y]);
        if (e >= 5) {
            exp_bins.push_back(e);
            obs_bins.push_back(o);
            e = o = 0;
        }
    }
    if (!exp_bins.empty()) {
        exp_bins.back() += e;
        obs_bins.back() += o;
    }
    double stat = 0;
    for (std::size_t i = 0; i < exp_bins.size(); ++i)
        stat += (obs_bins[i] - exp_bins[i]) * (obs_bins[i] - exp_bins[i]) / exp_bins[i];
    const double df = static_cast<double>(exp_bins.size()) - 1;
    if (df < 1) return 1.0;
    return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), stat));
}

// Draw `draws` values and tabulate them (values are small enough to index).
std::vector<std::int64_t> tabulate(const std::function<std::int64_t()>& draw, int draws) {
    std::vector<std::int64_t> counts;
    for (int i = 0; i < draws; ++i) {
        const std::int64_t x = draw();
        EXPECT_GE(x, 0);
        if (x < 0) continue;
        if (static_cast<std::size_t>(x) >= counts.size()) counts.resize(static_cast<std::size_t>(x) + 1, 0);
        ++counts[static_cast<std::size_t>(x)];
    }
    return counts;
}

// Exact pmfs by lgamma (the test's own arithmetic, independent of the
// samplers' recurrences), over the whole support, or up to where the upper
// tail is negligible (< 1e-30).
std::vector<double> binomial_pmf(std::int64_t n, double p) {
    std::vector<double> pmf;
    const double nd = static_cast<double>(n);
    const double mean = nd * p;
    const double hi = std::min(nd, mean + 20 * std::sqrt(mean * (1 - p)) + 30);
    for (std::int64_t k = 0; k <= static_cast<std::int64_t>(hi); ++k) {
        const double kd = static_cast<double>(k);
        pmf.push_back(std::exp(std::lgamma(nd + 1) - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1) +
                               kd * std::log(p) + (nd - kd) * std::log1p(-p)));
    }
    return pmf;
}

std::vector<double> poisson_pmf(double lambda) {
    std::vector<double> pmf;
    const double hi = lambda + 20 * std::sqrt(lambda) + 30;
    for (std::int64_t k = 0; k <= static_cast<std::int64_t>(hi); ++k) {
        const double kd = static_cast<double>(k);
        pmf.push_back(std::exp(-lambda + kd * std::log(lambda) - std::lgamma(kd + 1)));
    }
    return pmf;
}

double log_choose(double a, double b) { return std::lgamma(a + 1) - std::lgamma(b + 1) - std::lgamma(a - b + 1); }

std::vector<double> hypergeometric_pmf(std::int64_t good, std::int64_t bad, std::int64_t draw) {
    std::vector<double> pmf;
    const auto g = static_cast<double>(good), b = static_cast<double>(bad), d = static_cast<double>(draw);
    for (std::int64_t k = 0; k <= std::min(good, draw); ++k) {
        const auto kd = static_cast<double>(k);
        if (draw - k > bad) {
            pmf.push_back(0);
            continue;
        }
        pmf.push_back(std::exp(log_choose(g, kd) + log_choose(b, d - kd) - log_choose(g + b, d)));
    }
    return pmf;
}

struct Moments {
    double mean = 0, variance = 0;
};

Moments sample_moments(const std::function<std::int64_t()>& draw, int draws) {
    // Welford, in double: exact enough for counts up to ~1e12.
    double mean = 0, m2 = 0;
    for (int i = 1; i <= draws; ++i) {
        const double x = static_cast<double>(draw());
        const double delta = x - mean;
        mean += delta / i;
        m2 += delta * (x - mean);
    }
    return {mean, m2 / (draws - 1)};
}

// Checks sample mean and variance against theory, each within 5 standard
// errors; the variance's standard error uses the fourth central moment mu4.
void expect_moments(const Moments& got, double mean, double variance, double mu4, int draws,
                    const char* what) {
    EXPECT_NEAR(got.mean, mean, moment_sigmas * std::sqrt(variance / draws)) << what;
    const double variance_se = std::sqrt((mu4 - variance * variance * (draws - 3.0) / (draws - 1.0)) / draws);
    EXPECT_NEAR(got.variance, variance, moment_sigmas * variance_se) << what;
}

// ---------------------------------------------------------------- binomial

TEST(CoreSampler, BinomialEdgeCasesReturnWithoutDrawing) {
    Stream stream(1, 0, Process::cease, 2024, 0);
    EXPECT_EQ(binomial(stream, 0, 0.3), 0);
    EXPECT_EQ(binomial(stream, -5, 0.3), 0);
    EXPECT_EQ(binomial(stream, 10, 0.0), 0);
    EXPECT_EQ(binomial(stream, 10, -0.2), 0);
    EXPECT_EQ(binomial(stream, 10, 1.0), 10);
    EXPECT_EQ(binomial(stream, 10, 1.0 + 1e-15), 10);  // rounding just above 1 clamps
    EXPECT_EQ(binomial(stream, 1000000000000LL, 1.0), 1000000000000LL);
    EXPECT_EQ(stream.draws(), 0U);
}

// A NaN probability is a bug in the caller: an assertion in debug builds; in
// release builds it must still not hang or draw (it gives 0).
TEST(CoreSampler, NanProbabilityIsAnInternalError) {
    const double nan = std::nan("");
    Stream stream(1, 0, Process::cease, 2024, 2);
#ifdef NDEBUG
    EXPECT_EQ(binomial(stream, 10, nan), 0);
    EXPECT_EQ(poisson(stream, nan), 0);
    std::int64_t counts[] = {3, 4}, out[2] = {9, 9};
    thin(stream, counts, 2, nan, out);
    EXPECT_EQ(out[0] + out[1], 0);
    EXPECT_EQ(stream.draws(), 0U);
#else
    EXPECT_DEATH(binomial(stream, 10, nan), "NaN");
#endif
}

TEST(CoreSampler, BinomialTinyProbability) {
    Stream stream(1, 0, Process::cease, 2024, 1);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(binomial(stream, 1000000, 1e-300), 0);
        EXPECT_EQ(binomial(stream, 1000000000000LL, 1e-300), 0);
    }
    // One uniform per inversion draw, no more.
    EXPECT_EQ(stream.draws(), 200U);
}

TEST(CoreSampler, BinomialMomentsBothSidesOfTheSwitch) {
    // n*p = 3, 9.9 (inversion), 10, 50, 5000 (BTRS), and mirrored p > 1/2.
    const struct {
        std::int64_t n;
        double p;
    } cases[] = {{30, 0.1},    {99, 0.1},     {100, 0.1},   {1000, 0.05}, {100000, 0.05},
                 {30, 0.9},    {99, 0.9},     {20, 0.5},    {1000, 0.95}, {7, 0.35}};
    std::uint64_t sub = 0;
    for (const auto& c : cases) {
        Stream stream(2, 0, Process::cease, 2024, sub++);
        const double nd = static_cast<double>(c.n);
        const double var = nd * c.p * (1 - c.p);
        const double mu4 = var * (1 + 3 * (nd - 2) * c.p * (1 - c.p));
        const Moments got = sample_moments([&] { return binomial(stream, c.n, c.p); }, chi_square_draws);
        expect_moments(got, nd * c.p, var, mu4, chi_square_draws,
                       ("n=" + std::to_string(c.n) + " p=" + std::to_string(c.p)).c_str());
    }
}

TEST(CoreSampler, BinomialChiSquareAgainstExactPmf) {
    const struct {
        std::int64_t n;
        double p;
    } cases[] = {{1, 0.3},     {5, 0.3},      {10, 0.05},   {30, 0.1},   {99, 0.1},   {33, 0.3},
                 {100, 0.1},   {20, 0.5},     {40, 0.45},   {1000, 0.05}, {200, 0.25},
                 {100000, 0.05}, {30, 0.9},   {1000, 0.95}, {1000000, 2e-6}, {3000000, 2e-6}};
    std::uint64_t sub = 0;
    for (const auto& c : cases) {
        Stream stream(3, 0, Process::cease, 2024, sub++);
        const auto counts = tabulate([&] { return binomial(stream, c.n, c.p); }, chi_square_draws);
        const double pv = chi_square_p_value(counts, binomial_pmf(c.n, c.p), chi_square_draws);
        EXPECT_GT(pv, chi_square_reject) << "n=" << c.n << " p=" << c.p;
    }
}

TEST(CoreSampler, BinomialChiSquareRejectsAWrongDistribution) {
    // The test above can fail: Binomial(100, 0.1) draws are rejected as
    // Binomial(100, 0.103), and Binomial(30, 0.1) as Binomial(31, 0.1).
    Stream a(3, 1, Process::cease, 2024, 0);
    const auto btrs = tabulate([&] { return binomial(a, 100, 0.1); }, chi_square_draws);
    EXPECT_LT(chi_square_p_value(btrs, binomial_pmf(100, 0.103), chi_square_draws), chi_square_reject);
    Stream b(3, 1, Process::cease, 2024, 1);
    const auto inv = tabulate([&] { return binomial(b, 30, 0.1); }, chi_square_draws);
    EXPECT_LT(chi_square_p_value(inv, binomial_pmf(31, 0.1), chi_square_draws), chi_square_reject);
}

TEST(CoreSampler, BinomialComplementSymmetry) {
    // p > 1/2 is drawn as n - X(n, 1-p) from the same uniforms...
    for (const double p : {0.7, 0.9, 0.95, 0.999}) {
        Stream a(4, 0, Process::cease, 2024, 0), b(4, 0, Process::cease, 2024, 0);
        for (int i = 0; i < 1000; ++i) ASSERT_EQ(binomial(a, 500, p), 500 - binomial(b, 500, 1 - p)) << p;
    }
    // ...and the mirrored distribution is right on both sides of the switch.
    for (const std::int64_t n : {40, 400}) {
        Stream stream(4, 1, Process::cease, 2024, static_cast<std::uint64_t>(n));
        const auto counts = tabulate([&] { return n - binomial(stream, n, 0.97); }, chi_square_draws);
        EXPECT_GT(chi_square_p_value(counts, binomial_pmf(n, 0.03), chi_square_draws), chi_square_reject) << n;
    }
}

TEST(CoreSampler, BinomialHugeN) {
    // n = 10^12: mean of 2,000 draws within 6 standard errors, every draw in
    // range. p = 5e-12 exercises inversion with q^n by exp(n log1p(-p)).
    constexpr std::int64_t n = 1000000000000LL;
    constexpr int draws = 2000;
    for (const double p : {5e-12, 1e-3, 0.4, 0.9}) {
        Stream stream(5, 0, Process::cease, 2024, static_cast<std::uint64_t>(p * 1e12));
        double sum = 0;
        for (int i = 0; i < draws; ++i) {
            const std::int64_t x = binomial(stream, n, p);
            ASSERT_GE(x, 0);
            ASSERT_LE(x, n);
            sum += static_cast<double>(x);
        }
        const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
        EXPECT_NEAR(sum / draws, static_cast<double>(n) * p, 6 * sd / std::sqrt(draws)) << p;
    }
}

TEST(CoreSampler, BinomialInversionIsMonotoneInP) {
    // Inversion from a shared stream couples variants: a larger p never gives
    // fewer events (within the inversion range, p <= 1/2).
    for (std::uint64_t key = 0; key < 2000; ++key) {
        std::int64_t previous = 0;
        for (const double p : {0.01, 0.02, 0.05, 0.1, 0.15}) {
            Stream stream(6, key, Process::cease, 2024, 0);
            const std::int64_t x = binomial(stream, 60, p);
            ASSERT_GE(x, previous) << "key " << key << " p " << p;
            previous = x;
        }
    }
}

TEST(CoreSampler, BinomialSameKeySameDraws) {
    Stream a(7, 3, Process::move, 2030, 5), b(7, 3, Process::move, 2030, 5);
    for (int i = 0; i < 10000; ++i) {
        const std::int64_t n = i % 500;
        const double p = 0.001 * (i % 997);
        ASSERT_EQ(binomial(a, n, p), binomial(b, n, p));
    }
    EXPECT_EQ(a.draws(), b.draws());
}

// Known answers: re-baseline ONLY on purpose. A change means the keying, the
// uniform mapping, or a sampler's algorithm changed, and so does every
// simulated number.
TEST(CoreSampler, KnownAnswers) {
    Stream stream(42, 7, Process::cease, 2024, 3);
    std::vector<std::int64_t> got;
    for (int i = 0; i < 4; ++i) got.push_back(binomial(stream, 10, 0.3));     // inversion
    for (int i = 0; i < 4; ++i) got.push_back(binomial(stream, 1000, 0.3));   // BTRS
    for (int i = 0; i < 2; ++i) got.push_back(binomial(stream, 60, 0.9));     // mirrored
    got.push_back(binomial(stream, 1000000000000LL, 0.4));
    for (int i = 0; i < 2; ++i) got.push_back(poisson(stream, 3.5));
    for (int i = 0; i < 2; ++i) got.push_back(poisson(stream, 250.0));
    got.push_back(hypergeometric(stream, 30, 70, 20));
    got.push_back(hypergeometric(stream, 3000, 7000, 2000));
    // Re-baselined with the "EHCPSIM2" stream keying.
    const std::vector<std::int64_t> expected = {2,  2,  3,   3,   286,          331, 269, 290, 55,
                                                51, 400000995975LL,  4,   2,   269, 265, 8,  599};
    EXPECT_EQ(got, expected);
    EXPECT_EQ(stream.draws(), 26U);  // uniforms consumed, rejections included
}

TEST(CoreSampler, KnownAnswersOtherSamplers) {
    Stream stream(42, 7, Process::move, 2024, 3);
    const std::int64_t counts[] = {0, 2, 1, 0, 3, 3, 0, 1, 40, 2};
    std::int64_t out[10];
    std::vector<std::int64_t> got;
    std::vector<std::int64_t> many(100), many_out(100);
    for (int i = 0; i < 100; ++i) many[i] = i % 3;  // 99 units in 66 cells
    thin(stream, many.data(), many.size(), 0.05, many_out.data());  // gaps
    for (int i = 0; i < 100; ++i)
        if (many_out[i] > 0) got.insert(got.end(), {i, many_out[i]});  // (cell, selected)
    thin(stream, counts, 10, 0.3, out);  // per cell
    got.insert(got.end(), out, out + 10);
    const double weights[] = {0.1, 0.5, 0.0, 0.4};
    multinomial(stream, 25, weights, 4, out);
    got.insert(got.end(), out, out + 4);
    const AliasTable alias(std::vector<double>{1, 0, 2, 3});
    for (int i = 0; i < 6; ++i) got.push_back(alias.sample(stream));
    multivariate_hypergeometric(stream, counts, 10, 20, out);
    got.insert(got.end(), out, out + 10);
    const double z = standard_normal(stream);
    const std::vector<std::int64_t> expected = {
        10, 1, 89, 1, 94, 1,               // thin by gaps: (cell, selected) pairs
        0, 1, 0, 0, 1, 1, 0, 0, 14, 2,     // thin per cell
        2, 16, 0, 7,                       // multinomial
        3, 3, 2, 3, 3, 3,                  // alias
        0, 1, 0, 0, 0, 1, 0, 1, 16, 1};    // multivariate hypergeometric
    EXPECT_EQ(got, expected);  // re-baselined with the "EHCPSIM2" stream keying
    EXPECT_EQ(z, -0x1.63754400dbc68p-2);
    EXPECT_EQ(stream.draws(), 34U);
}

// ----------------------------------------------------------------- poisson

TEST(CoreSampler, PoissonEdgeCasesReturnWithoutDrawing) {
    Stream stream(8, 0, Process::request, 2024, 0);
    EXPECT_EQ(poisson(stream, 0.0), 0);
    EXPECT_EQ(poisson(stream, -3.0), 0);
    EXPECT_EQ(stream.draws(), 0U);
}

TEST(CoreSampler, PoissonMomentsAndChiSquareBothSidesOfTheSwitch) {
    std::uint64_t sub = 0;
    for (const double lambda : {0.05, 0.5, 3.0, 9.99, 10.0, 10.5, 50.0, 1000.0}) {
        Stream stream(8, 1, Process::request, 2024, sub++);
        const Moments got = sample_moments([&] { return poisson(stream, lambda); }, chi_square_draws);
        // Poisson: variance lambda, fourth central moment lambda (1 + 3 lambda).
        expect_moments(got, lambda, lambda, lambda * (1 + 3 * lambda), chi_square_draws,
                       ("lambda=" + std::to_string(lambda)).c_str());
        Stream again(8, 2, Process::request, 2024, sub++);
        const auto counts = tabulate([&] { return poisson(again, lambda); }, chi_square_draws);
        EXPECT_GT(chi_square_p_value(counts, poisson_pmf(lambda), chi_square_draws), chi_square_reject)
            << "lambda=" << lambda;
    }
}

TEST(CoreSampler, PoissonHugeMean) {
    Stream stream(8, 3, Process::request, 2024, 0);
    constexpr double lambda = 1e12;
    constexpr int draws = 2000;
    double sum = 0;
    for (int i = 0; i < draws; ++i) sum += static_cast<double>(poisson(stream, lambda));
    EXPECT_NEAR(sum / draws, lambda, 6 * std::sqrt(lambda / draws));
}

// --------------------------------------------------------- standard normal

TEST(CoreSampler, StandardNormalIsTheQuantileOfOneUniform) {
    // AS241 agrees with Boost's quantile to ~1e-15 relative; one uniform each.
    Stream stream(9, 0, Process::growth_shock, 2024, 0);
    const boost::math::normal_distribution<double> normal;
    for (int i = 0; i < 100000; ++i) {
        Stream peek = stream;
        const double u = peek.uniform();
        const double z = standard_normal(stream);
        const double reference = boost::math::quantile(normal, u);
        ASSERT_NEAR(z, reference, 1e-14 * std::max(1.0, std::fabs(reference))) << "u=" << u;
    }
    EXPECT_EQ(stream.draws(), 100000U);
}

TEST(CoreSampler, StandardNormalMoments) {
    Stream stream(9, 1, Process::growth_shock, 2024, 0);
    double sum = 0, sum2 = 0;
    constexpr int draws = 200000;
    for (int i = 0; i < draws; ++i) {
        const double z = standard_normal(stream);
        sum += z;
        sum2 += z * z;
    }
    // Mean within 5 se (1/sqrt(N)); variance within 5 se (sqrt(2/N)).
    EXPECT_NEAR(sum / draws, 0.0, moment_sigmas / std::sqrt(draws));
    EXPECT_NEAR(sum2 / draws, 1.0, moment_sigmas * std::sqrt(2.0 / draws));
}

// ------------------------------------------------------------- multinomial

TEST(CoreSampler, MultinomialSumsExactlyAndHasTheRightMarginals) {
    // Weights that do not sum to 1, with zero-weight categories (including
    // the last), which must never receive anything.
    const std::vector<double> weights = {2.0, 0.0, 5.0, 1.0, 0.5, 1.5, 0.0};
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    const int k = static_cast<int>(weights.size());
    constexpr int trials = 50000;
    for (const std::int64_t n : {std::int64_t{7}, std::int64_t{300}, std::int64_t{1000000}}) {
        Stream stream(10, 0, Process::need, 2024, static_cast<std::uint64_t>(n));
        std::vector<double> sum(k, 0);
        std::vector<std::int64_t> out(k);
        for (int t = 0; t < trials; ++t) {
            multinomial(stream, n, weights.data(), k, out.data());
            ASSERT_EQ(std::accumulate(out.begin(), out.end(), std::int64_t{0}), n);
            for (int i = 0; i < k; ++i) {
                if (weights[i] == 0) {
                    ASSERT_EQ(out[i], 0);
                }
                sum[i] += static_cast<double>(out[i]);
            }
        }
        for (int i = 0; i < k; ++i) {
            const double p = weights[i] / total;
            const double nd = static_cast<double>(n);
            EXPECT_NEAR(sum[i] / trials, nd * p, moment_sigmas * std::sqrt(nd * p * (1 - p) / trials) + 1e-12)
                << "n=" << n << " category " << i;
        }
    }
}

TEST(CoreSampler, MultinomialEdgeCases) {
    Stream stream(10, 1, Process::need, 2024, 0);
    const double w[] = {0.2, 0.3, 0.5};
    std::int64_t out[3] = {9, 9, 9};
    multinomial(stream, 0, w, 3, out);
    EXPECT_EQ(out[0] + out[1] + out[2], 0);
    EXPECT_EQ(stream.draws(), 0U);
    const double one[] = {4.0};
    std::int64_t single = -1;
    multinomial(stream, 17, one, 1, &single);
    EXPECT_EQ(single, 17);
    EXPECT_EQ(stream.draws(), 0U);
    // Stops drawing once nothing is left: n = 1 takes at most one binomial
    // draw per category before the unit is placed.
    const double flat[] = {1, 1, 1, 1, 1, 1, 1, 1};
    std::int64_t eight[8];
    multinomial(stream, 1, flat, 8, eight);
    EXPECT_EQ(std::accumulate(eight, eight + 8, std::int64_t{0}), 1);
    EXPECT_LE(stream.draws(), 7U);
}

// -------------------------------------------------------------------- thin

// Both branches: gaps (expected selected < occupied cells / 10) and per-cell.
enum class ThinBranch { gaps, cells };

void check_thin(double p, ThinBranch branch, std::uint64_t sub) {
    // Cells laid out like a year-step group: mostly 0-3, some empty, two
    // large ones (which the per-cell branch draws by binomial(), BTRS or
    // inversion). 397 units in 121 occupied cells.
    std::vector<std::int64_t> counts;
    for (int i = 0; i < 200; ++i) counts.push_back((i * 7919) % 5 == 0 ? 0 : (i * 31) % 4);
    counts[17] = 40;
    counts[150] = 120;
    counts.push_back(0);
    const std::size_t cells = counts.size();
    const std::int64_t total = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
    const auto occupied = static_cast<std::uint64_t>(
        std::count_if(counts.begin(), counts.end(), [](std::int64_t c) { return c > 0; }));
    constexpr int trials = 20000;
    Stream stream(11, 0, Process::cease, 2024, sub);
    std::vector<std::int64_t> out(cells);
    std::vector<double> sum(cells, 0), sum2(cells, 0);
    std::vector<std::int64_t> table;
    for (int t = 0; t < trials; ++t) {
        const std::uint64_t draws_before = stream.draws();
        std::fill(out.begin(), out.end(), -1);  // thin must overwrite every cell
        thin(stream, counts.data(), cells, p, out.data());
        std::int64_t selected = 0;
        for (std::size_t i = 0; i < cells; ++i) {
            ASSERT_GE(out[i], 0);
            ASSERT_LE(out[i], counts[i]);
            selected += out[i];
            sum[i] += static_cast<double>(out[i]);
            sum2[i] += static_cast<double>(out[i] * out[i]);
        }
        const std::uint64_t used = stream.draws() - draws_before;
        if (branch == ThinBranch::gaps) {
            // Cost follows the events: one uniform per selected unit, plus one.
            ASSERT_EQ(used, static_cast<std::uint64_t>(selected) + 1);
        } else {
            // One uniform per occupied cell (more only where a big cell uses BTRS).
            ASSERT_GE(used, occupied);
        }
        if (static_cast<std::size_t>(selected) >= table.size()) table.resize(static_cast<std::size_t>(selected) + 1, 0);
        ++table[static_cast<std::size_t>(selected)];
    }
    for (std::size_t i = 0; i < cells; ++i) {
        const double n = static_cast<double>(counts[i]);
        const double mean = n * p, var = n * p * (1 - p);
        const double m = sum[i] / trials;
        EXPECT_NEAR(m, mean, moment_sigmas * std::sqrt(var / trials) + 1e-12) << "cell " << i << " p " << p;
        if (counts[i] > 0) {
            const double v = (sum2[i] - trials * m * m) / (trials - 1);
            const double mu4 = var * (1 + 3 * (n - 2) * p * (1 - p));
            EXPECT_NEAR(v, var, moment_sigmas * std::sqrt((mu4 - var * var) / trials) + 1e-12)
                << "cell " << i << " p " << p;
        }
    }
    // The total selected is Binomial(total, p).
    EXPECT_GT(chi_square_p_value(table, binomial_pmf(total, p), trials), chi_square_reject) << "p " << p;
}

TEST(CoreSampler, ThinByGeometricGaps) {
    // 397 units, 121 occupied cells: gaps while 397 p < 12.1.
    check_thin(0.01, ThinBranch::gaps, 0);
    check_thin(0.025, ThinBranch::gaps, 1);
}

TEST(CoreSampler, ThinByPerCellBinomials) {
    check_thin(0.05, ThinBranch::cells, 2);
    check_thin(0.45, ThinBranch::cells, 3);
    check_thin(0.9, ThinBranch::cells, 4);
}

TEST(CoreSampler, ThinEdgeCasesAndZeroCells) {
    const std::vector<std::int64_t> counts = {0, 3, 0, 0, 5, 0};
    std::vector<std::int64_t> out(counts.size(), 99);
    Stream stream(11, 1, Process::cease, 2024, 0);
    thin(stream, counts.data(), counts.size(), 0.0, out.data());
    EXPECT_EQ(out, std::vector<std::int64_t>(counts.size(), 0));
    thin(stream, counts.data(), counts.size(), 1.0, out.data());
    EXPECT_EQ(out, counts);
    thin(stream, counts.data(), counts.size(), 1.0 + 1e-15, out.data());
    EXPECT_EQ(out, counts);
    const std::vector<std::int64_t> empty(50, 0);
    std::vector<std::int64_t> empty_out(50, 7);
    thin(stream, empty.data(), empty.size(), 0.3, empty_out.data());
    EXPECT_EQ(empty_out, empty);
    EXPECT_EQ(stream.draws(), 0U);
    thin(stream, counts.data(), 0, 0.3, out.data());  // no cells at all
    EXPECT_EQ(stream.draws(), 0U);
    // Huge counts with tiny p: the gap walk must not overflow.
    const std::vector<std::int64_t> huge = {1000000000000LL, 0, 5, 1000000000000LL};
    std::vector<std::int64_t> huge_out(huge.size());
    double sum = 0;
    constexpr int trials = 2000;
    for (int t = 0; t < trials; ++t) {
        thin(stream, huge.data(), huge.size(), 1e-12, huge_out.data());
        EXPECT_EQ(huge_out[1], 0);
        EXPECT_LE(huge_out[2], 5);
        sum += static_cast<double>(huge_out[0] + huge_out[2] + huge_out[3]);
    }
    EXPECT_NEAR(sum / trials, 2.0, moment_sigmas * std::sqrt(2.0 / trials));
    thin(stream, huge.data(), huge.size(), 1e-300, huge_out.data());
    EXPECT_EQ(huge_out, std::vector<std::int64_t>(huge.size(), 0));
}

// ------------------------------------------------------------------- alias

TEST(CoreSampler, AliasTableFrequencies) {
    const std::vector<double> weights = {0.5, 0.0, 3.0, 1.0, 0.25, 0.0, 7.0, 1e-3, 2.0};
    const AliasTable table(weights);
    ASSERT_EQ(table.size(), static_cast<int>(weights.size()));
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    std::vector<double> pmf;
    for (double w : weights) pmf.push_back(w / total);
    Stream stream(12, 0, Process::placement, 2024, 0);
    const auto counts = tabulate([&] { return table.sample(stream); }, chi_square_draws);
    EXPECT_EQ(stream.draws(), static_cast<std::uint64_t>(chi_square_draws));  // one uniform each
    EXPECT_TRUE(counts.size() < 2 || counts[1] == 0);
    EXPECT_TRUE(counts.size() < 6 || counts[5] == 0);
    EXPECT_GT(chi_square_p_value(counts, pmf, chi_square_draws), chi_square_reject);
    // It can fail: the same draws against a slightly different pmf.
    std::vector<double> wrong = pmf;
    wrong[2] += 0.01;
    wrong[6] -= 0.01;
    EXPECT_LT(chi_square_p_value(counts, wrong, chi_square_draws), chi_square_reject);
}

TEST(CoreSampler, AliasTableSingleCategoryAndUniformWeights) {
    const AliasTable one(std::vector<double>{2.5});
    Stream stream(12, 1, Process::placement, 2024, 0);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(one.sample(stream), 0);
    const AliasTable flat(std::vector<double>(26, 1.0));
    const auto counts = tabulate([&] { return flat.sample(stream); }, chi_square_draws);
    EXPECT_GT(chi_square_p_value(counts, std::vector<double>(26, 1.0 / 26), chi_square_draws), chi_square_reject);
}

// ----------------------------------------------------------- hypergeometric

TEST(CoreSampler, HypergeometricEdgeCasesReturnWithoutDrawing) {
    Stream stream(13, 0, Process::capacity, 2024, 0);
    EXPECT_EQ(hypergeometric(stream, 10, 20, 0), 0);
    EXPECT_EQ(hypergeometric(stream, 0, 20, 5), 0);
    EXPECT_EQ(hypergeometric(stream, 10, 0, 4), 4);
    EXPECT_EQ(hypergeometric(stream, 10, 20, 30), 10);
    EXPECT_EQ(stream.draws(), 0U);
}

TEST(CoreSampler, HypergeometricChiSquareAgainstExactPmf) {
    // Small means (inversion from 0) and large (search from the mode), with
    // both symmetries (more good than bad; draw more than half).
    const struct {
        std::int64_t good, bad, draw;
    } cases[] = {{5, 20, 10},     {1, 1, 1},        {3, 1000, 500},   {50, 50, 30},    {20, 80, 45},
                 {900, 100, 50},  {300, 700, 400},  {2000, 3000, 4000}, {100, 100000, 20000},
                 {40000, 60000, 30000}, {40, 4000, 500}};
    std::uint64_t sub = 0;
    for (const auto& c : cases) {
        Stream stream(13, 1, Process::capacity, 2024, sub++);
        const auto counts = tabulate([&] { return hypergeometric(stream, c.good, c.bad, c.draw); }, chi_square_draws);
        EXPECT_GT(chi_square_p_value(counts, hypergeometric_pmf(c.good, c.bad, c.draw), chi_square_draws),
                  chi_square_reject)
            << c.good << " " << c.bad << " " << c.draw;
    }
    // It can fail: draws from (50, 50, 30) tested against (51, 49, 30).
    Stream stream(13, 2, Process::capacity, 2024, 0);
    const auto counts = tabulate([&] { return hypergeometric(stream, 50, 50, 30); }, chi_square_draws);
    EXPECT_LT(chi_square_p_value(counts, hypergeometric_pmf(51, 49, 30), chi_square_draws), chi_square_reject);
}

TEST(CoreSampler, HypergeometricHugePopulation) {
    // 64-bit counts: mean of 300 draws within 6 standard errors.
    constexpr std::int64_t good = 1000000000000LL, bad = 3000000000000LL, draw = 400000;
    Stream stream(13, 3, Process::capacity, 2024, 0);
    constexpr int draws = 300;
    double sum = 0;
    for (int i = 0; i < draws; ++i) {
        const std::int64_t x = hypergeometric(stream, good, bad, draw);
        ASSERT_GE(x, 0);
        ASSERT_LE(x, draw);
        sum += static_cast<double>(x);
    }
    const double N = 4e12, K = 1e12, d = draw;
    const double sd = std::sqrt(d * K / N * (N - K) / N * (N - d) / (N - 1));
    EXPECT_NEAR(sum / draws, d * K / N, 6 * sd / std::sqrt(draws));
}

TEST(CoreSampler, MultivariateHypergeometricSumsToDrawAndRespectsCells) {
    const std::vector<std::int64_t> counts = {4, 0, 10, 1, 25, 0, 60};
    const std::int64_t total = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
    std::vector<std::int64_t> out(counts.size());
    std::vector<double> sum(counts.size(), 0);
    constexpr int trials = 50000;
    const std::int64_t draw = 37;
    Stream stream(14, 0, Process::capacity, 2024, 0);
    for (int t = 0; t < trials; ++t) {
        multivariate_hypergeometric(stream, counts.data(), counts.size(), draw, out.data());
        ASSERT_EQ(std::accumulate(out.begin(), out.end(), std::int64_t{0}), draw);
        for (std::size_t i = 0; i < counts.size(); ++i) {
            ASSERT_GE(out[i], 0);
            ASSERT_LE(out[i], counts[i]);
            sum[i] += static_cast<double>(out[i]);
        }
    }
    const double N = static_cast<double>(total), d = static_cast<double>(draw);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const double K = static_cast<double>(counts[i]);
        const double var = d * K / N * (N - K) / N * (N - d) / (N - 1);
        EXPECT_NEAR(sum[i] / trials, d * K / N, moment_sigmas * std::sqrt(var / trials) + 1e-12) << "cell " << i;
    }
    // Everything, and nothing.
    multivariate_hypergeometric(stream, counts.data(), counts.size(), total, out.data());
    EXPECT_EQ(out, counts);
    const std::uint64_t before = stream.draws();
    multivariate_hypergeometric(stream, counts.data(), counts.size(), 0, out.data());
    EXPECT_EQ(out, std::vector<std::int64_t>(counts.size(), 0));
    EXPECT_EQ(stream.draws(), before);
}

// ------------------------------------------------------------------ timing

// Not a test: ns per draw for docs/samplers.md. Run with
//   test_core --gtest_also_run_disabled_tests --gtest_filter='*Timing*'
TEST(CoreSampler, DISABLED_Timing) {
    using clock = std::chrono::steady_clock;
    // Best of 20 rounds: the development machines are shared, and the minimum
    // is the least disturbed estimate.
    auto time_it = [](const char* what, int reps, auto&& body) {
        std::int64_t sink = 0;
        double best = 1e300;
        for (int round = 0; round < 20; ++round) {
            const auto start = clock::now();
            for (int i = 0; i < reps / 20; ++i) sink += body();
            best = std::min(best, std::chrono::duration<double, std::nano>(clock::now() - start).count() / (reps / 20));
        }
        std::printf("%-48s %8.1f ns/call   (sink %lld)\n", what, best, static_cast<long long>(sink));
    };
    Stream stream(15, 0, Process::cease, 2024, 0);
    constexpr int reps = 5000000;
    time_it("uniform", reps, [&] { return static_cast<std::int64_t>(stream.uniform() * 4); });
    time_it("binomial n=10 p=0.05 (np=0.5)", reps, [&] { return binomial(stream, 10, 0.05); });
    time_it("binomial n=3 p=0.1 (np=0.3)", reps, [&] { return binomial(stream, 3, 0.1); });
    time_it("binomial n=50 p=0.1 (np=5)", reps, [&] { return binomial(stream, 50, 0.1); });
    time_it("binomial n=100 p=0.099 (np=9.9)", reps, [&] { return binomial(stream, 100, 0.099); });
    time_it("binomial n=500 p=0.1 (np=50, BTRS)", reps, [&] { return binomial(stream, 500, 0.1); });
    time_it("binomial n=1e6 p=0.3 (BTRS)", reps, [&] { return binomial(stream, 1000000, 0.3); });
    double p = 0.05;
    time_it("binomial n=10 p varying (np~0.5)", reps, [&] {
        p = p < 0.06 ? p + 1e-9 : 0.04;
        return binomial(stream, 10, p);
    });
    time_it("poisson lambda=3", reps, [&] { return poisson(stream, 3.0); });
    time_it("poisson lambda=100", reps, [&] { return poisson(stream, 100.0); });
    time_it("standard_normal (x1e6)", reps,
            [&] { return static_cast<std::int64_t>(standard_normal(stream) * 1e6); });
    const AliasTable alias(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    time_it("alias sample k=12", reps, [&] { return alias.sample(stream); });
    time_it("hypergeometric 30/70/20", reps / 5, [&] { return hypergeometric(stream, 30, 70, 20); });
    time_it("hypergeometric 3000/7000/2000 (mode)", reps / 10,
            [&] { return hypergeometric(stream, 3000, 7000, 2000); });
    // thin over 312 cells (26 ages x 12 needs) holding 0-3 each (468 units in
    // 234 occupied cells), and over 2,496 cells (x 8 placements) with 1,753
    // units in 935 occupied cells, like the Halton scenario.
    std::vector<std::int64_t> cells(312), halton(2496);
    for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = static_cast<std::int64_t>((i * 2654435761U) % 4);
    for (std::size_t i = 0; i < halton.size(); ++i)
        halton[i] = ((i * 2654435761U) >> 7) % 8 < 3 ? static_cast<std::int64_t>(((i * 40503U) >> 3) % 3 + 1) : 0;
    std::vector<std::int64_t> out(halton.size());
    for (const auto* layout : {&cells, &halton}) {
        for (const double q : {0.01, 0.03, 0.05, 0.2, 0.5}) {
            const std::uint64_t before = stream.draws();
            char label[80];
            std::snprintf(label, sizeof label, "thin %zu cells p=%.2f", layout->size(), q);
            time_it(label, reps / 100, [&] {
                thin(stream, layout->data(), layout->size(), q, out.data());
                return out[5];
            });
            std::printf("    uniforms per call: %.1f\n",
                        static_cast<double>(stream.draws() - before) / (reps / 100 / 20 * 20));
        }
    }
    std::vector<std::int64_t> mv_out(cells.size());
    time_it("multivariate_hypergeometric 312 cells draw 50", reps / 50, [&] {
        multivariate_hypergeometric(stream, cells.data(), cells.size(), 50, mv_out.data());
        return mv_out[3];
    });
}

}  // namespace
}  // namespace ehcpsim

namespace ehcpsim {
namespace {

// The inversion samplers over a fine grid of u reproduce the law exactly (up
// to the grid): mean and variance within 1e-3 relative at 50,000 points,
// and every count is monotone in p (and lambda) for a fixed u.
TEST(Inversion, BinomialAndPoissonQuantilesHaveTheirLawAndAreMonotone) {
    const int M = 50000;
    for (auto [n, p] : std::vector<std::pair<std::int64_t, double>>{
             {30, 0.2}, {1500, 0.02}, {400, 0.6}, {20, 0.97}, {100000, 0.3}, {10000000000LL, 1e-7}}) {
        double s = 0, ss = 0;
        for (int i = 0; i < M; ++i) {
            const double x = static_cast<double>(binomial_quantile((i + 0.5) / M, n, p));
            s += x, ss += x * x;
        }
        const double mean = s / M, var = ss / M - mean * mean;
        const double nd = static_cast<double>(n);
        EXPECT_NEAR(mean, nd * p, 1e-3 * nd * p) << n << " " << p;
        EXPECT_NEAR(var, nd * p * (1 - p), 2e-3 * nd * p * (1 - p)) << n << " " << p;
    }
    for (double lambda : {3.0, 35.0, 5000.0}) {
        double s = 0, ss = 0;
        for (int i = 0; i < M; ++i) {
            const double x = static_cast<double>(poisson_quantile((i + 0.5) / M, lambda));
            s += x, ss += x * x;
        }
        EXPECT_NEAR(s / M, lambda, 1e-3 * lambda);
        EXPECT_NEAR(ss / M - (s / M) * (s / M), lambda, 2e-3 * lambda);
    }
    for (double u : {0.01, 0.3, 0.5, 0.77, 0.999}) {
        std::int64_t previous = 0, previous_poisson = 0;
        for (double p = 0.0; p <= 1.0; p += 0.01) {
            const std::int64_t x = binomial_quantile(u, 200, p);
            EXPECT_GE(x, previous) << u << " " << p;
            previous = x;
            const std::int64_t y = poisson_quantile(u, 100 * p);
            EXPECT_GE(y, previous_poisson);
            previous_poisson = y;
        }
        EXPECT_GE(binomial_quantile(u, 201, 0.3), binomial_quantile(u, 200, 0.3));
    }
}

// The hypergeometric inversion (the ages of new plans drawn from a pool):
// over a fine grid of u its counts have the exact law, checked cell by cell
// against the pmf (within 1 / M, the grid's resolution, per point), stay in
// the support, and never decrease as u or the number of good units grows.
TEST(Inversion, HypergeometricQuantileHasItsLawAndIsMonotone) {
    const int M = 200000;
    for (auto [good, bad, draw] : std::vector<std::array<std::int64_t, 3>>{
             {5, 7, 6}, {30, 300, 40}, {1, 1000, 3}, {400, 50, 420}, {2000, 30000, 900}}) {
        std::map<std::int64_t, int> seen;
        for (int i = 0; i < M; ++i) ++seen[hypergeometric_quantile((i + 0.5) / M, good, bad, draw)];
        const std::int64_t low = std::max<std::int64_t>(0, draw - bad), high = std::min(good, draw);
        auto log_choose = [](double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); };
        for (const auto& [k, c] : seen) {
            EXPECT_GE(k, low);
            EXPECT_LE(k, high);
            const double pmf = std::exp(log_choose(static_cast<double>(good), static_cast<double>(k)) +
                                        log_choose(static_cast<double>(bad), static_cast<double>(draw - k)) -
                                        log_choose(static_cast<double>(good + bad), static_cast<double>(draw)));
            EXPECT_NEAR(static_cast<double>(c) / M, pmf, 2.0 / M) << good << " " << bad << " " << draw << " k=" << k;
        }
    }
    for (double u : {0.01, 0.3, 0.5, 0.77, 0.999}) {
        std::int64_t previous = 0;
        for (std::int64_t good = 0; good <= 60; ++good) {
            const std::int64_t x = hypergeometric_quantile(u, good, 60 - good + 40, 30);
            EXPECT_GE(x, previous) << u << " " << good;
            previous = x;
        }
    }
    EXPECT_EQ(hypergeometric_quantile(0.5, 0, 10, 5), 0);
    EXPECT_EQ(hypergeometric_quantile(0.5, 10, 0, 5), 5);
    EXPECT_EQ(hypergeometric_quantile(0.999, 3, 4, 7), 3);
}

}  // namespace
}  // namespace ehcpsim
