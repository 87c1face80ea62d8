// Each lever's worth (issue 16, item 3): every subset of a mitigated
// variant's levers run under the variant's draws (Runner::lever_subsets) and
// the exact Shapley shares of them (summary_levers.h). Small scenario, few
// replicates: the claims are exact, not statistical.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>

#include "ehcpsim/runner.h"
#include "ehcpsim/summary_levers.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::small_scenario;

Param fixed(const std::string& name, double v) { return Param{name, Distribution::fixed_value(v), {}}; }

// A lever that makes `placement` cheaper by `effect` from the first simulated year.
Mitigation cheaper(const std::string& name, double effect, double cost, int placement) {
    Mitigation m;
    m.name = name;
    m.kind = Mitigation::Kind::cheaper_unit_cost;
    m.start_year = 2024;
    m.target = fixed("mitigations." + name + ".target", effect);
    m.stretch = m.target;
    m.annual_cost = fixed("mitigations." + name + ".annual_cost", cost);
    m.placements = {placement};
    return m;
}

// The small scenario's baseline ("lower") and its "target" variant, with
// `extra` levers appended to the target's own (early_help, resourced_not_special).
Runner runner_with(const std::vector<Mitigation>& extra, std::int64_t replicates = 40) {
    ScenarioSet set = load_scenario(small_scenario());
    for (Scenario& s : set.variants)
        if (s.variant == "target") s.mitigations.insert(s.mitigations.end(), extra.begin(), extra.end());
    RunOptions options;
    options.seed = 11;
    options.replicates = replicates;
    options.threads = 2;
    options.variants = {"lower", "target"};
    return Runner(set, options, "test");
}

std::vector<double> horizon_deficit(const Runner& runner, const ResultBlock& block, std::size_t v) {
    const std::size_t years = static_cast<std::size_t>(runner.shape().years);
    std::vector<double> out;
    for (std::int64_t r = 0; r < block.count; ++r)
        out.push_back(block.variants[v].metrics[m_cumulative_deficit][static_cast<std::size_t>(r) * years + years - 1]);
    return out;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(LeverWorth, AllLeversReproduceTheVariantAndNoneItsComparisonBitForBit) {
    const Runner runner = runner_with({});
    const ResultBlock block = runner.compute_block(0, 40);
    const std::vector<LeverSubsets> subsets = runner.lever_subsets();
    ASSERT_EQ(subsets.size(), 1u);  // "lower" has no lever
    const LeverSubsets& target = subsets.front();
    EXPECT_EQ(target.variant, "target");
    ASSERT_GE(target.levers.size(), 2u);
    const std::vector<double> mitigated = horizon_deficit(runner, block, 1), unmitigated = horizon_deficit(runner, block, 0);
    const std::size_t n = target.subsets();
    for (std::size_t r = 0; r < 40; ++r) {
        EXPECT_TRUE(same_bits(target.deficit[r * n + n - 1], mitigated[r])) << "replicate " << r;
        EXPECT_TRUE(same_bits(target.deficit[r * n], unmitigated[r])) << "replicate " << r;
    }
    // And the subsets differ: the levers do something.
    EXPECT_NE(target.deficit[0], target.deficit[n - 1]);
}

// phi_j sums 2^(k-1) weighted differences of deficits of about 1e6-1e7:
// each addition rounds by at most eps x the running magnitude, so the sum of
// the k shares is within k 2^(k-1) eps max|D| of D(none) - D(all).
double tolerance(const double* d, std::size_t k) {
    double largest = 0.0;
    for (std::size_t s = 0; s < (std::size_t{1} << k); ++s) largest = std::max(largest, std::abs(d[s]));
    return static_cast<double>(k << k) * DBL_EPSILON * largest;
}

TEST(LeverWorth, SharesAddUpInEveryReplicateAndAZeroLeverGetsNothingAndTwinsShareEqually) {
    const int special = 2;
    const Runner runner = runner_with({cheaper("nothing", 0.0, 0.0, special), cheaper("twin_a", 0.1, 5000.0, special),
                                       cheaper("twin_b", 0.1, 5000.0, special)});
    const LeverSubsets target = runner.lever_subsets().front();
    const std::size_t k = target.levers.size(), n = target.subsets();
    ASSERT_EQ(k, 5u);
    ASSERT_EQ(target.levers[2], "nothing");
    for (std::size_t r = 0; r < 40; ++r) {
        const double* d = target.deficit.data() + r * n;
        const std::vector<double> phi = shapley_shares(d, k);
        double sum = 0.0;
        for (double x : phi) sum += x;
        EXPECT_NEAR(sum, d[0] - d[n - 1], tolerance(d, k)) << "replicate " << r;
        EXPECT_EQ(phi[2], 0.0) << "replicate " << r;  // exactly: its every marginal is D(S) - D(S) = 0
        EXPECT_NEAR(phi[3], phi[4], tolerance(d, k)) << "replicate " << r;
        EXPECT_GT(phi[3], 0.0);
    }
}

TEST(LeverWorth, AVariantOfMoreThanTenLeversIsRefusedNamingIt) {
    std::vector<Mitigation> many;
    for (int i = 0; i < 9; ++i) many.push_back(cheaper("lever" + std::to_string(i), 0.01, 0.0, 0));
    const Runner runner = runner_with(many, 2);
    try {
        (void)runner.lever_subsets();
        FAIL() << "expected a ScenarioError";
    } catch (const ScenarioError& e) {
        EXPECT_NE(std::string(e.what()).find("variant 'target' has 11 levers"), std::string::npos) << e.what();
    }
}

TEST(ShapleyShares, TwoLeversByHand) {
    // D(none) = 100, D(a) = 90, D(b) = 80, D(a, b) = 60: a is worth 10 alone
    // and 20 after b, so 15; b 20 alone and 30 after a, so 25; 15 + 25 = 40.
    const double d[] = {100.0, 90.0, 80.0, 60.0};
    const std::vector<double> phi = shapley_shares(d, 2);
    EXPECT_DOUBLE_EQ(phi[0], 15.0);
    EXPECT_DOUBLE_EQ(phi[1], 25.0);
}

TEST(ShapleyShares, ThreeSymmetricLeversShareEquallyAndAdditiveOnesGetTheirOwn) {
    // Symmetric: D depends only on how many levers are on.
    const double by_count[] = {100.0, 70.0, 50.0, 45.0};
    std::vector<double> d(8), additive(8);
    for (std::size_t s = 0; s < 8; ++s) {
        d[s] = by_count[__builtin_popcount(static_cast<unsigned>(s))];
        additive[s] = 100.0 - ((s & 1) ? 1.0 : 0.0) - ((s & 2) ? 2.0 : 0.0) - ((s & 4) ? 4.0 : 0.0);
    }
    for (double phi : shapley_shares(d.data(), 3)) EXPECT_NEAR(phi, 55.0 / 3.0, 1e-12);
    const std::vector<double> own = shapley_shares(additive.data(), 3);
    EXPECT_DOUBLE_EQ(own[0], 1.0);
    EXPECT_DOUBLE_EQ(own[1], 2.0);
    EXPECT_DOUBLE_EQ(own[2], 4.0);
}

}  // namespace
}  // namespace ehcpsim
