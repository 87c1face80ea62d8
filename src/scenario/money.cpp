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

}  // namespace

Money read_money(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year) {
    Money money;
    const std::string file = toml.file();
    money.opening_deficit = Param{"money.opening_deficit", Distribution::fixed_value(0.0), {file, "money.opening_deficit", 0, 0}};
    const toml::table* table = toml.table(root, "money", "money", true);
    no_transport_at_all(file, dims, money);
    if (!table) return money;
    toml.check_keys(*table, "money", {"opening_deficit", "unit_cost", "cost_inflation", "other", "funding",
                                      "transport"});
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
    return money;
}

}  // namespace ehcpsim::scenario_reading
