// Every lever kind, at every stage and scope, as the only lever of a variant
// (issue 12, item 1): in deterministic mode its first year of effect moves the
// flow it acts on by exactly its effect (whole scope) or by a part of it (a
// narrower scope), against the same run without it.
#include <gtest/gtest.h>

#include <string>

#include "ehcpsim/runner.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::small_scenario;
using testing::value;

Param fixed(const std::string& name, double v) { return Param{name, Distribution::fixed_value(v), {}}; }

constexpr double effect = 0.4;
constexpr int start_year = 2024;  // the first simulated year of the small scenario

struct Case {
    std::string name;
    Mitigation::Kind kind;
    Mitigation::Stage stage = Mitigation::Stage::requests;
    std::vector<int> phases, needs, placements;
    int from = -1, to = -1;
};

Case make(std::string name, Mitigation::Kind kind, Mitigation::Stage stage = Mitigation::Stage::requests,
          std::vector<int> phases = {}, std::vector<int> needs = {}, std::vector<int> placements = {}, int from = -1,
          int to = -1) {
    return Case{std::move(name), kind, stage, std::move(phases), std::move(needs), std::move(placements), from, to};
}

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

struct Result {
    ResultBlock block;
    Shape shape;
    double get(int variant, int metric, int index = 0) const {
        return value(block.variants[variant], shape, metric, 0, 1, index);
    }
};

// Deterministic run of the small scenario's baseline (variant 0) and the
// same with only this lever at target (variant 1). No lag (so the first
// year's new plans are all issued that year) and no capacity.
Result run(const Case& c) {
    ScenarioSet set = load_scenario(small_scenario());
    set.variants.resize(1);
    Scenario& base = set.variants.front();
    base.demand.lag = fixed("demand.lag", 0.0);
    base.capacity.clear();
    Mitigation m;
    m.name = "only";
    m.kind = c.kind;
    m.stage = c.stage;
    m.start_year = start_year;
    m.ramp = 1;
    m.target = fixed("mitigations.only.target", effect);
    m.stretch = m.target;
    m.annual_cost = fixed("mitigations.only.annual_cost", 1000.0);
    m.phases = c.phases;
    m.needs = c.needs;
    m.placements = c.placements;
    m.from = c.from;
    m.to = c.to;
    Scenario mitigated = base;
    mitigated.variant = "only";
    mitigated.level = AmbitionLevel::target;
    mitigated.compare_to = base.variant;
    mitigated.mitigations = {m};
    set.variants.push_back(std::move(mitigated));
    RunOptions options;
    options.deterministic = true;
    const Runner runner(set, options, "test");
    Result r;
    r.shape = runner.shape();
    r.block = runner.compute_expected();
    return r;
}

// Indices in the small scenario: needs ASD, SEMH, SLCN; placements
// mainstream, resourced, special, independent; phases early_years, primary,
// secondary, post16, post19.
constexpr int semh = 1, mainstream = 0, resourced = 1, special = 2, secondary = 2;
using K = Mitigation::Kind;
using S = Mitigation::Stage;

class EveryLever : public ::testing::TestWithParam<Case> {};

TEST_P(EveryLever, TakesEffectAsTheOnlyLever) {
    const Case& c = GetParam();
    const Result r = run(c);
    const bool whole = c.phases.empty() && c.needs.empty() && c.placements.empty();
    const double kept = 1.0 - effect;
    // A flow the lever cuts: by exactly the effect over its whole scope, by
    // part of it over a narrower one.
    auto expect_cut = [&](int metric, int index = 0) {
        const double before = r.get(0, metric, index), after = r.get(1, metric, index);
        ASSERT_GT(before, 0.0);
        if (whole) {
            EXPECT_NEAR(after, kept * before, 1e-9 * before) << metric_catalogue()[metric].name;
        } else {
            EXPECT_LT(after, before - 1e-6) << metric_catalogue()[metric].name;
            EXPECT_GT(after, kept * before + 1e-6) << metric_catalogue()[metric].name;
        }
    };
    // The cost is charged in every case.
    EXPECT_EQ(r.get(1, m_mitigation_cost), 1000.0);
    switch (c.kind) {
    case K::fewer_plans:
        if (!c.needs.empty()) {
            // Need-scoped at either stage: the issued plans of that need are thinned.
            EXPECT_NEAR(r.get(1, m_new_plans_by_need, semh), kept * r.get(0, m_new_plans_by_need, semh), 1e-9);
            EXPECT_NEAR(r.get(1, m_new_plans_by_need, 0), r.get(0, m_new_plans_by_need, 0), 1e-9);
            EXPECT_NEAR(r.get(1, m_requests), r.get(0, m_requests), 1e-9);
        } else if (c.stage == S::requests) {
            expect_cut(m_requests);
            expect_cut(m_new_plans);
        } else {
            EXPECT_NEAR(r.get(1, m_requests), r.get(0, m_requests), 1e-9);
            EXPECT_NEAR(r.get(1, m_assessments), r.get(0, m_assessments), 1e-9);
            expect_cut(m_new_plans);
        }
        break;
    case K::divert: {
        const double from_before = r.get(0, m_new_plans_by_placement, c.from);
        const double from_after = r.get(1, m_new_plans_by_placement, c.from);
        const double moved = from_before - from_after;
        if (c.phases.empty() && c.needs.empty())
            EXPECT_NEAR(from_after, kept * from_before, 1e-9);
        else
            EXPECT_GT(from_after, kept * from_before + 1e-6);
        EXPECT_GT(moved, 1e-6);
        EXPECT_NEAR(r.get(1, m_new_plans_by_placement, c.to), r.get(0, m_new_plans_by_placement, c.to) + moved, 1e-9);
        EXPECT_NEAR(r.get(1, m_new_plans), r.get(0, m_new_plans), 1e-9);
        break;
    }
    case K::cease_more: {
        const double before = r.get(0, m_ceased), after = r.get(1, m_ceased);
        if (whole)
            EXPECT_NEAR(after, (1.0 + effect) * before, 1e-9 * before);
        else {
            EXPECT_GT(after, before + 1e-6);
            EXPECT_LT(after, (1.0 + effect) * before - 1e-6);
        }
        break;
    }
    case K::cheaper_unit_cost:
        for (int p = 0; p < r.shape.placements; ++p) {
            const bool in_scope = c.placements.empty() || c.placements.front() == p;
            EXPECT_NEAR(r.get(1, m_spend_by_placement, p), (in_scope ? kept : 1.0) * r.get(0, m_spend_by_placement, p),
                        1e-6);
        }
        break;
    }
}

INSTANTIATE_TEST_SUITE_P(
    SmallScenario, EveryLever,
    ::testing::Values(make("fewer_plans_requests_all", K::fewer_plans, S::requests),
                      make("fewer_plans_requests_secondary", K::fewer_plans, S::requests, {secondary}),
                      make("fewer_plans_requests_semh", K::fewer_plans, S::requests, {}, {semh}),
                      make("fewer_plans_issues_all", K::fewer_plans, S::issues),
                      make("fewer_plans_issues_secondary", K::fewer_plans, S::issues, {secondary}),
                      make("fewer_plans_issues_semh", K::fewer_plans, S::issues, {}, {semh}),
                      make("divert_all", K::divert, S::requests, {}, {}, {}, mainstream, resourced),
                      make("divert_secondary", K::divert, S::requests, {secondary}, {}, {}, mainstream, special),
                      make("divert_semh", K::divert, S::requests, {}, {semh}, {}, mainstream, special),
                      make("cease_more_all", K::cease_more),
                      make("cease_more_secondary", K::cease_more, S::requests, {secondary}),
                      make("cease_more_mainstream", K::cease_more, S::requests, {}, {}, {mainstream}),
                      make("cheaper_unit_cost_all", K::cheaper_unit_cost),
                      make("cheaper_unit_cost_special", K::cheaper_unit_cost, S::requests, {}, {}, {special})),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// The reproduction in issue 12: Halton with its levers replaced by one
// all-needs "fewer plans" lever at the issue stage, effect 0.5 from 2024. In
// deterministic mode target_lower's new plans are about half of
// unmitigated_lower's: exactly half of the plans agreed from 2024, so from
// 2025 the ratio is checked within 0.45-0.55 (the unmitigated run's stock,
// and so its residents without a plan, differ a little); in 2024 the base
// year's pipeline (lag x 2023's plans, agreed before the lever) joins
// unthinned, so the ratio is between 0.5 and 0.5 + lag / 2 + 0.05.
TEST(EveryLever, HaltonFewerPlansAtIssuesHalvesNewPlans) {
    ScenarioSet set = load_default_scenario();
    Mitigation m;
    m.name = "half";
    m.kind = Mitigation::Kind::fewer_plans;
    m.stage = Mitigation::Stage::issues;
    m.start_year = 2024;
    m.ramp = 1;
    m.target = fixed("mitigations.half.target", 0.5);
    m.stretch = m.target;
    m.annual_cost = fixed("mitigations.half.annual_cost", 0.0);
    for (Scenario& s : set.variants) s.mitigations = {m};
    RunOptions options;
    options.deterministic = true;
    options.variants = {"unmitigated_lower", "target_lower"};
    const Runner runner(set, options, "test");
    const Shape shape = runner.shape();
    const ResultBlock block = runner.compute_expected();
    for (int t = 1; t < shape.years; ++t) {
        const double ratio = value(block.variants[1], shape, m_new_plans, 0, t) /
                             value(block.variants[0], shape, m_new_plans, 0, t);
        const double lag = set.variants.front().demand.lag.dist.a;
        EXPECT_GT(ratio, t == 1 ? 0.5 : 0.45) << runner.info().years[t];
        EXPECT_LT(ratio, t == 1 ? 0.5 + lag / 2 + 0.05 : 0.55) << runner.info().years[t];
    }
}

// Diversions from one placement whose fractions sum above 1 (MODEL.md 11,
// issue 12 item 8): the fractions are summed and capped at 1, so every
// arrival bound for the placement is diverted, each lever taking its share in
// proportion to its effect (0.8 and 0.6: 4/7 and 3/7), nobody twice.
TEST(EveryLever, DiversionsSummingAboveOneAreCappedAndSharedInProportion) {
    ScenarioSet set = load_scenario(small_scenario());
    set.variants.resize(1);
    Scenario& base = set.variants.front();
    base.demand.lag = fixed("demand.lag", 0.0);
    base.capacity.clear();
    auto divert = [](const std::string& name, double effect, int to) {
        Mitigation m;
        m.name = name;
        m.kind = Mitigation::Kind::divert;
        m.start_year = start_year;
        m.target = fixed("mitigations." + name + ".target", effect);
        m.stretch = m.target;
        m.annual_cost = fixed("mitigations." + name + ".annual_cost", 0.0);
        m.from = mainstream;
        m.to = to;
        return m;
    };
    Scenario mitigated = base;
    mitigated.variant = "both";
    mitigated.level = AmbitionLevel::target;
    mitigated.compare_to = base.variant;
    mitigated.mitigations = {divert("a", 0.8, resourced), divert("b", 0.6, special)};
    set.variants.push_back(std::move(mitigated));
    RunOptions options;
    options.deterministic = true;
    const Runner runner(set, options, "test");
    const Shape shape = runner.shape();
    const ResultBlock block = runner.compute_expected();
    auto get = [&](int v, int p) { return value(block.variants[v], shape, m_new_plans_by_placement, 0, 1, p); };
    const double bound = get(0, mainstream);
    ASSERT_GT(bound, 1.0);
    EXPECT_NEAR(get(1, mainstream), 0.0, 1e-9);
    EXPECT_NEAR(get(1, resourced), get(0, resourced) + bound * 0.8 / 1.4, 1e-9);
    EXPECT_NEAR(get(1, special), get(0, special) + bound * 0.6 / 1.4, 1e-9);
}

}  // namespace
}  // namespace ehcpsim
