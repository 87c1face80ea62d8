// A scenario's keys, as a run's file stores the scenario whole (its TOML and
// CSV sources): flattened to dotted keys with their values, so that two
// runs' scenarios can be compared key by key, and an old scenario given one
// key of a new one (`ehcpsim compare`, docs/compare.md). Tables are followed
// down to their values; a distribution table ({ dist = ... }), an array of
// values and an array of tables whose length differs between the two are
// each one key; the tables of an array of tables of the same length are
// followed as KEY[i].SUB. Every other source file (a CSV table) is one key,
// "file:PATH", valued by its whole text.
#pragma once

#include <string>
#include <vector>

#include "ehcpsim/scenario.h"

namespace ehcpsim {

struct KeyDifference {
    std::string key;
    std::string old_value, new_value;  // TOML text (one line); "" when the key is absent on that side
    bool old_present = false, new_present = false;
};

// The keys whose values differ between two scenarios' sources (the first
// source of each is the TOML), in sorted key order; empty when the two are
// the same scenario (whatever the files' names, layout and comments).
// ScenarioError naming the source on a TOML syntax error.
std::vector<KeyDifference> differing_keys(const std::vector<SourceFile>& old_sources,
                                          const std::vector<SourceFile>& new_sources);

// The old scenario's sources with `key` (one of differing_keys()) set as in
// the new one, or removed where the new one lacks it: the TOML re-written,
// or the one CSV replaced. Load it with load_scenario() and sources_reader().
std::vector<SourceFile> with_key_of(const std::vector<SourceFile>& old_sources,
                                    const std::vector<SourceFile>& new_sources, const std::string& key);

// A FileReader (load_scenario) over sources held in memory: the file of that
// path, or nullopt.
FileReader sources_reader(const std::vector<SourceFile>& sources);

}  // namespace ehcpsim
