// The results by age (results.h, AgeMetricId), recorded only when a run asks
// (RunOptions::record_by_age): they add up to the totals in every replicate,
// variant and year, in both modes; asking for them changes no other number;
// and a run that does not ask records none.
#include <gtest/gtest.h>

#include <cmath>

#include "ehcpsim/runner.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::small_scenario;
using testing::value;

RunOptions options(std::int64_t replicates, bool by_age, bool deterministic = false) {
    RunOptions o;
    o.seed = 23;
    o.replicates = replicates;
    o.record_by_age = by_age;
    o.deterministic = deterministic;
    return o;
}

double by_age_sum(const VariantBlock& v, const Shape& shape, int metric, std::int64_t r, int t) {
    const std::size_t ages = static_cast<std::size_t>(shape.ages);
    const double* row = v.by_age[static_cast<std::size_t>(metric)].data() +
                        static_cast<std::size_t>(r) * shape.values_per_replicate_by_age() +
                        static_cast<std::size_t>(t) * ages;
    double sum = 0.0;
    for (std::size_t a = 0; a < ages; ++a) sum += row[a];
    return sum;
}

// Whole counts in Monte Carlo: the sums are exact. The small scenario has
// phases (post16 16-18, post19 19) that cut the panel's bands, a lag (late
// plans join at the next age) and several variants.
TEST(ByAge, RecordsAddUpToTheTotalsInEveryReplicateVariantAndYear) {
    const ScenarioSet scenario = load_scenario(small_scenario());
    for (const bool deterministic : {false, true}) {
        const Runner runner(scenario, options(deterministic ? 1 : 100, true, deterministic), "test");
        const Shape shape = runner.shape();
        ASSERT_TRUE(shape.by_age);
        ASSERT_EQ(shape.ages, 20);
        const ResultBlock block = deterministic ? runner.compute_expected() : runner.compute_block(0, 100);
        ASSERT_GE(block.variants.size(), 2u);
        // Deterministic counts are real numbers summed in another order.
        const double tol = deterministic ? 1e-9 : 0.0;
        for (const VariantBlock& v : block.variants) {
            ASSERT_EQ(v.by_age.size(), static_cast<std::size_t>(age_metric_count));
            for (std::int64_t r = 0; r < block.count; ++r) {
                const double stock0 = value(v, shape, m_total_stock, r, 0);
                EXPECT_NEAR(by_age_sum(v, shape, a_stock, r, 0), stock0, tol * stock0);
                for (const int metric : {a_new_plans, a_requests, a_ceased})
                    EXPECT_TRUE(std::isnan(by_age_sum(v, shape, metric, r, 0))) << "a flow in the base year";
                for (int t = 1; t < shape.years; ++t) {
                    const auto near = [&](int age_metric, int metric) {
                        const double total = value(v, shape, metric, r, t);
                        EXPECT_NEAR(by_age_sum(v, shape, age_metric, r, t), total, tol * std::max(1.0, total))
                            << age_metric_names()[static_cast<std::size_t>(age_metric)] << " replicate " << r
                            << " year index " << t << (deterministic ? " (deterministic)" : "");
                    };
                    near(a_stock, m_total_stock);
                    near(a_new_plans, m_new_plans);
                    near(a_requests, m_requests);
                    near(a_ceased, m_ceased);
                }
            }
        }
    }
}

// The requests' ages are drawn at a stream of their own and the rest is
// read from the state: every other number, and the parameters, are the same
// bits with or without them; without them the blocks hold no ages at all.
TEST(ByAge, AskingForThemChangesNoOtherNumberAndByDefaultNoneAreRecorded) {
    const ScenarioSet scenario = load_scenario(small_scenario());
    EXPECT_FALSE(RunOptions{}.record_by_age) << "off by default";
    const Runner plain(scenario, options(40, false), "test");
    const Runner with_ages(scenario, options(40, true), "test");
    EXPECT_FALSE(plain.shape().by_age);
    EXPECT_EQ(plain.shape().values_per_replicate_by_age(), 0u);
    const ResultBlock a = plain.compute_block(0, 40);
    const ResultBlock b = with_ages.compute_block(0, 40);
    ASSERT_EQ(a.variants.size(), b.variants.size());
    for (std::size_t v = 0; v < a.variants.size(); ++v) {
        EXPECT_TRUE(a.variants[v].by_age.empty());
        EXPECT_FALSE(b.variants[v].by_age.empty());
        for (int m = 0; m < metric_count; ++m)
            EXPECT_TRUE(same_bits(a.variants[v].metrics[m], b.variants[v].metrics[m]))
                << metric_catalogue()[static_cast<std::size_t>(m)].name << " of variant " << v;
        EXPECT_TRUE(same_bits(a.variants[v].parameters, b.variants[v].parameters));
    }
    EXPECT_EQ(plain.info().phase_detail, with_ages.info().phase_detail);
    EXPECT_FALSE(first_difference(plain.info(), with_ages.info(), RunMatch::same_shard)) << "the same run";
}

// The stock by age moves up a year each year: the plans at age a + 1 in
// year t are those at age a in year t - 1, less those that ceased at a (the
// age before ageing), plus the new plans that joined at a + 1, plus some of
// the year's transfers in (placed at any age).
TEST(ByAge, StockByAgeFollowsItsCohorts) {
    const ScenarioSet scenario = load_scenario(small_scenario());
    const Runner runner(scenario, options(20, true), "test");
    const Shape shape = runner.shape();
    const ResultBlock block = runner.compute_block(0, 20);
    const VariantBlock& v = block.variants.front();
    const auto at = [&](int metric, std::int64_t r, int t, int a) {
        return v.by_age[static_cast<std::size_t>(metric)][static_cast<std::size_t>(r) * shape.values_per_replicate_by_age() +
                                                          static_cast<std::size_t>(t * shape.ages + a)];
    };
    for (std::int64_t r = 0; r < block.count; ++r)
        for (int t = 1; t < shape.years; ++t)
            for (int a = 0; a + 1 < shape.ages; ++a) {
                // Transfers in join at any age: bounded by the year's total.
                const double transfers = value(v, shape, m_transfers_in, r, t);
                const double without = at(a_stock, r, t - 1, a) - at(a_ceased, r, t, a) + at(a_new_plans, r, t, a + 1);
                EXPECT_GE(at(a_stock, r, t, a + 1), without)
                    << "replicate " << r << " year index " << t << " age index " << a + 1;
                EXPECT_LE(at(a_stock, r, t, a + 1), without + transfers)
                    << "replicate " << r << " year index " << t << " age index " << a + 1;
            }
}

// The requests' ages, drawn per phase in Monte Carlo, follow the eligible
// residents: pooled over 400 replicates and the five years, each age's share
// of its phase's requests is the deterministic projection's (where each age's
// requests are its eligible residents times the phase's rate). Tolerance
// 0.02: about 5,000 requests a phase give a share a standard error under
// 0.007, and the two modes' eligible residents differ by a few plans in a
// thousand; a draw that ignored the ages (all at the phase's first, or
// evenly) misses by 0.1 or more.
TEST(ByAge, RequestsTakeTheirAgesFromTheEligibleResidents) {
    const ScenarioSet scenario = load_scenario(small_scenario());
    const Runner mc(scenario, options(400, true), "test");
    const Runner det(scenario, options(1, true, true), "test");
    const Shape shape = mc.shape();
    const ResultBlock block = mc.compute_block(0, 400);
    const ResultBlock expected = det.compute_expected();
    const std::vector<int> phase_first = {0, 5, 11, 16};  // early_years, primary, secondary, post16 (16-18)
    const std::vector<int> phase_last = {4, 10, 15, 18};
    const auto shares = [&](const VariantBlock& v, std::int64_t replicates, int first, int last) {
        std::vector<double> sums(static_cast<std::size_t>(last - first + 1), 0.0);
        double total = 0.0;
        for (std::int64_t r = 0; r < replicates; ++r)
            for (int t = 1; t < shape.years; ++t)
                for (int a = first; a <= last; ++a) {
                    const double x = v.by_age[a_requests][static_cast<std::size_t>(r) * shape.values_per_replicate_by_age() +
                                                          static_cast<std::size_t>(t * shape.ages + a)];
                    sums[static_cast<std::size_t>(a - first)] += x;
                    total += x;
                }
        for (double& x : sums) x /= total;
        return sums;
    };
    for (std::size_t k = 0; k < phase_first.size(); ++k) {
        const std::vector<double> got = shares(block.variants.front(), 400, phase_first[k], phase_last[k]);
        const std::vector<double> want = shares(expected.variants.front(), 1, phase_first[k], phase_last[k]);
        for (std::size_t i = 0; i < got.size(); ++i)
            EXPECT_NEAR(got[i], want[i], 0.02) << "age " << phase_first[k] + static_cast<int>(i);
    }
}

}  // namespace
}  // namespace ehcpsim
