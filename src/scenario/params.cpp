// Parameters as a scenario writes them: a number or a distribution table,
// checked against its domain and magnitude limit (bounds.h); year-keyed step
// functions; and values keyed by phase, placement or need (toml_access.h).
#include <algorithm>
#include <cmath>
#include <exception>
#include <map>

#include "text.h"
#include "toml_access.h"

namespace ehcpsim::scenario_reading {

Param Toml::param(const toml::node& node, const std::string& path, Domain domain) {
    Param param{path, Distribution::fixed_value(0.0), at(node, path)};
    const DomainSpec spec = domain_spec(domain);
    if (is_number(node)) {
        const double value = number_of(node);
        if (!std::isfinite(value))
            error(param.where, "expected a finite number, found " + shortest_text(value));
        else if (!in_domain(spec, value))
            error(param.where, "must be " + std::string(spec.text) + ", found " + shortest_text(value));
        else if (std::abs(value) > spec.limit)
            error(param.where, shortest_text(value) + " is beyond " + spec.limit_text +
                                   ", the largest magnitude this key takes");
        else
            param.dist = Distribution::fixed_value(value);
        warn_if_percentage(param, domain);
        return param;
    }
    if (!node.is_table()) {
        error(param.where, "expected a number or a distribution table ({ dist = ... }), found " + type_name(node));
        return param;
    }
    std::optional<Distribution> dist = distribution(*node.as_table(), path);
    if (!dist) return param;
    if (!in_domain(spec, dist->mean())) {
        error(param.where, dist->describe() + " has mean " + rounded_text(dist->mean()) + "; the mean must be " +
                               spec.text);
        return param;
    }
    // The most extreme draws the engine can make (its uniforms lie in
    // [2^-53, 1 - 2^-53]) must stay within the key's limit.
    const double lowest = dist->quantile(0x1.0p-53), highest = dist->quantile(1.0 - 0x1.0p-53);
    if (std::max(std::abs(lowest), std::abs(highest)) > spec.limit) {
        error(param.where, dist->describe() + " can draw " +
                               rounded_text(std::abs(lowest) > std::abs(highest) ? lowest : highest) +
                               ", beyond " + spec.limit_text + ", the largest magnitude this key takes");
        return param;
    }
    param.dist = *dist;
    // A normal growth rate reaches below -1 in theory only: say nothing
    // unless a draw outside is more likely than one in a million.
    const double low = dist->quantile(negligible_tail);
    const double high = dist->quantile(1.0 - negligible_tail);
    if ((spec.low_open ? low <= spec.low : low < spec.low) || (spec.high_open ? high >= spec.high : high > spec.high))
        note(param.where, dist->describe() + " can fall outside its domain (" + spec.text +
                              "); the engine clamps such draws to the domain");
    warn_if_percentage(param, domain);
    return param;
}

void Toml::warn_if_percentage(const Param& param, Domain domain) {
    const double mean = param.dist.mean();
    if (domain == Domain::growth && mean > max_plausible_growth)
        warning(param.where, "a rate of " + rounded_text(mean) + " a year (" + rounded_text(100.0 * mean) +
                                 "%) is above " + shortest_text(max_plausible_growth) +
                                 ": was a percentage written as a number? 3% is 0.03");
}

Param Toml::param_or(const toml::table& parent, std::string_view key, const std::string& path, Domain domain,
                     double fallback) {
    const toml::node* node = parent.get(key);
    if (!node) return Param{path, Distribution::fixed_value(fallback), {file_, path, 0, 0}};
    return param(*node, path, domain);
}

Param Toml::required_param(const toml::table& parent, std::string_view key, const std::string& path, Domain domain) {
    const toml::node* node = required_at(parent, key, path);
    if (!node) return Param{path, Distribution::fixed_value(0.0), {file_, path, 0, 0}};
    return param(*node, path, domain);
}

std::optional<Distribution> Toml::distribution(const toml::table& table, const std::string& path) {
    static const std::map<std::string, std::pair<Distribution::Kind, std::vector<std::string>>> kinds = {
        {"normal", {Distribution::Kind::normal, {"mean", "sd"}}},
        {"lognormal", {Distribution::Kind::lognormal, {"mean", "sd"}}},
        {"beta", {Distribution::Kind::beta, {"mean", "sd"}}},
        {"uniform", {Distribution::Kind::uniform, {"min", "max"}}},
        {"triangular", {Distribution::Kind::triangular, {"min", "mode", "max"}}},
        {"pert", {Distribution::Kind::pert, {"min", "mode", "max"}}},
    };
    const toml::node* dist_node = table.get("dist");
    if (!dist_node) {
        error(at(table, path), "a distribution table needs 'dist' (normal, lognormal, beta, uniform, triangular "
                               "or pert)");
        return std::nullopt;
    }
    const std::optional<std::string> name = text(*dist_node, join_key(path, "dist"));
    if (!name) return std::nullopt;
    const auto kind = kinds.find(*name);
    if (kind == kinds.end()) {
        error(at(*dist_node, join_key(path, "dist")),
              "unknown distribution " + in_quotes(*name) +
                  "; expected one of normal, lognormal, beta, uniform, triangular, pert");
        return std::nullopt;
    }
    const std::vector<std::string>& fields = kind->second.second;
    std::vector<std::string> allowed = fields;
    allowed.insert(allowed.begin(), "dist");
    const std::size_t before = problems_.error_count();
    check_keys(table, path, allowed);
    double values[3] = {0.0, 0.0, 0.0};
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const std::string field_path = join_key(path, fields[i]);
        const toml::node* field = required(table, fields[i], path);
        if (!field) continue;
        if (!is_number(*field))
            error(at(*field, field_path), "expected a number, found " + type_name(*field));
        else
            values[i] = number_of(*field);
    }
    if (problems_.error_count() != before) return std::nullopt;
    const Distribution dist{kind->second.first, values[0], values[1], values[2]};
    if (const std::string why = dist.check(); !why.empty()) {
        error(at(table, path), "invalid " + dist.describe() + ": " + why);
        return std::nullopt;
    }
    // Parameters that pass the checks above can still overflow once
    // turned into the library's shape (a beta with sd 1e-200, a PERT over
    // [-1e308, 1e308]): Boost.Math then throws, or a quantile is not finite.
    std::string failure;
    try {
        for (double u : {0x1.0p-53, 0.5, 1.0 - 0x1.0p-53})
            if (!std::isfinite(dist.quantile(u)))
                failure = "its draws overflow (quantile " + rounded_text(u) + " is " +
                          shortest_text(dist.quantile(u)) + ")";
        if (failure.empty() && !std::isfinite(dist.mean())) failure = "its mean overflows";
    } catch (const std::exception& e) {
        failure = e.what();
        if (const auto colon = failure.rfind(": "); colon != std::string::npos) failure = failure.substr(colon + 2);
        while (!failure.empty() && (failure.back() == ' ' || failure.back() == '!')) failure.pop_back();
        failure = "the parameters cannot be computed in double precision (" + failure + ")";
    }
    if (!failure.empty()) {
        error(at(table, path), "invalid " + dist.describe() + ": " + failure);
        return std::nullopt;
    }
    return dist;
}

YearSeries Toml::year_series(const toml::node& node, const std::string& path, Domain domain, double before_first,
                             int base_year) {
    YearSeries series;
    series.before_first = before_first;
    if (is_number(node) || is_distribution_table(node)) {
        series.points.emplace_back(base_year, param(node, path, domain));
        return series;
    }
    if (!node.is_table()) {
        error(at(node, path), "expected a number, a distribution or a table keyed by year, found " +
                                  type_name(node));
        return series;
    }
    for (const auto& [key, value] : in_source_order(*node.as_table())) {
        const std::string value_path = join_key(path, key->str());
        if (const std::optional<int> year = year_key(*key, value_path))
            series.points.emplace_back(*year, param(*value, value_path, domain));
    }
    std::sort(series.points.begin(), series.points.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    return series;
}

std::vector<std::optional<Param>> Toml::by_name(const toml::node& node, const std::string& path,
                                                const std::vector<std::string>& names, const NamedSpec& spec) {
    std::vector<std::optional<Param>> out(names.size());
    if (spec.single && (is_number(node) || is_distribution_table(node))) {
        const Param shared = param(node, path, spec.domain);
        std::fill(out.begin(), out.end(), shared);
        return out;
    }
    if (!node.is_table() || is_distribution_table(node)) {
        error(at(node, path), std::string("expected a table keyed by ") + spec.what +
                                  (spec.single ? " or a single value" : "") + ", found " +
                                  (node.is_table() ? std::string("a distribution") : type_name(node)));
        return out;
    }
    const toml::table& table = *node.as_table();
    std::vector<std::string> allowed = names;
    if (spec.with_default) allowed.emplace_back(default_key);
    check_keys(table, path, allowed);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (const toml::node* value = table.get(names[i]))
            out[i] = param(*value, join_key(path, names[i]), spec.domain);
    if (const toml::node* fallback = spec.with_default ? table.get(default_key) : nullptr) {
        const Param shared = param(*fallback, join_key(path, default_key), spec.domain);
        for (std::optional<Param>& slot : out)
            if (!slot) slot = shared;
    }
    return out;
}

std::vector<Param> Toml::every_name(const toml::node& node, const std::string& path,
                                    const std::vector<std::string>& names, const NamedSpec& spec) {
    std::vector<std::optional<Param>> given = by_name(node, path, names, spec);
    std::vector<std::string> missing;
    std::vector<Param> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!given[i]) {
            if (node.is_table()) missing.push_back(names[i]);
            given[i] = Param{join_key(path, names[i]), Distribution::fixed_value(0.0), at(node, path)};
        }
        out.push_back(*given[i]);
    }
    if (!missing.empty())
        error(at(node, path), std::string("missing ") + spec.what + " " + list_text(missing) + ": every " +
                                  spec.what + " must be given" +
                                  (spec.with_default ? " (or a 'default')" : ""));
    return out;
}

}  // namespace ehcpsim::scenario_reading
