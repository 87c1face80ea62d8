// A scenario file as a whole: its top-level keys, the baseline document and
// each variant, built by deep-merging the variant's table (and those of the
// variants it extends) over a fresh parse of the baseline and read as a whole
// document (docs/scenario.md, "Variants"); then load_scenario(), which reads
// them all and throws one ScenarioError listing every problem found.
//
// The merge moves toml++ nodes (moves keep their source position, copies do
// not), so a value taken from a variant reports the variant's line.
#include "sections.h"

namespace ehcpsim {

namespace scenario_reading {

namespace {


const std::vector<std::string> top_level_keys = {"scenario",     "dimensions", "data",     "demand",
                                                 "cease",        "transitions", "transfers_in", "money",
                                                 "capacity",     "variants",   "mitigations", "labels"};
// What a variant may override: everything but the set-level [scenario] and the dimensions.
const std::vector<std::string> variant_keys = {"data",  "demand",   "cease",      "transitions", "transfers_in",
                                               "money", "capacity", "mitigations"};
// A variant table's own keys: not merged, they place the variant among the others.
const std::vector<std::string> variant_head_keys = {"description", "label",      "extends",
                                                    "level",       "compare_to", "mitigation_overrides"};

// One whole document (the baseline, or a variant merged over it) as a Scenario.
Scenario read_scenario(Toml& toml, Files& files, const toml::table& root, const Header& header) {
    Scenario scenario;
    scenario.base_year = header.base_year.value_or(0);
    scenario.horizon = header.horizon.value_or(0);
    toml.check_keys(root, "", top_level_keys, variant_only_keys);
    reject_variant_only_keys(toml, root, "");
    std::optional<Dimensions> dims = read_dimensions(toml, root);
    if (!dims) return scenario;
    scenario.dims = std::move(*dims);
    read_data(toml, files, root, header, scenario);
    scenario.demand = read_demand(toml, root, scenario.dims, scenario.base_year);
    scenario.cease = read_cease(toml, root, scenario.dims, scenario.base_year);
    scenario.transitions = read_transitions(toml, root, scenario.dims);
    scenario.transfers_in = read_transfers_in(toml, root, scenario.base_year);
    scenario.money = read_money(toml, root, scenario.dims, scenario.base_year, scenario.horizon);
    scenario.mitigations = read_mitigations(toml, root, scenario.dims, header);
    read_capacity(toml, root, scenario.dims, scenario.base_year, scenario);
    return scenario;
}

// [labels]: parameter name -> words (docs/scenario.md, "Labels"). Whether a
// variant draws the name is known once the models are compiled (the runner
// checks it, at the location kept here).
std::map<std::string, std::pair<std::string, SourceLocation>> read_labels(Toml& toml, const toml::table& root) {
    std::map<std::string, std::pair<std::string, SourceLocation>> labels;
    const toml::table* table = toml.table(root, "labels", "labels", false);
    if (!table) return labels;
    for (const auto& [key, node] : in_source_order(*table)) {
        const std::string path = join_key("labels", key->str());
        if (std::optional<std::string> text = toml.text(*node, path))
            labels[std::string(key->str())] = {*text, toml.at(*node, path)};
    }
    return labels;
}

// Deep merge: tables merge key by key; arrays, values and distribution tables
// (those with `dist`) replace. Nodes are moved so they keep their source lines.
void merge_into(toml::table& base, toml::table& over) {
    for (auto&& [key, node] : over) {
        toml::node* existing = base.get(key.str());
        if (existing && existing->is_table() && node.is_table() && !is_distribution_table(node))
            merge_into(*existing->as_table(), *node.as_table());
        else
            base.insert_or_assign(key, std::move(node));
    }
}

toml::table parse_document(const std::string& display, const std::string& text) {
    try {
        return toml::parse(text, display);
    } catch (const toml::parse_error& error) {
        const toml::source_position& begin = error.source().begin;
        throw ScenarioError(SourceLocation{display, "", static_cast<int>(begin.line), static_cast<int>(begin.column)},
                            "TOML syntax error: " + std::string(error.description()));
    }
}

const std::vector<std::pair<std::string, AmbitionLevel>> ambition_levels = {
    {"none", AmbitionLevel::none}, {"target", AmbitionLevel::target}, {"stretch", AmbitionLevel::stretch}};

std::string level_name(AmbitionLevel level) {
    for (const auto& [name, value] : ambition_levels)
        if (value == level) return name;
    return "?";
}

// A variant as written: its name, its table and its own (unmerged) keys.
struct VariantEntry {
    std::string name;
    const toml::node* node = nullptr;
    std::string description;
    std::string label;
    AmbitionLevel level = AmbitionLevel::none;
    std::optional<std::string> extends;
    std::optional<std::string> compare_to;
    SourceLocation level_at, extends_at, compare_to_at;
};

// The variants in the order written; checks their names.
std::vector<VariantEntry> list_variants(Toml& toml, const toml::table& root, const Header& header) {
    std::vector<VariantEntry> variants;
    const toml::table* table = toml.table(root, "variants", "variants", false);
    if (!table) return variants;
    for (const auto& [key, node] : in_source_order(*table)) {
        const std::string path = join_key("variants", key->str());
        if (!is_identifier(key->str()) || key->str() == default_key)
            toml.error(toml.at(*key, path), "the variant name " + in_quotes(key->str()) +
                                                " must use only A-Z, a-z, 0-9 and _ (and not be 'default')");
        else if (key->str() == header.baseline)
            toml.error(toml.at(*key, path), "a variant may not take the baseline's name " + in_quotes(header.baseline));
        else if (!node->is_table())
            toml.error(toml.at(*node, path), "expected a table, found " + type_name(*node));
        else {
            VariantEntry& variant = variants.emplace_back();
            variant.name = key->str();
            variant.node = node;
        }
    }
    return variants;
}

std::optional<AmbitionLevel> read_level(Toml& toml, const toml::node& node, const std::string& path) {
    const std::optional<std::string> name = toml.text(node, path);
    if (!name) return std::nullopt;
    for (const auto& [known, level] : ambition_levels)
        if (known == *name) return level;
    toml.error(toml.at(node, path), "unknown level " + in_quotes(*name) + "; expected none, target or stretch");
    return std::nullopt;
}

// One of the variant's own keys (variant_head_keys) into `variant`.
void read_head_key(Toml& toml, const std::string& key, const toml::node& node, const std::string& path,
                   VariantEntry& variant) {
    if (key == "description") {
        variant.description = toml.text(node, path).value_or("");
    } else if (key == "label") {
        variant.label = toml.text(node, path).value_or("");
    } else if (key == "mitigation_overrides") {
        const toml::table* overrides = node.as_table();
        if (!overrides) {
            toml.error(toml.at(node, path), "expected a table of mitigation names, each a table of the keys it "
                                            "changes, e.g. { reduce_semh = { target = 0.1 } }; found " + type_name(node));
            return;
        }
        for (const auto& [name, fields] : in_source_order(*overrides))
            if (!fields->is_table())
                toml.error(toml.at(*fields, join_key(path, name->str())),
                           "expected a table of the keys of mitigation " + in_quotes(name->str()) +
                               " to change, e.g. { target = 0.1 }; found " + type_name(*fields));
    } else if (key == "level") {
        variant.level = read_level(toml, node, path).value_or(AmbitionLevel::none);
        variant.level_at = toml.at(node, path);
    } else if (key == "extends") {
        variant.extends = toml.text(node, path);
        variant.extends_at = toml.at(node, path);
    } else if (key == "compare_to") {
        variant.compare_to = toml.text(node, path);
        variant.compare_to_at = toml.at(node, path);
    }
}

// Checks a variant table's keys and reads its own.
void read_variant_head(Toml& toml, VariantEntry& variant) {
    const std::string path = join_key("variants", variant.name);
    std::vector<std::string> allowed = variant_head_keys;
    allowed.insert(allowed.end(), variant_keys.begin(), variant_keys.end());
    for (const auto& [key, node] : in_source_order(*variant.node->as_table())) {
        const std::string name(key->str());
        if (name == "scenario" || name == "dimensions")
            toml.error(toml.at(*key, join_key(path, name)),
                       "a variant may not change [" + name + "]: every variant shares the baseline's " +
                           (name == "scenario" ? "base_year, horizon and set-level settings" : "dimensions"));
        else if (std::find(variant_head_keys.begin(), variant_head_keys.end(), name) != variant_head_keys.end())
            read_head_key(toml, name, *node, join_key(path, name), variant);
        else if (std::find(variant_keys.begin(), variant_keys.end(), name) == variant_keys.end())
            toml.error(toml.at(*key, join_key(path, name)),
                       "unknown key " + in_quotes(name) + "; allowed keys in " + path + ": " + list_text(allowed));
    }
}

int variant_index(const std::vector<VariantEntry>& variants, std::string_view name) {
    for (std::size_t i = 0; i < variants.size(); ++i)
        if (variants[i].name == name) return static_cast<int>(i);
    return -1;
}

// The variants merged over the baseline to make variants[index]: the
// farthest ancestor first, variants[index] last. nullopt when `extends`
// leads to an unknown name, the baseline or a cycle (each reported where the
// `extends` is written).
std::optional<std::vector<std::size_t>> extends_chain(Toml& toml, const std::vector<VariantEntry>& variants,
                                                      std::size_t index, const std::string& baseline) {
    std::vector<std::size_t> chain{index};
    for (std::size_t at = index; variants[at].extends;) {
        const VariantEntry& child = variants[at];
        const std::string& parent = *child.extends;
        if (parent == baseline) {
            toml.error(child.extends_at, "extends names the baseline " + in_quotes(baseline) +
                                             ": every variant is merged over it already; leave extends out");
            return std::nullopt;
        }
        const int found = variant_index(variants, parent);
        if (found < 0) {
            std::vector<std::string> names;
            for (const VariantEntry& variant : variants) names.push_back(variant.name);
            toml.error(child.extends_at,
                       "extends names no variant " + in_quotes(parent) + "; variants: " + list_text(names));
            return std::nullopt;
        }
        if (std::find(chain.begin(), chain.end(), static_cast<std::size_t>(found)) != chain.end()) {
            // A cycle is reported by each of its members; a variant leading into one is just left out.
            if (static_cast<std::size_t>(found) != index) return std::nullopt;
            std::string cycle;
            for (std::size_t member : chain) cycle += variants[member].name + " -> ";
            toml.error(variants[index].extends_at, "extends makes a cycle: " + cycle + variants[index].name);
            return std::nullopt;
        }
        chain.push_back(static_cast<std::size_t>(found));
        at = static_cast<std::size_t>(found);
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
}

// The unmitigated variant a variant with a level is measured against (""
// for level none): compare_to, else the variant it extends, else the baseline.
std::string resolve_compare_to(Toml& toml, const std::vector<VariantEntry>& variants, const VariantEntry& variant,
                               const std::string& baseline) {
    if (variant.level == AmbitionLevel::none) {
        if (variant.compare_to)
            toml.error(variant.compare_to_at, "compare_to is only for a variant with level target or stretch; this "
                                              "one has level none and is not compared");
        return "";
    }
    const std::string named = variant.compare_to ? *variant.compare_to : variant.extends.value_or(baseline);
    if (named == baseline) return named;
    std::vector<std::string> unmitigated{baseline};
    for (const VariantEntry& other : variants)
        if (other.level == AmbitionLevel::none) unmitigated.push_back(other.name);
    const std::string choices = "an unmitigated variant (level none): " + list_text(unmitigated);
    const int found = variant_index(variants, named);
    if (found < 0) {
        if (variant.compare_to)  // an unknown `extends` is reported with the chain
            toml.error(variant.compare_to_at,
                       "compare_to names no variant " + in_quotes(named) + "; name " + choices);
        return "";
    }
    const AmbitionLevel level = variants[static_cast<std::size_t>(found)].level;
    if (level == AmbitionLevel::none) return named;
    const std::string mitigated = in_quotes(named) + ", which has level " + in_quotes(level_name(level));
    if (variant.compare_to)
        toml.error(variant.compare_to_at, "compare_to names " + mitigated + "; it must name " + choices);
    else
        toml.error(variant.level_at, "compare_to defaults to the variant this one extends, " + mitigated +
                                         "; give compare_to naming " + choices);
    return "";
}

// A variant's mitigation_overrides applied to the merged document's
// [[mitigations]]: each named entry's keys replaced or added, one by one (the
// mitigation reader then checks them, at the override's line). A name no
// entry has is reported when `report` (the variant's own layer, so that a
// variant extending another does not repeat its parent's error).
void apply_mitigation_overrides(Toml& toml, toml::table& document, toml::table& overrides, const std::string& variant,
                                bool report) {
    toml::array* entries = document["mitigations"].as_array();
    std::vector<std::string> names;
    if (entries)
        for (toml::node& entry : *entries)
            if (const toml::table* table = entry.as_table())
                if (const auto name = table->get_as<std::string>("name")) names.push_back(name->get());
    for (auto&& [name, fields] : overrides) {
        toml::table* changes = fields.as_table();
        if (!changes) continue;  // reported with the variant's head
        toml::table* target = nullptr;
        if (entries)
            for (toml::node& entry : *entries)
                if (toml::table* table = entry.as_table())
                    if (const auto given = table->get_as<std::string>("name"); given && given->get() == name.str())
                        target = table;
        if (!target) {
            if (report)
                toml.error(toml.at(name, join_key(join_key(join_key("variants", variant), "mitigation_overrides"),
                                                  name.str())),
                           "mitigation_overrides names no mitigation " + in_quotes(name.str()) + "; mitigations: " +
                               (names.empty() ? std::string("none") : list_text(names)));
            continue;
        }
        for (auto&& [key, value] : *changes) target->insert_or_assign(key, std::move(value));
    }
}

// The baseline document with the variants of a chain merged over it in order,
// each variant's mitigation_overrides applied after its own keys.
toml::table merged_document(Toml& toml, const std::string& display, const std::string& text,
                            const std::vector<std::string>& chain) {
    toml::table document = parse_document(display, text);
    std::vector<toml::table> layers;
    std::vector<toml::table> overrides;
    for (const std::string& name : chain) {
        toml::table layer = std::move(*document["variants"][name].as_table());
        toml::table* own = layer["mitigation_overrides"].as_table();
        overrides.push_back(own ? std::move(*own) : toml::table{});
        for (auto it = layer.begin(); it != layer.end();) {
            if (std::find(variant_keys.begin(), variant_keys.end(), it->first.str()) == variant_keys.end())
                it = layer.erase(it);
            else
                ++it;
        }
        layers.push_back(std::move(layer));
    }
    document.erase("variants");
    for (std::size_t i = 0; i < layers.size(); ++i) {
        merge_into(document, layers[i]);
        apply_mitigation_overrides(toml, document, overrides[i], chain[i], i + 1 == layers.size());
    }
    return document;
}

// Where each variant sits: the chain it is merged from and what it is compared with.
struct VariantPlan {
    std::optional<std::vector<std::string>> chain;  // nullopt: `extends` is broken (reported)
    std::string compare_to;
};

std::vector<VariantPlan> plan_variants(Toml& toml, const std::vector<VariantEntry>& variants,
                                       const std::string& baseline) {
    std::vector<VariantPlan> plans;
    for (std::size_t i = 0; i < variants.size(); ++i) {
        VariantPlan plan;
        if (const auto chain = extends_chain(toml, variants, i, baseline)) {
            plan.chain.emplace();
            for (std::size_t member : *chain) plan.chain->push_back(variants[member].name);
        }
        plan.compare_to = resolve_compare_to(toml, variants, variants[i], baseline);
        plans.push_back(std::move(plan));
    }
    return plans;
}

}  // namespace

}  // namespace scenario_reading

ScenarioSet load_scenario(const std::string& display_path, const std::string& toml_text,
                          const FileReader& read_relative) {
    ScenarioSet set;
    set.sources.push_back({display_path, toml_text});
    using namespace scenario_reading;
    Problems problems;
    Files files(display_path, read_relative, set.sources);

    toml::table document = parse_document(display_path, toml_text);
    Toml baseline_toml(display_path, document, problems);
    const Header header = read_header(baseline_toml, document);
    set.name = header.name;
    set.description = header.description;
    set.default_seed = header.seed;
    set.default_replicates = header.replicates;

    std::vector<VariantEntry> variants = list_variants(baseline_toml, document, header);
    for (VariantEntry& variant : variants) read_variant_head(baseline_toml, variant);
    const std::vector<VariantPlan> plans = plan_variants(baseline_toml, variants, header.baseline);

    set.variants.push_back(read_scenario(baseline_toml, files, document, header));
    set.variants.back().variant = header.baseline;
    set.variants.back().description = header.description;
    set.variants.back().label = header.baseline_label;
    set.parameter_labels = read_labels(baseline_toml, document);

    for (std::size_t i = 0; i < variants.size(); ++i) {
        if (!plans[i].chain) continue;
        problems.set_context(" (in variant " + in_quotes(variants[i].name) + ")");
        const toml::table merged = merged_document(baseline_toml, display_path, toml_text, *plans[i].chain);
        Toml variant_toml(display_path, merged, problems);
        Scenario& scenario = set.variants.emplace_back(read_scenario(variant_toml, files, merged, header));
        scenario.variant = variants[i].name;
        scenario.description = variants[i].description;
        scenario.label = variants[i].label;
        scenario.level = variants[i].level;
        scenario.compare_to = plans[i].compare_to;
    }
    problems.set_context("");
    if (!problems.errors().empty()) throw ScenarioError(problems.errors());
    set.notes = problems.take_notes();
    set.warnings = problems.take_warnings();
    return set;
}

}  // namespace ehcpsim
