// Labels (variants, mitigations, the baseline, drawn parameters) and a
// variant's mitigation_overrides (docs/scenario.md, "Labels" and "Changing
// one mitigation in a variant"), on small in-memory scenarios.
#include <gtest/gtest.h>

#include "ehcpsim/scenario.h"
#include "mini_scenario.h"

namespace ehcpsim {
namespace {

using testing::contains;
using testing::variant;

const std::string mitigated = testing::with_lines(testing::minimal_toml, {{"horizon = 3", R"(horizon = 3
baseline_label = "Unmitigated")"}}) + R"(
[labels]
"money.other.growth" = "Growth of other spend"

[[mitigations]]
name = "fewer"
label = "Early help"
kind = "fewer_plans"
target = 0.05
stretch = 0.08
annual_cost = 1000

[[mitigations]]
name = "cheaper"
kind = "cheaper_unit_cost"
target = 0.02

[variants.target]
label = "Mitigations at target"
level = "target"

[variants.bolder]
level = "stretch"
mitigation_overrides = { fewer = { stretch = 0.2, start_year = 2022 } }

[variants.bolder_still]
extends = "bolder"
level = "stretch"
compare_to = "baseline"
mitigation_overrides.cheaper.target = 0.04
)";

TEST(ScenarioLabels, VariantsMitigationsBaselineAndParametersCarryTheirLabels) {
    const testing::Loaded loaded = testing::load(mitigated);
    ASSERT_TRUE(loaded.set) << loaded.error;
    const ScenarioSet& set = *loaded.set;
    EXPECT_EQ(variant(set, "baseline").label, "Unmitigated");
    EXPECT_EQ(variant(set, "target").label, "Mitigations at target");
    EXPECT_EQ(variant(set, "bolder").label, "");  // none given: readers show the name
    EXPECT_EQ(variant(set, "target").mitigations[0].label, "Early help");
    EXPECT_EQ(variant(set, "target").mitigations[1].label, "");
    ASSERT_EQ(set.parameter_labels.count("money.other.growth"), 1u);
    EXPECT_EQ(set.parameter_labels.at("money.other.growth").first, "Growth of other spend");
    EXPECT_EQ(set.parameter_labels.at("money.other.growth").second.line, 35);
}

TEST(ScenarioLabels, MitigationOverridesChangeOneFieldOfOneMitigationAndNothingElse) {
    const testing::Loaded loaded = testing::load(mitigated);
    ASSERT_TRUE(loaded.set) << loaded.error;
    const ScenarioSet& set = *loaded.set;
    const Mitigation& plain = variant(set, "target").mitigations[0];
    const Mitigation& bolder = variant(set, "bolder").mitigations[0];
    EXPECT_EQ(plain.stretch.dist.a, 0.08);
    EXPECT_EQ(bolder.stretch.dist.a, 0.2);
    EXPECT_EQ(bolder.start_year, 2022);
    EXPECT_EQ(plain.start_year, 2021);  // the default: the first forecast year
    EXPECT_EQ(bolder.target.dist.a, plain.target.dist.a);
    EXPECT_EQ(bolder.label, "Early help");
    EXPECT_EQ(bolder.annual_cost.dist.a, 1000);
    // The child keeps its parent's override and adds its own.
    const Scenario& still = variant(set, "bolder_still");
    EXPECT_EQ(still.mitigations[0].stretch.dist.a, 0.2);
    EXPECT_EQ(still.mitigations[1].target.dist.a, 0.04);
    EXPECT_EQ(variant(set, "bolder").mitigations[1].target.dist.a, 0.02);
}

TEST(ScenarioLabels, AnOverrideOfAnUnknownMitigationOrKeyIsLocated) {
    const std::string unknown = testing::rejected_with(
        testing::load(testing::with(mitigated, "fewer = { stretch", "fewr = { stretch")), "unknown mitigation");
    EXPECT_TRUE(contains(unknown, "mini.toml:56:26:")) << unknown;
    EXPECT_TRUE(contains(unknown, "mitigation_overrides names no mitigation 'fewr'; mitigations: fewer, cheaper"))
        << unknown;
    const std::string field = testing::rejected_with(
        testing::load(testing::with(mitigated, "cheaper.target = 0.04", "cheaper.targt = 0.04")), "unknown key");
    EXPECT_TRUE(contains(field, "mini.toml:62:30:")) << field;
    EXPECT_TRUE(contains(field, "unknown key 'targt'")) << field;
    EXPECT_TRUE(contains(field, "bolder_still")) << field;
}

}  // namespace
}  // namespace ehcpsim
