// The small test scenario (tests/scenarios/small): every feature of the
// format, read into the structures the engine compiles.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "ehcpsim/scenario.h"

namespace ehcpsim {
namespace {

const std::string small_path = std::string(EHCPSIM_SOURCE_DIR) + "/tests/scenarios/small/small.toml";

const ScenarioSet& small() {
    static const ScenarioSet set = load_scenario(small_path);
    return set;
}

int index(const std::vector<std::string>& names, const std::string& name) {
    return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
}

TEST(SmallScenario, SetLevelSettings) {
    const ScenarioSet& set = small();
    EXPECT_EQ(set.name, "Small test authority");
    EXPECT_EQ(set.default_seed, 12345u);
    EXPECT_EQ(set.default_replicates, 200);
    ASSERT_EQ(set.variants.size(), 5u);
    EXPECT_EQ(set.variants[0].variant, "lower");  // [scenario] baseline
    EXPECT_EQ(set.variants[1].variant, "upper");  // then in file order
    EXPECT_EQ(set.variants[2].variant, "policy");
    EXPECT_EQ(set.variants[3].variant, "target");
    EXPECT_EQ(set.variants[4].variant, "stretch");
    EXPECT_EQ(set.variants[1].description, "Upper bound: faster demand growth");
    ASSERT_EQ(set.sources.size(), 3u);
    EXPECT_EQ(set.sources[0].path, small_path);
    EXPECT_EQ(set.sources[1].path, "stock.csv");
    EXPECT_EQ(set.sources[2].path, "population.csv");
    EXPECT_NE(set.sources[0].text.find("[variants.upper]"), std::string::npos);
}

TEST(SmallScenario, Dimensions) {
    const Scenario& s = small().variants[0];
    EXPECT_EQ(s.base_year, 2023);
    EXPECT_EQ(s.horizon, 5);
    EXPECT_EQ(s.years(), (std::vector<int>{2023, 2024, 2025, 2026, 2027, 2028}));
    EXPECT_EQ(s.dims.ages(), 20);
    EXPECT_EQ(s.dims.needs, (std::vector<std::string>{"ASD", "SEMH", "SLCN"}));
    EXPECT_EQ(s.dims.placements.size(), 4u);
    ASSERT_EQ(s.dims.phases.size(), 5u);
    EXPECT_EQ(s.dims.phase_of_age(0), 0);
    EXPECT_EQ(s.dims.phase_of_age(5), 1);
    EXPECT_EQ(s.dims.phase_of_age(15), 2);
    EXPECT_EQ(s.dims.phase_of_age(19), 4);
    EXPECT_EQ(s.dims.phase_of_age(20), -1);
}

TEST(SmallScenario, StockAndPopulation) {
    const Scenario& s = small().variants[0];
    ASSERT_EQ(s.stock.size(), s.dims.cells());
    EXPECT_EQ(std::accumulate(s.stock.begin(), s.stock.end(), std::int64_t{0}), 298);
    EXPECT_EQ(s.stock[s.dims.cell(2, 0, 0)], 1);  // 2,ASD,mainstream,1
    // Step function: 2023's values hold through 2025, 2026's from 2026 on.
    ASSERT_EQ(s.population.size(), 6u);
    EXPECT_EQ(s.population.begin()->first, 2023);
    EXPECT_EQ(s.population.at(2025), s.population.at(2023));
    EXPECT_EQ(s.population.at(2028), s.population.at(2026));
    EXPECT_EQ(s.population.at(2023)[3], 1530.0);
    EXPECT_EQ(s.population.at(2027)[19], 1489.5);
}

TEST(SmallScenario, DemandParametersAndNames) {
    const Scenario& s = small().variants[0];
    const Demand& d = s.demand;
    ASSERT_EQ(d.request_rate.size(), 5u);
    EXPECT_EQ(d.request_rate[0].name, "demand.request_rate.early_years");
    EXPECT_EQ(d.request_rate[1].dist.kind, Distribution::Kind::normal);
    // Phases filled from `default` share its name: one draw.
    EXPECT_EQ(d.request_rate[3].name, "demand.request_rate.default");
    EXPECT_EQ(d.request_rate[4].name, "demand.request_rate.default");
    EXPECT_EQ(d.assess_rate.dist.kind, Distribution::Kind::beta);
    EXPECT_EQ(d.issue_rate.dist.kind, Distribution::Kind::pert);
    EXPECT_EQ(d.lag.dist.a, 0.1);
    EXPECT_EQ(d.persistence.dist.kind, Distribution::Kind::uniform);
    EXPECT_EQ(d.shock_sd.dist.a, 0.01);
    EXPECT_EQ(d.growth.where.line, 35);
    EXPECT_EQ(d.growth.where.key, "demand.growth");
    EXPECT_EQ(d.request_multiplier.before_first, 1.0);
    ASSERT_EQ(d.request_multiplier.points.size(), 2u);
    EXPECT_EQ(d.request_multiplier.points[1].first, 2027);
    EXPECT_EQ(d.request_multiplier.points[1].second.dist.kind, Distribution::Kind::triangular);
    EXPECT_EQ(d.request_multiplier.points[1].second.name, "demand.request_multiplier.2027");
}

TEST(SmallScenario, MixesResolveByPhaseAndNeed) {
    const Scenario& s = small().variants[0];
    const int secondary = 2;
    const int semh = index(s.dims.needs, "SEMH");
    const int asd = index(s.dims.needs, "ASD");
    const int independent = index(s.dims.placements, "independent");
    EXPECT_EQ(s.demand.need_mix[0][0].name, "demand.need_mix.default.ASD");
    EXPECT_EQ(s.demand.need_mix[secondary][semh].name, "demand.need_mix.secondary.SEMH");
    EXPECT_EQ(s.demand.need_mix[secondary][semh].dist.a, 0.45);
    EXPECT_EQ(s.demand.placement_mix[0][asd][independent].name, "demand.placement_mix.default.independent");
    EXPECT_EQ(s.demand.placement_mix[secondary][asd][independent].name,
              "demand.placement_mix.secondary.default.independent");
    EXPECT_EQ(s.demand.placement_mix[secondary][semh][independent].name,
              "demand.placement_mix.secondary.SEMH.independent");
    EXPECT_EQ(s.demand.placement_mix[secondary][semh][independent].dist.a, 0.25);
}

TEST(SmallScenario, CeaseRatesResolvePlacementByPlacement) {
    const Scenario& s = small().variants[0];
    const int post16 = 3;
    const int post19 = 4;
    EXPECT_EQ(s.cease.rate[0][0].name, "cease.rate.default.mainstream");
    EXPECT_EQ(s.cease.rate[post16][0].name, "cease.rate.post16.mainstream");
    EXPECT_EQ(s.cease.rate[post16][0].dist.a, 0.12);
    EXPECT_EQ(s.cease.rate[post16][1].name, "cease.rate.default.resourced");
    EXPECT_EQ(s.cease.rate[post16][3].dist.kind, Distribution::Kind::beta);
    for (const Param& rate : s.cease.rate[post19]) {
        EXPECT_EQ(rate.name, "cease.rate.post19");
        EXPECT_EQ(rate.dist.a, 0.3);
    }
    ASSERT_EQ(s.cease.multiplier.points.size(), 1u);
    EXPECT_EQ(s.cease.multiplier.points[0].first, 2025);
}

TEST(SmallScenario, TransitionsAndTransfers) {
    const Scenario& s = small().variants[0];
    ASSERT_EQ(s.transitions.size(), 3u);
    EXPECT_EQ(s.transitions[0].into_ages, std::vector<int>{11});
    EXPECT_TRUE(s.transitions[0].needs.empty());
    ASSERT_EQ(s.transitions[0].to.size(), 2u);
    EXPECT_EQ(s.transitions[0].to[0].first, index(s.dims.placements, "resourced"));
    EXPECT_EQ(s.transitions[0].to[0].second.name, "transitions[0].to.resourced");
    EXPECT_EQ(s.transitions[1].into_ages, (std::vector<int>{6, 7, 8, 9, 10}));
    EXPECT_EQ(s.transitions[1].needs, std::vector<int>{index(s.dims.needs, "SEMH")});
    EXPECT_EQ(s.transitions[2].from, index(s.dims.placements, "special"));
    EXPECT_EQ(s.transfers_in.rate.before_first, 0.0);
    ASSERT_EQ(s.transfers_in.rate.points.size(), 2u);
    EXPECT_EQ(s.transfers_in.rate.points[0].first, 2024);
    EXPECT_EQ(s.transfers_in.rate.points[1].second.dist.kind, Distribution::Kind::lognormal);
}

TEST(SmallScenario, Money) {
    const Scenario& s = small().variants[0];
    const Money& m = s.money;
    EXPECT_EQ(m.opening_deficit.dist.a, 0.5e6);
    ASSERT_EQ(m.unit_cost.size(), 4u);
    EXPECT_EQ(m.unit_cost[0].dist.a, 8000.0);
    EXPECT_EQ(m.unit_cost[3].dist.kind, Distribution::Kind::lognormal);
    ASSERT_EQ(m.cost_inflation.size(), 4u);
    EXPECT_EQ(m.cost_inflation[0].name, "money.cost_inflation.default");
    EXPECT_EQ(m.cost_inflation[3].name, "money.cost_inflation.independent");
    EXPECT_EQ(m.other_spend.dist.a, 2.0e6);
    EXPECT_EQ(m.other_growth.dist.a, 0.02);
    ASSERT_EQ(m.funding_known.points.size(), 2u);
    EXPECT_EQ(m.funding_known.points[0].first, 2023);
    EXPECT_EQ(m.funding_known.points[0].second.name, "money.funding.known.2023");
    EXPECT_EQ(m.funding_growth.dist.a, 0.03);
    ASSERT_EQ(m.transport.size(), 4u);
    EXPECT_EQ(m.transport[0].users.dist.a, 0.0);  // no table: no transport
    EXPECT_EQ(m.transport[2].cost_out_of_borough.dist.a, 12000.0);
    EXPECT_EQ(m.transport[3].out_of_borough_share.dist.kind, Distribution::Kind::beta);
    EXPECT_EQ(m.transport_inflation.dist.a, 0.04);
}

TEST(SmallScenario, VariantsOverrideAndKeepNames) {
    const ScenarioSet& set = small();
    const Scenario& lower = set.variants[0];
    const Scenario& upper = set.variants[1];
    const Scenario& policy = set.variants[2];
    // A whole distribution replaced: same name, so the same uniform in a replicate.
    EXPECT_EQ(upper.demand.growth.name, lower.demand.growth.name);
    EXPECT_EQ(upper.demand.growth.dist.a, 0.07);
    EXPECT_EQ(upper.demand.growth.where.line, 146);  // the variant's line
    // One field of a distribution overridden, the rest kept.
    EXPECT_EQ(policy.demand.growth.dist.kind, Distribution::Kind::normal);
    EXPECT_EQ(policy.demand.growth.dist.a, 0.03);
    EXPECT_EQ(policy.demand.growth.dist.b, 0.02);
    // Tables merge key by key.
    ASSERT_EQ(policy.cease.multiplier.points.size(), 2u);
    EXPECT_EQ(policy.cease.multiplier.points[1].second.dist.a, 1.25);
    EXPECT_EQ(policy.demand.placement_mix[2][1][3].dist.a, 0.10);
    EXPECT_EQ(policy.demand.placement_mix[2][1][3].where.line, 152);
    // Everything else as the baseline.
    EXPECT_EQ(policy.stock, lower.stock);
    EXPECT_EQ(policy.population, lower.population);
    EXPECT_EQ(upper.demand.placement_mix[2][1][3].dist.a, 0.25);
    EXPECT_EQ(upper.transitions.size(), lower.transitions.size());
    EXPECT_EQ(upper.description, "Upper bound: faster demand growth");
}

TEST(SmallScenario, Mitigations) {
    const Scenario& s = small().variants[0];
    ASSERT_EQ(s.mitigations.size(), 2u);
    const Mitigation& help = s.mitigations[0];
    EXPECT_EQ(help.name, "early_help");
    EXPECT_EQ(help.kind, Mitigation::Kind::fewer_plans);
    EXPECT_EQ(help.stage, Mitigation::Stage::requests);  // default
    EXPECT_EQ(help.start_year, 2025);
    EXPECT_EQ(help.ramp, 2);
    EXPECT_EQ(help.target.name, "mitigations.early_help.target");
    EXPECT_EQ(help.target.dist.a, 0.05);
    EXPECT_EQ(help.stretch.name, "mitigations.early_help.stretch");
    EXPECT_EQ(help.stretch.dist.kind, Distribution::Kind::uniform);
    EXPECT_EQ(help.annual_cost.name, "mitigations.early_help.annual_cost");
    EXPECT_EQ(help.annual_cost.dist.a, 150000.0);
    EXPECT_TRUE(help.cost_on_high_needs_block);
    EXPECT_EQ(help.phases, std::vector<int>{1});  // primary
    EXPECT_TRUE(help.needs.empty());
    EXPECT_TRUE(help.placements.empty());
    EXPECT_EQ(help.where.line, 122);

    const Mitigation& divert = s.mitigations[1];
    EXPECT_EQ(divert.kind, Mitigation::Kind::divert);
    EXPECT_EQ(divert.start_year, 2024);  // base_year + 1
    EXPECT_EQ(divert.ramp, 1);
    EXPECT_EQ(divert.from, index(s.dims.placements, "special"));
    EXPECT_EQ(divert.to, index(s.dims.placements, "resourced"));
    EXPECT_EQ(divert.needs, std::vector<int>{index(s.dims.needs, "ASD")});
    EXPECT_TRUE(divert.phases.empty());
    EXPECT_FALSE(divert.cost_on_high_needs_block);
    EXPECT_EQ(divert.annual_cost.dist.kind, Distribution::Kind::triangular);
    // No stretch written: the target itself, same name, so the same draw.
    EXPECT_EQ(divert.stretch.name, "mitigations.resourced_not_special.target");
    EXPECT_EQ(divert.stretch.dist.kind, Distribution::Kind::beta);
    EXPECT_EQ(divert.stretch.dist.a, divert.target.dist.a);
}

TEST(SmallScenario, AmbitionLevelsAndComparisons) {
    const ScenarioSet& set = small();
    const std::vector<std::pair<AmbitionLevel, std::string>> expected = {
        {AmbitionLevel::none, ""}, {AmbitionLevel::none, ""}, {AmbitionLevel::none, ""},
        {AmbitionLevel::target, "lower"}, {AmbitionLevel::stretch, "lower"}};
    ASSERT_EQ(set.variants.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE(set.variants[i].variant);
        EXPECT_EQ(set.variants[i].level, expected[i].first);
        EXPECT_EQ(set.variants[i].compare_to, expected[i].second);
        // Every variant declares the mitigations; the level says which effect applies.
        EXPECT_EQ(set.variants[i].mitigations.size(), 2u);
    }
    // Nothing else changes: a mitigated variant is its comparison plus the levers.
    EXPECT_EQ(set.variants[3].demand.growth.dist.a, set.variants[0].demand.growth.dist.a);
}

TEST(SmallScenario, NotesSayWhichDrawsAreClamped) {
    const std::vector<std::string>& notes = small().notes;
    ASSERT_FALSE(notes.empty());
    // A normal probability with a 2% chance below 0; the normal growth rates
    // reach below -1 only in theory and get no note.
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("small.toml:69:18: transitions[1].to.special: normal(mean=0.02, sd=0.01) can fall "
                            "outside its domain (a probability in [0, 1]); the engine clamps"),
              std::string::npos)
        << notes[0];
}

TEST(DefaultScenario, LoadsWhenPresent) {
    const std::vector<SourceFile>& files = default_scenario_files();
    ASSERT_FALSE(files.empty());
    EXPECT_EQ(files.front().path, "halton.toml");
    if (files.front().text.find_first_not_of(" \t\r\n") == std::string::npos)
        GTEST_SKIP() << "scenarios/halton/halton.toml is empty in this build";
    try {
        const ScenarioSet set = load_default_scenario();
        EXPECT_FALSE(set.variants.empty());
        EXPECT_EQ(set.sources.front().path, "<embedded:halton>/halton.toml");
    } catch (const ScenarioError& error) {
        FAIL() << error.what();
    }
}

}  // namespace
}  // namespace ehcpsim
