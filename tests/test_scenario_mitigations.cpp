// [[mitigations]] and the variant keys extends, level and compare_to
// (docs/scenario.md, "Mitigations" and "Variants"), on small in-memory scenarios.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "ehcpsim/scenario.h"
#include "mini_scenario.h"

namespace ehcpsim {
namespace {

// The minimal scenario with three placements, a growth rate and a named
// baseline: ages 0..3, two needs, two phases; years 2020..2023.
const std::string base_toml = testing::with_lines(testing::minimal_toml, {
    {"horizon = 3", "horizon = 3\nbaseline = \"unmitigated_lower\""},
    {R"(placements = ["ms", "sp"])", R"(placements = ["ms", "rp", "sp"])"},
    {"issue_rate = 0.9", "issue_rate = 0.9\ngrowth = 0.02"},
    {"placement_mix.default = { ms = 0.7, sp = 0.3 }", "placement_mix.default = { ms = 0.6, rp = 0.1, sp = 0.3 }"},
    {"opening_deficit = -1.0e5", "opening_deficit = 0"},
    {"unit_cost = { ms = 8000, sp = 20000 }", "unit_cost = { ms = 8000, rp = 15000, sp = 20000 }"},
});

using testing::contains;
using testing::Loaded;
using testing::variant;

Loaded load_text(const std::string& text) {
    return testing::load_in_memory("m.toml", text,
                                   {{"stock.csv", testing::minimal_stock}, {"pop.csv", testing::minimal_population}});
}

Loaded load(const std::string& extra) { return load_text(base_toml + extra); }

std::string rejected(const std::string& extra) { return testing::rejected_with(load(extra), extra); }

// ---------------------------------------------------------------- [[mitigations]]

TEST(ScenarioMitigations, NoneDeclaredIsEmpty) {
    const Loaded loaded = load("");
    ASSERT_TRUE(loaded.set) << loaded.error;
    EXPECT_TRUE(loaded.set->variants[0].mitigations.empty());
    EXPECT_EQ(loaded.set->variants[0].level, AmbitionLevel::none);
    EXPECT_EQ(loaded.set->variants[0].compare_to, "");
}

TEST(ScenarioMitigations, DefaultsAndTheSharedStretch) {
    const Loaded loaded = load(R"(
[[mitigations]]
name = "fewer"
kind = "fewer_plans"
target = { dist = "pert", min = 0.02, mode = 0.05, max = 0.1 }
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    ASSERT_EQ(loaded.set->variants[0].mitigations.size(), 1u);
    const Mitigation& m = loaded.set->variants[0].mitigations[0];
    EXPECT_EQ(m.name, "fewer");
    EXPECT_EQ(m.kind, Mitigation::Kind::fewer_plans);
    EXPECT_EQ(m.stage, Mitigation::Stage::requests);
    EXPECT_EQ(m.start_year, 2021);  // base_year + 1
    EXPECT_EQ(m.ramp, 1);
    EXPECT_EQ(m.target.name, "mitigations.fewer.target");
    EXPECT_EQ(m.target.dist.kind, Distribution::Kind::pert);
    // No stretch written: the target's parameter itself, name included, so
    // both levels use the same draw.
    EXPECT_EQ(m.stretch.name, m.target.name);
    EXPECT_EQ(m.stretch.dist.kind, Distribution::Kind::pert);
    EXPECT_EQ(m.stretch.dist.b, 0.05);
    EXPECT_EQ(m.annual_cost.name, "mitigations.fewer.annual_cost");
    EXPECT_EQ(m.annual_cost.dist.kind, Distribution::Kind::fixed);
    EXPECT_EQ(m.annual_cost.dist.a, 0.0);
    EXPECT_TRUE(m.cost_on_high_needs_block);
    EXPECT_TRUE(m.phases.empty());
    EXPECT_TRUE(m.needs.empty());
    EXPECT_TRUE(m.placements.empty());
    EXPECT_EQ(m.from, -1);
    EXPECT_EQ(m.to, -1);
    EXPECT_EQ(m.where.line, std::count(base_toml.begin(), base_toml.end(), '\n') + 2);
}

TEST(ScenarioMitigations, EveryKindWithItsKeys) {
    const Loaded loaded = load(R"(
[[mitigations]]
name = "issue_less"
kind = "fewer_plans"
stage = "issues"
needs = ["B"]
phases = ["old", "young", "old"]
start_year = 2023
ramp = 3
target = 0.1
stretch = 0.2
annual_cost = { dist = "uniform", min = 1000, max = 2000 }
cost_on_high_needs_block = false
description = "free text"

[[mitigations]]
name = "rp_not_sp"
kind = "divert"
from = "sp"
to = "rp"
needs = []
target = 0.3

[[mitigations]]
name = "reviews"
kind = "cease_more"
placements = ["sp"]
phases = ["old"]
target = 1.5

[[mitigations]]
name = "commissioning"
kind = "cheaper_unit_cost"
placements = ["sp", "rp"]
target = 0.04
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const std::vector<Mitigation>& m = loaded.set->variants[0].mitigations;
    ASSERT_EQ(m.size(), 4u);
    EXPECT_EQ(m[0].stage, Mitigation::Stage::issues);
    EXPECT_EQ(m[0].needs, std::vector<int>{1});
    EXPECT_EQ(m[0].phases, (std::vector<int>{0, 1}));  // sorted, once each
    EXPECT_EQ(m[0].start_year, 2023);                   // base_year + horizon is allowed
    EXPECT_EQ(m[0].ramp, 3);
    EXPECT_EQ(m[0].stretch.name, "mitigations.issue_less.stretch");
    EXPECT_EQ(m[0].stretch.dist.a, 0.2);
    EXPECT_EQ(m[0].annual_cost.dist.kind, Distribution::Kind::uniform);
    EXPECT_FALSE(m[0].cost_on_high_needs_block);
    EXPECT_EQ(m[1].kind, Mitigation::Kind::divert);
    EXPECT_EQ(m[1].from, 2);
    EXPECT_EQ(m[1].to, 1);
    EXPECT_TRUE(m[1].needs.empty());  // an empty list is all needs
    EXPECT_EQ(m[2].kind, Mitigation::Kind::cease_more);
    EXPECT_EQ(m[2].target.dist.a, 1.5);  // a multiplier 1 + effect: may exceed 1
    EXPECT_EQ(m[2].placements, std::vector<int>{2});
    EXPECT_EQ(m[2].phases, std::vector<int>{1});
    EXPECT_EQ(m[3].kind, Mitigation::Kind::cheaper_unit_cost);
    EXPECT_EQ(m[3].placements, (std::vector<int>{1, 2}));
}

TEST(ScenarioMitigations, ParametersAreNamedByTheMitigationNotItsPosition) {
    const std::string one = "[[mitigations]]\nname = \"one\"\nkind = \"fewer_plans\"\ntarget = 0.1\n";
    const std::string two = "[[mitigations]]\nname = \"two\"\nkind = \"cease_more\"\ntarget = 0.2\n";
    const Loaded a = load(one + two);
    const Loaded b = load(two + one);
    ASSERT_TRUE(a.set && b.set) << a.error << b.error;
    EXPECT_EQ(a.set->variants[0].mitigations[0].target.name, "mitigations.one.target");
    EXPECT_EQ(b.set->variants[0].mitigations[1].target.name, "mitigations.one.target");
    EXPECT_EQ(b.set->variants[0].mitigations[0].annual_cost.name, "mitigations.two.annual_cost");
}

TEST(ScenarioMitigations, KeysAKindDoesNotTakeSayWhichKindsDo) {
    const std::string error = rejected(R"(
[[mitigations]]
name = "a"
kind = "cease_more"
target = 0.1
from = "ms"
needs = ["A"]
stage = "issues"

[[mitigations]]
name = "b"
kind = "cheaper_unit_cost"
target = 0.1
phases = ["young"]

[[mitigations]]
name = "c"
kind = "fewer_plans"
target = 0.1
placements = ["sp"]
to = "rp"

[[mitigations]]
name = "d"
kind = "divert"
from = "ms"
to = "rp"
target = 0.1
placements = ["sp"]
)");
    for (const char* part :
         {"mitigations.a.from: 'from' does not apply to kind 'cease_more'; kinds that take it: divert",
          "mitigations.a.needs: 'needs' does not apply to kind 'cease_more'; kinds that take it: fewer_plans, divert",
          "mitigations.a.stage: 'stage' does not apply to kind 'cease_more'; kinds that take it: fewer_plans",
          "mitigations.b.phases: 'phases' does not apply to kind 'cheaper_unit_cost'; kinds that take it: "
          "fewer_plans, divert, cease_more",
          "mitigations.c.placements: 'placements' does not apply to kind 'fewer_plans'; kinds that take it: "
          "cease_more, cheaper_unit_cost",
          "mitigations.c.to: 'to' does not apply to kind 'fewer_plans'; kinds that take it: divert"})
        EXPECT_TRUE(contains(error, part)) << part << "\n" << error;
    EXPECT_TRUE(contains(error, "mitigations.d.placements: 'placements' does not apply to kind 'divert'"));
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n') + 1, 7) << error;  // nothing else
}

TEST(ScenarioMitigations, ValuesAreValidated) {
    const std::string error = rejected(R"(
[[mitigations]]
name = "a"
kind = "fewer_plans"
target = 0.1
stretch = 1.2
annual_cost = -5
stage = "assessments"
start_year = 2024
ramp = 1.5
cost_on_high_needs_block = "yes"
needs = ["A", "C"]
phases = "young"
unknown = 1

[[mitigations]]
kind = "divert"
from = "nowhere"
to = "rp"
target = 0.1
)");
    for (const char* part : {"mitigations.a.stretch: must be a probability in [0, 1], found 1.2",
                             "mitigations.a.annual_cost: must be an amount of money in [0, inf), found -5",
                             "mitigations.a.stage: unknown stage 'assessments'; expected requests or issues",
                             "mitigations.a.start_year: start_year 2024 is outside the simulated years 2021..2023",
                             "mitigations.a.ramp: expected an integer, found a float",
                             "mitigations.a.cost_on_high_needs_block: expected true or false, found a string",
                             "mitigations.a.needs: unknown need 'C'; declared needs: A, B",
                             "mitigations.a.phases: expected an array of phase names, found a string",
                             "mitigations.a.unknown: unknown key 'unknown'; allowed keys in mitigations.a: name, kind",
                             "mitigations[1].name: missing required key 'name'",
                             "mitigations[1].from: unknown placement 'nowhere'; declared placements: ms, rp, sp"})
        EXPECT_TRUE(contains(error, part)) << part << "\n" << error;
}

TEST(ScenarioMitigations, MitigationsMustBeAnArrayOfTables) {
    // Keys before the first table are the root's.
    const Loaded number = load_text("mitigations = 3\n" + base_toml);
    EXPECT_TRUE(contains(number.error, "m.toml:1:15: mitigations: expected an array of tables ([[mitigations]]), "
                                       "found an integer"))
        << number.error;
    const Loaded list = load_text("mitigations = [1]\n" + base_toml);
    EXPECT_TRUE(contains(list.error, "mitigations[0]: expected a table, found an integer")) << list.error;
}

TEST(ScenarioMitigations, AVariantsListReplacesTheBaselines) {
    const Loaded loaded = load(R"(
[[mitigations]]
name = "one"
kind = "fewer_plans"
target = 0.1

[variants.other]
[[variants.other.mitigations]]
name = "two"
kind = "cheaper_unit_cost"
target = 0.05
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    ASSERT_EQ(loaded.set->variants[1].mitigations.size(), 1u);
    EXPECT_EQ(loaded.set->variants[1].mitigations[0].name, "two");
    EXPECT_EQ(loaded.set->variants[0].mitigations[0].name, "one");
}

// ---------------------------------------------------------------- variants

const std::string one_mitigation = R"(
[[mitigations]]
name = "lever"
kind = "fewer_plans"
target = 0.05
stretch = 0.08
)";

// The DBV set, as in docs/scenario.md.
const std::string dbv_variants = R"(
[variants.unmitigated_upper]
description = "Upper bound"
demand.growth = 0.06

[variants.target_lower]
level = "target"

[variants.stretch_lower]
level = "stretch"

[variants.target_upper]
extends = "unmitigated_upper"
level = "target"

[variants.stretch_upper]
extends = "unmitigated_upper"
level = "stretch"
)";

TEST(ScenarioVariants, TheDbvSetResolvesLevelsAndComparisons) {
    const Loaded loaded = load(one_mitigation + dbv_variants);
    ASSERT_TRUE(loaded.set) << loaded.error;
    const ScenarioSet& set = *loaded.set;
    ASSERT_EQ(set.variants.size(), 6u);
    const std::map<std::string, std::pair<AmbitionLevel, std::string>> expected = {
        {"unmitigated_lower", {AmbitionLevel::none, ""}},
        {"unmitigated_upper", {AmbitionLevel::none, ""}},
        {"target_lower", {AmbitionLevel::target, "unmitigated_lower"}},
        {"stretch_lower", {AmbitionLevel::stretch, "unmitigated_lower"}},
        {"target_upper", {AmbitionLevel::target, "unmitigated_upper"}},
        {"stretch_upper", {AmbitionLevel::stretch, "unmitigated_upper"}},
    };
    for (const Scenario& s : set.variants) {
        SCOPED_TRACE(s.variant);
        ASSERT_TRUE(expected.count(s.variant));
        EXPECT_EQ(s.level, expected.at(s.variant).first);
        EXPECT_EQ(s.compare_to, expected.at(s.variant).second);
        ASSERT_EQ(s.mitigations.size(), 1u);
    }
    // An extending variant gets its parent's overrides; its own keys are its own.
    EXPECT_EQ(variant(set, "target_upper").demand.growth.dist.a, 0.06);
    EXPECT_EQ(variant(set, "target_lower").demand.growth.dist.a, 0.02);
    EXPECT_EQ(variant(set, "target_upper").description, "");
    EXPECT_EQ(variant(set, "unmitigated_upper").description, "Upper bound");
}

TEST(ScenarioVariants, ExtendsMergesBaselineThenAncestorsThenTheVariant) {
    const Loaded loaded = load(R"(
[variants.c]
extends = "b"
demand.lag = 0.3
cease.rate = 0.07

[variants.a]
demand.lag = 0.1
demand.shock_sd = 0.01
demand.growth = { dist = "normal", mean = 0.05, sd = 0.01 }

[variants.b]
extends = "a"
level = "target"
demand.lag = 0.2
demand.growth.sd = 0.02
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const ScenarioSet& set = *loaded.set;
    const Scenario& a = variant(set, "a");
    const Scenario& b = variant(set, "b");
    const Scenario& c = variant(set, "c");
    EXPECT_EQ(set.variants[1].variant, "c");  // still in file order
    EXPECT_EQ(a.demand.lag.dist.a, 0.1);
    EXPECT_EQ(b.demand.lag.dist.a, 0.2);  // the variant over its ancestor
    EXPECT_EQ(c.demand.lag.dist.a, 0.3);
    EXPECT_EQ(c.demand.shock_sd.dist.a, 0.01);  // from the farthest ancestor
    // b's one field merges into a's distribution, and c inherits the result.
    EXPECT_EQ(c.demand.growth.dist.kind, Distribution::Kind::normal);
    EXPECT_EQ(c.demand.growth.dist.a, 0.05);
    EXPECT_EQ(c.demand.growth.dist.b, 0.02);
    EXPECT_EQ(a.demand.growth.dist.b, 0.01);
    EXPECT_EQ(c.cease.rate[0][0].dist.a, 0.07);
    EXPECT_EQ(b.cease.rate[0][0].dist.a, 0.05);  // from the baseline
    // The line of a value is where it was written, in whichever table.
    EXPECT_EQ(c.demand.shock_sd.where.line, a.demand.shock_sd.where.line);
    // level is not inherited: c has none of its own.
    EXPECT_EQ(b.level, AmbitionLevel::target);
    EXPECT_EQ(b.compare_to, "a");
    EXPECT_EQ(c.level, AmbitionLevel::none);
}

TEST(ScenarioVariants, CompareToDefaultsAndExplicitChoice) {
    const Loaded loaded = load(one_mitigation + R"(
[variants.upper]
demand.growth = 0.06
[variants.high]
demand.growth = 0.08
[variants.plain]
level = "stretch"
[variants.extended]
extends = "upper"
level = "target"
[variants.chosen]
extends = "upper"
level = "target"
compare_to = "high"
[variants.chosen_baseline]
level = "target"
compare_to = "unmitigated_lower"
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    EXPECT_EQ(variant(*loaded.set, "plain").compare_to, "unmitigated_lower");
    EXPECT_EQ(variant(*loaded.set, "extended").compare_to, "upper");
    EXPECT_EQ(variant(*loaded.set, "chosen").compare_to, "high");
    EXPECT_EQ(variant(*loaded.set, "chosen_baseline").compare_to, "unmitigated_lower");
    EXPECT_EQ(variant(*loaded.set, "upper").compare_to, "");
    // A variant with a level needs no mitigations of its own to be valid.
    EXPECT_EQ(variant(*loaded.set, "plain").level, AmbitionLevel::stretch);
}

TEST(ScenarioVariants, ExtendsProblems) {
    const std::string error = rejected(R"(
[variants.a]
extends = "b"
[variants.b]
extends = "a"
[variants.c]
extends = "a"
[variants.d]
extends = "nobody"
[variants.e]
extends = "unmitigated_lower"
[variants.f]
extends = "f"
)");
    EXPECT_TRUE(contains(error, "variants.a.extends: extends makes a cycle: a -> b -> a")) << error;
    EXPECT_TRUE(contains(error, "variants.b.extends: extends makes a cycle: b -> a -> b"));
    EXPECT_TRUE(contains(error, "variants.d.extends: extends names no variant 'nobody'; variants: a, b, c, d, e, f"));
    EXPECT_TRUE(contains(error, "variants.e.extends: extends names the baseline 'unmitigated_lower'"));
    EXPECT_TRUE(contains(error, "variants.f.extends: extends makes a cycle: f -> f"));
    // c only leads into the cycle: it is not reported again.
    EXPECT_FALSE(contains(error, "variants.c")) << error;
}

TEST(ScenarioVariants, LevelAndCompareToProblems) {
    const std::string error = rejected(one_mitigation + R"(
[variants.t]
level = "target"
[variants.u]
level = "ambitious"
[variants.v]
compare_to = "unmitigated_lower"
[variants.w]
level = "stretch"
compare_to = "t"
[variants.x]
extends = "t"
level = "stretch"
[variants.y]
level = "stretch"
compare_to = "nobody"
)");
    EXPECT_TRUE(contains(error, "variants.u.level: unknown level 'ambitious'; expected none, target or stretch"))
        << error;
    EXPECT_TRUE(
        contains(error, "variants.v.compare_to: compare_to is only for a variant with level target or stretch"));
    EXPECT_TRUE(contains(error, "variants.w.compare_to: compare_to names 't', which has level 'target'; it must name "
                                "an unmitigated variant (level none): unmitigated_lower, u, v"));
    EXPECT_TRUE(contains(error, "variants.x.level: compare_to defaults to the variant this one extends, 't', which has "
                                "level 'target'; give compare_to naming an unmitigated variant"));
    EXPECT_TRUE(contains(error, "variants.y.compare_to: compare_to names no variant 'nobody'"));
}

TEST(ScenarioVariants, TheBaselineHasNoLevel) {
    // Keys before the first table belong to the root document: the baseline.
    const Loaded at_root = load_text("level = \"target\"\ncompare_to = \"x\"\n" + base_toml + dbv_variants);
    ASSERT_FALSE(at_root.set);
    EXPECT_TRUE(contains(at_root.error, "m.toml:1:1: level: the baseline may not have a level")) << at_root.error;
    EXPECT_TRUE(contains(at_root.error, "m.toml:2:1: compare_to: the baseline has no compare_to"));
    EXPECT_FALSE(contains(at_root.error, "unknown key")) << at_root.error;
    // Reported once, not again for every variant.
    EXPECT_EQ(std::count(at_root.error.begin(), at_root.error.end(), '\n'), 1) << at_root.error;

    std::string in_scenario = base_toml;
    in_scenario.replace(in_scenario.find("horizon = 3"), 11, "horizon = 3\nlevel = \"target\"\nextends = \"x\"");
    const Loaded loaded = load_text(in_scenario);
    ASSERT_FALSE(loaded.set);
    EXPECT_TRUE(contains(loaded.error, "scenario.level: the baseline may not have a level")) << loaded.error;
    EXPECT_TRUE(contains(loaded.error, "scenario.extends: the baseline extends nothing"));
    EXPECT_FALSE(contains(loaded.error, "unknown key")) << loaded.error;
}

}  // namespace
}  // namespace ehcpsim
