// The [money] table: unit costs and their inflation, other spend, funding,
// transport and the opening deficit.
#include "sections.h"

namespace ehcpsim::scenario_reading {

namespace {

void read_other(Toml& toml, const toml::table& money, Money& out) {
    out.other_spend = Param{"money.other.spend", Distribution::fixed_value(0.0), {toml.file(), "money.other.spend"}};
    out.other_growth = Param{"money.other.growth", Distribution::fixed_value(0.0), {toml.file(), "money.other.growth"}};
    const toml::table* other = toml.table(money, "other", "money.other", false);
    if (!other) return;
    toml.check_keys(*other, "money.other", {"spend", "growth"});
    out.other_spend = toml.param_or(*other, "spend", "money.other.spend", Domain::money, 0.0);
    out.other_growth = toml.param_or(*other, "growth", "money.other.growth", Domain::growth, 0.0);
}

void read_funding(Toml& toml, const toml::table& money, int base_year, Money& out) {
    out.funding_growth =
        Param{"money.funding.growth", Distribution::fixed_value(0.0), {toml.file(), "money.funding.growth"}};
    const toml::table* funding = toml.table(money, "funding", "money.funding", true);
    if (!funding) return;
    toml.check_keys(*funding, "money.funding", {"known", "growth"});
    out.funding_growth = toml.param_or(*funding, "growth", "money.funding.growth", Domain::growth, 0.0);
    const toml::node* known = toml.required(*funding, "known", "money.funding");
    if (!known) return;
    if (!known->is_table() || is_distribution_table(*known) || known->as_table()->empty()) {
        toml.error(toml.at(*known, "money.funding.known"),
                   "expected a table of known allocations keyed by year, e.g. { " + std::to_string(base_year) +
                       " = 23.8e6 }");
        return;
    }
    out.funding_known = toml.year_series(*known, "money.funding.known", Domain::money, 0.0, base_year);
    if (!out.funding_known.empty() && out.funding_known.points.front().first > base_year)
        toml.error(toml.at(*known, "money.funding.known"),
                   "the first known year " + std::to_string(out.funding_known.points.front().first) +
                       " is after base_year " + std::to_string(base_year) +
                       "; every simulated year needs funding, so give the base year's");
}

Transport no_transport(const std::string& path, const std::string& file) {
    auto zero = [&](const char* key) {
        return Param{join_key(path, key), Distribution::fixed_value(0.0), {file, join_key(path, key)}};
    };
    return {zero("users"), zero("out_of_borough_share"), zero("cost_in_borough"), zero("cost_out_of_borough")};
}

// Without [money.transport] (or a placement's table) transport costs nothing.
void no_transport_at_all(const std::string& file, const Dimensions& dims, Money& out) {
    out.transport.clear();
    for (const std::string& placement : dims.placements)
        out.transport.push_back(no_transport("money.transport." + placement, file));
    out.transport_inflation =
        Param{"money.transport.inflation", Distribution::fixed_value(0.0), {file, "money.transport.inflation"}};
}

void read_transport(Toml& toml, const toml::table& money, const Dimensions& dims, Money& out) {
    no_transport_at_all(toml.file(), dims, out);
    const toml::table* transport = toml.table(money, "transport", "money.transport", false);
    if (!transport) return;
    std::vector<std::string> allowed = dims.placements;
    allowed.insert(allowed.begin(), "inflation");
    toml.check_keys(*transport, "money.transport", allowed);
    out.transport_inflation = toml.param_or(*transport, "inflation", "money.transport.inflation", Domain::growth, 0.0);
    for (std::size_t placement = 0; placement < dims.placements.size(); ++placement) {
        const std::string path = "money.transport." + dims.placements[placement];
        const toml::table* table = toml.table(*transport, dims.placements[placement], path, false);
        if (!table) continue;
        toml.check_keys(*table, path, {"users", "out_of_borough_share", "cost_in_borough", "cost_out_of_borough"});
        Transport& entry = out.transport[placement];
        entry.users = toml.required_param(*table, "users", join_key(path, "users"), Domain::probability);
        entry.out_of_borough_share = toml.required_param(*table, "out_of_borough_share",
                                                         join_key(path, "out_of_borough_share"), Domain::probability);
        entry.cost_in_borough =
            toml.required_param(*table, "cost_in_borough", join_key(path, "cost_in_borough"), Domain::money);
        entry.cost_out_of_borough =
            toml.required_param(*table, "cost_out_of_borough", join_key(path, "cost_out_of_borough"), Domain::money);
    }
}

// [[money.adjustments]] (docs/scenario.md): name, kind (funding or
// write_off), year (a simulated year) and amount (GBP, may be uncertain).
void read_adjustments(Toml& toml, const toml::table& money, int base_year, int horizon, Money& out) {
    const toml::array* array = toml.array_of_tables(money, "adjustments");
    if (!array) return;
    std::map<std::string, int> first_line;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& node = *array->get(i);
        const Toml::NamedEntry entry = toml.named_entry(node, "money.adjustments", i);
        if (!entry.table) continue;
        const toml::table* table = entry.table;
        const std::size_t before = entry.errors_before;
        const std::string& path = entry.path;
        FundingAdjustment adjustment;
        adjustment.name = entry.name;
        adjustment.where = entry.where;
        toml.check_keys(*table, path, {"name", "kind", "year", "amount", "description"});
        if (const toml::node* description = table->get("description"))
            toml.text(*description, join_key(path, "description"));  // free text, for readers only
        if (const toml::node* kind = toml.required(*table, "kind", path)) {
            const std::optional<std::string> value = toml.text(*kind, join_key(path, "kind"));
            if (value == "funding")
                adjustment.kind = FundingAdjustment::Kind::funding;
            else if (value == "write_off")
                adjustment.kind = FundingAdjustment::Kind::write_off;
            else if (value)
                toml.error(toml.at(*kind, join_key(path, "kind")),
                           "unknown adjustment kind " + in_quotes(*value) + "; expected funding or write_off");
        }
        if (const toml::node* year = toml.required(*table, "year", path)) {
            const std::string key = join_key(path, "year");
            if (const std::optional<std::int64_t> value = toml.integer(*year, key, first_year, last_year)) {
                if (*value <= base_year || *value > base_year + horizon)
                    toml.error(toml.at(*year, key),
                               "year " + std::to_string(*value) + " is outside the simulated years " +
                                   std::to_string(base_year + 1) + ".." + std::to_string(base_year + horizon) +
                                   " (the base year's deficit is given by opening_deficit)");
                adjustment.year = static_cast<int>(*value);
            }
        }
        adjustment.amount = toml.required_param(*table, "amount", join_key(path, "amount"), Domain::real);
        if (toml.problems().error_count() != before) continue;
        const auto [seen, fresh] = first_line.emplace(adjustment.name, adjustment.where.line);
        if (!fresh) {
            toml.error(adjustment.where, "duplicate adjustment name " + in_quotes(adjustment.name) +
                                             " (first given at line " + std::to_string(seen->second) +
                                             "); the name keys the adjustment's draw and its line in the plan");
            continue;
        }
        out.adjustments.push_back(std::move(adjustment));
    }
}

}  // namespace

Money read_money(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year, int horizon) {
    Money money;
    const std::string file = toml.file();
    money.opening_deficit = Param{"money.opening_deficit", Distribution::fixed_value(0.0), {file, "money.opening_deficit", 0, 0}};
    const toml::table* table = toml.table(root, "money", "money", true);
    no_transport_at_all(file, dims, money);
    if (!table) return money;
    toml.check_keys(*table, "money", {"opening_deficit", "unit_cost", "cost_inflation", "other", "funding",
                                      "transport", "adjustments"});
    money.opening_deficit = toml.required_param(*table, "opening_deficit", "money.opening_deficit", Domain::real);
    if (const toml::node* unit_cost = toml.required(*table, "unit_cost", "money"))
        money.unit_cost = toml.every_name(*unit_cost, "money.unit_cost", dims.placements, {"placement", Domain::money});
    for (const Param& cost : money.unit_cost) {
        const double mean = cost.dist.mean();
        if (mean > 0.0 && mean < min_plausible_unit_cost)
            toml.warning(cost.where, "a unit cost of GBP " + rounded_text(mean) +
                                         " a year per plan is under GBP 1,000: a weekly or termly figure, or one in "
                                         "thousands of pounds? unit costs are GBP per plan per year");
        else if (mean > max_plausible_unit_cost)
            toml.warning(cost.where, "a unit cost of GBP " + rounded_text(mean) +
                                         " a year per plan is over GBP 1m: a total for the placement rather than per "
                                         "plan, or an amount in pence? unit costs are GBP per plan per year");
    }
    if (const toml::node* inflation = table->get("cost_inflation")) {
        const std::vector<std::optional<Param>> given = toml.by_name(
            *inflation, "money.cost_inflation", dims.placements, {"placement", Domain::growth, true, true});
        for (std::size_t placement = 0; placement < dims.placements.size(); ++placement) {
            const std::string path = "money.cost_inflation." + dims.placements[placement];
            money.cost_inflation.push_back(given[placement].value_or(
                Param{path, Distribution::fixed_value(0.0), {file, path}}));
        }
    } else {
        money.cost_inflation.assign(dims.placements.size(), Param{"money.cost_inflation",
                                                                  Distribution::fixed_value(0.0),
                                                                  {file, "money.cost_inflation"}});
    }
    read_other(toml, *table, money);
    read_funding(toml, *table, base_year, money);
    read_transport(toml, *table, dims, money);
    read_adjustments(toml, *table, base_year, horizon, money);
    return money;
}

}  // namespace ehcpsim::scenario_reading
