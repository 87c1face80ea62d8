// The [demand] table: request, assessment and issue rates, the request trend,
// the pipeline of plans agreed in the base year, the need and placement mixes.
#include "sections.h"

namespace ehcpsim::scenario_reading {

namespace {

// Reports a mix whose means do not sum to 1.
void check_mix_sum(Toml& toml, const toml::node& node, const std::string& path, const std::vector<Param>& weights) {
    double sum = 0.0;
    for (const Param& weight : weights) sum += weight.dist.mean();
    if (std::abs(sum - 1.0) > mix_tolerance)
        toml.error(toml.at(node, path), "the weights (their means) sum to " + rounded_text(sum) +
                                            "; they must sum to 1 (tolerance " + shortest_text(mix_tolerance) + ")");
}

std::vector<Param> read_mix(Toml& toml, const toml::node& node, const std::string& path,
                            const std::vector<std::string>& names, const char* what) {
    // Weights written as percentages (45 for 45%) fail their domain one by
    // one; say what the slip is once, for the whole mix.
    if (const toml::table* table = node.as_table(); table && !is_distribution_table(node)) {
        double sum = 0.0;
        bool numbers = !table->empty();
        for (auto&& [key, value] : *table) {
            if (is_number(value)) sum += number_of(value);
            else numbers = false;
        }
        if (numbers && sum >= 95.0 && sum <= 105.0)
            toml.error(toml.at(node, path), "the weights sum to " + rounded_text(sum) +
                                                ": they look like percentages; give fractions that sum to 1 (45% is "
                                                "0.45)");
    }
    const std::size_t before = toml.problems().error_count();
    std::vector<Param> weights = toml.every_name(node, path, names, {what, Domain::probability});
    if (toml.problems().error_count() == before) check_mix_sum(toml, node, path, weights);
    return weights;
}

// A required table keyed by phase names and `default` (the two mixes).
const toml::table* phase_keyed_table(Toml& toml, const toml::table& parent, const char* key, const std::string& path,
                                     const Dimensions& dims) {
    const toml::table* table = toml.table(parent, key, path, true);
    if (!table) return nullptr;
    std::vector<std::string> allowed = phase_names(dims);
    allowed.emplace_back(default_key);
    toml.check_keys(*table, path, allowed);
    return table;
}

// need_mix[phase][need]: a phase's own table, else `default`.
std::vector<std::vector<Param>> read_need_mix(Toml& toml, const toml::table& demand, const Dimensions& dims) {
    const std::string path = "demand.need_mix";
    std::vector<std::vector<Param>> mix(dims.phases.size());
    const toml::table* table = phase_keyed_table(toml, demand, "need_mix", path, dims);
    if (!table) return mix;
    std::vector<Param> fallback;
    if (const toml::node* node = table->get(default_key))
        fallback = read_mix(toml, *node, join_key(path, default_key), dims.needs, "need");
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string& name = dims.phases[phase].name;
        if (const toml::node* node = table->get(name))
            mix[phase] = read_mix(toml, *node, join_key(path, name), dims.needs, "need");
        else if (!fallback.empty())
            mix[phase] = fallback;
        else
            toml.error(toml.at(*table, path), "no need mix for phase " + in_quotes(name) + ": give " +
                                                  join_key(path, name) + " or " + join_key(path, default_key));
    }
    return mix;
}

// placement_mix[phase][need][placement]: [phase].need, else [phase].default, else default.
std::vector<std::vector<std::vector<Param>>> read_placement_mix(Toml& toml, const toml::table& demand,
                                                                const Dimensions& dims) {
    const std::string path = "demand.placement_mix";
    std::vector<std::vector<std::vector<Param>>> mix(dims.phases.size(),
                                                     std::vector<std::vector<Param>>(dims.needs.size()));
    const toml::table* table = phase_keyed_table(toml, demand, "placement_mix", path, dims);
    if (!table) return mix;
    std::vector<Param> fallback;
    if (const toml::node* node = table->get(default_key))
        fallback = read_mix(toml, *node, join_key(path, default_key), dims.placements, "placement");
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string phase_path = join_key(path, dims.phases[phase].name);
        const toml::table* phase_table = toml.table(*table, dims.phases[phase].name, phase_path, false);
        std::vector<Param> phase_fallback = fallback;
        if (phase_table) {
            std::vector<std::string> phase_keys = dims.needs;
            phase_keys.emplace_back(default_key);
            toml.check_keys(*phase_table, phase_path, phase_keys);
            if (const toml::node* node = phase_table->get(default_key))
                phase_fallback = read_mix(toml, *node, join_key(phase_path, default_key), dims.placements, "placement");
        }
        for (std::size_t need = 0; need < dims.needs.size(); ++need) {
            const toml::node* node = phase_table ? phase_table->get(dims.needs[need]) : nullptr;
            if (node)
                mix[phase][need] = read_mix(toml, *node, join_key(phase_path, dims.needs[need]), dims.placements,
                                            "placement");
            else if (!phase_fallback.empty())
                mix[phase][need] = phase_fallback;
            else
                toml.error(toml.at(*table, path),
                           "no placement mix for phase " + in_quotes(dims.phases[phase].name) + ", need " +
                               in_quotes(dims.needs[need]) + ": give " + phase_path + "." + dims.needs[need] + ", " +
                               phase_path + ".default or " + join_key(path, default_key));
        }
    }
    return mix;
}

// [demand] pipeline: the plans agreed in the base year and issued after its
// end (MODEL.md 4, step 4). A number (a total, spread over ages like the base
// year's issued plans) or a table of counts by the age they were agreed at.
void read_pipeline(Toml& toml, const toml::node& node, const Dimensions& dims, Demand& demand) {
    const std::string path = "demand.pipeline";
    auto count = [&](const toml::node& value, const std::string& where) -> double {
        if (!is_number(value)) {
            toml.error(toml.at(value, where), "expected a number of plans, found " + type_name(value));
            return 0.0;
        }
        const double x = number_of(value);
        if (!(x >= 0.0) || !(x <= 1e9)) {
            toml.error(toml.at(value, where), "a number of plans must be between 0 and 1e9");
            return 0.0;
        }
        return x;
    };
    if (is_number(node)) {
        demand.pipeline_total = count(node, path);
        return;
    }
    const toml::table* table = node.as_table();
    if (!table) {
        toml.error(toml.at(node, path),
                   "expected a number (a total) or a table of counts by age, e.g. { 4 = 10, 5 = 12 }, found " +
                       type_name(node));
        return;
    }
    demand.pipeline_by_age.assign(static_cast<std::size_t>(dims.ages()), 0.0);
    for (auto&& [key, value] : *table) {
        const std::string where = path + "." + std::string(key.str());
        const std::optional<double> age = parse_real(key.str());
        if (!age || *age != std::floor(*age) || *age < dims.min_age || *age >= dims.min_age + dims.ages() - 1) {
            toml.error(toml.at(value, where), "expected an age from " + std::to_string(dims.min_age) + " to " +
                                                  std::to_string(dims.min_age + dims.ages() - 2) +
                                                  " (the age the plans were agreed at; they join a year older)");
            continue;
        }
        demand.pipeline_by_age[static_cast<std::size_t>(*age - dims.min_age)] = count(value, where);
    }
}

}  // namespace

Demand read_demand(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year) {
    Demand demand;
    const toml::table* table = toml.table(root, "demand", "demand", true);
    if (!table) return demand;
    toml.check_keys(*table, "demand", {"request_rate", "assess_rate", "issue_rate", "lag", "growth", "growth_long_run",
                                       "persistence", "shock_sd", "request_multiplier", "need_mix", "placement_mix",
                                       "pipeline", "conversion_sd", "conversion_persistence"});
    if (const toml::node* rates = toml.required(*table, "request_rate", "demand"))
        demand.request_rate = toml.every_name(*rates, "demand.request_rate", phase_names(dims),
                                              {"phase", Domain::probability, true, true});
    for (const Param& rate : demand.request_rate)
        if (rate.dist.mean() > max_plausible_request_rate)
            toml.warning(rate.where, "a request rate of " + rounded_text(rate.dist.mean()) +
                                         " a year (a request from " + rounded_text(100.0 * rate.dist.mean()) +
                                         "% of residents every year) is above " +
                                         shortest_text(max_plausible_request_rate) +
                                         ": was a percentage written as a number (2% is 0.02), or a count given "
                                         "instead of a rate?");
    demand.assess_rate = toml.required_param(*table, "assess_rate", "demand.assess_rate", Domain::probability);
    demand.issue_rate = toml.required_param(*table, "issue_rate", "demand.issue_rate", Domain::probability);
    demand.lag = toml.param_or(*table, "lag", "demand.lag", Domain::probability, 0.0);
    demand.growth = toml.param_or(*table, "growth", "demand.growth", Domain::growth, 0.0);
    demand.growth_long_run = toml.param_or(*table, "growth_long_run", "demand.growth_long_run", Domain::growth, 0.0);
    demand.persistence = toml.param_or(*table, "persistence", "demand.persistence", Domain::persistence, 1.0);
    demand.shock_sd = toml.param_or(*table, "shock_sd", "demand.shock_sd", Domain::shock, 0.0);
    demand.conversion_sd = toml.param_or(*table, "conversion_sd", "demand.conversion_sd", Domain::variation_sd, 0.0);
    demand.conversion_persistence = toml.param_or(*table, "conversion_persistence", "demand.conversion_persistence",
                                                  Domain::variation_persistence, 0.0);
    demand.request_multiplier.before_first = 1.0;
    if (const toml::node* multiplier = table->get("request_multiplier"))
        demand.request_multiplier =
            toml.year_series(*multiplier, "demand.request_multiplier", Domain::nonnegative, 1.0, base_year);
    demand.need_mix = read_need_mix(toml, *table, dims);
    demand.placement_mix = read_placement_mix(toml, *table, dims);
    if (const toml::node* pipeline = table->get("pipeline")) read_pipeline(toml, *pipeline, dims, demand);
    return demand;
}

}  // namespace ehcpsim::scenario_reading
