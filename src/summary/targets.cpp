// P(meeting a target) for a key figure the user names (summary_targets.h;
// docs/output.md, "Targets"): the target's text parsed and resolved against
// the file, then the fraction of replicates that meet it.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "common.h"
#include "ehcpsim/summary_targets.h"

namespace ehcpsim {

using namespace summary_detail;

namespace {

constexpr const char* target_form =
    "a target is FIGURE:YEAR OP VALUE with OP one of <=, <, >=, >, e.g. cumulative_deficit:2028<=40m, "
    "share_mainstream:2027>=0.45 or stock.inmss:2028<=120";

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

[[noreturn]] void fail(std::string_view text, std::size_t at, const std::string& what) {
    throw TargetError("--target '" + std::string(text) + "': " + what + " (at character " + std::to_string(at + 1) +
                      "); " + target_form);
}

// The index of `name` among `names` whatever its case, or -1.
int find_name(const std::vector<std::string>& names, std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (lower(names[i]) == lower(name)) return static_cast<int>(i);
    return -1;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

// FIGURE resolved: metric, category, share.
void resolve_figure(std::string_view text, std::string_view figure, const RunInfo& info, Target& target) {
    const auto& catalogue = metric_catalogue();
    std::vector<std::string> year_metrics;
    for (const MetricInfo& m : catalogue)
        if (m.extent == Extent::year) year_metrics.push_back(m.name);
    const std::string name = lower(figure);
    const auto placement_of = [&](std::string_view placement, std::size_t at) {
        const int p = find_name(info.placements, placement);
        if (p < 0)
            fail(text, at, "no placement '" + std::string(placement) + "' in this file (placements: " +
                               joined(info.placements) + ")");
        return p;
    };
    for (const char* prefix : {"share.", "share_"}) {
        if (name.rfind(prefix, 0) == 0) {
            target.share = true;
            target.metric = m_stock_by_placement;
            target.category = placement_of(figure.substr(6), 6);
            return;
        }
    }
    if (name.rfind("stock.", 0) == 0) {
        target.metric = m_stock_by_placement;
        target.category = placement_of(figure.substr(6), 6);
        return;
    }
    const std::size_t dot = name.find('.');
    const int metric = metric_index(name.substr(0, dot));
    if (metric < 0)
        fail(text, 0, "no figure '" + std::string(figure.substr(0, dot)) + "'; figures: " + joined(year_metrics) +
                          ", stock.PLACEMENT, share.PLACEMENT (or share_PLACEMENT), or a metric by placement or "
                          "need as METRIC.CATEGORY");
    const MetricInfo& info_of = catalogue[static_cast<std::size_t>(metric)];
    target.metric = metric;
    if (info_of.extent == Extent::year) {
        if (dot != std::string::npos) fail(text, dot, "'" + info_of.name + "' has no categories: leave out '.'");
        return;
    }
    const bool by_placement = info_of.extent == Extent::year_placement;
    const bool by_need = info_of.extent == Extent::year_need;
    if (!by_placement && !by_need)
        fail(text, 0, "'" + info_of.name + "' is split by phase; targets take a [year] metric or one by placement "
                                           "or need");
    const std::vector<std::string>& names = by_placement ? info.placements : info.needs;
    if (dot == std::string::npos)
        fail(text, name.size(), "'" + info_of.name + "' is by " + (by_placement ? "placement" : "need") +
                                    ": name one as " + info_of.name + "." + names.front());
    const int category = find_name(names, figure.substr(dot + 1));
    if (category < 0)
        fail(text, dot + 1, "no " + std::string(by_placement ? "placement" : "need") + " '" +
                                std::string(figure.substr(dot + 1)) + "' (" + joined(names) + ")");
    target.category = category;
}

}  // namespace

Target parse_target(std::string_view text, const RunInfo& info) {
    Target target;
    target.text = std::string(text);
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) fail(text, 0, "no FIGURE: before the year");
    target.figure = std::string(text.substr(0, colon));
    resolve_figure(text, target.figure, info, target);
    std::size_t at = colon + 1;
    const char* begin = text.data() + at;
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), target.year);
    if (ec != std::errc() || end == begin) fail(text, at, "expected a year after ':'");
    at += static_cast<std::size_t>(end - begin);
    // A financial year, 2027-28, is the file's year label 2028 (docs/model.md, "Years").
    if (at + 3 <= text.size() && text[at] == '-' && std::isdigit(static_cast<unsigned char>(text[at + 1])) &&
        std::isdigit(static_cast<unsigned char>(text[at + 2]))) {
        const int end_year = (text[at + 1] - '0') * 10 + (text[at + 2] - '0');
        if (end_year != (target.year + 1) % 100)
            fail(text, colon + 1, "'" + std::string(text.substr(colon + 1, at + 3 - colon - 1)) +
                                      "' is not a financial year (2027-28 is)");
        ++target.year;
        at += 3;
    }
    const auto year = std::find(info.years.begin(), info.years.end(), target.year);
    if (year == info.years.end())
        fail(text, colon + 1, "the file has no year " + std::to_string(target.year) +
                                  (info.years.empty() ? std::string()
                                                      : " (its years are " + std::to_string(info.years.front()) +
                                                            " to " + std::to_string(info.years.back()) + ")"));
    target.year_index = static_cast<std::size_t>(year - info.years.begin());
    const std::string_view rest = text.substr(at);
    std::size_t op = 0;
    if (rest.rfind("<=", 0) == 0) {
        target.comparison = Target::Comparison::at_most;
        op = 2;
    } else if (rest.rfind(">=", 0) == 0) {
        target.comparison = Target::Comparison::at_least;
        op = 2;
    } else if (rest.rfind('<', 0) == 0) {
        target.comparison = Target::Comparison::below;
        op = 1;
    } else if (rest.rfind('>', 0) == 0) {
        target.comparison = Target::Comparison::above;
        op = 1;
    } else {
        fail(text, at, "expected <=, <, >= or > after the year");
    }
    at += op;
    std::string_view value = text.substr(at);
    if (value.empty()) fail(text, at, "expected a value after the comparison");
    const bool money = metric_catalogue()[static_cast<std::size_t>(target.metric)].units == "GBP" && !target.share;
    std::optional<double> number;
    if (money) {
        number = parse_amount(value);
    } else {
        const bool percent = target.share && value.back() == '%';
        const std::string_view digits = percent ? value.substr(0, value.size() - 1) : value;
        double x = 0.0;
        const auto [stop, error] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
        if (error == std::errc() && stop == digits.data() + digits.size() && std::isfinite(x))
            number = percent ? x / 100.0 : x;
    }
    if (!number)
        fail(text, at, "'" + std::string(value) + "' is not " +
                           (money ? "an amount in pounds (40m, 500k, 2.5bn, 2500000)"
                                  : target.share ? "a share (0.45 or 45%)" : "a number"));
    target.value = *number;
    return target;
}

std::vector<TargetProbability> target_probabilities(const ResultReader& reader, const std::vector<Target>& targets) {
    const RunInfo& info = reader.info();
    std::vector<TargetProbability> out;
    for (const Target& target : targets) {
        TargetProbability& result = out.emplace_back();
        result.target = target;
        for (const std::string& variant : info.variants) {
            std::vector<double> figure = read_column(reader, info, variant, target.metric, target.year_index,
                                                     static_cast<std::size_t>(target.category));
            if (target.share) {
                const std::vector<double> total = read_column(reader, info, variant, m_total_stock, target.year_index, 0);
                for (std::size_t r = 0; r < figure.size(); ++r)
                    figure[r] = total[r] > 0.0 ? figure[r] / total[r] : nan_value;
            }
            std::size_t count = 0, met = 0;
            std::vector<double> present;
            for (double x : figure) {
                if (std::isnan(x)) continue;
                ++count;
                present.push_back(x);
                switch (target.comparison) {
                case Target::Comparison::at_most: met += x <= target.value; break;
                case Target::Comparison::below: met += x < target.value; break;
                case Target::Comparison::at_least: met += x >= target.value; break;
                case Target::Comparison::above: met += x > target.value; break;
                }
            }
            result.probability.push_back(count == 0 ? nan_value : static_cast<double>(met) / static_cast<double>(count));
            result.median.push_back(present.empty() ? nan_value : quantiles_of(present, {0.5})[0]);
        }
    }
    return out;
}

namespace {

bool is_money(const Target& target) {
    return !target.share && metric_catalogue()[static_cast<std::size_t>(target.metric)].units == "GBP";
}

std::string median_text(const Target& target, double median) {
    if (std::isnan(median)) return "-";
    if (is_money(target)) return "£" + millions(median, 2) + "m";
    if (target.share) return fixed(100.0 * median, 1) + "%";
    return fixed(median, 0);
}

}  // namespace

void print_targets_table(const std::vector<TargetProbability>& targets, const RunInfo& info, std::ostream& out) {
    out << "== P(meeting a target), fraction of replicates ==\n";
    std::vector<std::vector<std::string>> rows{{"target", "variant", "P(met)", "median"}};
    for (const TargetProbability& t : targets)
        for (std::size_t v = 0; v < info.variants.size(); ++v)
            rows.push_back({t.target.text, info.variants[v], probability_text(t.probability[v]),
                            median_text(t.target, t.median[v])});
    print_grid(rows, 2, out);
}

void print_targets_csv(const std::vector<TargetProbability>& targets, const RunInfo& info, std::ostream& out) {
    static const char* comparisons[] = {"<=", "<", ">=", ">"};
    out << "target,variant,figure,year,comparison,value,probability,median\n";
    for (const TargetProbability& t : targets)
        for (std::size_t v = 0; v < info.variants.size(); ++v)
            out << csv_field(t.target.text) << ',' << csv_field(info.variants[v]) << ','
                << csv_field(t.target.figure) << ',' << t.target.year << ','
                << comparisons[static_cast<int>(t.target.comparison)] << ',' << csv_number(t.target.value) << ','
                << csv_number(t.probability[v]) << ',' << csv_number(t.median[v]) << '\n';
}

}  // namespace ehcpsim
