// Leaving and joining the stock: [cease] (cease rates by phase and placement,
// their multiplier) and [transfers_in] (plans moving in from other authorities).
#include "sections.h"

namespace ehcpsim::scenario_reading {

namespace {

// c[phase][placement]: the phase's entry, else `default`, placement by placement.
std::vector<std::vector<Param>> read_cease_rate(Toml& toml, const toml::node& node, const Dimensions& dims) {
    const std::string path = "cease.rate";
    const NamedSpec by_placement{"placement", Domain::probability, true, false};
    std::vector<std::vector<Param>> rate(dims.phases.size());
    if (is_number(node) || is_distribution_table(node)) {
        const Param shared = toml.param(node, path, Domain::probability);
        for (std::vector<Param>& row : rate) row.assign(dims.placements.size(), shared);
        return rate;
    }
    if (!node.is_table()) {
        toml.error(toml.at(node, path), "expected a table keyed by phase (and 'default'), found " + type_name(node));
        return rate;
    }
    const toml::table& table = *node.as_table();
    std::vector<std::string> allowed = phase_names(dims);
    allowed.emplace_back(default_key);
    toml.check_keys(table, path, allowed);
    std::vector<std::optional<Param>> fallback(dims.placements.size());
    if (const toml::node* entry = table.get(default_key))
        fallback = toml.by_name(*entry, join_key(path, default_key), dims.placements, by_placement);
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string& name = dims.phases[phase].name;
        std::vector<std::optional<Param>> own(dims.placements.size());
        if (const toml::node* entry = table.get(name))
            own = toml.by_name(*entry, join_key(path, name), dims.placements, by_placement);
        std::vector<std::string> missing;
        for (std::size_t placement = 0; placement < dims.placements.size(); ++placement) {
            const std::optional<Param>& chosen = own[placement] ? own[placement] : fallback[placement];
            if (!chosen) missing.push_back(dims.placements[placement]);
            rate[phase].push_back(
                chosen.value_or(Param{join_key(path, name), Distribution::fixed_value(0.0), toml.at(table, path)}));
        }
        if (!missing.empty())
            toml.error(toml.at(table, path), "no cease rate for phase " + in_quotes(name) + ", placement(s) " +
                                                 list_text(missing) + ": give them in " + join_key(path, name) +
                                                 " or " + join_key(path, default_key));
    }
    return rate;
}

}  // namespace

Cease read_cease(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year) {
    Cease cease;
    cease.rate.assign(dims.phases.size(), {});
    const toml::table* table = toml.table(root, "cease", "cease", true);
    if (!table) return cease;
    toml.check_keys(*table, "cease", {"rate", "multiplier", "variation_sd", "variation_persistence"});
    if (const toml::node* rate = toml.required(*table, "rate", "cease")) cease.rate = read_cease_rate(toml, *rate, dims);
    cease.multiplier.before_first = 1.0;
    if (const toml::node* multiplier = table->get("multiplier"))
        cease.multiplier = toml.year_series(*multiplier, "cease.multiplier", Domain::nonnegative, 1.0, base_year);
    cease.variation_sd = toml.param_or(*table, "variation_sd", "cease.variation_sd", Domain::variation_sd, 0.0);
    cease.variation_persistence = toml.param_or(*table, "variation_persistence", "cease.variation_persistence",
                                                Domain::variation_persistence, 0.0);
    return cease;
}

TransfersIn read_transfers_in(Toml& toml, const toml::table& root, int base_year) {
    TransfersIn transfers;
    transfers.rate.before_first = 0.0;
    const toml::table* table = toml.table(root, "transfers_in", "transfers_in", false);
    if (!table) return transfers;
    toml.check_keys(*table, "transfers_in", {"rate"});
    if (const toml::node* rate = table->get("rate"))
        transfers.rate = toml.year_series(*rate, "transfers_in.rate", Domain::count, 0.0, base_year);
    return transfers;
}

}  // namespace ehcpsim::scenario_reading
