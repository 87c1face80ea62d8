// A minimal valid scenario held in memory, shared by the scenario module's
// tests (ages 0..3, two needs, two placements, two phases; the capacity and
// mitigation tests edit it to their own placements), and the in-memory loader
// and text edits they use.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
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

// Loads TOML text held in memory as `display`, the files it names from `files`.
inline Loaded load_in_memory(const std::string& display, const std::string& toml,
                             const std::map<std::string, std::string>& files) {
    Loaded out;
    try {
        out.set = load_scenario(display, toml, [&](const std::string& name) -> std::optional<std::string> {
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

// Loads TOML text as "dir/mini.toml"; stock.csv and pop.csv default to the minimal tables.
inline Loaded load(const std::string& toml, std::map<std::string, std::string> files = {}) {
    files.emplace("stock.csv", minimal_stock);
    files.emplace("pop.csv", minimal_population);
    return load_in_memory("dir/mini.toml", toml, files);
}

// The error text, failing the test if the scenario loaded.
inline std::string rejected_with(const Loaded& loaded, const std::string& what) {
    EXPECT_FALSE(loaded.set) << what;
    return loaded.error;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The variant of that name (throws if there is none).
inline const Scenario& variant(const ScenarioSet& set, const std::string& name) {
    for (const Scenario& scenario : set.variants)
        if (scenario.variant == name) return scenario;
    throw std::runtime_error("no variant " + name);
}

// The text with each whole line `old` replaced by `new` (text of one line or
// more); throws if a line is not there, so a fixture that no longer matches
// fails loudly even where it is built outside a test.
inline std::string with_lines(std::string text, const std::vector<std::pair<std::string, std::string>>& edits) {
    for (const auto& [old_line, new_lines] : edits) {
        const auto at = text.find("\n" + old_line + "\n");
        if (at == std::string::npos) throw std::logic_error("no line '" + old_line + "' in the mini scenario");
        text.replace(at + 1, old_line.size(), new_lines);
    }
    return text;
}

// The text with its first occurrence of old_text replaced (a test failure if absent).
inline std::string with(std::string text, const std::string& old_text, const std::string& new_text) {
    const auto at = text.find(old_text);
    EXPECT_NE(at, std::string::npos) << old_text;
    if (at != std::string::npos) text.replace(at, old_text.size(), new_text);
    return text;
}

}  // namespace ehcpsim::testing
