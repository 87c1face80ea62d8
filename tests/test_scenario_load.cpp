// Loader behaviour on small in-memory scenarios: merging, naming, CSV rules,
// notes, and collecting every problem into one ScenarioError.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "ehcpsim/scenario.h"
#include "mini_scenario.h"

namespace ehcpsim {
namespace {

using testing::minimal_population;
using testing::minimal_stock;
using testing::minimal_toml;

using testing::Loaded;
using testing::load;
using testing::with;

TEST(ScenarioLoad, MinimalScenarioTakesDefaults) {
    const Loaded loaded = load(minimal_toml);
    ASSERT_TRUE(loaded.set) << loaded.error;
    const ScenarioSet& set = *loaded.set;
    EXPECT_EQ(set.default_seed, 1u);
    EXPECT_EQ(set.default_replicates, 1000);
    ASSERT_EQ(set.variants.size(), 1u);
    const Scenario& s = set.variants[0];
    EXPECT_EQ(s.variant, "baseline");
    EXPECT_EQ(s.demand.lag.dist.a, 0.0);
    EXPECT_EQ(s.demand.lag.name, "demand.lag");
    EXPECT_EQ(s.demand.persistence.dist.a, 1.0);
    EXPECT_TRUE(s.demand.request_multiplier.empty());
    EXPECT_EQ(s.demand.request_multiplier.before_first, 1.0);
    EXPECT_TRUE(s.transfers_in.rate.empty());
    EXPECT_EQ(s.transfers_in.rate.before_first, 0.0);
    EXPECT_TRUE(s.transitions.empty());
    EXPECT_EQ(s.money.opening_deficit.dist.a, -1.0e5);  // any real
    ASSERT_EQ(s.money.cost_inflation.size(), 2u);
    EXPECT_EQ(s.money.cost_inflation[1].dist.a, 0.0);
    ASSERT_EQ(s.money.transport.size(), 2u);
    EXPECT_EQ(s.money.transport[1].cost_in_borough.dist.a, 0.0);
    // A single value stands for every phase / placement under one name.
    EXPECT_EQ(s.demand.request_rate[1].name, "demand.request_rate");
    EXPECT_EQ(s.cease.rate[1][1].name, "cease.rate");
    EXPECT_EQ(s.population.size(), 4u);
    EXPECT_EQ(s.stock[s.dims.cell(2, 1, 1)], 4);
    EXPECT_EQ(loaded.files_asked, (std::vector<std::string>{"stock.csv", "pop.csv"}));
    EXPECT_TRUE(set.notes.empty());
}

TEST(ScenarioLoad, SingleValueYearSeriesHoldsFromTheBaseYear) {
    const Loaded loaded = load(minimal_toml + "[transfers_in]\nrate = 12\n");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const YearSeries& rate = loaded.set->variants[0].transfers_in.rate;
    ASSERT_EQ(rate.points.size(), 1u);
    EXPECT_EQ(rate.points[0].first, 2020);
    EXPECT_EQ(rate.points[0].second.name, "transfers_in.rate");
}

TEST(ScenarioLoad, CsvSkipsCommentsBlankLinesAndCarriageReturns) {
    const Loaded loaded = load(minimal_toml, {{"stock.csv", "# comment\n\n age , need ,placement,count \r\n"
                                                            "1,A,ms,3\r\n\n# another\n 2 , B , sp , 4 \r\n"}});
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& s = loaded.set->variants[0];
    EXPECT_EQ(s.stock[s.dims.cell(1, 0, 0)], 3);
    EXPECT_EQ(s.stock[s.dims.cell(2, 1, 1)], 4);
}

TEST(ScenarioLoad, CsvLineNumbersCountEveryPhysicalLine) {
    const Loaded loaded = load(minimal_toml, {{"stock.csv", "# comment\n\nage,need,placement,count\n\n1,A,ms,x\n"}});
    ASSERT_FALSE(loaded.set);
    EXPECT_NE(loaded.error.find("dir/stock.csv:5:8: count: expected a non-negative integer"), std::string::npos)
        << loaded.error;
}

TEST(ScenarioLoad, PopulationAgesOutsideTheRangeAreIgnoredWithANote) {
    const Loaded loaded = load(minimal_toml, {{"pop.csv", minimal_population + "2020,4,90\n2020,5,80\n"}});
    ASSERT_TRUE(loaded.set) << loaded.error;
    ASSERT_EQ(loaded.set->notes.size(), 1u);
    EXPECT_NE(loaded.set->notes[0].find("2 row(s) for ages outside"), std::string::npos);
}

TEST(ScenarioLoad, PopulationIsAStepFunctionOverTheHorizon) {
    const std::string pop = minimal_population + "2022,0,50\n2022,1,50\n2022,2,50\n2022,3,50.5\n";
    const Loaded loaded = load(minimal_toml, {{"pop.csv", pop}});
    ASSERT_TRUE(loaded.set) << loaded.error;
    const auto& population = loaded.set->variants[0].population;
    ASSERT_EQ(population.size(), 4u);
    EXPECT_EQ(population.at(2021)[3], 100.0);
    EXPECT_EQ(population.at(2022)[3], 50.5);
    EXPECT_EQ(population.at(2023)[3], 50.5);
}

TEST(ScenarioLoad, SupportOutsideTheDomainIsANoteMeanOutsideAnError) {
    const std::string reaching = with(minimal_toml, "issue_rate = 0.9", R"(issue_rate = { dist = "normal", mean = 0.9, sd = 0.1 })");
    const Loaded accepted = load(reaching);
    ASSERT_TRUE(accepted.set) << accepted.error;
    ASSERT_EQ(accepted.set->notes.size(), 1u);
    EXPECT_NE(accepted.set->notes[0].find("dir/mini.toml:21:14: demand.issue_rate: normal(mean=0.9, sd=0.1) can fall "
                                          "outside its domain (a probability in [0, 1]); the engine clamps"),
              std::string::npos)
        << accepted.set->notes[0];

    const Loaded rejected = load(with(minimal_toml, "issue_rate = 0.9", R"(issue_rate = { dist = "uniform", min = 0.9, max = 1.3 })"));
    ASSERT_FALSE(rejected.set);
    EXPECT_NE(rejected.error.find("has mean 1.1; the mean must be a probability"), std::string::npos) << rejected.error;
}

TEST(ScenarioLoad, CollectsEveryProblemInOneError) {
    std::string toml = with(minimal_toml, "horizon = 3", "horizon = 0");
    toml = with(toml, "issue_rate = 0.9", "issue_rate = 2");
    toml = with(toml, "rate = 0.05", "rate = 0.05\nbogus = 1");
    const Loaded loaded = load(toml, {{"stock.csv", "age,need,placement,count\n1,A,ms,-1\n"}});
    ASSERT_FALSE(loaded.set);
    ASSERT_EQ(loaded.problems.size(), 4u) << loaded.error;
    EXPECT_NE(loaded.error.find("scenario.horizon: must be between 1 and 100, found 0"), std::string::npos);
    EXPECT_NE(loaded.error.find("demand.issue_rate: must be a probability in [0, 1], found 2"), std::string::npos);
    EXPECT_NE(loaded.error.find("cease.bogus: unknown key 'bogus'; allowed keys in cease: rate, multiplier"),
              std::string::npos);
    EXPECT_NE(loaded.error.find("dir/stock.csv:2:8: count: count must be >= 0"), std::string::npos);
    // what() is the problems joined by newlines.
    EXPECT_EQ(std::count(loaded.error.begin(), loaded.error.end(), '\n'), 3);
    for (const Diagnostic& problem : loaded.problems) EXPECT_GT(problem.where.line, 0) << problem.message;
}

TEST(ScenarioLoad, SyntaxErrorIsOneDiagnosticWithItsLine) {
    const Loaded loaded = load(with(minimal_toml, "horizon = 3", "horizon = = 3"));
    ASSERT_FALSE(loaded.set);
    ASSERT_EQ(loaded.problems.size(), 1u);
    EXPECT_EQ(loaded.problems[0].where.file, "dir/mini.toml");
    EXPECT_EQ(loaded.problems[0].where.line, 5);
    EXPECT_GT(loaded.problems[0].where.column, 0);
    EXPECT_NE(loaded.error.find("TOML syntax error"), std::string::npos);
}

TEST(ScenarioLoad, MissingCsvNamesItsPath) {
    const Loaded loaded = load(with(minimal_toml, "\"pop.csv\"", "\"data/nope.csv\""));
    ASSERT_FALSE(loaded.set);
    EXPECT_NE(loaded.error.find("dir/mini.toml:16:14: data.population: cannot read the file 'data/nope.csv' "
                                "(looked for 'dir/data/nope.csv'"),
              std::string::npos)
        << loaded.error;
}

TEST(ScenarioLoad, MissingTomlFileNamesItsPath) {
    try {
        load_scenario("/nonexistent/dir/scenario.toml");
        FAIL() << "no error";
    } catch (const ScenarioError& error) {
        EXPECT_NE(std::string(error.what()).find("/nonexistent/dir/scenario.toml"), std::string::npos);
    }
}

const std::string two_variants = R"(
[variants.zeta]
description = "written first"
demand.growth = { dist = "uniform", min = 0.0, max = 0.1 }
[[variants.zeta.transitions]]
into_ages = [2]
from = "ms"
to = { sp = 0.1 }

[variants.alpha]
data.population = "pop_high.csv"
demand.need_mix.default.A = 0.6
demand.need_mix.default.B = 0.4
)";

TEST(ScenarioLoad, VariantsMergeOverTheBaselineInFileOrder) {
    std::string toml = with(minimal_toml, "issue_rate = 0.9",
                            "issue_rate = 0.9\ngrowth = { dist = \"normal\", mean = 0.05, sd = 0.01 }");
    toml += "\n[[transitions]]\ninto_ages = [3]\nfrom = \"sp\"\nto = { ms = 0.2 }\n" + two_variants;
    std::string high = minimal_population;
    for (std::size_t at = high.find(",100"); at != std::string::npos; at = high.find(",100", at)) high.replace(at, 4, ",200");
    const Loaded loaded = load(toml, {{"pop_high.csv", high}});
    ASSERT_TRUE(loaded.set) << loaded.error;
    const auto& variants = loaded.set->variants;
    ASSERT_EQ(variants.size(), 3u);
    EXPECT_EQ(variants[1].variant, "zeta");
    EXPECT_EQ(variants[2].variant, "alpha");
    EXPECT_EQ(variants[1].description, "written first");
    EXPECT_EQ(variants[2].description, "");
    // A distribution table replaces whole (no mean/sd left over from the normal).
    EXPECT_EQ(variants[1].demand.growth.dist.kind, Distribution::Kind::uniform);
    EXPECT_EQ(variants[1].demand.growth.name, variants[0].demand.growth.name);
    // Arrays replace whole.
    ASSERT_EQ(variants[0].transitions.size(), 1u);
    ASSERT_EQ(variants[1].transitions.size(), 1u);
    EXPECT_EQ(variants[1].transitions[0].into_ages, std::vector<int>{2});
    EXPECT_EQ(variants[2].transitions[0].into_ages, std::vector<int>{3});
    // Tables merge key by key; a variant may name its own CSV.
    EXPECT_EQ(variants[2].demand.need_mix[0][0].dist.a, 0.6);
    EXPECT_EQ(variants[2].population.at(2021)[0], 200.0);
    EXPECT_EQ(variants[0].population.at(2021)[0], 100.0);
    ASSERT_EQ(loaded.set->sources.size(), 4u);
    EXPECT_EQ(loaded.set->sources[3].path, "pop_high.csv");
}

TEST(ScenarioLoad, BaselineProblemsAreNotRepeatedPerVariant) {
    const std::string toml = with(minimal_toml, "assess_rate = 0.8", "assess_rate = 1.8") + two_variants;
    const Loaded loaded = load(toml, {{"pop_high.csv", minimal_population}});
    ASSERT_FALSE(loaded.set);
    ASSERT_EQ(loaded.problems.size(), 1u) << loaded.error;
}

TEST(ScenarioLoad, VariantProblemsNameTheVariantAndItsLine) {
    const std::string toml = minimal_toml + "\n[variants.high]\ndemand.lag = 3\n";
    const Loaded loaded = load(toml);
    ASSERT_FALSE(loaded.set);
    ASSERT_EQ(loaded.problems.size(), 1u);
    const auto lines = std::count(minimal_toml.begin(), minimal_toml.end(), '\n');
    EXPECT_EQ(loaded.problems[0].where.line, lines + 3);  // after a blank line and the table header
    EXPECT_NE(loaded.error.find("(in variant 'high')"), std::string::npos);
}

TEST(ScenarioLoad, UnknownTopLevelKeysAreRejected) {
    for (const std::string& extra :
         {std::string("[capacities]\nsp = 10\n"), std::string("[variants.v]\ncapacities = 1\n")}) {
        const Loaded loaded = load(minimal_toml + extra);
        ASSERT_FALSE(loaded.set) << extra;
        EXPECT_NE(loaded.error.find("unknown key"), std::string::npos) << loaded.error;
    }
}

TEST(ScenarioError, FormatsLocationsLeavingOutUnknownParts) {
    EXPECT_EQ(format_location({"a.toml", "demand.lag", 3, 7}), "a.toml:3:7: demand.lag");
    EXPECT_EQ(format_location({"a.toml", "", 3, 0}), "a.toml:3");
    EXPECT_EQ(format_location({"a.toml", "money", 0, 9}), "a.toml: money");
    EXPECT_EQ(format_location({"", "money", 0, 0}), "money");
    EXPECT_EQ(format_location({}), "");
    const ScenarioError one({"s.csv", "count", 2, 5}, "must be >= 0");
    EXPECT_STREQ(one.what(), "s.csv:2:5: count: must be >= 0");
    const ScenarioError two({Diagnostic{{"a", "", 1, 0}, "x"}, Diagnostic{{}, "y"}});
    EXPECT_STREQ(two.what(), "a:1: x\ny");
    EXPECT_EQ(two.problems().size(), 2u);
}

}  // namespace
}  // namespace ehcpsim
