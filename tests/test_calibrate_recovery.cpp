// Recovery of known parameters by calibrate's estimators, and the margins-to-
// cells fit. Synthetic authorities are drawn from known parameters (binomial
// and multinomial counts at a fixed seed, sizes like the shipped panel's), the
// pooled posteriors fitted, and the share of true values inside the 90%
// intervals counted per family. This checks the estimators (pooling.h) on
// data drawn from the law they assume; it is not yet the engine-generated
// recovery of CALIBRATION.md section 6 (histories run through the model).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>
#include <vector>

#include "ehcpsim/ipf.h"
#include "ehcpsim/pooling.h"
#include "synthetic_draws.h"

namespace ehcpsim::calibrate {
namespace {

// 400 authorities per family: the coverage of a calibrated 90% interval then
// has a standard error of sqrt(0.9 x 0.1 / 400) = 0.015, so the 0.85-0.95 band
// of CALIBRATION.md is about 3.3 standard errors either side: a calibrated
// estimator fails it about once in a thousand seeds, an interval that ignores
// the estimate's uncertainty (or the spread between authorities) fails it.
constexpr int authorities = 400;

using testing::beta_draw;

// Sizes spread log-uniformly over [lo, hi], as authorities' sizes are.
double size_draw(std::mt19937_64& rng, double lo, double hi) {
    std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
    return std::round(std::exp(u(rng)));
}

struct Family {
    const char* name;
    double mean, concentration;  // the authorities' true proportions ~ Beta(mean M, (1-mean) M)
    double n_lo, n_hi;           // trials per authority
};

double coverage(const Family& f, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> truth;
    std::vector<Count> counts;
    for (int i = 0; i < authorities; ++i) {
        const double p = beta_draw(rng, f.mean, f.concentration);
        const double n = size_draw(rng, f.n_lo, f.n_hi);
        std::binomial_distribution<long> k(static_cast<long>(n), p);
        truth.push_back(p);
        counts.push_back({static_cast<double>(k(rng)), n});
    }
    const BetaPrior prior = beta_prior(counts);
    int inside = 0;
    for (int i = 0; i < authorities; ++i) {
        const BetaPosterior post = beta_posterior(counts[static_cast<std::size_t>(i)], prior);
        const double lo = post.quantile(0.05), hi = post.quantile(0.95);
        inside += truth[static_cast<std::size_t>(i)] >= lo && truth[static_cast<std::size_t>(i)] <= hi;
    }
    return static_cast<double>(inside) / authorities;
}

// Rates like the shipped panel's fits: requests per resident child (prior
// size about 1,000-2,000), conversion (about 10-25), cease rates (about 30-170).
TEST(CalibrateRecovery, NinetyPercentIntervalsCoverTheTruthOfEachRateFamily) {
    const Family families[] = {
        {"request rate", 0.013, 1500.0, 3000.0, 60000.0},
        {"conversion", 0.65, 12.0, 80.0, 2500.0},
        {"cease rate", 0.025, 160.0, 100.0, 3000.0},
        {"cease rate, post-16", 0.10, 30.0, 50.0, 800.0},
    };
    for (const Family& f : families) {
        const double c = coverage(f, 20241203);
        std::cout << f.name << ": 90% intervals cover " << c << " of " << authorities << " true rates\n";
        EXPECT_GE(c, 0.85) << f.name;
        EXPECT_LE(c, 0.95) << f.name;
    }
}

// The same estimator without pooling (a flat prior) on small authorities
// covers less or more than it should: the test can fail.
TEST(CalibrateRecovery, AnIntervalThatIgnoresTheSpreadBetweenAuthoritiesFails) {
    std::mt19937_64 rng(7);
    std::vector<double> truth;
    std::vector<Count> counts;
    for (int i = 0; i < authorities; ++i) {
        const double p = beta_draw(rng, 0.013, 1500.0);
        const double n = size_draw(rng, 3000.0, 60000.0);
        std::binomial_distribution<long> k(static_cast<long>(n), p);
        truth.push_back(p);
        counts.push_back({static_cast<double>(k(rng)), n});
    }
    // Everyone shrunk to the group mean (a prior of a million plans): too narrow.
    const BetaPrior overconfident{beta_prior(counts).mean, 1e6, authorities};
    int inside = 0;
    for (int i = 0; i < authorities; ++i) {
        const BetaPosterior post = beta_posterior(counts[static_cast<std::size_t>(i)], overconfident);
        inside += truth[static_cast<std::size_t>(i)] >= post.quantile(0.05) &&
                  truth[static_cast<std::size_t>(i)] <= post.quantile(0.95);
    }
    EXPECT_LT(static_cast<double>(inside) / authorities, 0.85);
}

// Mixes: true mixes ~ Dirichlet(M m) over eight placements, plans
// multinomial; the coverage of every share's interval, pooled over the shares.
TEST(CalibrateRecovery, NinetyPercentIntervalsCoverTheTruthOfMixShares) {
    const std::vector<double> mean = {0.6, 0.05, 0.1, 0.05, 0.04, 0.04, 0.02, 0.1};
    const double concentration = 50.0;
    std::mt19937_64 rng(99);
    std::vector<std::vector<double>> truth, counts;
    for (int i = 0; i < authorities; ++i) {
        std::vector<double> g(mean.size());
        double s = 0.0;
        for (std::size_t j = 0; j < mean.size(); ++j) {
            std::gamma_distribution<double> gamma(mean[j] * concentration, 1.0);
            g[j] = gamma(rng);
            s += g[j];
        }
        for (double& x : g) x /= s;
        // Multinomial as a chain of conditional binomials.
        long left = static_cast<long>(size_draw(rng, 40.0, 1200.0));
        double rest = 1.0;
        std::vector<double> k(mean.size(), 0.0);
        for (std::size_t j = 0; j < mean.size(); ++j) {
            const double p = j + 1 == mean.size() ? 1.0 : std::min(1.0, g[j] / rest);
            std::binomial_distribution<long> b(left, p);
            const long x = b(rng);
            k[j] = static_cast<double>(x);
            left -= x;
            rest -= g[j];
        }
        truth.push_back(g);
        counts.push_back(k);
    }
    const DirichletPrior prior = dirichlet_prior(counts);
    int inside = 0, all = 0;
    for (int i = 0; i < authorities; ++i) {
        const std::vector<BetaPosterior> post = dirichlet_posterior(counts[static_cast<std::size_t>(i)], prior);
        for (std::size_t j = 0; j < mean.size(); ++j) {
            const double t = truth[static_cast<std::size_t>(i)][j];
            inside += t >= post[j].quantile(0.05) && t <= post[j].quantile(0.95);
            ++all;
        }
    }
    const double c = static_cast<double>(inside) / all;
    std::cout << "mix shares: 90% intervals cover " << c << " of " << all << "\n";
    // 3,200 shares, not independent within an authority: the band is kept at 0.85-0.95.
    EXPECT_GE(c, 0.85);
    EXPECT_LE(c, 0.95);
}

// IPF meets its margins on a table with a band margin and a rest group, and
// whole plans keep the total and every margin at its rounded target.
TEST(CalibrateIpf, MarginsAreMetBeforeAndAfterRounding) {
    Table3 seed{4, 2, 3, std::vector<double>(24, 1.0)};
    seed.cells[seed.at(0, 0, 0)] = 5.0;
    seed.cells[seed.at(3, 1, 2)] = 0.01;
    std::vector<Margin> margins = {
        {0, {{0, 1}, {2}, {3}}, {40.0, 35.0, 25.0}},  // a band of two ages, then two ages
        {1, {{0}, {1}}, {61.0, 39.0}},
        {2, {{0}, {1}, {2}}, {50.0, 30.0, 20.0}},
    };
    const IpfOutcome fit = ipf(seed, margins);
    EXPECT_TRUE(fit.converged);
    EXPECT_LT(fit.max_relative_gap, 1e-10);
    const std::vector<std::int64_t> cells = integerise(fit.table, margins, 100);
    std::int64_t total = 0;
    for (auto v : cells) {
        EXPECT_GE(v, 0);
        total += v;
    }
    EXPECT_EQ(total, 100);
    for (const Margin& m : margins)
        for (std::size_t g = 0; g < m.groups.size(); ++g) {
            std::int64_t s = 0;
            for (std::size_t i : m.groups[g])
                for (std::size_t a = 0; a < 4; ++a)
                    for (std::size_t b = 0; b < 2; ++b)
                        for (std::size_t c = 0; c < 3; ++c) {
                            const std::size_t along = m.dim == 0 ? a : (m.dim == 1 ? b : c);
                            if (along == i) s += cells[seed.at(a, b, c)];
                        }
            EXPECT_EQ(s, static_cast<std::int64_t>(m.targets[g])) << "margin " << m.dim << " group " << g;
        }
}

TEST(CalibrateIpf, RoundingToATotalIsLargestRemainder) {
    EXPECT_EQ(round_to_total({1.6, 1.3, 1.1}, 4), (std::vector<std::int64_t>{2, 1, 1}));
    EXPECT_EQ(round_to_total({0.5, 0.5, 0.5, 0.5}, 2), (std::vector<std::int64_t>{1, 1, 0, 0}));
    EXPECT_EQ(round_to_total({3.0, 3.0}, 5), (std::vector<std::int64_t>{3, 2}));
}

}  // namespace
}  // namespace ehcpsim::calibrate
