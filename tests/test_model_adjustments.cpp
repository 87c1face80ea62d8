// Named funding adjustments (MODEL.md section 6, docs/scenario.md "Funding
// adjustments"): a funding adjustment enters F(t) of its year only; a
// write-off comes off the cumulative deficit D(t), outside the in-year
// position; the identities hold exactly per replicate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ehcpsim/runner.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::small_scenario;
using testing::value;

FundingAdjustment adjustment(const std::string& name, FundingAdjustment::Kind kind, int year, Distribution amount) {
    FundingAdjustment a;
    a.name = name;
    a.kind = kind;
    a.year = year;
    a.amount = Param{"money.adjustments." + name + ".amount", amount, {}};
    return a;
}

struct Pair {
    ResultBlock plain, adjusted;
    Shape shape;
    RunInfo info;
};

// The small scenario's variants without and with two adjustments: a fixed
// safety-valve payment of 1.5m in 2025 and an uncertain write-off in 2026.
Pair run_pair(std::int64_t replicates) {
    const ScenarioSet plain = load_scenario(small_scenario());
    ScenarioSet adjusted = plain;
    for (Scenario& s : adjusted.variants) {
        s.money.adjustments = {
            adjustment("safety_valve", FundingAdjustment::Kind::funding, 2025, Distribution::fixed_value(1.5e6)),
            adjustment("write_off", FundingAdjustment::Kind::write_off, 2026, Distribution{Distribution::Kind::uniform, 2e5, 8e5, 0.0})};
    }
    RunOptions options;
    options.seed = 5;
    options.replicates = replicates;
    const Runner a(plain, options, "test"), b(adjusted, options, "test");
    return {a.compute_block(0, replicates), b.compute_block(0, replicates), a.shape(), b.info()};
}

TEST(FundingAdjustments, MoveTheAccountsExactlyAsDocumented) {
    const Pair p = run_pair(40);
    const int base_year = load_scenario(small_scenario()).variants.front().base_year;
    ASSERT_GE(base_year + p.shape.years - 1, 2026);
    ASSERT_FALSE(p.info.adjustments.empty());
    ASSERT_EQ(p.info.adjustments[0].size(), 2u);
    EXPECT_EQ(p.info.adjustments[0][0].amount, 1.5e6);
    EXPECT_TRUE(std::isnan(p.info.adjustments[0][1].amount));  // drawn: in the parameters
    for (std::size_t v = 0; v < p.plain.variants.size(); ++v) {
        // Each variant's draws (its own parameter list) hold the write-off.
        const auto& names = p.info.parameter_names[v];
        const auto it = std::find(names.begin(), names.end(), "money.adjustments.write_off.amount");
        ASSERT_NE(it, names.end());
        const std::size_t k = static_cast<std::size_t>(it - names.begin());
        const VariantBlock& a = p.plain.variants[v];
        const VariantBlock& b = p.adjusted.variants[v];
        for (std::int64_t r = 0; r < p.plain.count; ++r) {
            const double written_off = b.parameters[static_cast<std::size_t>(r) * names.size() + k];
            ASSERT_GE(written_off, 2e5);
            ASSERT_LE(written_off, 8e5);
            double funding_so_far = 0.0, written_so_far = 0.0;
            for (int t = 0; t < p.shape.years; ++t) {
                const int year = base_year + t;
                const double extra = year == 2025 ? 1.5e6 : 0.0;
                const double write_off = year == 2026 ? written_off : 0.0;
                funding_so_far += extra;
                written_so_far += write_off;
                // The stock and spend do not see the money.
                ASSERT_EQ(value(b, p.shape, m_spend, r, t), value(a, p.shape, m_spend, r, t));
                ASSERT_EQ(value(b, p.shape, m_funding, r, t), value(a, p.shape, m_funding, r, t) + extra) << year;
                ASSERT_EQ(value(b, p.shape, m_in_year_deficit, r, t),
                          value(b, p.shape, m_spend, r, t) - value(b, p.shape, m_funding, r, t));
                if (t > 0) {
                    // D(t) = D(t-1) + X(t) - F(t) - W(t), exactly as the accounts compute it.
                    ASSERT_EQ(value(b, p.shape, m_cumulative_deficit, r, t),
                              value(b, p.shape, m_cumulative_deficit, r, t - 1) +
                                  value(b, p.shape, m_in_year_deficit, r, t) - write_off)
                        << year;
                }
                ASSERT_NEAR(value(a, p.shape, m_cumulative_deficit, r, t) - value(b, p.shape, m_cumulative_deficit, r, t),
                            funding_so_far + written_so_far, 1e-6)
                    << year;
            }
        }
    }
}

TEST(FundingAdjustments, NoneLeavesEveryNumberAsItWas) {
    // With an adjustment of 0 in every kind, every metric is bit-identical to no adjustment at all.
    const ScenarioSet plain = load_scenario(small_scenario());
    ScenarioSet zero = plain;
    for (Scenario& s : zero.variants)
        s.money.adjustments = {adjustment("none", FundingAdjustment::Kind::funding, 2025, Distribution::fixed_value(0.0)),
                               adjustment("nil", FundingAdjustment::Kind::write_off, 2025, Distribution::fixed_value(0.0))};
    RunOptions options;
    options.seed = 9;
    options.replicates = 10;
    const ResultBlock a = Runner(plain, options, "test").compute_block(0, 10);
    const ResultBlock b = Runner(zero, options, "test").compute_block(0, 10);
    for (std::size_t v = 0; v < a.variants.size(); ++v)
        for (int m = 0; m < metric_count; ++m) {
            const auto& x = a.variants[v].metrics[m];
            const auto& y = b.variants[v].metrics[m];
            ASSERT_EQ(x.size(), y.size());
            for (std::size_t i = 0; i < x.size(); ++i)
                ASSERT_TRUE((std::isnan(x[i]) && std::isnan(y[i])) || x[i] == y[i]) << metric_catalogue()[m].name;
        }
}

}  // namespace
}  // namespace ehcpsim
