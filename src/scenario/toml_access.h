// Reading values out of a scenario's TOML document (toml++): typed access
// that reports every problem against the document's file with the dotted key,
// line and column it came from (the locations a ScenarioError lists), and the
// parameters (a number or a distribution table) checked against their domain.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "bounds.h"
#include "problems.h"
#include "text.h"

namespace ehcpsim::scenario_reading {

std::string type_name(const toml::node& node);

inline bool is_number(const toml::node& node) { return node.is_integer() || node.is_floating_point(); }

inline double number_of(const toml::node& node) {
    return node.is_integer() ? static_cast<double>(node.as_integer()->get()) : node.as_floating_point()->get();
}

// A table giving a distribution rather than values keyed by name.
inline bool is_distribution_table(const toml::node& node) {
    const toml::table* table = node.as_table();
    return table && table->contains("dist");
}

// A table's entries in the order they were written (toml++ keeps them sorted by key).
std::vector<std::pair<const toml::key*, const toml::node*>> in_source_order(const toml::table& table);

// Which of a set of names a table keyed by names may give (`default` included).
struct NamedSpec {
    const char* what;           // "phase", "placement", "need": for messages
    Domain domain;
    bool single = false;        // one value may stand for every name
    bool with_default = false;  // a `default` key fills the names not listed
};

// Reads values out of one TOML document, reporting problems against its file.
class Toml {
public:
    Toml(std::string file, const toml::table& root, Problems& problems)
        : file_(std::move(file)), root_(root), problems_(problems) {}

    const std::string& file() const { return file_; }
    Problems& problems() { return problems_; }

    SourceLocation at(const toml::node& node, const std::string& key) const {
        if (&node == &root_) return {file_, key, 0, 0};
        return {file_, key, static_cast<int>(node.source().begin.line), static_cast<int>(node.source().begin.column)};
    }
    SourceLocation at(const toml::key& key, const std::string& path) const {
        return {file_, path, static_cast<int>(key.source().begin.line), static_cast<int>(key.source().begin.column)};
    }
    void error(const SourceLocation& where, const std::string& message) { problems_.error(where, message); }
    void note(const SourceLocation& where, const std::string& message) { problems_.note(where, message); }
    void warning(const SourceLocation& where, const std::string& message) { problems_.warning(where, message); }

    // Reports every key of `table` that is not in `allowed`; keys in `handled`
    // are judged by the caller, so neither reported nor listed.
    void check_keys(const toml::table& table, const std::string& path, const std::vector<std::string>& allowed,
                    const std::vector<std::string>& handled = {});

    // parent[key], reported (at the parent, named by the key's full path) when missing.
    const toml::node* required(const toml::table& parent, std::string_view key, const std::string& parent_path) {
        return required_at(parent, key, join_key(parent_path, key));
    }
    const toml::node* required_at(const toml::table& parent, std::string_view key, const std::string& path) {
        const toml::node* node = parent.get(key);
        if (!node) error(at(parent, path), "missing required key " + in_quotes(key));
        return node;
    }

    // One entry of an array of named tables ([[mitigations]],
    // [[money.adjustments]]): its table (nullptr, reported, when the entry is
    // not a table), its required `name` read as an identifier, and the path
    // messages name it by ("<array>.<name>", or "<array>[i]" without a good
    // name). errors_before: the error count before the name was read, so
    // the caller can tell whether the entry as a whole was clean.
    struct NamedEntry {
        const toml::table* table = nullptr;
        std::string path;
        std::string name;
        SourceLocation where;
        std::size_t errors_before = 0;
    };
    NamedEntry named_entry(const toml::node& node, const std::string& array, std::size_t index);

    // parent[key] as an array of tables ([[key]]): nullptr when absent or,
    // reported, not an array.
    const toml::array* array_of_tables(const toml::table& parent, std::string_view key);

    // A sub-table; reports a missing (when required) or non-table value.
    const toml::table* table(const toml::table& parent, std::string_view key, const std::string& path,
                             bool required_key);

    std::optional<std::int64_t> integer(const toml::node& node, const std::string& path, std::int64_t low,
                                        std::int64_t high);

    std::optional<std::int64_t> integer_or(const toml::table& parent, std::string_view key, const std::string& path,
                                           std::int64_t low, std::int64_t high, std::int64_t fallback);

    std::optional<std::string> text(const toml::node& node, const std::string& path);

    std::optional<bool> boolean(const toml::node& node, const std::string& path);

    // A name the format uses as a key: [A-Za-z0-9_], not `default`.
    std::optional<std::string> identifier(const toml::node& node, const std::string& path);

    // A year given as a table key ("2024").
    std::optional<int> year_key(const toml::key& key, const std::string& path);

    // A number or a distribution table, checked against its domain.
    Param param(const toml::node& node, const std::string& path, Domain domain);

    // A growth rate or inflation above 0.5 a year is almost surely a
    // percentage written as a number (3 for 3%).
    void warn_if_percentage(const Param& param, Domain domain);

    Param param_or(const toml::table& parent, std::string_view key, const std::string& path, Domain domain,
                   double fallback);

    Param required_param(const toml::table& parent, std::string_view key, const std::string& path, Domain domain);

    std::optional<Distribution> distribution(const toml::table& table, const std::string& path);

    // A year-keyed step function, or one value for every year (stored at base_year).
    YearSeries year_series(const toml::node& node, const std::string& path, Domain domain, double before_first,
                           int base_year);

    // One parameter per name (phase, placement, need). Slots given neither
    // directly nor by `default` stay empty for the caller to judge.
    std::vector<std::optional<Param>> by_name(const toml::node& node, const std::string& path,
                                              const std::vector<std::string>& names, const NamedSpec& spec);

    // by_name() where every name must be given: reports those missing.
    std::vector<Param> every_name(const toml::node& node, const std::string& path,
                                  const std::vector<std::string>& names, const NamedSpec& spec);

private:
    std::string file_;
    const toml::table& root_;
    Problems& problems_;
};

}  // namespace ehcpsim::scenario_reading
