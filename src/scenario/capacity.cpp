// The [capacity] table: places by year per capped placement (or per phase of
// it), where the excess overflows, the processing order, specialist places.
#include <cmath>
#include "sections.h"

namespace ehcpsim::scenario_reading {

namespace {

// One value of `places`: a non-negative whole number (an integer, or a float
// without a fractional part), never a distribution.
Param read_place_count(Toml& toml, const toml::node& node, const std::string& path) {
    Param param{path, Distribution::fixed_value(0.0), toml.at(node, path)};
    if (is_distribution_table(node)) {
        toml.error(param.where, "places are a fixed whole number of places, not a distribution; give a number "
                                "(or a table of numbers keyed by year)");
        return param;
    }
    if (!is_number(node)) {
        toml.error(param.where, "expected a whole number of places, found " + type_name(node));
        return param;
    }
    const double value = number_of(node);
    if (!std::isfinite(value) || value < 0.0 || std::floor(value) != value) {
        toml.error(param.where, "places must be a non-negative whole number, found " + shortest_text(value));
        return param;
    }
    if (value > max_count) {
        toml.error(param.where, "places " + shortest_text(value) + " is above " + max_count_text +
                                    ", the largest count the engine takes");
        return param;
    }
    param.dist = Distribution::fixed_value(value + 0.0);  // + 0.0: no negative zero
    return param;
}

// `places`: a table keyed by year (a step function) or one number for every
// year (stored at base_year, named by the key alone like any value given once
// for all years). Before the first listed year there is no limit.
YearSeries read_places(Toml& toml, const toml::node& node, const std::string& path, int base_year) {
    YearSeries places;
    places.before_first = infinity;
    if (!node.is_table() || is_distribution_table(node)) {
        const Param count = read_place_count(toml, node, path);
        places.points.emplace_back(base_year, count);
        return places;
    }
    const toml::table& table = *node.as_table();
    if (table.empty()) {
        toml.error(toml.at(node, path), "expected places keyed by year, e.g. { " + std::to_string(base_year + 1) +
                                            " = 120 }, or one number for every year; found an empty table");
        return places;
    }
    for (const auto& [key, value] : in_source_order(table)) {
        const std::string value_path = join_key(path, key->str());
        if (const std::optional<int> year = toml.year_key(*key, value_path))
            places.points.emplace_back(*year, read_place_count(toml, *value, value_path));
    }
    std::sort(places.points.begin(), places.points.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    return places;
}

// Reports a capacity table that is not a table { places, overflow }; true when it is one.
bool is_capacity_table(Toml& toml, const toml::node& node, const std::string& path) {
    if (node.is_table() && !is_distribution_table(node)) return true;
    toml.error(toml.at(node, path), "expected a table { places = ..., overflow = \"...\" }, found " +
                                        (node.is_table() ? std::string("a distribution") : type_name(node)));
    return false;
}

// The `places` and `overflow` of one capacity: a whole placement's table
// (phase -1) or one of its phase tables. Problems are reported; the caller
// counts them.
Capacity read_capacity_entry(Toml& toml, const toml::table& table, const std::string& path, int placement,
                             int phase, const Dimensions& dims, int base_year) {
    Capacity out;
    out.placement = placement;
    out.phase = phase;
    out.where = toml.at(table, path);
    if (const toml::node* places = toml.required(table, "places", path))
        out.places = read_places(toml, *places, join_key(path, "places"), base_year);
    if (const toml::node* overflow = toml.required(table, "overflow", path)) {
        const std::string overflow_path = join_key(path, "overflow");
        out.overflow = read_declared_name(toml, *overflow, overflow_path, dims.placements, "placement");
        if (out.overflow == placement)
            toml.error(toml.at(*overflow, overflow_path),
                       "overflow names the capped placement " +
                           in_quotes(dims.placements[static_cast<std::size_t>(placement)]) +
                           " itself; it must name another placement, the one that takes the excess");
    }
    return out;
}

// One [capacity.<placement>] table: either `places` and `overflow` for the
// whole placement (one entry, phase -1) or a table per capped phase (one entry
// each, in phase order). Empty when it has a problem (reported).
std::vector<Capacity> read_capped_placement(Toml& toml, const toml::table& capacity, int placement,
                                            const Dimensions& dims, int base_year) {
    const std::string& name = dims.placements[static_cast<std::size_t>(placement)];
    const std::string path = join_key("capacity", name);
    const toml::node* node = capacity.get(name);
    if (!is_capacity_table(toml, *node, path)) return {};
    const toml::table& table = *node->as_table();
    const std::size_t before = toml.problems().error_count();
    std::vector<std::string> allowed = {"places", "overflow"};
    std::vector<int> phases;  // the phases with a table of their own
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string& phase_name = dims.phases[phase].name;
        if (phase_name == "places" || phase_name == "overflow") continue;  // the whole placement's keys
        allowed.push_back(phase_name);
        if (table.contains(phase_name)) phases.push_back(static_cast<int>(phase));
    }
    toml.check_keys(table, path, allowed);
    std::vector<Capacity> entries;
    if (phases.empty()) {
        entries.push_back(read_capacity_entry(toml, table, path, placement, -1, dims, base_year));
    } else if (table.contains("places") || table.contains("overflow")) {
        std::vector<std::string> phase_names;
        for (int phase : phases) phase_names.push_back(dims.phases[static_cast<std::size_t>(phase)].name);
        toml.error(toml.at(table, path), "placement " + in_quotes(name) + " has both places/overflow and phase " +
                                             "tables (" + list_text(phase_names) +
                                             "); give places/overflow for the whole placement or per phase, "
                                             "not both");
    } else {
        for (int phase : phases) {
            const std::string& phase_name = dims.phases[static_cast<std::size_t>(phase)].name;
            const std::string phase_path = join_key(path, phase_name);
            const toml::node* phase_node = table.get(phase_name);
            if (!is_capacity_table(toml, *phase_node, phase_path)) continue;
            const toml::table& phase_table = *phase_node->as_table();
            toml.check_keys(phase_table, phase_path, {"places", "overflow"});
            entries.push_back(read_capacity_entry(toml, phase_table, phase_path, placement, phase, dims, base_year));
        }
    }
    if (toml.problems().error_count() != before) return {};
    return entries;
}

// Depth first from capped placement `at` along its overflow edges (entries in
// phase order) back to `start`, through capped placements declared after
// `start` only. On success `path` holds the entries whose edges make the cycle.
bool find_overflow_cycle(const std::vector<std::vector<Capacity>>& by_placement, int start, int at,
                         std::vector<bool>& seen, std::vector<const Capacity*>& path) {
    for (const Capacity& entry : by_placement[static_cast<std::size_t>(at)]) {
        const int next = entry.overflow;
        path.push_back(&entry);
        if (next == start) return true;
        if (next > start && !by_placement[static_cast<std::size_t>(next)].empty() &&
            !seen[static_cast<std::size_t>(next)]) {
            seen[static_cast<std::size_t>(next)] = true;
            if (find_overflow_cycle(by_placement, start, next, seen, path)) return true;
        }
        path.pop_back();
    }
    return false;
}

// Reports each cycle of the overflow graph (an edge from a placement to the
// overflow of each of its entries) once, starting from its member declared
// first, at that member's table (its phase table, for a phase's edge). True
// when there is none.
bool check_overflow_cycles(Toml& toml, const std::vector<std::vector<Capacity>>& by_placement,
                           const Dimensions& dims) {
    bool acyclic = true;
    for (std::size_t start = 0; start < by_placement.size(); ++start) {
        // Only cycles whose first declared member is `start`: any other is
        // reported from its own first member.
        std::vector<bool> seen(by_placement.size(), false);
        std::vector<const Capacity*> path;
        if (!find_overflow_cycle(by_placement, static_cast<int>(start), static_cast<int>(start), seen, path)) continue;
        acyclic = false;
        std::string cycle;
        for (const Capacity* member : path) cycle += dims.placements[static_cast<std::size_t>(member->placement)] + " -> ";
        cycle += dims.placements[start];
        toml.error({toml.file(), "capacity", path.front()->where.line, path.front()->where.column},
                   "overflow cycle " + cycle + ": the excess of a placement may not come back to it");
    }
    return acyclic;
}

// The capacities in processing order: each capped placement before any capped
// placement one of its entries overflows into, ties by placement declaration
// order; a placement's entries together, in phase order.
std::vector<Capacity> processing_order(const std::vector<std::vector<Capacity>>& by_placement) {
    std::vector<int> feeders(by_placement.size(), 0);  // overflow edges into each capped placement
    for (const std::vector<Capacity>& entries : by_placement)
        for (const Capacity& entry : entries)
            if (!by_placement[static_cast<std::size_t>(entry.overflow)].empty())
                ++feeders[static_cast<std::size_t>(entry.overflow)];
    std::vector<Capacity> order;
    std::vector<bool> done(by_placement.size(), false);
    while (true) {
        std::size_t next = 0;
        while (next < by_placement.size() && (by_placement[next].empty() || done[next] || feeders[next] > 0)) ++next;
        if (next == by_placement.size()) break;
        done[next] = true;
        for (const Capacity& entry : by_placement[next]) {
            order.push_back(entry);
            const std::size_t overflow = static_cast<std::size_t>(entry.overflow);
            if (!by_placement[overflow].empty()) --feeders[overflow];
        }
    }
    return order;
}

// Placement names read as specialist places when no [capacity] table says
// which are (MODEL.md section 2: resourced provision / SEN unit, maintained
// special, independent or non-maintained special), compared ignoring case,
// with '-' and ' ' read as '_'.
bool specialist_by_name(std::string name) {
    static const std::set<std::string> names = {
        "resourced", "resourced_provision", "rp", "sen_unit", "sen_units", "unit", "units", "special",
        "special_school", "special_schools", "mss", "maintained_special", "inmss", "nmss", "nmiss", "ism",
        "independent", "independent_special", "non_maintained_special"};
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return names.count(name) > 0;
}

}  // namespace

// [capacity]: the capped placements (MODEL.md section 4 step 6) and the
// placements counted as specialist places.
void read_capacity(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year, Scenario& out) {
    const toml::table* table = toml.table(root, "capacity", "capacity", false);
    if (!table) {
        // Specialist demand exists whether or not places are declared: the
        // SCAP export counts the placements whose names say so, and says which.
        std::string listed;
        for (std::size_t p = 0; p < dims.placements.size(); ++p) {
            if (!specialist_by_name(dims.placements[p])) continue;
            out.specialist_placements.push_back(static_cast<int>(p));
            listed += (listed.empty() ? "" : ", ") + dims.placements[p];
        }
        // (None: summary --scap warns that the variant has no numbers.)
        if (!listed.empty())
            toml.note({toml.file(), "capacity", 0, 0},
                      "no [capacity] table: the SCAP export (summary --scap) counts " + listed +
                          " as specialist places, by their names; choose them with [capacity] specialist = [...]");
        return;
    }
    std::vector<std::string> allowed = dims.placements;
    allowed.insert(allowed.begin(), "specialist");
    toml.check_keys(*table, "capacity", allowed);
    std::vector<std::vector<Capacity>> by_placement(dims.placements.size());  // empty: uncapped
    for (std::size_t placement = 0; placement < dims.placements.size(); ++placement)
        if (table->contains(dims.placements[placement]))
            by_placement[placement] =
                read_capped_placement(toml, *table, static_cast<int>(placement), dims, base_year);
    // Cycles among the tables read well; a table with a problem is left out
    // (and the whole scenario rejected anyway).
    if (check_overflow_cycles(toml, by_placement, dims)) out.capacity = processing_order(by_placement);
    if (const toml::node* specialist = table->get("specialist")) {
        out.specialist_placements = read_scope(toml, *specialist, "capacity.specialist", dims.placements, "placement");
        return;
    }
    for (const Capacity& capped : out.capacity) {
        out.specialist_placements.push_back(capped.placement);
        out.specialist_placements.push_back(capped.overflow);
    }
    std::sort(out.specialist_placements.begin(), out.specialist_placements.end());
    out.specialist_placements.erase(std::unique(out.specialist_placements.begin(), out.specialist_placements.end()),
                                    out.specialist_placements.end());
}

}  // namespace ehcpsim::scenario_reading
