// A scenario's keys compared and one key moved from a new scenario into an
// old one (scenario_keys.h; `ehcpsim compare`, issue 16 item 5).
#include <gtest/gtest.h>

#include "ehcpsim/scenario_keys.h"
#include "mini_scenario.h"

namespace ehcpsim {
namespace {

using testing::minimal_population;
using testing::minimal_stock;
using testing::minimal_toml;

std::vector<SourceFile> sources(const std::string& toml, const std::string& stock = minimal_stock) {
    return {{"mini.toml", toml}, {"stock.csv", stock}, {"pop.csv", minimal_population}};
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

std::vector<std::string> keys_of(const std::vector<KeyDifference>& differences) {
    std::vector<std::string> keys;
    for (const KeyDifference& d : differences) keys.push_back(d.key);
    return keys;
}

const std::string mitigations = R"(
[[mitigations]]
name = "a"
kind = "fewer_plans"
target = 0.1
annual_cost = 1000

[[mitigations]]
name = "b"
kind = "fewer_plans"
target = { dist = "pert", min = 0.02, mode = 0.05, max = 0.1 }
annual_cost = 2000
)";

TEST(ScenarioKeys, TheSameScenarioWrittenDifferentlyHasNoDifference) {
    const std::string reordered = replaced(replaced(minimal_toml, "assess_rate = 0.8\n", ""), "issue_rate = 0.9\n",
                                           "issue_rate = 0.9 # a comment\nassess_rate = 0.80\n");
    EXPECT_TRUE(differing_keys(sources(minimal_toml), sources(reordered)).empty());
}

TEST(ScenarioKeys, ValuesDistributionsArraysOfTablesAndFilesEachNamed) {
    const std::string old_toml = minimal_toml + mitigations;
    std::string new_toml = replaced(old_toml, "request_rate = 0.01", "request_rate = 0.02");
    new_toml = replaced(new_toml, "mode = 0.05", "mode = 0.06");  // inside a distribution: one key for the whole table
    new_toml = replaced(new_toml, "annual_cost = 1000", "annual_cost = 1500");
    new_toml = replaced(new_toml, "opening_deficit = -1.0e5\n", "");
    const auto differences =
        differing_keys(sources(old_toml), sources(new_toml, minimal_stock + "3,A,ms,1\n"));
    EXPECT_EQ(keys_of(differences),
              (std::vector<std::string>{"demand.request_rate", "file:stock.csv", "mitigations[0].annual_cost",
                                        "mitigations[1].target", "money.opening_deficit"}));
    EXPECT_EQ(differences[0].old_value, "0.01");
    EXPECT_EQ(differences[0].new_value, "0.02");
    EXPECT_EQ(differences[1].old_value, "differs from line 4");
    EXPECT_TRUE(differences[4].old_present);
    EXPECT_FALSE(differences[4].new_present);
    // A mitigation added: the array of tables is one key.
    const auto added = differing_keys(sources(old_toml), sources(old_toml + mitigations));
    EXPECT_EQ(keys_of(added), std::vector<std::string>{"mitigations"});
}

TEST(ScenarioKeys, OneKeyMovedMakesOldDifferOnlyInTheOthers) {
    const std::string old_toml = minimal_toml + mitigations;
    std::string new_toml = replaced(old_toml, "request_rate = 0.01", "request_rate = 0.02");
    new_toml = replaced(new_toml, "annual_cost = 2000", "annual_cost = 2500");
    new_toml = replaced(new_toml, "issue_rate = 0.9\n", "issue_rate = 0.9\nlag = 0.2\n");  // a key OLD lacks
    new_toml += "\n[capacity]\n";
    const auto old_sources = sources(old_toml), new_sources = sources(new_toml, minimal_stock + "3,A,ms,1\n");
    const auto all = keys_of(differing_keys(old_sources, new_sources));
    ASSERT_EQ(all.size(), 4u);  // [capacity] is an empty table: no key
    for (const std::string& key : all) {
        const std::vector<SourceFile> moved = with_key_of(old_sources, new_sources, key);
        std::vector<std::string> rest = all;
        rest.erase(std::find(rest.begin(), rest.end(), key));
        EXPECT_EQ(keys_of(differing_keys(moved, new_sources)), rest) << key;
        // And it is still a scenario the loader reads.
        EXPECT_NO_THROW(load_scenario("mini.toml", moved.front().text, sources_reader(moved))) << key;
    }
}

}  // namespace
}  // namespace ehcpsim
