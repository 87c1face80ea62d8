// Distribution: moments, support, inverse CDFs against known values, checks.
#include <gtest/gtest.h>

#include <cmath>

#include "ehcpsim/distribution.h"

namespace ehcpsim {
namespace {

using Kind = Distribution::Kind;

Distribution make(Kind kind, double a, double b, double c = 0.0) { return Distribution{kind, a, b, c}; }

// Mean and sd of the distribution by the midpoint rule over u: a check of the
// parametrisation that does not use the implementation's own mean(). The
// grid's truncated tails bias the sd by well under the tolerances used.
std::pair<double, double> integrated_moments(const Distribution& dist) {
    constexpr int points = 20000;
    double sum = 0.0;
    double sum_squares = 0.0;
    for (int i = 0; i < points; ++i) {
        const double x = dist.quantile((i + 0.5) / points);
        sum += x;
        sum_squares += x * x;
    }
    const double mean = sum / points;
    return {mean, std::sqrt(sum_squares / points - mean * mean)};
}

TEST(Distribution, FixedIsItsValueEverywhere) {
    const Distribution dist = Distribution::fixed_value(0.25);
    EXPECT_TRUE(dist.is_fixed());
    EXPECT_EQ(dist.quantile(1e-9), 0.25);
    EXPECT_EQ(dist.quantile(0.999), 0.25);
    EXPECT_EQ(dist.mean(), 0.25);
    EXPECT_EQ(dist.lowest(), 0.25);
    EXPECT_EQ(dist.highest(), 0.25);
    EXPECT_EQ(dist.check(), "");
    EXPECT_EQ(dist.describe(), "fixed(value=0.25)");
}

TEST(Distribution, NormalQuantiles) {
    const Distribution dist = make(Kind::normal, 0.05, 0.01);
    EXPECT_NEAR(dist.quantile(0.5), 0.05, 1e-15);
    EXPECT_NEAR(dist.quantile(0.975), 0.06959963984540055, 1e-14);  // scipy.stats.norm.ppf
    EXPECT_NEAR(dist.quantile(0.025), 0.05 - 0.01959963984540055, 1e-14);
    EXPECT_EQ(dist.mean(), 0.05);
    EXPECT_TRUE(std::isinf(dist.lowest()) && dist.lowest() < 0);
    EXPECT_TRUE(std::isinf(dist.highest()));
}

TEST(Distribution, LognormalIsGivenByTheVariablesOwnMeanAndSd) {
    const Distribution dist = make(Kind::lognormal, 9000.0, 900.0);
    const double sigma2 = std::log(1.0 + 0.01);
    const double mu = std::log(9000.0) - sigma2 / 2.0;
    EXPECT_NEAR(dist.quantile(0.5), std::exp(mu), 1e-9);
    EXPECT_NEAR(dist.quantile(0.05), 7600.1885036488575, 1e-8);  // scipy.stats.lognorm.ppf
    const auto [mean, sd] = integrated_moments(dist);
    EXPECT_NEAR(mean, 9000.0, 0.5);
    EXPECT_NEAR(sd, 900.0, 2.0);
    EXPECT_EQ(dist.mean(), 9000.0);
    EXPECT_EQ(dist.lowest(), 0.0);
}

TEST(Distribution, BetaByMethodOfMoments) {
    // mean 0.9, sd 0.03: nu = 0.09 / 0.0009 - 1 = 99, alpha = 89.1, beta = 9.9.
    const Distribution dist = make(Kind::beta, 0.9, 0.03);
    EXPECT_NEAR(dist.quantile(0.1), 0.8600843444519506, 1e-12);  // scipy.stats.beta(89.1, 9.9).ppf
    EXPECT_NEAR(dist.quantile(0.9), 0.9364105164062739, 1e-12);
    const auto [mean, sd] = integrated_moments(dist);
    EXPECT_NEAR(mean, 0.9, 1e-5);
    EXPECT_NEAR(sd, 0.03, 1e-4);
    EXPECT_EQ(dist.lowest(), 0.0);
    EXPECT_EQ(dist.highest(), 1.0);
}

TEST(Distribution, BetaWithUnitShapesIsUniform) {
    // mean 1/2, sd sqrt(1/12): alpha = beta = 1.
    const Distribution dist = make(Kind::beta, 0.5, std::sqrt(1.0 / 12.0));
    for (double u : {0.01, 0.2, 0.5, 0.77, 0.99}) EXPECT_NEAR(dist.quantile(u), u, 1e-9);
}

TEST(Distribution, Uniform) {
    const Distribution dist = make(Kind::uniform, 2.0, 6.0);
    EXPECT_DOUBLE_EQ(dist.quantile(0.25), 3.0);
    EXPECT_DOUBLE_EQ(dist.mean(), 4.0);
    EXPECT_EQ(dist.lowest(), 2.0);
    EXPECT_EQ(dist.highest(), 6.0);
}

TEST(Distribution, Triangular) {
    const Distribution dist = make(Kind::triangular, 0.0, 0.5, 1.0);
    // Below the mode F(x) = x^2 / ((max-min)(mode-min)), so Q(1/8) = 1/4.
    EXPECT_NEAR(dist.quantile(0.125), 0.25, 1e-12);
    EXPECT_NEAR(dist.quantile(0.875), 0.75, 1e-12);
    EXPECT_DOUBLE_EQ(make(Kind::triangular, 1.0, 2.0, 6.0).mean(), 3.0);
    EXPECT_EQ(dist.lowest(), 0.0);
    EXPECT_EQ(dist.highest(), 1.0);
}

TEST(Distribution, PertUsesLambdaFour) {
    // PERT(10, 10, 20) is 10 + 10 Beta(1, 5), whose quantile is 1 - (1-u)^(1/5).
    const Distribution dist = make(Kind::pert, 10.0, 10.0, 20.0);
    for (double u : {0.05, 0.5, 0.95}) EXPECT_NEAR(dist.quantile(u), 10.0 + 10.0 * (1.0 - std::pow(1.0 - u, 0.2)), 1e-10);
    const Distribution skewed = make(Kind::pert, 0.0, 0.05, 0.1 + 0.3);
    EXPECT_DOUBLE_EQ(skewed.mean(), (0.0 + 4.0 * 0.05 + 0.4) / 6.0);
    EXPECT_NEAR(integrated_moments(skewed).first, skewed.mean(), 1e-6);
    EXPECT_NEAR(make(Kind::pert, 0.0, 0.5, 1.0).quantile(0.5), 0.5, 1e-12);
}

TEST(Distribution, QuantileIsMonotone) {
    for (const Distribution& dist : {make(Kind::normal, 1, 2), make(Kind::lognormal, 3, 1), make(Kind::beta, 0.3, 0.1),
                                      make(Kind::uniform, -1, 1), make(Kind::triangular, 0, 0.2, 1),
                                      make(Kind::pert, 0, 0.7, 1)}) {
        double previous = -INFINITY;
        for (int i = 1; i < 1000; ++i) {
            const double x = dist.quantile(i / 1000.0);
            EXPECT_GE(x, previous) << dist.describe();
            EXPECT_GE(x, dist.lowest());
            EXPECT_LE(x, dist.highest());
            previous = x;
        }
    }
}

TEST(Distribution, QuantileAtTheEndsIsTheSupport) {
    EXPECT_EQ(make(Kind::uniform, 1, 3).quantile(0.0), 1.0);
    EXPECT_EQ(make(Kind::uniform, 1, 3).quantile(1.0), 3.0);
    EXPECT_EQ(make(Kind::beta, 0.5, 0.1).quantile(0.0), 0.0);
    EXPECT_TRUE(std::isinf(make(Kind::normal, 0, 1).quantile(1.0)));
}

TEST(Distribution, CheckAcceptsValidNumbers) {
    for (const Distribution& dist : {make(Kind::normal, 0, 1), make(Kind::lognormal, 9000, 900), make(Kind::beta, 0.9, 0.03),
                                      make(Kind::uniform, 0, 1), make(Kind::triangular, 0, 0, 1), make(Kind::pert, 0, 1, 1)})
        EXPECT_EQ(dist.check(), "") << dist.describe();
}

TEST(Distribution, CheckExplainsInvalidNumbers) {
    EXPECT_NE(make(Kind::normal, 0, 0).check().find("sd must be > 0"), std::string::npos);
    EXPECT_NE(make(Kind::normal, 0, -1).check().find("sd must be > 0"), std::string::npos);
    EXPECT_NE(make(Kind::lognormal, 0, 1).check().find("mean must be > 0"), std::string::npos);
    EXPECT_NE(make(Kind::beta, 1.2, 0.1).check().find("(0, 1)"), std::string::npos);
    EXPECT_NE(make(Kind::beta, 0.9, 0.3).check().find("too large"), std::string::npos);
    EXPECT_NE(make(Kind::uniform, 1, 1).check().find("min must be less than max"), std::string::npos);
    EXPECT_NE(make(Kind::triangular, 0, 2, 1).check().find("mode must lie in"), std::string::npos);
    EXPECT_NE(make(Kind::pert, 0, -1, 1).check().find("mode must lie in"), std::string::npos);
    EXPECT_NE(Distribution::fixed_value(NAN).check().find("finite"), std::string::npos);
    EXPECT_NE(make(Kind::normal, INFINITY, 1).check().find("finite"), std::string::npos);
}

TEST(Distribution, DescribeAndKindNames) {
    EXPECT_EQ(make(Kind::normal, 0.05, 0.01).describe(), "normal(mean=0.05, sd=0.01)");
    EXPECT_EQ(make(Kind::lognormal, 9000, 900).describe(), "lognormal(mean=9000, sd=900)");
    EXPECT_EQ(make(Kind::uniform, 0, 0.1).describe(), "uniform(min=0, max=0.1)");
    EXPECT_EQ(make(Kind::pert, 0, 0.05, 0.1).describe(), "pert(min=0, mode=0.05, max=0.1)");
    EXPECT_STREQ(kind_name(Kind::triangular), "triangular");
    EXPECT_STREQ(kind_name(Kind::beta), "beta");
    EXPECT_STREQ(kind_name(Kind::fixed), "fixed");
}

}  // namespace
}  // namespace ehcpsim
