// A minimal valid scenario held in memory, shared by the scenario module's
// tests: ages 0..3, two needs, two placements, two phases.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ehcpsim/scenario.h"

namespace ehcpsim::testing {

inline const std::string minimal_toml = R"(
[scenario]
name = "mini"
base_year = 2020
horizon = 3

[dimensions]
min_age = 0
max_age = 3
needs = ["A", "B"]
placements = ["ms", "sp"]
phases = [{ name = "young", ages = [0, 1] }, { name = "old", ages = [2, 3] }]

[data]
stock = "stock.csv"
population = "pop.csv"

[demand]
request_rate = 0.01
assess_rate = 0.8
issue_rate = 0.9
need_mix.default = { A = 0.5, B = 0.5 }
placement_mix.default = { ms = 0.7, sp = 0.3 }

[cease]
rate = 0.05

[money]
opening_deficit = -1.0e5
unit_cost = { ms = 8000, sp = 20000 }
funding.known = { 2020 = 1.0e6 }
)";

inline const std::string minimal_stock = "age,need,placement,count\n1,A,ms,3\n2,B,sp,4\n";
inline const std::string minimal_population =
    "year,age,population\n2020,0,100\n2020,1,100\n2020,2,100\n2020,3,100\n";


// What loading a scenario held in memory gave: the set, or the error and its problems,
// and every file the loader asked for.
struct Loaded {
    std::optional<ScenarioSet> set;
    std::string error;
    std::vector<Diagnostic> problems;
    std::vector<std::string> files_asked;
};

// Loads TOML text as "dir/mini.toml"; stock.csv and pop.csv default to the minimal tables.
inline Loaded load(const std::string& toml, std::map<std::string, std::string> files = {}) {
    files.emplace("stock.csv", minimal_stock);
    files.emplace("pop.csv", minimal_population);
    Loaded out;
    try {
        out.set = load_scenario("dir/mini.toml", toml, [&](const std::string& name) -> std::optional<std::string> {
            out.files_asked.push_back(name);
            const auto it = files.find(name);
            if (it == files.end()) return std::nullopt;
            return it->second;
        });
    } catch (const ScenarioError& error) {
        out.error = error.what();
        out.problems = error.problems();
    }
    return out;
}

// The text with its first occurrence of old_text replaced (a test failure if absent).
inline std::string with(std::string text, const std::string& old_text, const std::string& new_text) {
    const auto at = text.find(old_text);
    EXPECT_NE(at, std::string::npos) << old_text;
    if (at != std::string::npos) text.replace(at, old_text.size(), new_text);
    return text;
}

}  // namespace ehcpsim::testing
