// The scenario keys of the DSG plan (docs/scenario.md): named funding
// adjustments ([[money.adjustments]]) and when a mitigation's cost is paid
// (cost_kind, cost_until), read from small in-memory scenarios. Their bad
// cases are in tests/scenarios/bad_cases.txt.
#include <gtest/gtest.h>

#include "ehcpsim/scenario.h"
#include "mini_scenario.h"

namespace ehcpsim {
namespace {

using testing::Loaded;
using testing::minimal_toml;

TEST(ScenarioMoneyPlan, NoAdjustmentsAndAnnualCostsByDefault) {
    const Loaded loaded = testing::load(minimal_toml + R"(
[[mitigations]]
name = "fewer"
kind = "fewer_plans"
target = 0.05
annual_cost = 1000
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& s = loaded.set->variants[0];
    EXPECT_TRUE(s.money.adjustments.empty());
    ASSERT_EQ(s.mitigations.size(), 1u);
    EXPECT_EQ(s.mitigations[0].cost_kind, Mitigation::CostKind::annual);
    EXPECT_EQ(s.mitigations[0].cost_until, 0);
}

TEST(ScenarioMoneyPlan, AdjustmentsAndCostTimingAreRead) {
    const Loaded loaded = testing::load(minimal_toml + R"(
[[money.adjustments]]
name = "transfer"
kind = "funding"
year = 2021
amount = -2.5e5

[[money.adjustments]]
name = "safety_valve"
kind = "write_off"
year = 2023
amount = { dist = "uniform", min = 1e5, max = 3e5 }
description = "DfE contribution"

[[mitigations]]
name = "until"
kind = "fewer_plans"
target = 0.05
start_year = 2021
annual_cost = 1000
cost_until = 2022

[[mitigations]]
name = "once"
kind = "cease_more"
target = 0.1
annual_cost = 5000
cost_kind = "one_off"
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& s = loaded.set->variants[0];
    ASSERT_EQ(s.money.adjustments.size(), 2u);
    const FundingAdjustment& transfer = s.money.adjustments[0];
    EXPECT_EQ(transfer.name, "transfer");
    EXPECT_EQ(transfer.kind, FundingAdjustment::Kind::funding);
    EXPECT_EQ(transfer.year, 2021);
    EXPECT_EQ(transfer.amount.name, "money.adjustments.transfer.amount");
    EXPECT_EQ(transfer.amount.dist.a, -2.5e5);  // a transfer out is allowed
    const FundingAdjustment& valve = s.money.adjustments[1];
    EXPECT_EQ(valve.kind, FundingAdjustment::Kind::write_off);
    EXPECT_EQ(valve.amount.dist.kind, Distribution::Kind::uniform);
    ASSERT_EQ(s.mitigations.size(), 2u);
    EXPECT_EQ(s.mitigations[0].cost_kind, Mitigation::CostKind::annual);
    EXPECT_EQ(s.mitigations[0].cost_until, 2022);
    EXPECT_EQ(s.mitigations[1].cost_kind, Mitigation::CostKind::one_off);
    EXPECT_EQ(s.mitigations[1].cost_until, 0);
}

}  // namespace
}  // namespace ehcpsim
