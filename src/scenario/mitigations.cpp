// [[mitigations]]: the DBV levers, their kind, timing, effect at each ambition
// level, cost and scope (docs/scenario.md, "Mitigations").
#include "sections.h"

namespace ehcpsim::scenario_reading {

namespace {

using MitigationKind = Mitigation::Kind;

const std::vector<std::pair<std::string, MitigationKind>> mitigation_kinds = {
    {"fewer_plans", MitigationKind::fewer_plans},
    {"divert", MitigationKind::divert},
    {"cease_more", MitigationKind::cease_more},
    {"cheaper_unit_cost", MitigationKind::cheaper_unit_cost},
};

const std::vector<std::string> mitigation_keys = {
    "name",      "kind",       "description", "label",  "start_year", "ramp",  "target", "stretch", "annual_cost",
    "cost_on_high_needs_block", "cost_kind", "cost_until", "phases", "needs", "placements", "stage", "from", "to"};

// The keys only some kinds accept (docs/scenario.md, "Rules per kind").
const std::vector<std::pair<std::string, std::vector<MitigationKind>>> kind_specific_keys = {
    {"phases", {MitigationKind::fewer_plans, MitigationKind::divert, MitigationKind::cease_more}},
    {"needs", {MitigationKind::fewer_plans, MitigationKind::divert}},
    {"placements", {MitigationKind::cease_more, MitigationKind::cheaper_unit_cost}},
    {"stage", {MitigationKind::fewer_plans}},
    {"from", {MitigationKind::divert}},
    {"to", {MitigationKind::divert}},
};

std::string kind_name(MitigationKind kind) {
    for (const auto& [name, value] : mitigation_kinds)
        if (value == kind) return name;
    return "?";
}

std::vector<std::string> kind_names(const std::vector<MitigationKind>& kinds) {
    std::vector<std::string> names;
    for (MitigationKind kind : kinds) names.push_back(kind_name(kind));
    return names;
}

// Whether a mitigation of `kind` takes `key`; every key is taken while the kind is unknown.
bool kind_accepts(std::optional<MitigationKind> kind, std::string_view key) {
    if (!kind) return true;
    for (const auto& [name, kinds] : kind_specific_keys)
        if (name == key) return std::find(kinds.begin(), kinds.end(), *kind) != kinds.end();
    return true;
}

std::optional<MitigationKind> read_kind(Toml& toml, const toml::table& table, const std::string& path) {
    const toml::node* node = toml.required(table, "kind", path);
    if (!node) return std::nullopt;
    const std::optional<std::string> name = toml.text(*node, join_key(path, "kind"));
    if (!name) return std::nullopt;
    for (const auto& [known, kind] : mitigation_kinds)
        if (known == *name) return kind;
    std::vector<std::string> known;
    for (const auto& entry : mitigation_kinds) known.push_back(entry.first);
    toml.error(toml.at(*node, join_key(path, "kind")),
               "unknown mitigation kind " + in_quotes(*name) + "; expected one of " + list_text(known));
    return std::nullopt;
}

// Reports the keys written that the mitigation's kind does not take.
void check_kind_keys(Toml& toml, const toml::table& table, const std::string& path, MitigationKind kind) {
    for (const auto& [key, node] : in_source_order(table)) {
        const std::string name(key->str());  // a local: clang 14 cannot capture structured bindings
        if (kind_accepts(kind, name)) continue;
        const auto entry = std::find_if(kind_specific_keys.begin(), kind_specific_keys.end(),
                                        [&](const auto& spec) { return spec.first == name; });
        toml.error(toml.at(*key, join_key(path, key->str())),
                   in_quotes(key->str()) + " does not apply to kind " + in_quotes(kind_name(kind)) +
                       "; kinds that take it: " + list_text(kind_names(entry->second)));
    }
}

// base_year < start_year <= base_year + horizon; default base_year + 1.
int read_start_year(Toml& toml, const toml::table& table, const std::string& path, const Header& header) {
    const int base_year = header.base_year.value_or(0);
    const toml::node* node = table.get("start_year");
    if (!node) return base_year + 1;
    const std::string key = join_key(path, "start_year");
    const std::optional<std::int64_t> year = toml.integer(*node, key, first_year, last_year);
    if (!year) return base_year + 1;
    if (header.base_year && header.horizon && (*year <= base_year || *year > base_year + *header.horizon))
        toml.error(toml.at(*node, key), "start_year " + std::to_string(*year) + " is outside the simulated years " +
                                            std::to_string(base_year + 1) + ".." +
                                            std::to_string(base_year + *header.horizon) +
                                            " (after base_year, up to base_year + horizon)");
    return static_cast<int>(*year);
}

int read_ramp(Toml& toml, const toml::table& table, const std::string& path) {
    const toml::node* node = table.get("ramp");
    if (!node) return 1;
    const std::string key = join_key(path, "ramp");
    const std::optional<std::int64_t> ramp =
        toml.integer(*node, key, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
    if (!ramp) return 1;
    if (*ramp < 1) {
        toml.error(toml.at(*node, key), "ramp must be an integer >= 1 (years to full effect; 1 = full effect in "
                                        "start_year), found " + std::to_string(*ramp));
        return 1;
    }
    return static_cast<int>(*ramp);
}

}  // namespace

// A declared name given as a string: its index, or -1 (reported).
int read_declared_name(Toml& toml, const toml::node& node, const std::string& path,
                       const std::vector<std::string>& names, const std::string& what) {
    const std::optional<std::string> name = toml.text(node, path);
    if (!name) return -1;
    const int index = index_of(names, *name);
    if (index < 0)
        toml.error(toml.at(node, path),
                   "unknown " + what + " " + in_quotes(*name) + "; declared " + what + "s: " + list_text(names));
    return index;
}

// A scope list of declared names as sorted indices; empty = all.
std::vector<int> read_scope(Toml& toml, const toml::node& node, const std::string& path,
                            const std::vector<std::string>& names, const std::string& what) {
    std::vector<int> indices;
    const toml::array* array = node.as_array();
    if (!array) {
        toml.error(toml.at(node, path), "expected an array of " + what + " names, found " + type_name(node));
        return indices;
    }
    for (const toml::node& element : *array)
        if (const int index = read_declared_name(toml, element, path, names, what); index >= 0)
            indices.push_back(index);
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    return indices;
}

namespace {

void read_mitigation_scope(Toml& toml, const toml::table& table, const std::string& path, const Dimensions& dims,
                           std::optional<MitigationKind> kind, Mitigation& out) {
    struct Scope {
        const char* key;
        const char* what;
        const std::vector<std::string>& names;
        std::vector<int>& into;
    };
    const std::vector<std::string> phases = phase_names(dims);
    const Scope scopes[] = {{"phases", "phase", phases, out.phases},
                            {"needs", "need", dims.needs, out.needs},
                            {"placements", "placement", dims.placements, out.placements}};
    for (const Scope& scope : scopes) {
        const toml::node* node = table.get(scope.key);
        if (node && kind_accepts(kind, scope.key))
            scope.into = read_scope(toml, *node, join_key(path, scope.key), scope.names, scope.what);
    }
}

void read_stage(Toml& toml, const toml::table& table, const std::string& path, Mitigation& out) {
    const toml::node* node = table.get("stage");
    if (!node) return;
    const std::string key = join_key(path, "stage");
    const std::optional<std::string> stage = toml.text(*node, key);
    if (stage == "requests")
        out.stage = Mitigation::Stage::requests;
    else if (stage == "issues")
        out.stage = Mitigation::Stage::issues;
    else if (stage)
        toml.error(toml.at(*node, key), "unknown stage " + in_quotes(*stage) + "; expected requests or issues");
}

void read_diversion(Toml& toml, const toml::table& table, const std::string& path, const Dimensions& dims,
                    Mitigation& out) {
    if (const toml::node* from = toml.required(table, "from", path))
        out.from = read_declared_name(toml, *from, join_key(path, "from"), dims.placements, "placement");
    const toml::node* to = toml.required(table, "to", path);
    if (!to) return;
    out.to = read_declared_name(toml, *to, join_key(path, "to"), dims.placements, "placement");
    if (out.to >= 0 && out.to == out.from)
        toml.error(toml.at(*to, join_key(path, "to")),
                   "'to' is the 'from' placement " + in_quotes(dims.placements[out.to]) +
                       "; a diversion must send arrivals to another placement");
}

// The effects and the cost. A stretch not written is the target itself, same
// name and so the same draw.
void read_mitigation_values(Toml& toml, const toml::table& table, const std::string& path,
                            std::optional<MitigationKind> kind, Mitigation& out) {
    // cease_more multiplies by 1 + effect, so its effect may exceed 1; an unknown kind gets the wider domain.
    const Domain effect = kind == MitigationKind::cease_more || !kind ? Domain::nonnegative : Domain::probability;
    out.target = toml.required_param(table, "target", join_key(path, "target"), effect);
    if (const toml::node* stretch = table.get("stretch"))
        out.stretch = toml.param(*stretch, join_key(path, "stretch"), effect);
    else
        out.stretch = out.target;
    out.annual_cost = toml.param_or(table, "annual_cost", join_key(path, "annual_cost"), Domain::money, 0.0);
    if (const toml::node* flag = table.get("cost_on_high_needs_block"))
        out.cost_on_high_needs_block =
            toml.boolean(*flag, join_key(path, "cost_on_high_needs_block")).value_or(true);
}

// When the cost is paid (docs/scenario.md): cost_kind "annual" (default) or
// "one_off" (once, in start_year); cost_until, the last year an annual cost
// is paid, not before start_year.
void read_cost_timing(Toml& toml, const toml::table& table, const std::string& path, Mitigation& out) {
    if (const toml::node* node = table.get("cost_kind")) {
        const std::string key = join_key(path, "cost_kind");
        const std::optional<std::string> kind = toml.text(*node, key);
        if (kind == "annual")
            out.cost_kind = Mitigation::CostKind::annual;
        else if (kind == "one_off")
            out.cost_kind = Mitigation::CostKind::one_off;
        else if (kind)
            toml.error(toml.at(*node, key), "unknown cost_kind " + in_quotes(*kind) + "; expected annual or one_off");
    }
    const toml::node* node = table.get("cost_until");
    if (!node) return;
    const std::string key = join_key(path, "cost_until");
    const std::optional<std::int64_t> year = toml.integer(*node, key, first_year, last_year);
    if (!year) return;
    if (out.cost_kind == Mitigation::CostKind::one_off) {
        toml.error(toml.at(*node, key), "cost_until does not apply to a one_off cost (paid once, in start_year)");
    } else if (*year < out.start_year) {
        toml.error(toml.at(*node, key), "cost_until " + std::to_string(*year) + " is before start_year " +
                                            std::to_string(out.start_year) +
                                            "; it is the last year the annual cost is paid");
    } else {
        out.cost_until = static_cast<int>(*year);
    }
}

// One [[mitigations]] entry; keyed in messages and parameter names by its name.
std::optional<Mitigation> read_mitigation(Toml& toml, const toml::node& node, std::size_t position,
                                          const Dimensions& dims, const Header& header) {
    const Toml::NamedEntry entry = toml.named_entry(node, "mitigations", position);
    if (!entry.table) return std::nullopt;
    const toml::table* table = entry.table;
    const std::size_t before = entry.errors_before;
    const std::string& path = entry.path;
    Mitigation out;
    out.name = entry.name;
    out.where = entry.where;
    toml.check_keys(*table, path, mitigation_keys);
    if (const toml::node* description = table->get("description"))
        toml.text(*description, join_key(path, "description"));  // free text, for readers only
    if (const toml::node* label = table->get("label")) out.label = toml.text(*label, join_key(path, "label")).value_or("");
    const std::optional<MitigationKind> kind = read_kind(toml, *table, path);
    if (kind) {
        out.kind = *kind;
        check_kind_keys(toml, *table, path, *kind);
    }
    out.start_year = read_start_year(toml, *table, path, header);
    out.ramp = read_ramp(toml, *table, path);
    read_mitigation_values(toml, *table, path, kind, out);
    read_cost_timing(toml, *table, path, out);
    read_mitigation_scope(toml, *table, path, dims, kind, out);
    if (kind == MitigationKind::fewer_plans) read_stage(toml, *table, path, out);
    if (kind == MitigationKind::divert) read_diversion(toml, *table, path, dims, out);
    if (toml.problems().error_count() != before) return std::nullopt;
    return out;
}

}  // namespace

std::vector<Mitigation> read_mitigations(Toml& toml, const toml::table& root, const Dimensions& dims,
                                         const Header& header) {
    std::vector<Mitigation> mitigations;
    const toml::array* array = toml.array_of_tables(root, "mitigations");
    if (!array) return mitigations;
    std::map<std::string, int> first_line;
    for (std::size_t i = 0; i < array->size(); ++i) {
        std::optional<Mitigation> mitigation = read_mitigation(toml, *array->get(i), i, dims, header);
        if (!mitigation) continue;
        const auto [seen, fresh] = first_line.emplace(mitigation->name, mitigation->where.line);
        if (!fresh) {
            toml.error(mitigation->where, "duplicate mitigation name " + in_quotes(mitigation->name) +
                                              " (first given at line " + std::to_string(seen->second) +
                                              "); the name keys the mitigation's draws and must be unique");
            continue;
        }
        mitigations.push_back(std::move(*mitigation));
    }
    return mitigations;
}

}  // namespace ehcpsim::scenario_reading
