// The panel as calibrate reads it: a measure by the template's ages, phases,
// placements and needs (calibrate_detail.h).
#include <algorithm>
#include <functional>
#include <map>

#include "calibrate_detail.h"

namespace ehcpsim::calibrate::detail {

std::optional<std::vector<double>> by_age(const Panel& panel, const std::string& la, const std::string& measure,
                                          int year, const Dimensions& dims, bool scale_to_all) {
    std::vector<std::pair<AgeRange, double>> keys;
    bool any_single = false;
    for (const std::string& text : panel.breakdowns(la, measure)) {
        std::string why;
        const auto breakdown = Breakdown::parse(text, why);
        if (!breakdown || breakdown->parts().size() != 1 || breakdown->parts()[0].dimension != "age") continue;
        const auto range = parse_age(breakdown->parts()[0].value);
        const auto value = panel.value(la, year, measure, text);
        if (!range || !value) continue;
        keys.push_back({*range, *value});
        any_single = any_single || range->lo == range->hi;
    }
    if (keys.empty()) return std::nullopt;
    std::vector<double> ages(static_cast<std::size_t>(dims.ages()), 0.0);
    for (const auto& [range, value] : keys) {
        if (any_single && range.lo != range.hi) {
            // A band is used only where it overlaps no single age of the year.
            bool overlaps = false;
            for (const auto& [other, v] : keys)
                if (other.lo == other.hi && other.lo >= range.lo && other.lo <= range.hi) overlaps = true;
            if (overlaps) continue;
        }
        const int lo = std::max(range.lo, dims.min_age), hi = std::min(range.hi, dims.max_age);
        if (lo > hi) continue;
        for (int a = lo; a <= hi; ++a)
            ages[static_cast<std::size_t>(a - dims.min_age)] += value / static_cast<double>(hi - lo + 1);
    }
    double sum = 0.0;
    for (double v : ages) sum += v;
    if (scale_to_all) {
        const auto all = panel.value(la, year, measure, "all");
        if (all && sum > 0.0)
            for (double& v : ages) v *= *all / sum;
    }
    return ages;
}

std::vector<double> by_phase(const std::vector<double>& ages, const Dimensions& dims) {
    std::vector<double> out(dims.phases.size(), 0.0);
    for (int a = dims.min_age; a <= dims.max_age; ++a)
        out[static_cast<std::size_t>(dims.phase_of_age(a))] += ages[static_cast<std::size_t>(a - dims.min_age)];
    return out;
}

std::vector<double> shares(const std::vector<double>& values) {
    double sum = 0.0;
    for (double v : values) sum += v;
    std::vector<double> out(values.size(), values.empty() ? 0.0 : 1.0 / static_cast<double>(values.size()));
    if (sum > 0.0)
        for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i] / sum;
    return out;
}

int placement_for(const std::string& group, const Dimensions& dims) {
    static const std::map<std::string, std::vector<std::string>> aliases = {
        {"mainstream", {"mainstream"}},
        {"resourced_unit", {"resourced_unit", "resourced", "resourced_provision", "sen_unit"}},
        {"special_maintained", {"special_maintained", "mss", "special"}},
        {"special_independent", {"special_independent", "inmss", "independent"}},
        {"post16", {"post16", "post16_fe", "fe"}},
        {"early_years", {"early_years"}},
        {"ap", {"ap", "pru"}},
        {"other", {"other"}},
    };
    const auto find = [&](const std::string& name) {
        const auto it = std::find(dims.placements.begin(), dims.placements.end(), name);
        return it == dims.placements.end() ? -1 : static_cast<int>(it - dims.placements.begin());
    };
    if (const int same = find(group); same >= 0) return same;
    if (const auto it = aliases.find(group); it != aliases.end())
        for (const std::string& name : it->second)
            if (const int p = find(name); p >= 0) return p;
    return find("other");
}

namespace {

std::optional<std::vector<double>> by_category(const Panel& panel, const std::string& la, const std::string& measure,
                                               int year, const std::string& dimension, std::size_t size,
                                               const std::function<int(const std::string&)>& index_of) {
    std::vector<double> out(size, 0.0);
    bool any = false;
    for (const std::string& text : panel.breakdowns(la, measure)) {
        std::string why;
        const auto breakdown = Breakdown::parse(text, why);
        if (!breakdown || breakdown->parts().size() != 1 || breakdown->parts()[0].dimension != dimension) continue;
        const auto value = panel.value(la, year, measure, text);
        if (!value) continue;
        const int i = index_of(breakdown->parts()[0].value);
        if (i < 0) continue;
        out[static_cast<std::size_t>(i)] += *value;
        any = true;
    }
    if (!any) return std::nullopt;
    return out;
}

}  // namespace

std::optional<std::vector<double>> by_placement(const Panel& panel, const std::string& la, const std::string& measure,
                                                int year, const Dimensions& dims) {
    return by_category(panel, la, measure, year, "placement", dims.placements.size(),
                       [&](const std::string& group) { return placement_for(group, dims); });
}

std::optional<std::vector<double>> by_need(const Panel& panel, const std::string& la, const std::string& measure,
                                           int year, const Dimensions& dims) {
    return by_category(panel, la, measure, year, "need", dims.needs.size(), [&](const std::string& need) {
        const auto it = std::find(dims.needs.begin(), dims.needs.end(), need);
        return it == dims.needs.end() ? -1 : static_cast<int>(it - dims.needs.begin());
    });
}

}  // namespace ehcpsim::calibrate::detail
