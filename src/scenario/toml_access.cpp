// Typed access to a scenario's TOML document: keys, tables, integers,
// strings, names and years, each problem located (toml_access.h).
#include "toml_access.h"

#include <algorithm>

#include "text.h"

namespace ehcpsim::scenario_reading {

std::string type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date/time";
    }
}

// A table's entries in the order they were written (toml++ keeps them sorted by key).
std::vector<std::pair<const toml::key*, const toml::node*>> in_source_order(const toml::table& table) {
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [key, node] : table) entries.emplace_back(&key, &node);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) {
        const toml::source_position& a = x.first->source().begin;
        const toml::source_position& b = y.first->source().begin;
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    return entries;
}

void Toml::check_keys(const toml::table& table, const std::string& path, const std::vector<std::string>& allowed,
                      const std::vector<std::string>& handled) {
    for (const auto& [key, node] : in_source_order(table)) {
        if (std::find(allowed.begin(), allowed.end(), key->str()) == allowed.end() &&
            std::find(handled.begin(), handled.end(), key->str()) == handled.end())
            error(at(*key, join_key(path, key->str())),
                  "unknown key " + in_quotes(key->str()) + "; allowed keys" + (path.empty() ? "" : " in " + path) +
                      ": " + list_text(allowed));
    }
}

Toml::NamedEntry Toml::named_entry(const toml::node& node, const std::string& array, std::size_t index) {
    NamedEntry entry;
    entry.path = array + "[" + std::to_string(index) + "]";
    entry.table = node.as_table();
    if (!entry.table) {
        error(at(node, entry.path), "expected a table, found " + type_name(node));
        return entry;
    }
    entry.errors_before = problems_.error_count();
    const std::string indexed = entry.path;
    const toml::node* name = required(*entry.table, "name", indexed);
    const std::optional<std::string> text = name ? identifier(*name, join_key(indexed, "name")) : std::nullopt;
    if (text) {
        entry.name = *text;
        entry.path = array + "." + *text;
    }
    entry.where = at(*entry.table, entry.path);
    return entry;
}

const toml::array* Toml::array_of_tables(const toml::table& parent, std::string_view key) {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    const toml::array* array = node->as_array();
    if (!array)
        error(at(*node, std::string(key)),
              "expected an array of tables ([[" + std::string(key) + "]]), found " + type_name(*node));
    return array;
}

const toml::table* Toml::table(const toml::table& parent, std::string_view key, const std::string& path,
                               bool required_key) {
    const toml::node* node = required_key ? required_at(parent, key, path) : parent.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) {
        error(at(*node, path), "expected a table, found " + type_name(*node));
        return nullptr;
    }
    return node->as_table();
}

std::optional<std::int64_t> Toml::integer(const toml::node& node, const std::string& path, std::int64_t low,
                                          std::int64_t high) {
    if (!node.is_integer()) {
        error(at(node, path), "expected an integer, found " + type_name(node));
        return std::nullopt;
    }
    const std::int64_t value = node.as_integer()->get();
    if (value < low || value > high) {
        error(at(node, path), "must be between " + std::to_string(low) + " and " + std::to_string(high) +
                                  ", found " + std::to_string(value));
        return std::nullopt;
    }
    return value;
}

std::optional<std::int64_t> Toml::integer_or(const toml::table& parent, std::string_view key, const std::string& path,
                                             std::int64_t low, std::int64_t high, std::int64_t fallback) {
    const toml::node* node = parent.get(key);
    if (!node) return fallback;
    return integer(*node, path, low, high);
}

std::optional<std::string> Toml::text(const toml::node& node, const std::string& path) {
    if (!node.is_string()) {
        error(at(node, path), "expected a string, found " + type_name(node));
        return std::nullopt;
    }
    return node.as_string()->get();
}

std::optional<bool> Toml::boolean(const toml::node& node, const std::string& path) {
    if (!node.is_boolean()) {
        error(at(node, path), "expected true or false, found " + type_name(node));
        return std::nullopt;
    }
    return node.as_boolean()->get();
}

std::optional<std::string> Toml::identifier(const toml::node& node, const std::string& path) {
    std::optional<std::string> name = text(node, path);
    if (!name) return std::nullopt;
    if (!is_identifier(*name)) {
        error(at(node, path), "the name " + in_quotes(*name) + " must be non-empty and use only A-Z, a-z, 0-9 and _");
        return std::nullopt;
    }
    if (*name == default_key) {
        error(at(node, path), "the name 'default' is reserved");
        return std::nullopt;
    }
    return name;
}

std::optional<int> Toml::year_key(const toml::key& key, const std::string& path) {
    const std::optional<std::int64_t> year = parse_integer(key.str());
    if (!year || *year < first_year || *year > last_year) {
        error(at(key, path), "expected a year (" + std::to_string(first_year) + ".." + std::to_string(last_year) +
                                 ") as key, found " + in_quotes(key.str()));
        return std::nullopt;
    }
    return static_cast<int>(*year);
}

}  // namespace ehcpsim::scenario_reading
