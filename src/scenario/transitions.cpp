// [[transitions]]: placement changes for pupils moving into given ages, each
// (age, need, from) covered by at most one rule.
#include "sections.h"

namespace ehcpsim::scenario_reading {

namespace {

std::vector<int> read_into_ages(Toml& toml, const toml::table& table, const std::string& path, const Dimensions& dims) {
    const toml::node* list = table.get("into_ages");
    const toml::node* range = table.get("into_age_range");
    if ((list != nullptr) == (range != nullptr)) {
        toml.error(toml.at(table, path), "give exactly one of into_ages (a list) or into_age_range ([first, last])");
        return {};
    }
    const std::string key = join_key(path, list ? "into_ages" : "into_age_range");
    const toml::node& node = list ? *list : *range;
    const toml::array* array = node.as_array();
    if (!array || array->empty() || (range && array->size() != 2)) {
        toml.error(toml.at(node, key), range ? "expected [first_age, last_age]" : "expected a non-empty list of ages");
        return {};
    }
    std::vector<int> given;
    for (const toml::node& element : *array) {
        const auto age = toml.integer(element, key, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
        if (!age) return {};
        // Nobody ages into min_age, so the youngest target is min_age + 1.
        if (*age <= dims.min_age || *age > dims.max_age) {
            toml.error(toml.at(element, key), "age " + std::to_string(*age) + " cannot be moved into: ages moved into run " +
                                                  std::to_string(dims.min_age + 1) + ".." + std::to_string(dims.max_age) +
                                                  " (min_age + 1 to max_age)");
            return {};
        }
        given.push_back(static_cast<int>(*age));
    }
    std::vector<int> ages;
    if (range) {
        if (given[0] > given[1]) {
            toml.error(toml.at(node, key), "first age is after last age");
            return {};
        }
        for (int age = given[0]; age <= given[1]; ++age) ages.push_back(age);
    } else {
        ages = given;
        std::sort(ages.begin(), ages.end());
        ages.erase(std::unique(ages.begin(), ages.end()), ages.end());
    }
    return ages;
}

std::optional<TransitionRule> read_transition(Toml& toml, const toml::node& node, const std::string& path,
                                              const Dimensions& dims) {
    const toml::table* table = node.as_table();
    if (!table) {
        toml.error(toml.at(node, path), "expected a table, found " + type_name(node));
        return std::nullopt;
    }
    const std::size_t before = toml.problems().error_count();
    toml.check_keys(*table, path, {"into_ages", "into_age_range", "needs", "from", "to"});
    TransitionRule rule;
    rule.where = toml.at(*table, path);
    rule.into_ages = read_into_ages(toml, *table, path, dims);
    if (const toml::node* needs = table->get("needs")) {
        const toml::array* array = needs->as_array();
        if (!array || array->empty())
            toml.error(toml.at(*needs, join_key(path, "needs")), "expected a non-empty list of needs");
        for (std::size_t i = 0; array && i < array->size(); ++i) {
            const std::optional<std::string> name = toml.text(*array->get(i), join_key(path, "needs"));
            const int need = name ? index_of(dims.needs, *name) : -1;
            if (name && need < 0)
                toml.error(toml.at(*array->get(i), join_key(path, "needs")),
                           "unknown need " + in_quotes(*name) + "; declared needs: " + list_text(dims.needs));
            if (need >= 0) rule.needs.push_back(need);
        }
    }
    if (const toml::node* from = toml.required(*table, "from", path)) {
        const std::optional<std::string> name = toml.text(*from, join_key(path, "from"));
        rule.from = name ? index_of(dims.placements, *name) : -1;
        if (name && rule.from < 0)
            toml.error(toml.at(*from, join_key(path, "from")),
                       "unknown placement " + in_quotes(*name) + "; declared placements: " + list_text(dims.placements));
    }
    if (const toml::node* to = toml.required(*table, "to", path)) {
        const std::string to_path = join_key(path, "to");
        const std::vector<std::optional<Param>> targets =
            toml.by_name(*to, to_path, dims.placements, {"placement", Domain::probability});
        double sum = 0.0;
        for (std::size_t placement = 0; placement < targets.size(); ++placement) {
            if (!targets[placement]) continue;
            if (static_cast<int>(placement) == rule.from)
                toml.error(targets[placement]->where, "'to' names the 'from' placement " +
                                                          in_quotes(dims.placements[placement]) +
                                                          "; those who stay are the remainder");
            rule.to.emplace_back(static_cast<int>(placement), *targets[placement]);
            sum += targets[placement]->dist.mean();
        }
        if (to->is_table() && rule.to.empty()) toml.error(toml.at(*to, to_path), "names no placement");
        if (sum > 1.0 + mix_tolerance)
            toml.error(toml.at(*to, to_path), "the probabilities (their means) sum to " + rounded_text(sum) +
                                                  "; they must sum to at most 1 (tolerance " +
                                                  shortest_text(mix_tolerance) + ")");
    }
    if (toml.problems().error_count() != before) return std::nullopt;
    return rule;
}

// Two rules may not cover the same (age moved into, need, from).
void check_transition_overlaps(Toml& toml, const std::vector<TransitionRule>& rules, const Dimensions& dims) {
    std::map<std::tuple<int, int, int>, std::size_t> owner;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const TransitionRule& rule = rules[i];
        std::vector<int> needs = rule.needs;
        if (needs.empty())
            for (int need = 0; need < static_cast<int>(dims.needs.size()); ++need) needs.push_back(need);
        for (int age : rule.into_ages) {
            for (int need : needs) {
                const auto [it, fresh] = owner.emplace(std::make_tuple(age, need, rule.from), i);
                if (fresh) continue;
                const TransitionRule& other = rules[it->second];
                toml.error(rule.where, "conflicts with the rule on line " + std::to_string(other.where.line) +
                                           " (" + other.where.key + "): both move pupils into age " +
                                           std::to_string(age) + " with need " + in_quotes(dims.needs[need]) +
                                           " from " + in_quotes(dims.placements[rule.from]));
                return;
            }
        }
    }
}

}  // namespace

std::vector<TransitionRule> read_transitions(Toml& toml, const toml::table& root, const Dimensions& dims) {
    std::vector<TransitionRule> rules;
    const toml::array* array = toml.array_of_tables(root, "transitions");
    if (!array) return rules;
    bool complete = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
        std::optional<TransitionRule> rule =
            read_transition(toml, *array->get(i), "transitions[" + std::to_string(i) + "]", dims);
        if (rule)
            rules.push_back(std::move(*rule));
        else
            complete = false;
    }
    if (complete) check_transition_overlaps(toml, rules, dims);
    return rules;
}

}  // namespace ehcpsim::scenario_reading
