// Mitigations (MODEL.md section 5) and common random numbers (section 7):
// scopes, ramps, exact no-op cases, conservation under diversion, and the
// variance reduction CRN buys.
#include <gtest/gtest.h>

#include <cmath>

#include "ehcpsim/runner.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::small_scenario;
using testing::value;

Param fixed(const std::string& name, double v) { return Param{name, Distribution::fixed_value(v), {}}; }

// The small scenario reduced to its baseline plus one variant: the baseline
// with `level` and the given levers.
ScenarioSet with_levers(std::vector<Mitigation> levers, AmbitionLevel level = AmbitionLevel::target) {
    ScenarioSet set = load_scenario(small_scenario());
    set.variants.resize(1);
    Scenario mitigated = set.variants.front();
    mitigated.variant = "mitigated";
    mitigated.level = level;
    mitigated.compare_to = set.variants.front().variant;
    mitigated.mitigations = std::move(levers);
    set.variants.push_back(std::move(mitigated));
    return set;
}

Mitigation lever(Mitigation::Kind kind, double effect, int start_year, int ramp = 1) {
    Mitigation m;
    m.name = "lever";
    m.kind = kind;
    m.start_year = start_year;
    m.ramp = ramp;
    m.target = fixed("mitigations.lever.target", effect);
    m.stretch = m.target;
    m.annual_cost = fixed("mitigations.lever.annual_cost", 0.0);
    return m;
}

struct Ensemble {
    ResultBlock block;
    Shape shape;
};

Ensemble run(const ScenarioSet& set, std::int64_t replicates, bool crn = true, std::uint64_t seed = 17) {
    RunOptions options;
    options.seed = seed;
    options.replicates = replicates;
    options.common_random_numbers = crn;
    const Runner runner(set, options, "test");
    Ensemble e;
    e.shape = runner.shape();
    e.block = runner.compute_block(0, replicates);
    return e;
}

// Every metric of variant 1 equals variant 0's, bit for bit (NaN = NaN).
void expect_identical_variants(const Ensemble& e) {
    for (int m = 0; m < metric_count; ++m) {
        const auto& a = e.block.variants[0].metrics[m];
        const auto& b = e.block.variants[1].metrics[m];
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (std::isnan(a[i])) {
                ASSERT_TRUE(std::isnan(b[i])) << metric_catalogue()[m].name;
            } else {
                ASSERT_EQ(a[i], b[i]) << metric_catalogue()[m].name << " at " << i;
            }
        }
    }
}

TEST(Mitigations, RampReachesFullEffectLinearly) {
    Model::Lever l;
    l.start = 2;
    l.ramp = 3;
    EXPECT_EQ(l.effect_in(1, 0.3), 0.0);
    EXPECT_DOUBLE_EQ(l.effect_in(2, 0.3), 0.1);
    EXPECT_DOUBLE_EQ(l.effect_in(3, 0.3), 0.2);
    EXPECT_DOUBLE_EQ(l.effect_in(4, 0.3), 0.3);
    EXPECT_DOUBLE_EQ(l.effect_in(9, 0.3), 0.3);
    l.ramp = 1;
    EXPECT_DOUBLE_EQ(l.effect_in(2, 0.3), 0.3);  // full effect in the start year
}

TEST(Mitigations, ZeroEffectGivesTheUnmitigatedNumbersExactly) {
    for (auto kind : {Mitigation::Kind::fewer_plans, Mitigation::Kind::divert, Mitigation::Kind::cease_more,
                      Mitigation::Kind::cheaper_unit_cost}) {
        Mitigation m = lever(kind, 0.0, 2025);
        if (kind == Mitigation::Kind::divert) m.from = 0, m.to = 1;
        expect_identical_variants(run(with_levers({m}), 50));
    }
}

TEST(Mitigations, OutsideItsYearsPhasesOrNeedsNothingChanges) {
    const ScenarioSet base = load_scenario(small_scenario());
    const int last_year = base.variants.front().base_year + base.variants.front().horizon;
    // Starts after the horizon.
    expect_identical_variants(run(with_levers({lever(Mitigation::Kind::fewer_plans, 0.5, last_year + 1)}), 50));
    // An unmitigated level: levers declared but not in force.
    expect_identical_variants(
        run(with_levers({lever(Mitigation::Kind::fewer_plans, 0.5, 2025)}, AmbitionLevel::none), 50));
    // A need-scoped "fewer plans" lever on a need no phase ever gets.
    ScenarioSet set = with_levers({});
    for (Scenario& s : set.variants)
        for (auto& phase : s.demand.need_mix) phase[0] = fixed("demand.need_mix.zero", 0.0);
    Mitigation m = lever(Mitigation::Kind::fewer_plans, 0.5, 2025);
    m.needs = {0};
    set.variants[1].mitigations = {m};
    expect_identical_variants(run(set, 50));
}

TEST(Mitigations, ADiversionConservesNewPlansInEveryReplicate) {
    // Without ceases (whose rates differ by placement) the stock by age does
    // not depend on placement, so a diversion must leave every count of
    // requests, assessments and new plans exactly as it was.
    Mitigation m = lever(Mitigation::Kind::divert, 0.6, 2025);
    m.from = 0;
    m.to = 1;
    ScenarioSet set = with_levers({m});
    for (Scenario& s : set.variants)
        for (auto& phase : s.cease.rate)
            for (Param& p : phase) p = fixed("cease.none", 0.0);
    const Ensemble e = run(set, 200);
    int changed_placement = 0;
    for (std::int64_t r = 0; r < e.block.count; ++r)
        for (int t = 1; t < e.shape.years; ++t) {
            for (int metric : {m_requests, m_assessments, m_new_plans, m_transfers_in, m_total_stock})
                ASSERT_EQ(value(e.block.variants[0], e.shape, metric, r, t), value(e.block.variants[1], e.shape, metric, r, t))
                    << metric_catalogue()[metric].name << " replicate " << r << " year " << t;
            if (value(e.block.variants[0], e.shape, m_stock_by_placement, r, t, 0) !=
                value(e.block.variants[1], e.shape, m_stock_by_placement, r, t, 0))
                ++changed_placement;
        }
    EXPECT_GT(changed_placement, 0);  // and it did divert
}

TEST(Mitigations, DiversionMovesStockTowardsTheTarget) {
    Mitigation m = lever(Mitigation::Kind::divert, 1.0, 2024);
    m.from = 0;
    m.to = 1;
    const Ensemble e = run(with_levers({m}), 200);
    double from_before = 0, from_after = 0, to_before = 0, to_after = 0;
    const int last = e.shape.years - 1;
    for (std::int64_t r = 0; r < e.block.count; ++r) {
        from_before += value(e.block.variants[0], e.shape, m_new_plans_by_placement, r, last, 0);
        from_after += value(e.block.variants[1], e.shape, m_new_plans_by_placement, r, last, 0);
        to_before += value(e.block.variants[0], e.shape, m_new_plans_by_placement, r, last, 1);
        to_after += value(e.block.variants[1], e.shape, m_new_plans_by_placement, r, last, 1);
    }
    EXPECT_EQ(from_after, 0.0);  // full diversion: no new plan enters placement 0
    EXPECT_GT(to_after, to_before);
    EXPECT_GT(from_before, 0.0);
}

TEST(Mitigations, FewerPlansCutsRequestsByTheEffectInExpectation) {
    const ScenarioSet set = with_levers({lever(Mitigation::Kind::fewer_plans, 0.25, 2024)});
    RunOptions options;
    options.deterministic = true;
    const Runner runner(set, options, "test");
    const ResultBlock expected = runner.compute_expected();
    const Shape shape = runner.shape();
    // Year 1 starts from the same stock, so requests fall by exactly 25%.
    EXPECT_NEAR(value(expected.variants[1], shape, m_requests, 0, 1),
                0.75 * value(expected.variants[0], shape, m_requests, 0, 1), 1e-9);
}

TEST(Mitigations, CostsArePaidFromTheStartYearAndOnTheBlockOnlyWhenSaidSo) {
    Mitigation on = lever(Mitigation::Kind::fewer_plans, 0.0, 2025);
    on.annual_cost = fixed("mitigations.on.annual_cost", 100000.0);
    Mitigation off = on;
    off.name = "off";
    off.annual_cost = fixed("mitigations.off.annual_cost", 40000.0);
    off.cost_on_high_needs_block = false;
    const Ensemble e = run(with_levers({on, off}), 3);
    const int base_year = load_scenario(small_scenario()).variants.front().base_year;
    for (int t = 0; t < e.shape.years; ++t) {
        const bool paying = base_year + t >= 2025;
        EXPECT_EQ(value(e.block.variants[1], e.shape, m_mitigation_cost, 0, t), paying ? 140000.0 : 0.0);
        EXPECT_NEAR(value(e.block.variants[1], e.shape, m_spend, 0, t) - value(e.block.variants[0], e.shape, m_spend, 0, t),
                    paying ? 100000.0 : 0.0, 1e-6);
    }
}

// cost_until ends an annual cost after its last year; a one_off cost is paid
// once, in the start year (and cost_until's year counts: inclusive).
TEST(Mitigations, ACostEndsAtCostUntilAndAOneOffCostCountsOnce) {
    Mitigation until = lever(Mitigation::Kind::fewer_plans, 0.0, 2025);
    until.name = "until";
    until.annual_cost = fixed("mitigations.until.annual_cost", 100000.0);
    until.cost_until = 2026;
    Mitigation once = until;
    once.name = "once";
    once.annual_cost = fixed("mitigations.once.annual_cost", 7000.0);
    once.cost_until = 0;
    once.cost_kind = Mitigation::CostKind::one_off;
    const Ensemble e = run(with_levers({until, once}), 2);
    const int base_year = load_scenario(small_scenario()).variants.front().base_year;
    ASSERT_GE(base_year + e.shape.years - 1, 2027);  // a year after cost_until is simulated
    double total = 0.0;
    for (int t = 0; t < e.shape.years; ++t) {
        const int year = base_year + t;
        const double expected = (year == 2025 || year == 2026 ? 100000.0 : 0.0) + (year == 2025 ? 7000.0 : 0.0);
        const double cost = value(e.block.variants[1], e.shape, m_mitigation_cost, 1, t);
        EXPECT_EQ(cost, expected) << year;
        EXPECT_NEAR(value(e.block.variants[1], e.shape, m_spend, 1, t) - value(e.block.variants[0], e.shape, m_spend, 1, t),
                    expected, 1e-6) << year;
        total += cost;
    }
    EXPECT_EQ(total, 207000.0);  // the one-off counted once
}

double variance(const std::vector<double>& x) {
    double mean = 0.0;
    for (double v : x) mean += v;
    mean /= static_cast<double>(x.size());
    double ss = 0.0;
    for (double v : x) ss += (v - mean) * (v - mean);
    return ss / static_cast<double>(x.size() - 1);
}

double variance_reduction(const Ensemble& e) {
    std::vector<double> a, b, d;
    const int last = e.shape.years - 1;
    for (std::int64_t r = 0; r < e.block.count; ++r) {
        a.push_back(value(e.block.variants[0], e.shape, m_cumulative_deficit, r, last));
        b.push_back(value(e.block.variants[1], e.shape, m_cumulative_deficit, r, last));
        d.push_back(a.back() - b.back());
    }
    return (variance(a) + variance(b)) / variance(d);
}

// With common random numbers the difference between a mitigated variant and
// its unmitigated bound is far less noisy than two independent runs; without
// them (--no-crn) the factor is 1 up to sampling error. With 2,000
// replicates the factor's relative standard error is about 3%, so the band
// [0.8, 1.25] for independent runs is more than six standard errors wide.
TEST(SlowMitigations, CommonRandomNumbersReduceTheVarianceOfTheOpportunity) {
    Mitigation m = lever(Mitigation::Kind::fewer_plans, 0.2, 2025, 2);
    const ScenarioSet set = with_levers({m});
    const double with_crn = variance_reduction(run(set, 2000, true));
    const double without = variance_reduction(run(set, 2000, false));
    std::printf("  variance-reduction factor: %.1f with CRN, %.2f without\n", with_crn, without);
    EXPECT_GT(with_crn, 10.0);
    EXPECT_GT(without, 0.8);
    EXPECT_LT(without, 1.25);
}

}  // namespace
}  // namespace ehcpsim
