#include "ehcpsim/summary.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>

namespace ehcpsim {
namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

// Where quantile p of n sorted values falls: between x[below] and x[below+1]
// at fraction t (numpy's "linear" method: h = (n - 1) p).
struct Position {
    std::size_t below;
    double t;
    bool last;  // at or beyond the last value: the answer is x[n-1]
};

Position position(std::size_t n, double p) {
    assert(n > 0);
    p = std::clamp(p, 0.0, 1.0);
    const double h = static_cast<double>(n - 1) * p;
    const double below = std::floor(h);
    if (below >= static_cast<double>(n - 1)) return {n - 1, 0.0, true};
    return {static_cast<std::size_t>(below), h - below, false};
}

// numpy's _lerp, bit for bit: interpolating from the nearer end keeps the
// result exact at t = 1 and monotone in t.
double interpolate(double a, double b, double t) {
    const double difference = b - a;
    return t >= 0.5 ? b - difference * (1.0 - t) : a + difference * t;
}

// Puts the k-th smallest value at values[k] for every k in [first, last)
// (ascending, all within [lo, hi)). Splitting at the middle index and
// recursing into each side costs about n log2(number of indices), against
// n log2(n) for a full sort.
void select_order_statistics(std::vector<double>& values, std::size_t lo, std::size_t hi, const std::size_t* first,
                             const std::size_t* last) {
    if (first == last) return;
    const std::size_t* middle = first + (last - first) / 2;
    std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(lo),
                     values.begin() + static_cast<std::ptrdiff_t>(*middle),
                     values.begin() + static_cast<std::ptrdiff_t>(hi));
    select_order_statistics(values, lo, *middle, first, middle);
    select_order_statistics(values, *middle + 1, hi, middle + 1, last);
}

// Type-7 quantiles of values (no NaNs; reordered), equal to quantile_sorted()
// on the sorted values.
std::vector<double> quantiles_of(std::vector<double>& values, const std::vector<double>& probabilities) {
    const std::size_t n = values.size();
    if (n == 0) return std::vector<double>(probabilities.size(), nan_value);
    std::vector<std::size_t> needed;
    for (double p : probabilities) {
        const Position at = position(n, p);
        needed.push_back(at.below);
        if (!at.last) needed.push_back(at.below + 1);
    }
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    select_order_statistics(values, 0, n, needed.data(), needed.data() + needed.size());
    std::vector<double> result;
    result.reserve(probabilities.size());
    for (double p : probabilities) {
        const Position at = position(n, p);
        result.push_back(at.last ? values[at.below] : interpolate(values[at.below], values[at.below + 1], at.t));
    }
    return result;
}

std::vector<std::string> categories_of(const RunInfo& info, Extent extent) {
    switch (extent) {
        case Extent::year: return {""};
        case Extent::year_placement: return info.placements;
        case Extent::year_need: return info.needs;
    }
    return {""};
}

// ---------------------------------------------------------------------------
// Formatting helpers.

std::string shortest(double value) {  // round-trips exactly
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    std::string text = buffer;
    // "-0" and "-0.00" read as a sign that is not there.
    if (text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
    return text;
}

std::size_t display_width(const std::string& text) {  // UTF-8 code points
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad_left(const std::string& text, std::size_t width) {
    const std::size_t w = display_width(text);
    return w >= width ? text : std::string(width - w, ' ') + text;
}

std::string pad_right(const std::string& text, std::size_t width) {
    const std::size_t w = display_width(text);
    return w >= width ? text : text + std::string(width - w, ' ');
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (u < 0x20) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", u);
                    out += buffer;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

std::string json_number(double value) { return std::isfinite(value) ? shortest(value) : "null"; }

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string csv_number(double value) { return std::isnan(value) ? "" : shortest(value); }

std::string probability_key(double p) {
    // Built with += : GCC 12 warns falsely (-Wrestrict, bug 105329) on "literal" + std::string&&.
    std::string key = "p";
    key += std::to_string(std::lround(p * 100.0));
    return key;
}

// "stock_by_placement[mss]" -> metric index and category; -1 if unknown.
std::pair<int, std::string> parse_label(const std::string& label) {
    const auto open = label.find('[');
    if (open == std::string::npos) return {metric_index(label), ""};
    const std::string category = label.substr(open + 1, label.size() - open - 2);
    return {metric_index(label.substr(0, open)), category};
}

// ---------------------------------------------------------------------------
// The terminal table.

constexpr std::size_t table_width = 120;
// Index of probability p in summary_probabilities.
std::size_t probability_index(double p) {
    const auto& ps = summary_probabilities;
    const auto it = std::find_if(ps.begin(), ps.end(), [p](double q) { return std::fabs(q - p) < 1e-12; });
    assert(it != ps.end());
    return static_cast<std::size_t>(it - ps.begin());
}

bool in_table(int metric) {
    if (metric < 0) return false;
    const auto& info = metric_catalogue()[static_cast<std::size_t>(metric)];
    return info.extent == Extent::year || metric == m_stock_by_placement || metric == m_spend_by_placement;
}

struct TableRow {
    std::string label;
    const SeriesSummary* series = nullptr;  // null for a heading
    bool money = false;
};

std::string table_value(double value, bool money) {
    if (std::isnan(value)) return "-";
    return money ? fixed(value / 1e6, 2) : fixed(value, 0);
}

std::string table_range(double low, double high, bool money) {
    if (std::isnan(low) && std::isnan(high)) return "-";
    std::string range = "[";
    range += table_value(low, money);
    range += ", ";
    range += table_value(high, money);
    range += "]";
    return range;
}

std::string units_label(const MetricInfo& metric) { return metric.units == "GBP" ? "£m" : metric.units; }

void print_table(const Summary& summary, std::ostream& out) {
    const RunInfo& info = summary.info;
    const std::size_t median_index = probability_index(0.50);
    const std::size_t low_index = probability_index(0.05);
    const std::size_t high_index = probability_index(0.95);
    out << "Scenario: " << info.scenario_name << "\n"
        << "Mode: " << info.mode << "   replicates: " << info.replicates << "   seed: " << info.seed
        << "   engine: ehcpsim " << info.engine_version << "\n";
    // One replicate (deterministic mode, or -n 1): every quantile is the value
    // itself, so the range rows would only repeat it.
    const bool ranges = info.replicates > 1;
    out << (ranges ? "Each cell: the median over replicates, and below it the 5th to 95th percentile range.\n"
                   : "One replicate: each cell is its value.\n")
        << "Money in £m at each year's prices; \"-\" = no value (flows in the base year).\n";
    for (const VariantSummary& variant : summary.variants) {
        std::vector<TableRow> rows;
        int heading_for = -1;
        for (const SeriesSummary& series : variant.series) {
            const auto [metric, category] = parse_label(series.label);
            if (!in_table(metric)) continue;
            const MetricInfo& metric_info = metric_catalogue()[static_cast<std::size_t>(metric)];
            const bool money = metric_info.units == "GBP";
            const std::string title = metric_info.name + " (" + units_label(metric_info) + ")";
            if (category.empty()) {
                rows.push_back({title, &series, money});
                continue;
            }
            if (heading_for != metric) {
                rows.push_back({title, nullptr, money});
                heading_for = metric;
            }
            rows.push_back({"  " + category, &series, money});
        }

        std::size_t label_width = 0;
        std::size_t column_width = 5;
        for (const TableRow& row : rows) {
            label_width = std::max(label_width, display_width(row.label));
            if (row.series == nullptr) continue;
            for (std::size_t y = 0; y < info.years.size(); ++y) {
                const auto& q = row.series->quantiles;
                column_width = std::max({column_width, table_value(q[median_index][y], row.money).size(),
                                         table_range(q[low_index][y], q[high_index][y], row.money).size()});
            }
        }
        column_width += 1;  // the brackets of the ranges keep neighbouring cells apart
        label_width += 1;
        const std::size_t years = info.years.size();
        const std::size_t per_block =
            std::max<std::size_t>(1, (table_width > label_width ? table_width - label_width : 0) / column_width);

        out << "\n== " << variant.variant << " ==\n";
        for (std::size_t first = 0; first < years || (first == 0 && years == 0); first += per_block) {
            const std::size_t last = std::min(years, first + per_block);
            if (first > 0) out << "\n";
            out << pad_right("", label_width);
            for (std::size_t y = first; y < last; ++y) out << pad_left(std::to_string(info.years[y]), column_width);
            out << "\n";
            for (const TableRow& row : rows) {
                if (row.series == nullptr) {
                    out << row.label << "\n";
                    continue;
                }
                out << pad_right(row.label, label_width);
                const auto& q = row.series->quantiles;
                for (std::size_t y = first; y < last; ++y) out << pad_left(table_value(q[median_index][y], row.money), column_width);
                if (!ranges) {
                    out << "\n";
                    continue;
                }
                out << "\n" << pad_right("", label_width);
                for (std::size_t y = first; y < last; ++y) {
                    out << pad_left(table_range(q[low_index][y], q[high_index][y], row.money), column_width);
                }
                out << "\n";
            }
            if (years == 0) break;
        }
    }
}

void print_csv(const Summary& summary, std::ostream& out) {
    out << "variant,metric,year,mean";
    for (double p : summary_probabilities) out << ',' << probability_key(p);
    out << "\n";
    const auto& years = summary.info.years;
    for (const VariantSummary& variant : summary.variants) {
        for (const SeriesSummary& series : variant.series) {
            for (std::size_t y = 0; y < years.size() && y < series.mean.size(); ++y) {
                out << csv_field(variant.variant) << ',' << csv_field(series.label) << ',' << years[y] << ','
                    << csv_number(series.mean[y]);
                for (const auto& quantile : series.quantiles) out << ',' << csv_number(quantile[y]);
                out << "\n";
            }
        }
    }
}

void print_json_array(const std::vector<double>& values, std::ostream& out) {
    out << '[';
    for (std::size_t i = 0; i < values.size(); ++i) out << (i > 0 ? ", " : "") << json_number(values[i]);
    out << ']';
}

void print_json(const Summary& summary, std::ostream& out) {
    out << "{\n  \"variants\": {";
    for (std::size_t v = 0; v < summary.variants.size(); ++v) {
        const VariantSummary& variant = summary.variants[v];
        out << (v > 0 ? "," : "") << "\n    " << json_string(variant.variant) << ": {";
        for (std::size_t s = 0; s < variant.series.size(); ++s) {
            const SeriesSummary& series = variant.series[s];
            out << (s > 0 ? "," : "") << "\n      " << json_string(series.label) << ": {\"mean\": ";
            print_json_array(series.mean, out);
            for (std::size_t k = 0; k < series.quantiles.size() && k < summary_probabilities.size(); ++k) {
                out << ", " << json_string(probability_key(summary_probabilities[k])) << ": ";
                print_json_array(series.quantiles[k], out);
            }
            out << '}';
        }
        out << (variant.series.empty() ? "}" : "\n    }");
    }
    out << (summary.variants.empty() ? "}" : "\n  }") << ",\n  \"years\": [";
    for (std::size_t y = 0; y < summary.info.years.size(); ++y) out << (y > 0 ? ", " : "") << summary.info.years[y];
    out << "],\n  \"replicates\": " << summary.info.replicates << ",\n  \"seed\": " << summary.info.seed << "\n}\n";
}

}  // namespace

double quantile_sorted(const std::vector<double>& sorted, double p) {
    const std::vector<double>* values = &sorted;
    std::vector<double> without_nan;
    if (std::any_of(sorted.begin(), sorted.end(), [](double x) { return std::isnan(x); })) {
        std::copy_if(sorted.begin(), sorted.end(), std::back_inserter(without_nan), [](double x) { return !std::isnan(x); });
        values = &without_nan;
    }
    if (values->empty()) return nan_value;
    const Position at = position(values->size(), p);
    return at.last ? (*values)[at.below] : interpolate((*values)[at.below], (*values)[at.below + 1], at.t);
}

Summary summarise(const ResultReader& reader) {
    Summary summary;
    summary.info = reader.info();
    const RunInfo& info = summary.info;
    const auto replicates = static_cast<std::size_t>(std::max<std::int64_t>(0, info.replicates));
    const std::size_t years = info.years.size();
    std::vector<double> column;
    column.reserve(replicates);

    for (const std::string& variant : info.variants) {
        VariantSummary variant_summary{variant, {}};
        for (const MetricInfo& metric : metric_catalogue()) {
            // One metric in memory at a time: [replicate][year][category].
            const std::vector<double> values = reader.read_metric(variant, metric.name);
            const auto categories = categories_of(info, metric.extent);
            const std::size_t extra = metric.extent == Extent::year ? 1 : categories.size();
            for (std::size_t c = 0; c < categories.size(); ++c) {
                SeriesSummary series;
                series.label = metric.extent == Extent::year ? metric.name : metric.name + "[" + categories[c] + "]";
                series.mean.assign(years, nan_value);
                series.quantiles.assign(summary_probabilities.size(), std::vector<double>(years, nan_value));
                for (std::size_t y = 0; y < years; ++y) {
                    column.clear();
                    double sum = 0.0;  // in replicate order, so the mean does not depend on anything else
                    for (std::size_t r = 0; r < replicates; ++r) {
                        const double x = values[(r * years + y) * extra + c];
                        if (std::isnan(x)) continue;
                        sum += x;
                        column.push_back(x);
                    }
                    if (column.empty()) continue;
                    series.mean[y] = sum / static_cast<double>(column.size());
                    const auto q = quantiles_of(column, summary_probabilities);
                    for (std::size_t k = 0; k < q.size(); ++k) series.quantiles[k][y] = q[k];
                }
                variant_summary.series.push_back(std::move(series));
            }
        }
        summary.variants.push_back(std::move(variant_summary));
    }
    return summary;
}

void print_summary(const Summary& summary, SummaryFormat format, std::ostream& out) {
    switch (format) {
        case SummaryFormat::table: print_table(summary, out); break;
        case SummaryFormat::csv: print_csv(summary, out); break;
        case SummaryFormat::json: print_json(summary, out); break;
    }
}

}  // namespace ehcpsim
