// The [scenario] table (name, base year, horizon, seed, the baseline's name)
// and [dimensions] (ages, needs, placements, the phases covering the ages).
#include "sections.h"

namespace ehcpsim::scenario_reading {

// The baseline is the unmitigated root every variant is merged over: it can
// neither extend, be mitigated nor be compared (at the top level or in [scenario]).
void reject_variant_only_keys(Toml& toml, const toml::table& table, const std::string& path) {
    for (const auto& [key, node] : in_source_order(table)) {
        const std::string name(key->str());
        const std::string where = join_key(path, name);
        if (name == "level")
            toml.error(toml.at(*key, where), "the baseline may not have a level: it is the unmitigated reference; "
                                             "give a mitigated run its own [variants.NAME] with level = \"target\"");
        else if (name == "extends")
            toml.error(toml.at(*key, where),
                       "the baseline extends nothing: it is the root every variant is merged over");
        else if (name == "compare_to")
            toml.error(toml.at(*key, where),
                       "the baseline has no compare_to: only variants with a level are compared");
    }
}

Header read_header(Toml& toml, const toml::table& root) {
    Header header;
    const toml::table* table = toml.table(root, "scenario", "scenario", true);
    if (!table) return header;
    toml.check_keys(*table, "scenario", {"name", "description", "base_year", "horizon", "baseline", "seed",
                                         "replicates", "baseline_label"}, variant_only_keys);
    reject_variant_only_keys(toml, *table, "scenario");
    if (const toml::node* name = toml.required(*table, "name", "scenario")) {
        if (std::optional<std::string> text = toml.text(*name, "scenario.name")) {
            if (text->empty()) toml.error(toml.at(*name, "scenario.name"), "must not be empty");
            header.name = *text;
        }
    }
    if (const toml::node* description = table->get("description"))
        header.description = toml.text(*description, "scenario.description").value_or("");
    if (const toml::node* label = table->get("baseline_label"))
        header.baseline_label = toml.text(*label, "scenario.baseline_label").value_or("");
    if (const toml::node* year = toml.required(*table, "base_year", "scenario"))
        if (auto value = toml.integer(*year, "scenario.base_year", first_year, last_year - max_horizon))
            header.base_year = static_cast<int>(*value);
    if (const toml::node* horizon = toml.required(*table, "horizon", "scenario"))
        if (auto value = toml.integer(*horizon, "scenario.horizon", 1, max_horizon))
            header.horizon = static_cast<int>(*value);
    if (const toml::node* baseline = table->get("baseline"))
        header.baseline = toml.identifier(*baseline, "scenario.baseline").value_or(header.baseline);
    header.seed = static_cast<std::uint64_t>(
        toml.integer_or(*table, "seed", "scenario.seed", 0, std::numeric_limits<std::int64_t>::max(), 1).value_or(1));
    header.replicates = toml.integer_or(*table, "replicates", "scenario.replicates", 1,
                                        std::numeric_limits<std::int64_t>::max(), 1000)
                            .value_or(1000);
    return header;
}

namespace {

// A list of unique names (needs, placements).
std::vector<std::string> read_names(Toml& toml, const toml::table& table, std::string_view key,
                                    const std::string& path) {
    std::vector<std::string> names;
    const toml::node* node = toml.required(table, key, "dimensions");
    if (!node) return names;
    const toml::array* array = node->as_array();
    if (!array || array->empty()) {
        toml.error(toml.at(*node, path), "expected a non-empty array of names, found " +
                                             (array ? std::string("an empty array") : type_name(*node)));
        return names;
    }
    std::map<std::string, SourceLocation> first;
    for (const toml::node& element : *array) {
        std::optional<std::string> name = toml.identifier(element, path);
        if (!name) continue;
        if (const auto seen = first.find(*name); seen != first.end()) {
            toml.error(toml.at(element, path), "duplicate name " + in_quotes(*name) + " (first given at line " +
                                                   std::to_string(seen->second.line) + ", column " +
                                                   std::to_string(seen->second.column) + ")");
            continue;
        }
        first.emplace(*name, toml.at(element, path));
        names.push_back(*name);
    }
    return names;
}

std::optional<Phase> read_phase(Toml& toml, const toml::node& node, const std::string& path, int min_age,
                                int max_age) {
    const toml::table* table = node.as_table();
    if (!table) {
        toml.error(toml.at(node, path), "expected a table { name = ..., ages = [first, last] }, found " +
                                            type_name(node));
        return std::nullopt;
    }
    toml.check_keys(*table, path, {"name", "ages"});
    const toml::node* name = toml.required(*table, "name", path);
    const toml::node* ages = toml.required(*table, "ages", path);
    if (!name || !ages) return std::nullopt;
    Phase phase;
    std::optional<std::string> text = toml.identifier(*name, join_key(path, "name"));
    const toml::array* range = ages->as_array();
    if (!range || range->size() != 2 || !range->get(0)->is_integer() || !range->get(1)->is_integer()) {
        toml.error(toml.at(*ages, join_key(path, "ages")),
                   "expected [first_age, last_age] (two integers), found " +
                       (range ? "an array of " + std::to_string(range->size()) + " value(s)" : type_name(*ages)));
        return std::nullopt;
    }
    // Clamped into int range first; anything outside 0..120 fails the range check below.
    auto age_at = [&](std::size_t i) {
        return static_cast<int>(std::clamp<std::int64_t>(range->get(i)->as_integer()->get(), -1, max_age_limit + 1));
    };
    phase.first_age = age_at(0);
    phase.last_age = age_at(1);
    const std::string range_text = "[" + std::to_string(range->get(0)->as_integer()->get()) + ", " +
                                   std::to_string(range->get(1)->as_integer()->get()) + "]";
    if (phase.first_age > phase.last_age) {
        toml.error(toml.at(*ages, join_key(path, "ages")), "ages " + range_text + ": first is after last");
        return std::nullopt;
    }
    if (phase.first_age < min_age || phase.last_age > max_age) {
        toml.error(toml.at(*ages, join_key(path, "ages")),
                   "ages " + range_text + " reach outside min_age..max_age (" + std::to_string(min_age) + ".." +
                       std::to_string(max_age) + ")");
        return std::nullopt;
    }
    if (!text) return std::nullopt;
    phase.name = *text;
    return phase;
}

// Phases must cover min_age..max_age in order, without gaps or overlaps.
std::vector<Phase> read_phases(Toml& toml, const toml::table& table, int min_age, int max_age) {
    std::vector<Phase> phases;
    const toml::node* node = toml.required(table, "phases", "dimensions");
    if (!node) return phases;
    const toml::array* array = node->as_array();
    if (!array || array->empty()) {
        toml.error(toml.at(*node, "dimensions.phases"), "expected a non-empty array of phase tables");
        return phases;
    }
    int next_age = min_age;
    std::string previous = "min_age";
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const std::string path = "dimensions.phases[" + std::to_string(i) + "]";
        std::optional<Phase> phase = read_phase(toml, element, path, min_age, max_age);
        if (!phase) return {};
        const bool duplicate = std::any_of(phases.begin(), phases.end(),
                                           [&](const Phase& earlier) { return earlier.name == phase->name; });
        if (duplicate) {
            toml.error(toml.at(element, path), "duplicate phase name " + in_quotes(phase->name));
            return {};
        }
        if (phase->first_age > next_age) {
            toml.error(toml.at(element, path),
                       "gap: phase " + in_quotes(phase->name) + " starts at age " + std::to_string(phase->first_age) +
                           " but the ages before it end at " + std::to_string(next_age - 1) + " (" + previous +
                           "); age " + std::to_string(next_age) + " is in no phase");
            return {};
        }
        if (phase->first_age < next_age) {
            toml.error(toml.at(element, path),
                       "overlap: phase " + in_quotes(phase->name) + " starts at age " + std::to_string(phase->first_age) +
                           ", which is already in " + previous + "; phases must be in age order without overlaps");
            return {};
        }
        next_age = phase->last_age + 1;
        previous = "phase " + in_quotes(phase->name);
        phases.push_back(*phase);
    }
    if (next_age <= max_age) {
        toml.error(toml.at(*node, "dimensions.phases"),
                   "gap: the phases end at age " + std::to_string(next_age - 1) + " but max_age is " +
                       std::to_string(max_age) + "; ages " + std::to_string(next_age) + ".." +
                       std::to_string(max_age) + " are in no phase");
        return {};
    }
    return phases;
}

}  // namespace

// nullopt when the dimensions are unusable: everything else is keyed by them.
std::optional<Dimensions> read_dimensions(Toml& toml, const toml::table& root) {
    const toml::table* table = toml.table(root, "dimensions", "dimensions", true);
    if (!table) return std::nullopt;
    const std::size_t before = toml.problems().error_count();
    toml.check_keys(*table, "dimensions", {"min_age", "max_age", "needs", "placements", "phases"});
    Dimensions dims;
    const auto min_age = toml.integer_or(*table, "min_age", "dimensions.min_age", 0, max_age_limit, 0);
    const auto max_age = toml.integer_or(*table, "max_age", "dimensions.max_age", 0, max_age_limit, 25);
    if (min_age && max_age && *min_age > *max_age)
        toml.error(toml.at(*table->get("min_age"), "dimensions.min_age"),
                   "min_age " + std::to_string(*min_age) + " is above max_age " + std::to_string(*max_age));
    dims.min_age = static_cast<int>(min_age.value_or(0));
    dims.max_age = static_cast<int>(max_age.value_or(25));
    dims.needs = read_names(toml, *table, "needs", "dimensions.needs");
    dims.placements = read_names(toml, *table, "placements", "dimensions.placements");
    if (toml.problems().error_count() != before) return std::nullopt;
    dims.phases = read_phases(toml, *table, dims.min_age, dims.max_age);
    if (toml.problems().error_count() != before) return std::nullopt;
    return dims;
}

std::vector<std::string> phase_names(const Dimensions& dims) {
    std::vector<std::string> names;
    for (const Phase& phase : dims.phases) names.push_back(phase.name);
    return names;
}

}  // namespace ehcpsim::scenario_reading
