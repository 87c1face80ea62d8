// The readers of a scenario file's sections, one file each: [scenario] and
// [dimensions] (header.cpp), [data] (data.cpp), [demand], [cease] and
// [transfers_in], [[transitions]], [money], [[mitigations]], [capacity]; and
// what they share. variants.cpp calls them for the baseline and for every
// variant merged over it (load_scenario).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bounds.h"
#include "csv.h"
#include "ehcpsim/scenario.h"
#include "problems.h"
#include "text.h"
#include "toml_access.h"

namespace ehcpsim::scenario_reading {

// The set-level facts; variants share them.
struct Header {
    std::string name;
    std::string description;
    std::string baseline = "baseline";
    std::string baseline_label;  // "" = none
    std::uint64_t seed = 1;
    std::int64_t replicates = 1000;
    std::optional<int> base_year;
    std::optional<int> horizon;
};

// The keys that place a variant among the others (docs/scenario.md, "Variants").
inline const std::vector<std::string> variant_only_keys = {"extends", "level", "compare_to"};

// header.cpp: [scenario] and [dimensions].
// The baseline is the unmitigated root every variant is merged over: it can
// neither extend, be mitigated nor be compared (at the top level or in [scenario]).
void reject_variant_only_keys(Toml& toml, const toml::table& table, const std::string& path);
Header read_header(Toml& toml, const toml::table& root);
// nullopt when the dimensions are unusable: everything else is keyed by them.
std::optional<Dimensions> read_dimensions(Toml& toml, const toml::table& root);
std::vector<std::string> phase_names(const Dimensions& dims);

// A declared name given as a string: its index, or -1 (reported).
int read_declared_name(Toml& toml, const toml::node& node, const std::string& path,
                       const std::vector<std::string>& names, const std::string& what);
// A scope list of declared names as sorted indices; empty = all.
std::vector<int> read_scope(Toml& toml, const toml::node& node, const std::string& path,
                            const std::vector<std::string>& names, const std::string& what);

// One reader a section; each reports its problems through `toml`.
void read_data(Toml& toml, Files& files, const toml::table& root, const Header& header, Scenario& scenario);
Demand read_demand(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year);
Cease read_cease(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year);
TransfersIn read_transfers_in(Toml& toml, const toml::table& root, int base_year);
std::vector<TransitionRule> read_transitions(Toml& toml, const toml::table& root, const Dimensions& dims);
Money read_money(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year, int horizon);
std::vector<Mitigation> read_mitigations(Toml& toml, const toml::table& root, const Dimensions& dims,
                                         const Header& header);
void read_capacity(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year, Scenario& out);

}  // namespace ehcpsim::scenario_reading
