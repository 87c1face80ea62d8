// RunInfo: the one description of a run, and the one answer to "are these
// the same run?" that a checkpoint (resuming) and merge (shards) both ask.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "ehcpsim/results.h"
#include "ehcpsim/text.h"

namespace ehcpsim {
namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }
std::string number(std::int64_t x) { return std::to_string(x); }
std::string flag(bool b) { return b ? "on" : "off"; }

std::string replicate_range(std::int64_t first, std::int64_t count) {
    std::string out = "replicates [";  // (appended: GCC 12 warns falsely on "[" + ..., -Wrestrict)
    out += std::to_string(first);
    out += ", ";
    out += std::to_string(first + count);
    out += ')';
    return out;
}

// Walks the fields in a fixed order and keeps the first that differs.
class Comparison {
public:
    Comparison(const RunInfo& a, const RunInfo& b) : a_(a), b_(b) {}

    bool found() const { return difference_.has_value(); }
    std::optional<RunDifference> result() && { return std::move(difference_); }

    void differ(const std::string& what, std::string first, std::string second) {
        if (!found()) difference_ = RunDifference{what, std::move(first), std::move(second), {}};
    }

    template <typename T, typename Format>
    void same(const std::string& what, const T& first, const T& second, Format format) {
        if (!found() && !(first == second)) differ(what, format(first), format(second));
    }

    // A list: shown whole when short, else by its length or its first
    // element that differs.
    template <typename T, typename Format, typename Equal = std::equal_to<std::vector<T>>>
    void same_list(const std::string& what, const std::string& one, const std::vector<T>& first,
                   const std::vector<T>& second, Format format, Equal equal = {}) {
        if (found() || equal(first, second)) return;
        const std::string whole_first = list(first, format), whole_second = list(second, format);
        if (whole_first.size() + whole_second.size() <= 200) return differ(what, whole_first, whole_second);
        if (first.size() != second.size())
            return differ("length of " + what, number(static_cast<std::int64_t>(first.size())),
                          number(static_cast<std::int64_t>(second.size())));
        std::size_t i = 0;
        while (i < first.size() && equal(std::vector<T>{first[i]}, std::vector<T>{second[i]})) ++i;
        differ(one + " " + std::to_string(i), format(first[i]), format(second[i]));
    }

    void run(RunMatch match) {
        same("engine version", a_.engine_version, b_.engine_version, quoted);
        same("scenario name", a_.scenario_name, b_.scenario_name, quoted);
        sources();
        same("mode", a_.mode, b_.mode, quoted);
        same("seed", a_.seed, b_.seed, [](std::uint64_t x) { return std::to_string(x); });
        same("total replicate count", a_.total_replicates, b_.total_replicates, number);
        if (match == RunMatch::same_shard && (a_.first_replicate != b_.first_replicate || a_.replicates != b_.replicates))
            differ("shard", replicate_range(a_.first_replicate, a_.replicates),
                   replicate_range(b_.first_replicate, b_.replicates));
        same_list("variant list", "variant", a_.variants, b_.variants, quoted);
        same("common random numbers", a_.common_random_numbers, b_.common_random_numbers, flag);
        same("fixed parameters", a_.fixed_parameters, b_.fixed_parameters, flag);
        same_list("year list", "year", a_.years, b_.years, [](int y) { return std::to_string(y); });
        same_list("placement list", "placement", a_.placements, b_.placements, quoted);
        same_list("need list", "need", a_.needs, b_.needs, quoted);
        same_list("phase list", "phase", a_.phases, b_.phases, quoted);
        same("phase detail", a_.phase_detail, b_.phase_detail, flag);
        same("plan detail", a_.plan_detail, b_.plan_detail, flag);
        same_list("age list", "age", a_.ages, b_.ages, [](int a) { return std::to_string(a); });
        for (std::size_t v = 0; v < a_.variants.size() && !found(); ++v) variant(v);
    }

private:
    template <typename T, typename Format>
    static std::string list(const std::vector<T>& values, Format format) {
        std::string out = "[";
        for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format(values[i]);
        return out + "]";
    }

    // Texts, not paths: the same files run from another directory are the
    // same scenario.
    void sources() {
        if (found()) return;
        same("number of scenario files", static_cast<std::int64_t>(a_.sources.size()),
             static_cast<std::int64_t>(b_.sources.size()), number);
        for (std::size_t i = 0; i < a_.sources.size() && !found(); ++i) {
            const std::string& first = a_.sources[i].text;
            const std::string& second = b_.sources[i].text;
            if (first == second) continue;
            const auto at = static_cast<std::ptrdiff_t>(
                std::mismatch(second.begin(), second.end(), first.begin(), first.end()).first - second.begin());
            const auto line = 1 + std::count(second.begin(), second.begin() + at, '\n');
            difference_ = RunDifference{"text of scenario file '" + b_.sources[i].path + "'", {}, {},
                                        "first difference in line " + std::to_string(line)};
        }
    }

    void variant(std::size_t v) {
        const std::string of = " of variant '" + a_.variants[v] + "'";
        same("level" + of, a_.levels[v], b_.levels[v], quoted);
        same("compare_to" + of, a_.compare_to[v], b_.compare_to[v], quoted);
        same_list("parameter list" + of, "parameter", a_.parameter_names[v], b_.parameter_names[v], quoted);
        same_list("specialist placement list" + of, "specialist placement", names(a_.specialist[v]),
                  names(b_.specialist[v]), quoted);
        capacity(v, of);
        adjustments(v, of);
    }

    void adjustments(std::size_t v, const std::string& of) {
        if (found()) return;
        const auto text = [](const RunInfo::Adjustment& a) {
            return a.name + " (" + a.kind + ", " + std::to_string(a.year) + ", " +
                   (std::isnan(a.amount) ? std::string("drawn") : shortest_text(a.amount)) + ")";
        };
        std::vector<std::string> first, second;
        for (const auto& a : a_.adjustments[v]) first.push_back(text(a));
        for (const auto& b : b_.adjustments[v]) second.push_back(text(b));
        same_list("funding adjustment list" + of, "funding adjustment", first, second, quoted);
    }

    // Placements agree already, so indices compare as names.
    std::vector<std::string> names(const std::vector<int>& placements) const {
        std::vector<std::string> out;
        for (int p : placements) out.push_back(p < 0 ? std::string() : a_.placements[static_cast<std::size_t>(p)]);
        return out;
    }

    void capacity(std::size_t v, const std::string& of) {
        const auto& first = a_.capacity[v];
        const auto& second = b_.capacity[v];
        std::vector<std::string> first_names, second_names;
        for (const auto& e : first) first_names.push_back(capacity_entry_name(a_, e));
        for (const auto& e : second) second_names.push_back(capacity_entry_name(b_, e));
        same_list("capacity entry list" + of, "capacity entry", first_names, second_names, quoted);
        for (std::size_t i = 0; i < first.size() && !found(); ++i) {
            const std::string entry = " of capacity entry '" + first_names[i] + "'" + of;
            const auto overflow = [&](int p) {
                return p < 0 ? std::string("none") : quoted(a_.placements[static_cast<std::size_t>(p)]);
            };
            same("overflow" + entry, first[i].overflow, second[i].overflow, overflow);
            same_list("places" + entry, "places in year", first[i].places, second[i].places, shortest_text, same_bits);
        }
    }

    const RunInfo& a_;
    const RunInfo& b_;
    std::optional<RunDifference> difference_;
};

}  // namespace

Shape RunInfo::shape() const {
    Shape shape{static_cast<int>(years.size()), static_cast<int>(placements.size()), static_cast<int>(needs.size()),
                static_cast<int>(phases.size()), phase_detail};
    shape.plan_detail = plan_detail;
    if (plan_detail) shape.ages = static_cast<int>(ages.size());
    return shape;
}

std::vector<std::size_t> RunInfo::parameters_per_variant() const {
    std::vector<std::size_t> counts;
    for (std::size_t v = 0; v < variants.size(); ++v)
        counts.push_back(v < parameter_names.size() ? parameter_names[v].size() : 0);
    return counts;
}

std::string variant_label(const RunInfo& info, std::size_t v) {
    if (v < info.variant_labels.size() && !info.variant_labels[v].empty()) return info.variant_labels[v];
    return v < info.variants.size() ? info.variants[v] : std::string();
}

std::string parameter_label(const RunInfo& info, std::size_t v, std::size_t j) {
    if (v < info.parameter_labels.size() && j < info.parameter_labels[v].size() && !info.parameter_labels[v][j].empty())
        return info.parameter_labels[v][j];
    return v < info.parameter_names.size() && j < info.parameter_names[v].size() ? info.parameter_names[v][j]
                                                                                  : std::string();
}

std::string capacity_entry_name(const RunInfo& info, const RunInfo::CapacityEntry& entry) {
    std::string name = info.placements[static_cast<std::size_t>(entry.placement)];
    if (entry.phase >= 0) {
        name += '/';
        name += info.phases[static_cast<std::size_t>(entry.phase)];
    }
    return name;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

RunInfo with_defaults(RunInfo info) {
    if (info.total_replicates == 0) info.total_replicates = info.replicates;
    const std::size_t variants = info.variants.size();
    info.levels.resize(variants, "none");
    info.compare_to.resize(variants, "");
    info.capacity.resize(variants);
    info.specialist.resize(variants);
    info.adjustments.resize(variants);
    info.parameter_names.resize(variants);
    return info;
}

std::optional<RunDifference> first_difference(const RunInfo& first, const RunInfo& second, RunMatch match) {
    const RunInfo a = with_defaults(first), b = with_defaults(second);
    Comparison comparison(a, b);
    comparison.run(match);
    return std::move(comparison).result();
}

}  // namespace ehcpsim
