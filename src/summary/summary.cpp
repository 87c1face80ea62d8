#include "ehcpsim/summary.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <utility>

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
        case Extent::year_phase: return info.phases;
        case Extent::year_placement_phase: {
            // "mss/primary", placement-major like the dataset.
            std::vector<std::string> categories;
            for (const std::string& placement : info.placements) {
                for (const std::string& phase : info.phases) categories.push_back(placement + "/" + phase);
            }
            return categories;
        }
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

std::string plain(double value) {  // round-trips exactly, never in exponent form
    char buffer[400];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
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

// ---------------------------------------------------------------------------
// DBV and exceedance.

// Mean of the values (no NaNs) summed in order; NaN if empty.
double mean_of(const std::vector<double>& values) {
    if (values.empty()) return nan_value;
    double sum = 0.0;
    for (double x : values) sum += x;
    return sum / static_cast<double>(values.size());
}

// Sum of squared deviations from the mean (two passes): the sample variance
// times n - 1.
double squared_deviations(const std::vector<double>& values) {
    const double mean = mean_of(values);
    double sum = 0.0;
    for (double x : values) sum += (x - mean) * (x - mean);
    return sum;
}

const std::vector<double> dbv_probabilities = {0.05, 0.50, 0.95};

const SeriesSummary* find_series(const VariantSummary& variant, const std::string& label) {
    for (const SeriesSummary& series : variant.series) {
        if (series.label == label) return &series;
    }
    return nullptr;
}

DbvSeries dbv_series(const ResultReader& reader, const VariantSummary& variant, const std::string& metric,
                     std::size_t years) {
    DbvSeries result;
    result.p5.assign(years, nan_value);
    result.p50.assign(years, nan_value);
    result.p95.assign(years, nan_value);
    if (const SeriesSummary* series = find_series(variant, metric)) {
        const auto& q = series->quantiles;
        const auto at = [&](double p) {
            for (std::size_t k = 0; k < summary_probabilities.size(); ++k) {
                if (std::fabs(summary_probabilities[k] - p) < 1e-12) return q[k];
            }
            return std::vector<double>(years, nan_value);
        };
        result.p5 = at(0.05);
        result.p50 = at(0.50);
        result.p95 = at(0.95);
    }
    result.deterministic = reader.read_expected(variant.variant, metric);
    if (result.deterministic.size() != years) result.deterministic.assign(years, nan_value);
    return result;
}

double last_or_nan(const std::vector<double>& values) { return values.empty() ? nan_value : values.back(); }

DbvSummary dbv_of(const ResultReader& reader, const Summary& summary,
                  const std::vector<std::vector<double>>& horizon_deficit) {
    const RunInfo& info = summary.info;
    const std::size_t n = info.variants.size();
    const std::size_t years = info.years.size();
    const auto level = [&](std::size_t v) { return v < info.levels.size() ? info.levels[v] : std::string("none"); };
    const auto compare_to = [&](std::size_t v) { return v < info.compare_to.size() ? info.compare_to[v] : std::string(); };

    DbvSummary dbv;
    dbv.horizon_year = years > 0 ? info.years.back() : 0;
    std::vector<double> expected_horizon(n, nan_value);
    for (std::size_t v = 0; v < n; ++v) {
        DbvTableEntry entry;
        entry.variant = info.variants[v];
        entry.level = level(v);
        entry.compare_to = compare_to(v);
        entry.spend = dbv_series(reader, summary.variants[v], metric_catalogue()[m_spend].name, years);
        entry.cumulative_deficit =
            dbv_series(reader, summary.variants[v], metric_catalogue()[m_cumulative_deficit].name, years);
        expected_horizon[v] = last_or_nan(entry.cumulative_deficit.deterministic);
        dbv.table.push_back(std::move(entry));
    }

    const auto index_of = [&](const std::string& name) {
        const auto it = std::find(info.variants.begin(), info.variants.end(), name);
        return it == info.variants.end() ? n : static_cast<std::size_t>(it - info.variants.begin());
    };
    for (std::size_t v = 0; v < n; ++v) {
        if (level(v) != "none" && index_of(compare_to(v)) == n) dbv.unmatched.push_back(info.variants[v]);
    }
    const auto compare = [&](std::size_t a, std::size_t b, const std::string& as_level) {
        Opportunity result = compare_deficits(horizon_deficit[a], horizon_deficit[b]);
        result.variant = info.variants[b];
        result.compare_to = info.variants[a];
        result.level = as_level;
        result.deterministic = expected_horizon[a] - expected_horizon[b];
        return result;
    };
    for (std::size_t u = 0; u < n; ++u) {
        DbvBound bound;
        bound.unmitigated = info.variants[u];
        std::size_t target = n, stretch = n;
        for (std::size_t v = 0; v < n; ++v) {
            if (level(v) == "none" || compare_to(v) != info.variants[u]) continue;
            bound.opportunities.push_back(compare(u, v, level(v)));
            if (level(v) == "target" && target == n) target = v;
            if (level(v) == "stretch" && stretch == n) stretch = v;
        }
        if (bound.opportunities.empty()) continue;
        if (target < n && stretch < n) bound.range = compare(target, stretch, "range");
        dbv.bounds.push_back(std::move(bound));
    }
    return dbv;
}

Exceedance exceedance_of(const Summary& summary, const std::vector<std::vector<double>>& horizon_deficit,
                         const std::vector<double>& thresholds) {
    Exceedance result;
    result.year = summary.info.years.empty() ? 0 : summary.info.years.back();
    result.thresholds = thresholds;
    for (const auto& column : horizon_deficit) {
        std::vector<double> probability;
        std::size_t count = 0;
        for (double x : column) count += !std::isnan(x);
        for (double threshold : thresholds) {
            std::size_t above = 0;
            for (double x : column) above += x > threshold;  // false for NaN
            probability.push_back(count == 0 ? nan_value
                                             : static_cast<double>(above) / static_cast<double>(count));
        }
        result.probability.push_back(std::move(probability));
    }
    return result;
}

// ---------------------------------------------------------------------------
// Place planning and the SCAP export.

constexpr double infinity = std::numeric_limits<double>::infinity();

// [replicate][year][placement] of a year_placement metric.
struct PlacementArray {
    const std::vector<double>& values;
    std::size_t years, placements;
    double at(std::size_t r, std::size_t y, std::size_t p) const { return values[(r * years + y) * placements + p]; }
};

// One category of a metric over replicates and years: values[(r * years + y)
// * width + offset]. A placement of a year_placement metric (width =
// placements, offset = p), or a placement and phase of a
// year_placement_phase metric (width = placements x phases, offset = p x
// phases + k).
struct Column {
    const std::vector<double>& values;
    std::size_t years, width, offset;
    double at(std::size_t r, std::size_t y) const { return values[(r * years + y) * width + offset]; }
};

// Unit cost of placement p in replicate r and year y: spend / stock where the
// stock is positive; NaN where the file does not give it.
double unit_cost(const PlacementArray& spend, const PlacementArray& stock, std::size_t r, std::size_t y,
                 std::size_t p) {
    const double n = stock.at(r, y, p);
    const double x = spend.at(r, y, p);
    if (!(n > 0) || !std::isfinite(x)) return nan_value;
    return x / n;
}

// The mean of the unit costs a placement has in a year over the replicates
// that give one: the stand-in for a replicate in which it has no pupils.
double mean_unit_cost(const PlacementArray& spend, const PlacementArray& stock, std::size_t replicates,
                      std::size_t y, std::size_t p) {
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t r = 0; r < replicates; ++r) {
        const double u = unit_cost(spend, stock, r, y, p);
        if (std::isnan(u)) continue;
        sum += u;
        ++n;
    }
    return n == 0 ? nan_value : sum / static_cast<double>(n);
}

// "mss", or "mss/primary" for an entry capping one phase.
std::string entry_name(const RunInfo& info, const RunInfo::CapacityEntry& entry) {
    std::string name = info.placements[static_cast<std::size_t>(entry.placement)];
    if (entry.phase >= 0) {
        name += '/';
        name += info.phases[static_cast<std::size_t>(entry.phase)];
    }
    return name;
}

// demand and overflow are the entry's own columns; the unit costs are the
// placements' (there is no spend by phase).
PlacePlanning plan_entry(const RunInfo& info, const RunInfo::CapacityEntry& entry, const Column& demand,
                         const Column& overflow, const PlacementArray& spend, const PlacementArray& stock) {
    const std::size_t years = info.years.size();
    const auto replicates = static_cast<std::size_t>(std::max<std::int64_t>(0, info.replicates));
    const auto p = static_cast<std::size_t>(entry.placement);
    const int to = entry.overflow;

    PlacePlanning plan;
    plan.name = entry_name(info, entry);
    plan.placement = info.placements[p];
    plan.phase = entry.phase >= 0 ? info.phases[static_cast<std::size_t>(entry.phase)] : std::string();
    plan.overflow_to = to >= 0 ? info.placements[static_cast<std::size_t>(to)] : std::string();
    plan.capacity = entry.places;
    plan.capacity.resize(years, infinity);
    plan.demand_mean.assign(years, nan_value);
    plan.demand.assign(summary_probabilities.size(), std::vector<double>(years, nan_value));
    plan.needed.assign(places_probabilities.size(), std::vector<double>(years, nan_value));
    plan.p_shortfall.assign(years, nan_value);
    plan.overflow_mean.assign(years, nan_value);
    plan.overflow_extra_spend.assign(years, nan_value);

    std::vector<double> probabilities = summary_probabilities;
    probabilities.insert(probabilities.end(), places_probabilities.begin(), places_probabilities.end());
    std::vector<double> column;
    column.reserve(replicates);
    for (std::size_t y = 0; y < years; ++y) {
        // Demand: mean, quantiles, places needed, P(demand > capacity).
        column.clear();
        double sum = 0.0;
        std::size_t short_of = 0;
        for (std::size_t r = 0; r < replicates; ++r) {
            const double x = demand.at(r, y);
            if (std::isnan(x)) continue;
            sum += x;
            short_of += x > plan.capacity[y];
            column.push_back(x);
        }
        if (!column.empty()) {
            const double n = static_cast<double>(column.size());
            plan.demand_mean[y] = sum / n;
            if (plan.capacity[y] < infinity) plan.p_shortfall[y] = static_cast<double>(short_of) / n;
            const auto q = quantiles_of(column, probabilities);
            for (std::size_t k = 0; k < summary_probabilities.size(); ++k) plan.demand[k][y] = q[k];
            for (std::size_t k = 0; k < places_probabilities.size(); ++k) {
                plan.needed[k][y] = places_needed(q[summary_probabilities.size() + k]);
            }
        }

        // Overflow and the extra spend it causes this year.
        double moved = 0.0, extra = 0.0;
        std::size_t n = 0;
        bool unknown = to < 0;
        double stand_in_from = nan_value, stand_in_to = nan_value;  // computed when first needed
        bool stand_ins = false;
        for (std::size_t r = 0; r < replicates; ++r) {
            const double o = overflow.at(r, y);
            if (std::isnan(o)) continue;
            ++n;
            moved += o;
            if (o == 0.0 || unknown) continue;
            const auto q = static_cast<std::size_t>(to);
            double from_cost = unit_cost(spend, stock, r, y, p);
            double to_cost = unit_cost(spend, stock, r, y, q);
            if ((std::isnan(from_cost) || std::isnan(to_cost)) && !stand_ins) {
                stand_in_from = mean_unit_cost(spend, stock, replicates, y, p);
                stand_in_to = mean_unit_cost(spend, stock, replicates, y, q);
                stand_ins = true;
            }
            if (std::isnan(from_cost)) from_cost = stand_in_from;
            if (std::isnan(to_cost)) to_cost = stand_in_to;
            if (std::isnan(from_cost) || std::isnan(to_cost)) {
                unknown = true;
                continue;
            }
            extra += o * (to_cost - from_cost);
        }
        if (n > 0) {
            plan.overflow_mean[y] = moved / static_cast<double>(n);
            if (!unknown || moved == 0.0) plan.overflow_extra_spend[y] = extra / static_cast<double>(n);
        }
        if (plan.p_shortfall[y] > 0.5) {
            if (!plan.first_year_shortfall_likely) plan.first_year_shortfall_likely = info.years[y];
            plan.shortfall_likely_years.push_back(info.years[y]);
        }
    }
    return plan;
}

bool limited(const RunInfo::CapacityEntry& entry) {
    return std::any_of(entry.places.begin(), entry.places.end(), [](double k) { return k < infinity; });
}

std::vector<VariantPlaces> places_of(const ResultReader& reader, const RunInfo& info) {
    std::vector<VariantPlaces> result;
    const std::size_t years = info.years.size();
    const std::size_t placements = info.placements.size();
    const std::size_t phases = info.phases.size();
    const auto& catalogue = metric_catalogue();
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        VariantPlaces places{info.variants[v], {}};
        std::vector<const RunInfo::CapacityEntry*> entries;
        if (v < info.capacity.size()) {
            for (const auto& entry : info.capacity[v]) {
                if (limited(entry)) entries.push_back(&entry);
            }
        }
        if (!entries.empty()) {
            const auto read = [&](int metric) { return reader.read_metric(info.variants[v], catalogue[metric].name); };
            const std::vector<double> demand = read(m_demand_by_placement);
            const std::vector<double> overflow = read(m_overflow_by_placement);
            const std::vector<double> spend = read(m_spend_by_placement);
            const std::vector<double> stock = read(m_stock_by_placement);
            // The split by phase only when some entry caps one phase.
            const bool by_phase = std::any_of(entries.begin(), entries.end(), [](const auto* e) { return e->phase >= 0; });
            const std::vector<double> phase_demand = by_phase ? read(m_demand_by_placement_phase) : std::vector<double>();
            const std::vector<double> phase_overflow =
                by_phase ? read(m_overflow_by_placement_phase) : std::vector<double>();
            const PlacementArray spend_array{spend, years, placements};
            const PlacementArray stock_array{stock, years, placements};
            for (const RunInfo::CapacityEntry* entry : entries) {
                const auto p = static_cast<std::size_t>(entry->placement);
                if (entry->phase < 0) {
                    places.entries.push_back(plan_entry(info, *entry, Column{demand, years, placements, p},
                                                        Column{overflow, years, placements, p}, spend_array,
                                                        stock_array));
                } else {
                    const std::size_t offset = p * phases + static_cast<std::size_t>(entry->phase);
                    places.entries.push_back(plan_entry(info, *entry,
                                                        Column{phase_demand, years, placements * phases, offset},
                                                        Column{phase_overflow, years, placements * phases, offset},
                                                        spend_array, stock_array));
                }
            }
        }
        result.push_back(std::move(places));
    }
    return result;
}

std::vector<ScapRow> scap_of(const ResultReader& reader, const RunInfo& info) {
    std::vector<ScapRow> rows;
    const std::size_t years = info.years.size();
    const std::size_t phases = info.phases.size();
    if (phases == 0) return rows;
    const auto replicates = static_cast<std::size_t>(std::max<std::int64_t>(0, info.replicates));
    std::vector<double> column;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::string& variant = info.variants[v];
        // A variant that counts no placement as specialist has no specialist
        // demand to report: its rows are empty, never a demand of 0.
        const bool none = v < info.specialist.size() && info.specialist[v].empty();
        const std::vector<double> values =
            none ? std::vector<double>() : reader.read_metric(variant, metric_catalogue()[m_specialist_demand_by_phase].name);
        for (std::size_t y = 0; y < years; ++y) {
            for (std::size_t k = 0; k < phases; ++k) {
                ScapRow row;
                row.variant = variant;
                row.year = info.years[y];
                row.phase = info.phases[k];
                column.clear();
                double sum = 0.0;
                for (std::size_t r = 0; r < replicates && !none; ++r) {
                    const double x = values[(r * years + y) * phases + k];
                    if (std::isnan(x)) continue;
                    sum += x;
                    column.push_back(x);
                }
                if (!column.empty()) {
                    row.mean = sum / static_cast<double>(column.size());
                    const auto q = quantiles_of(column, places_probabilities);
                    row.p50 = places_needed(q[0]);
                    row.p80 = places_needed(q[1]);
                    row.p95 = places_needed(q[2]);
                }
                rows.push_back(std::move(row));
            }
        }
    }
    return rows;
}

// ---------------------------------------------------------------------------
// What drives the spread, and the DSG deficit management plan export.

DriversSummary drivers_of(const ResultReader& reader, const RunInfo& info,
                          const std::vector<std::vector<double>>& horizon_deficit,
                          const std::vector<std::vector<double>>& horizon_spend) {
    DriversSummary drivers;
    drivers.year = info.years.empty() ? 0 : info.years.back();
    if (info.mode == "deterministic") {
        drivers.reason = "a deterministic projection has no spread to attribute";
        return drivers;
    }
    drivers.computed = true;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::vector<std::string> no_names;
        const std::vector<std::string>& names = v < info.parameter_names.size() ? info.parameter_names[v] : no_names;
        const std::vector<double> draws = names.empty() ? std::vector<double>() : reader.read_parameters(info.variants[v]);
        VariantDrivers entry;
        entry.variant = info.variants[v];
        const std::vector<double> none;
        const std::vector<double>& deficit = v < horizon_deficit.size() ? horizon_deficit[v] : none;
        const std::vector<double>& spend = v < horizon_spend.size() ? horizon_spend[v] : none;
        if (draws.size() != names.size() * deficit.size() || deficit.size() != spend.size()) {
            // Nothing recorded (no years, or no replicates): no fit.
            entry.cumulative_deficit.reason = entry.spend.reason = "no replicate has a value";
        } else {
            std::vector<DriverFit> fits = rank_regressions(draws, names, {deficit, spend});
            entry.cumulative_deficit = std::move(fits[0]);
            entry.spend = std::move(fits[1]);
        }
        drivers.variants.push_back(std::move(entry));
    }
    return drivers;
}

// Mean (summed in replicate order) and type-7 quantiles over the values that
// are not NaN, as in the per-series summaries.
void describe(const std::vector<double>& values, DsgRow& row) {
    std::vector<double> column;
    column.reserve(values.size());
    double sum = 0.0;
    for (double x : values) {
        if (std::isnan(x)) continue;
        sum += x;
        column.push_back(x);
    }
    row.quantiles.assign(summary_probabilities.size(), nan_value);
    if (column.empty()) return;
    row.mean = sum / static_cast<double>(column.size());
    row.quantiles = quantiles_of(column, summary_probabilities);
}

std::string financial_year_text(int year) {
    const int two = ((year % 100) + 100) % 100;
    std::string text = std::to_string(year - 1);
    text += '-';
    if (two < 10) text += '0';
    text += std::to_string(two);
    return text;
}

std::vector<DsgRow> dsg_of(const ResultReader& reader, const Summary& summary) {
    const RunInfo& info = summary.info;
    const std::size_t years = info.years.size();
    const auto replicates = static_cast<std::size_t>(std::max<std::int64_t>(0, info.replicates));
    const auto& catalogue = metric_catalogue();
    const std::string& in_year_name = catalogue[m_in_year_deficit].name;
    const std::string& cumulative_name = catalogue[m_cumulative_deficit].name;
    // A [replicate, year] metric, or its expected values, sized to fit (NaN where the file has none).
    const auto read = [&](const std::string& variant, const std::string& metric) {
        std::vector<double> values = reader.read_metric(variant, metric);
        if (values.size() != replicates * years) values.assign(replicates * years, nan_value);
        return values;
    };
    const auto expected = [&](const std::string& variant, const std::string& metric) {
        std::vector<double> values = reader.read_expected(variant, metric);
        if (values.size() != years) values.assign(years, nan_value);
        return values;
    };
    // -values in year y: a deficit as a position (0 - x, so a zero stays +0, not "-0").
    const auto negated = [&](const std::vector<double>& values, std::size_t y) {
        std::vector<double> column(replicates);
        for (std::size_t r = 0; r < replicates; ++r) column[r] = 0.0 - values[r * years + y];
        return column;
    };
    // a - b replicate by replicate in year y, NaN where either is NaN.
    const auto difference = [&](const std::vector<double>& a, const std::vector<double>& b, std::size_t y) {
        std::vector<double> column(replicates);
        for (std::size_t r = 0; r < replicates; ++r) {
            const double x = a[r * years + y], z = b[r * years + y];
            column[r] = std::isnan(x) || std::isnan(z) ? nan_value : x - z;
        }
        return column;
    };

    std::vector<DsgRow> rows;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::string& variant = info.variants[v];
        const std::string level = v < info.levels.size() ? info.levels[v] : std::string("none");
        const std::string compare_to = v < info.compare_to.size() ? info.compare_to[v] : std::string();
        const bool mitigated = level != "none";
        const VariantSummary& series = summary.variants[v];
        const SeriesSummary* spend = find_series(series, catalogue[m_spend].name);
        const SeriesSummary* funding = find_series(series, catalogue[m_funding].name);
        const std::vector<double> expected_spend = expected(variant, catalogue[m_spend].name);
        const std::vector<double> expected_funding = expected(variant, catalogue[m_funding].name);
        const std::vector<double> in_year = read(variant, in_year_name);
        const std::vector<double> cumulative = read(variant, cumulative_name);
        const std::vector<double> expected_in_year = expected(variant, in_year_name);
        const std::vector<double> expected_cumulative = expected(variant, cumulative_name);
        const bool matched =
            mitigated && std::find(info.variants.begin(), info.variants.end(), compare_to) != info.variants.end();
        std::vector<double> base_in_year, base_cumulative, base_expected_in_year, base_expected_cumulative;
        if (matched) {
            base_in_year = read(compare_to, in_year_name);
            base_cumulative = read(compare_to, cumulative_name);
            base_expected_in_year = expected(compare_to, in_year_name);
            base_expected_cumulative = expected(compare_to, cumulative_name);
        }
        for (std::size_t y = 0; y < years; ++y) {
            const auto row = [&](const std::string& line) {
                DsgRow r;
                r.variant = variant;
                r.level = level;
                r.compare_to = compare_to;
                r.year = info.years[y];
                r.line = line;
                r.quantiles.assign(summary_probabilities.size(), nan_value);
                return r;
            };
            const auto copied = [&](const std::string& line, const SeriesSummary* s, double deterministic) {
                DsgRow r = row(line);
                if (s != nullptr) {
                    r.mean = s->mean[y];
                    for (std::size_t k = 0; k < summary_probabilities.size(); ++k) r.quantiles[k] = s->quantiles[k][y];
                }
                r.deterministic = deterministic;
                rows.push_back(std::move(r));
            };
            const auto described = [&](const std::string& line, const std::vector<double>& column, double deterministic) {
                DsgRow r = row(line);
                describe(column, r);
                r.deterministic = deterministic;
                rows.push_back(std::move(r));
            };
            copied(dsg_lines[0], spend, expected_spend[y]);
            copied(dsg_lines[1], funding, expected_funding[y]);
            described(dsg_lines[2], negated(in_year, y), 0.0 - expected_in_year[y]);
            described(dsg_lines[3], negated(cumulative, y), 0.0 - expected_cumulative[y]);
            if (!mitigated) continue;
            if (matched) {
                described(dsg_lines[4], difference(base_in_year, in_year, y),
                          base_expected_in_year[y] - expected_in_year[y]);
                described(dsg_lines[5], difference(base_cumulative, cumulative, y),
                          base_expected_cumulative[y] - expected_cumulative[y]);
            } else {  // compared with a variant this file does not hold: unknown
                rows.push_back(row(dsg_lines[4]));
                rows.push_back(row(dsg_lines[5]));
            }
        }
    }
    return rows;
}

// ---------------------------------------------------------------------------
// DBV and exceedance printers.

std::string capitalised(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text;
}

std::string level_title(const std::string& level) { return level == "none" ? "Unmitigated" : capitalised(level); }

std::string millions(double value, int decimals) { return std::isnan(value) ? "-" : fixed(value / 1e6, decimals); }

std::string range_millions(double low, double high) {
    if (std::isnan(low) && std::isnan(high)) return "-";
    std::string range = "[";  // built with += (GCC 12's false -Wrestrict, see probability_key)
    range += millions(low, 1);
    range += ", ";
    range += millions(high, 1);
    range += "]";
    return range;
}

std::string factor_text(double value) {
    if (!std::isfinite(value)) return "-";
    return fixed(value, value < 10 ? 2 : value < 1000 ? 1 : 0);
}

std::string probability_text(double value) { return std::isnan(value) ? "-" : fixed(value, 3); }

std::string threshold_text(double pounds) {  // "£30m", "£500k", "£750", "-£2.5m"
    const double size = std::fabs(pounds);
    std::string text = pounds < 0 ? "-£" : "£";
    if (size >= 1e6) {
        text += plain(size / 1e6);
        text += "m";
    } else if (size >= 1e3) {
        text += plain(size / 1e3);
        text += "k";
    } else {
        text += plain(size);
    }
    return text;
}

// Rows of cells; the first `left` columns left-aligned, the others right-aligned.
void print_grid(const std::vector<std::vector<std::string>>& rows, std::size_t left, std::ostream& out) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (c > 0) line += "  ";
            line += c < left ? pad_right(row[c], widths[c]) : pad_left(row[c], widths[c]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << "\n";
    }
}

void print_dbv_headline(const Summary& summary, std::ostream& out) {
    const DbvSummary& dbv = summary.dbv;
    out << "\n== DBV headline: cumulative opportunity to " << dbv.horizon_year << " (£m) ==\n"
        << "Opportunity = unmitigated minus mitigated cumulative deficit at the end of " << dbv.horizon_year
        << ", replicate by replicate;\n"
        << "range = stretch minus target opportunity. \"deterministic\" = the expected-value projection.\n"
        << "sd = standard deviation of the opportunity over replicates.\n"
        << "var. reduction = (var A + var B) / var(A - B) over replicates (common random numbers "
        << (summary.info.common_random_numbers ? "on" : "off") << ").\n";
    if (summary.info.fixed_parameters)
        out << "Run with --fixed-parameters: every parameter at its mean, so the spread is the engine's own "
               "noise (MODEL.md section 7).\n";
    // No bound at all: either no variant has a level, or every variant with
    // one lacks its comparison variant in this file (run with --variants
    // naming only mitigated ones, say): say which, never the first for the second.
    if (dbv.bounds.empty() && dbv.unmatched.empty()) out << "No variant has an ambition level: no opportunity to report.\n";
    for (const std::string& variant : dbv.unmatched) {
        const auto entry = std::find_if(dbv.table.begin(), dbv.table.end(),
                                        [&](const DbvTableEntry& e) { return e.variant == variant; });
        const std::string level = entry == dbv.table.end() ? std::string() : entry->level;
        const std::string compare_to = entry == dbv.table.end() ? std::string() : entry->compare_to;
        out << variant << " (ambition level " << level << ") is compared with "
            << (compare_to.empty() ? std::string("no variant") : "'" + compare_to + "'")
            << ", which is not in this file: no opportunity. Run it with its comparison variant (--variants "
            << variant << (compare_to.empty() ? std::string() : "," + compare_to) << ").\n";
    }
    for (const DbvBound& bound : dbv.bounds) {
        out << "\nBound: " << bound.unmitigated << "\n";
        std::vector<std::vector<std::string>> rows = {
            {"", "variant", "mean", "sd", "p5", "p50", "p95", "deterministic", "var. reduction"}};
        const auto row = [&](const std::string& label, const Opportunity& o) {
            rows.push_back({label, o.variant, millions(o.statistics.mean, 2), millions(o.sd, 2),
                            millions(o.statistics.p5, 2),
                            millions(o.statistics.p50, 2), millions(o.statistics.p95, 2), millions(o.deterministic, 2),
                            factor_text(o.variance_reduction)});
        };
        for (const Opportunity& o : bound.opportunities) row("  " + level_title(o.level), o);
        if (bound.range) {
            Opportunity range = *bound.range;
            range.variant = range.variant + " - " + range.compare_to;
            row("  Range (stretch - target)", range);
        }
        print_grid(rows, 2, out);
    }
}

struct DbvRow {
    std::string label;
    const DbvSeries* series;
};

void print_dbv_block(const std::string& title, const std::vector<DbvRow>& rows, const RunInfo& info,
                     std::ostream& out) {
    const bool ranges = info.replicates > 1;
    std::size_t label_width = std::string("  deterministic").size();
    std::size_t column_width = 5;
    for (const DbvRow& row : rows) {
        label_width = std::max(label_width, display_width(row.label));
        for (std::size_t y = 0; y < info.years.size(); ++y) {
            const DbvSeries& s = *row.series;
            column_width = std::max({column_width, millions(s.p50[y], 1).size(), millions(s.deterministic[y], 1).size(),
                                     range_millions(s.p5[y], s.p95[y]).size()});
        }
    }
    column_width += 1;
    label_width += 1;
    const std::size_t years = info.years.size();
    const std::size_t per_block =
        std::max<std::size_t>(1, (table_width > label_width ? table_width - label_width : 0) / column_width);
    out << "\n== " << title << " ==\n";
    for (std::size_t first = 0; first < years; first += per_block) {
        const std::size_t last = std::min(years, first + per_block);
        if (first > 0) out << "\n";
        out << pad_right("", label_width);
        for (std::size_t y = first; y < last; ++y) out << pad_left(std::to_string(info.years[y]), column_width);
        out << "\n";
        for (const DbvRow& row : rows) {
            const DbvSeries& s = *row.series;
            out << pad_right(row.label, label_width);
            for (std::size_t y = first; y < last; ++y) out << pad_left(millions(s.p50[y], 1), column_width);
            out << "\n";
            if (ranges) {
                out << pad_right("  5-95%", label_width);
                for (std::size_t y = first; y < last; ++y) out << pad_left(range_millions(s.p5[y], s.p95[y]), column_width);
                out << "\n";
            }
            out << pad_right("  deterministic", label_width);
            for (std::size_t y = first; y < last; ++y) out << pad_left(millions(s.deterministic[y], 1), column_width);
            out << "\n";
        }
    }
}

// Rows like the DBV template's: the unmitigated variant's expenditure and
// cumulative deficit, then the mitigated variants' expenditures, then their
// cumulative deficits. A label shared by two variants names them.
std::vector<DbvRow> dbv_rows(const std::vector<const DbvTableEntry*>& entries, bool name_all) {
    std::vector<std::string> titles;
    for (const DbvTableEntry* e : entries) titles.push_back(name_all ? e->variant : level_title(e->level));
    std::vector<DbvRow> rows;
    const auto add = [&](std::size_t i, bool spend) {
        std::string label = titles[i] + (spend ? " Expenditure" : " Cumulative Deficit");
        if (!name_all && std::count(titles.begin(), titles.end(), titles[i]) > 1) label += " (" + entries[i]->variant + ")";
        rows.push_back({label, spend ? &entries[i]->spend : &entries[i]->cumulative_deficit});
    };
    if (!entries.empty() && !name_all) {
        add(0, true);
        add(0, false);
        for (std::size_t i = 1; i < entries.size(); ++i) add(i, true);
        for (std::size_t i = 1; i < entries.size(); ++i) add(i, false);
        return rows;
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
        add(i, true);
        add(i, false);
    }
    return rows;
}

void print_dbv_table(const Summary& summary, std::ostream& out) {
    const DbvSummary& dbv = summary.dbv;
    out << "\nDBV table: in-year expenditure and cumulative deficit, £m: median, "
        << (summary.info.replicates > 1 ? "5-95% range, " : "") << "deterministic projection.\n";
    const auto entry = [&](const std::string& variant) -> const DbvTableEntry* {
        for (const DbvTableEntry& e : dbv.table) {
            if (e.variant == variant) return &e;
        }
        return nullptr;
    };
    std::vector<std::string> shown;
    for (const DbvBound& bound : dbv.bounds) {
        std::vector<const DbvTableEntry*> entries = {entry(bound.unmitigated)};
        std::string title = "DBV table: " + bound.unmitigated;
        for (const Opportunity& o : bound.opportunities) {
            entries.push_back(entry(o.variant));
            title += "; " + o.level + " " + o.variant;
        }
        for (const DbvTableEntry* e : entries) shown.push_back(e->variant);
        print_dbv_block(title, dbv_rows(entries, false), summary.info, out);
    }
    std::vector<const DbvTableEntry*> others;
    for (const DbvTableEntry& e : dbv.table) {
        if (std::find(shown.begin(), shown.end(), e.variant) == shown.end()) others.push_back(&e);
    }
    if (!others.empty()) {
        print_dbv_block(dbv.bounds.empty() ? "DBV table" : "DBV table: other variants", dbv_rows(others, true),
                        summary.info, out);
    }
}

void print_run_heading(const RunInfo& info, std::ostream& out) {
    out << "Scenario: " << info.scenario_name << "\n"
        << "Mode: " << info.mode << "   replicates: " << info.replicates << "   seed: " << info.seed
        << "   engine: ehcpsim " << info.engine_version << "\n";
}

void print_exceedance_table(const Summary& summary, std::ostream& out) {
    const Exceedance& e = summary.exceedance;
    out << "\n== P(cumulative deficit at the end of " << e.year << " > X), fraction of replicates ==\n";
    std::vector<std::vector<std::string>> rows = {{"variant"}};
    for (double x : e.thresholds) rows[0].push_back("> " + threshold_text(x));
    for (std::size_t v = 0; v < e.probability.size() && v < summary.info.variants.size(); ++v) {
        rows.push_back({summary.info.variants[v]});
        for (double p : e.probability[v]) rows.back().push_back(probability_text(p));
    }
    print_grid(rows, 1, out);
}

void print_dbv_csv(const Summary& summary, std::ostream& out) {
    out << "bound,variant,compare_to,level,mean,p5,p50,p95,deterministic,variance_reduction\n";
    const auto row = [&](const std::string& bound, const Opportunity& o) {
        out << csv_field(bound) << ',' << csv_field(o.variant) << ',' << csv_field(o.compare_to) << ','
            << csv_field(o.level) << ',' << csv_number(o.statistics.mean) << ',' << csv_number(o.statistics.p5) << ','
            << csv_number(o.statistics.p50) << ',' << csv_number(o.statistics.p95) << ','
            << csv_number(o.deterministic) << ','
            << (std::isfinite(o.variance_reduction) ? shortest(o.variance_reduction) : "") << "\n";
    };
    for (const DbvBound& bound : summary.dbv.bounds) {
        for (const Opportunity& o : bound.opportunities) row(bound.unmitigated, o);
        if (bound.range) row(bound.unmitigated, *bound.range);
    }
}

void print_exceedance_csv(const Summary& summary, std::ostream& out) {
    const Exceedance& e = summary.exceedance;
    out << "variant,year,threshold,probability\n";
    for (std::size_t v = 0; v < e.probability.size() && v < summary.info.variants.size(); ++v) {
        for (std::size_t k = 0; k < e.thresholds.size(); ++k) {
            out << csv_field(summary.info.variants[v]) << ',' << e.year << ',' << plain(e.thresholds[k]) << ','
                << csv_number(e.probability[v][k]) << "\n";
        }
    }
}

void print_json_statistics(const Opportunity& o, std::ostream& out) {
    out << "\"mean\": " << json_number(o.statistics.mean) << ", \"p5\": " << json_number(o.statistics.p5)
        << ", \"p50\": " << json_number(o.statistics.p50) << ", \"p95\": " << json_number(o.statistics.p95)
        << ", \"deterministic\": " << json_number(o.deterministic)
        << ", \"variance_reduction\": " << json_number(o.variance_reduction);
}

void print_json_dbv_series(const DbvSeries& s, std::ostream& out) {
    out << "{\"p50\": ";
    print_json_array(s.p50, out);
    out << ", \"p5\": ";
    print_json_array(s.p5, out);
    out << ", \"p95\": ";
    print_json_array(s.p95, out);
    out << ", \"deterministic\": ";
    print_json_array(s.deterministic, out);
    out << '}';
}

void print_json_dbv(const Summary& summary, std::ostream& out) {
    const DbvSummary& dbv = summary.dbv;
    out << "  \"dbv\": {\n    \"horizon\": " << dbv.horizon_year
        << ",\n    \"common_random_numbers\": " << (summary.info.common_random_numbers ? "true" : "false")
        << ",\n    \"bounds\": {";
    for (std::size_t b = 0; b < dbv.bounds.size(); ++b) {
        const DbvBound& bound = dbv.bounds[b];
        out << (b > 0 ? "," : "") << "\n      " << json_string(bound.unmitigated) << ": {\n        \"opportunity\": {";
        for (std::size_t i = 0; i < bound.opportunities.size(); ++i) {
            const Opportunity& o = bound.opportunities[i];
            out << (i > 0 ? "," : "") << "\n          " << json_string(o.variant) << ": {\"level\": "
                << json_string(o.level) << ", ";
            print_json_statistics(o, out);
            out << '}';
        }
        out << "\n        },\n        \"range\": ";
        if (bound.range) {
            out << "{\"target\": " << json_string(bound.range->compare_to)
                << ", \"stretch\": " << json_string(bound.range->variant) << ", ";
            print_json_statistics(*bound.range, out);
            out << '}';
        } else {
            out << "null";
        }
        out << "\n      }";
    }
    out << (dbv.bounds.empty() ? "}" : "\n    }") << ",\n    \"unmatched\": [";
    for (std::size_t i = 0; i < dbv.unmatched.size(); ++i) out << (i > 0 ? ", " : "") << json_string(dbv.unmatched[i]);
    out << "],\n    \"table\": {";
    for (std::size_t v = 0; v < dbv.table.size(); ++v) {
        const DbvTableEntry& e = dbv.table[v];
        out << (v > 0 ? "," : "") << "\n      " << json_string(e.variant) << ": {\"level\": " << json_string(e.level)
            << ", \"compare_to\": " << (e.compare_to.empty() ? "null" : json_string(e.compare_to))
            << ",\n        \"spend\": ";
        print_json_dbv_series(e.spend, out);
        out << ",\n        \"cumulative_deficit\": ";
        print_json_dbv_series(e.cumulative_deficit, out);
        out << '}';
    }
    out << (dbv.table.empty() ? "}" : "\n    }") << "\n  }";
}

void print_json_exceedance(const Summary& summary, std::ostream& out) {
    const Exceedance& e = summary.exceedance;
    out << "  \"exceedance\": {\"year\": " << e.year << ", \"thresholds\": [";
    for (std::size_t k = 0; k < e.thresholds.size(); ++k) out << (k > 0 ? ", " : "") << (std::isfinite(e.thresholds[k]) ? plain(e.thresholds[k]) : "null");
    out << ']';
    out << ", \"probability\": {";
    for (std::size_t v = 0; v < e.probability.size() && v < summary.info.variants.size(); ++v) {
        out << (v > 0 ? ", " : "") << json_string(summary.info.variants[v]) << ": ";
        print_json_array(e.probability[v], out);
    }
    out << "}}";
}

// ---------------------------------------------------------------------------
// Place-planning and SCAP printers.

// A block of rows over the years, wrapped to the table width: a label, then
// one right-aligned cell per year.
struct YearRow {
    std::string label;
    std::vector<std::string> cells;
};

void print_year_rows(const std::vector<YearRow>& rows, const std::vector<int>& years, std::ostream& out) {
    std::size_t label_width = 0;
    std::size_t column_width = 5;
    for (const YearRow& row : rows) {
        label_width = std::max(label_width, display_width(row.label));
        for (const std::string& cell : row.cells) column_width = std::max(column_width, display_width(cell));
    }
    column_width += 1;
    label_width += 1;
    const std::size_t per_block =
        std::max<std::size_t>(1, (table_width > label_width ? table_width - label_width : 0) / column_width);
    for (std::size_t first = 0; first < years.size(); first += per_block) {
        const std::size_t last = std::min(years.size(), first + per_block);
        if (first > 0) out << "\n";
        out << pad_right("", label_width);
        for (std::size_t y = first; y < last; ++y) out << pad_left(std::to_string(years[y]), column_width);
        out << "\n";
        for (const YearRow& row : rows) {
            out << pad_right(row.label, label_width);
            for (std::size_t y = first; y < last && y < row.cells.size(); ++y) out << pad_left(row.cells[y], column_width);
            out << "\n";
        }
    }
}

// The years of a likely shortfall as a reader would say them: "in 2025
// only", "in 2024-2026", "in 2024-2025 and 2028"; runs of consecutive years
// as ranges. Never "from" a year: a shortfall may end.
std::string shortfall_years_text(const std::vector<int>& years) {
    if (years.empty()) return "no year with a likely shortfall (P > 50%)";
    std::vector<std::string> runs;
    for (std::size_t i = 0; i < years.size();) {
        std::size_t j = i;
        while (j + 1 < years.size() && years[j + 1] == years[j] + 1) ++j;
        runs.push_back(j == i ? std::to_string(years[i]) : std::to_string(years[i]) + "-" + std::to_string(years[j]));
        i = j + 1;
    }
    std::string text = "shortfall likely (P > 50%) in ";
    for (std::size_t k = 0; k < runs.size(); ++k) {
        if (k > 0) text += k + 1 == runs.size() ? " and " : ", ";
        text += runs[k];
    }
    if (years.size() == 1) text += " only";
    return text;
}

std::string plans_text(double value, int decimals) { return std::isnan(value) ? "-" : fixed(value, decimals); }

void print_places_table(const Summary& summary, std::ostream& out) {
    const RunInfo& info = summary.info;
    const std::size_t years = info.years.size();
    const bool ranges = info.replicates > 1;
    const std::size_t median = probability_index(0.50);
    const std::size_t low = probability_index(0.05);
    const std::size_t high = probability_index(0.95);
    out << "\n== Place planning: capacity limits ==\n"
        << "One block per capacity: a placement, or one phase of it (placement/phase). Demand = plans wanting it\n"
        << "(for a phase, pupils of that phase's ages) had it never been full: pupils moved on by overflow in\n"
        << "earlier years still count. Places for N% = the Nth percentile of demand, rounded up. Overflow =\n"
        << "arrivals moved to the overflow placement in that year; extra spend = their mean extra cost that year,\n"
        << "£m (see docs/output.md). \"none\" = no limit that year.\n";
    if (!summary.has_capacity()) out << "No variant has a capacity limit.\n";
    for (const VariantPlaces& variant : summary.places) {
        for (const PlacePlanning& plan : variant.entries) {
            out << "\n" << variant.variant << ": " << plan.name
                << (plan.overflow_to.empty() ? std::string(" (no overflow placement)")
                                             : " (overflow to " + plan.overflow_to + ")")
                << "; " << shortfall_years_text(plan.shortfall_likely_years) << "\n";
            std::vector<YearRow> rows;
            const auto row = [&](const std::string& label, const auto& cell) {
                YearRow r{label, {}};
                for (std::size_t y = 0; y < years; ++y) r.cells.push_back(cell(y));
                rows.push_back(std::move(r));
            };
            row("  capacity", [&](std::size_t y) {
                return plan.capacity[y] < infinity ? fixed(plan.capacity[y], 0) : std::string("none");
            });
            row("  demand: mean", [&](std::size_t y) { return plans_text(plan.demand_mean[y], 1); });
            row("  demand: median", [&](std::size_t y) { return plans_text(plan.demand[median][y], 0); });
            if (ranges) {
                row("  demand: 5-95%", [&](std::size_t y) {
                    return table_range(plan.demand[low][y], plan.demand[high][y], false);
                });
            }
            for (std::size_t k = 0; k < places_probabilities.size(); ++k) {
                row("  places for " + std::to_string(std::lround(places_probabilities[k] * 100)) + "%",
                    [&](std::size_t y) { return plans_text(plan.needed[k][y], 0); });
            }
            row("  P(demand > capacity)", [&](std::size_t y) { return probability_text(plan.p_shortfall[y]); });
            row("  overflow: mean", [&](std::size_t y) { return plans_text(plan.overflow_mean[y], 1); });
            row("  extra spend: mean £m", [&](std::size_t y) { return millions(plan.overflow_extra_spend[y], 2); });
            print_year_rows(rows, info.years, out);
        }
    }
}

std::string csv_capacity(double value) { return value < infinity ? csv_number(value) : std::string(); }

void print_places_csv(const Summary& summary, std::ostream& out) {
    out << "variant,placement,phase,overflow_to,year,capacity,demand_mean";
    for (double p : summary_probabilities) out << ",demand_" << probability_key(p);
    for (double p : places_probabilities) out << ",needed_" << probability_key(p);
    out << ",p_shortfall,overflow_mean,overflow_extra_spend,first_year_shortfall_likely\n";
    for (const VariantPlaces& variant : summary.places) {
        for (const PlacePlanning& plan : variant.entries) {
            const std::string first =
                plan.first_year_shortfall_likely ? std::to_string(*plan.first_year_shortfall_likely) : std::string();
            for (std::size_t y = 0; y < summary.info.years.size(); ++y) {
                out << csv_field(variant.variant) << ',' << csv_field(plan.placement) << ','
                    << csv_field(plan.phase) << ',' << csv_field(plan.overflow_to) << ',' << summary.info.years[y] << ','
                    << csv_capacity(plan.capacity[y]) << ',' << csv_number(plan.demand_mean[y]);
                for (const auto& q : plan.demand) out << ',' << csv_number(q[y]);
                for (const auto& n : plan.needed) out << ',' << csv_number(n[y]);
                out << ',' << csv_number(plan.p_shortfall[y]) << ',' << csv_number(plan.overflow_mean[y]) << ','
                    << csv_number(plan.overflow_extra_spend[y]) << ',' << first << "\n";
            }
        }
    }
}

void print_scap_csv(const Summary& summary, std::ostream& out) {
    out << "variant,year,phase,mean,p50,p80,p95\n";
    for (const ScapRow& row : summary.scap) {
        out << csv_field(row.variant) << ',' << row.year << ',' << csv_field(row.phase) << ',' << csv_number(row.mean)
            << ',' << csv_number(row.p50) << ',' << csv_number(row.p80) << ',' << csv_number(row.p95) << "\n";
    }
}

// ---------------------------------------------------------------------------
// What-drives-the-spread and DSG printers.

constexpr std::size_t drivers_shown = 10;  // per variant and outcome, in the table

struct DriverOutcome {
    const char* key;  // "cumulative_deficit", "spend": the JSON key and the CSV's output
    const DriverFit VariantDrivers::*fit;
};
constexpr DriverOutcome driver_outcomes[] = {{"cumulative_deficit", &VariantDrivers::cumulative_deficit},
                                             {"spend", &VariantDrivers::spend}};

std::string signed_fixed(double value, int decimals) {
    std::string text = fixed(value, decimals);
    if (text[0] != '-' && text.find_first_not_of("0.") != std::string::npos) text.insert(0, "+");
    return text;
}

void print_drivers_table(const Summary& summary, std::ostream& out) {
    const DriversSummary& drivers = summary.drivers;
    out << "\n== What drives the spread: " << drivers_method << " ==\n";
    if (!drivers.computed) {
        out << "No drivers: " << drivers.reason << ".\n";
        return;
    }
    out << "Each outcome's ranks over replicates regressed on the ranks of the parameter draws. SRRC: the change in\n"
        << "the outcome, in standard deviations of its rank, per standard deviation of the parameter's rank (sign =\n"
        << "direction). share = SRRC^2, the share of the outcome's rank variance the parameter explains (the\n"
        << "parameters are drawn independently). R2: what they explain together; the rest, 1 - R2, is the year-to-\n"
        << "year shocks and the chance in the flows, which the file does not record per replicate. Top "
        << drivers_shown << " shown.\n";
    for (const VariantDrivers& variant : drivers.variants) {
        for (const DriverOutcome& outcome : driver_outcomes) {
            const DriverFit& fit = variant.*outcome.fit;
            const std::string what = std::string(outcome.key) == "spend"
                                         ? "spend in " + std::to_string(drivers.year)
                                         : "cumulative deficit at the end of " + std::to_string(drivers.year);
            out << "\n" << variant.variant << ": " << what;
            if (!fit.ok()) {
                out << ": no drivers (" << fit.reason << ")\n";
                continue;
            }
            out << " (" << fit.replicates << " replicates, R2 = " << fixed(fit.r2, 3) << ")\n";
            std::vector<std::vector<std::string>> rows = {{"  rank", "parameter", "SRRC", "share"}};
            for (std::size_t i = 0; i < fit.parameters.size() && i < drivers_shown; ++i) {
                const Driver& d = fit.parameters[i];
                rows.push_back({"  " + pad_left(std::to_string(i + 1), 4), d.name, signed_fixed(d.srrc, 3), fixed(d.share, 3)});
            }
            print_grid(rows, 2, out);
            if (fit.parameters.size() > drivers_shown) {
                double rest = 0.0;
                for (std::size_t i = drivers_shown; i < fit.parameters.size(); ++i) rest += fit.parameters[i].share;
                out << "  ... " << fit.parameters.size() - drivers_shown << " more, share " << fixed(rest, 3)
                    << " together\n";
            }
            const auto list = [&](const std::vector<std::string>& names, const char* why) {
                if (names.empty()) return;
                out << "  " << why << ": ";
                for (std::size_t i = 0; i < names.size(); ++i) out << (i > 0 ? ", " : "") << names[i];
                out << "\n";
            };
            list(fit.constant, "left out, the same in every replicate");
            list(fit.aliased, "left out, determined by the other draws");
        }
    }
}

void print_drivers_csv(const Summary& summary, std::ostream& out) {
    out << "variant,output,year,rank,parameter,srrc,share,r2\n";
    for (const VariantDrivers& variant : summary.drivers.variants) {
        for (const DriverOutcome& outcome : driver_outcomes) {
            const DriverFit& fit = variant.*outcome.fit;
            for (std::size_t i = 0; i < fit.parameters.size(); ++i) {
                const Driver& d = fit.parameters[i];
                out << csv_field(variant.variant) << ',' << outcome.key << ',' << summary.drivers.year << ',' << i + 1
                    << ',' << csv_field(d.name) << ',' << csv_number(d.srrc) << ',' << csv_number(d.share) << ','
                    << csv_number(fit.r2) << "\n";
            }
        }
    }
}

void print_json_drivers(const Summary& summary, std::ostream& out) {
    const DriversSummary& drivers = summary.drivers;
    if (!drivers.computed) {
        out << "  \"drivers\": null";
        return;
    }
    out << "  \"drivers\": {\n    \"method\": " << json_string(drivers_method) << ",\n    \"variants\": {";
    for (std::size_t v = 0; v < drivers.variants.size(); ++v) {
        const VariantDrivers& variant = drivers.variants[v];
        out << (v > 0 ? "," : "") << "\n      " << json_string(variant.variant) << ": {";
        std::vector<std::string> reasons;
        for (std::size_t k = 0; k < std::size(driver_outcomes); ++k) {
            const DriverOutcome& outcome = driver_outcomes[k];
            const DriverFit& fit = variant.*outcome.fit;
            out << (k > 0 ? "," : "") << "\n        " << json_string(outcome.key) << ": ";
            if (!fit.ok()) {
                out << "null";
                reasons.push_back(std::string(outcome.key) + ": " + fit.reason);
                continue;
            }
            out << "{\"year\": " << drivers.year << ", \"replicates\": " << fit.replicates
                << ", \"r2\": " << json_number(fit.r2) << ",\n          \"parameters\": [";
            for (std::size_t i = 0; i < fit.parameters.size(); ++i) {
                const Driver& d = fit.parameters[i];
                out << (i > 0 ? "," : "") << "\n            {\"name\": " << json_string(d.name)
                    << ", \"srrc\": " << json_number(d.srrc) << ", \"share\": " << json_number(d.share) << '}';
            }
            out << (fit.parameters.empty() ? "]}" : "\n          ]}");
        }
        if (!reasons.empty()) {
            // One reason when both outcomes have none for the same reason.
            const DriverFit& a = variant.cumulative_deficit;
            const DriverFit& b = variant.spend;
            std::string reason;
            if (!a.ok() && !b.ok() && a.reason == b.reason) {
                reason = a.reason;
            } else {
                for (std::size_t i = 0; i < reasons.size(); ++i) reason += (i > 0 ? "; " : "") + reasons[i];
            }
            out << ",\n        \"reason\": " << json_string(reason);
        }
        out << "\n      }";
    }
    out << (drivers.variants.empty() ? "}" : "\n    }") << "\n  }";
}

void print_dsg_csv(const Summary& summary, std::ostream& out) {
    out << "variant,level,compare_to,financial_year,year,line,mean";
    for (double p : summary_probabilities) out << ',' << probability_key(p);
    out << ",deterministic\n";
    for (const DsgRow& row : summary.dsg) {
        out << csv_field(row.variant) << ',' << csv_field(row.level) << ',' << csv_field(row.compare_to) << ','
            << financial_year_text(row.year) << ',' << row.year << ',' << row.line << ',' << csv_number(row.mean);
        for (double q : row.quantiles) out << ',' << csv_number(q);
        out << ',' << csv_number(row.deterministic) << "\n";
    }
}

void print_json_places(const Summary& summary, std::ostream& out) {
    out << "  \"places\": {";
    for (std::size_t v = 0; v < summary.places.size(); ++v) {
        const VariantPlaces& variant = summary.places[v];
        out << (v > 0 ? "," : "") << "\n    " << json_string(variant.variant) << ": {";
        for (std::size_t i = 0; i < variant.entries.size(); ++i) {
            const PlacePlanning& plan = variant.entries[i];
            out << (i > 0 ? "," : "") << "\n      " << json_string(plan.name) << ": {\"capacity\": ";
            print_json_array(plan.capacity, out);
            out << ",\n        \"demand\": {\"mean\": ";
            print_json_array(plan.demand_mean, out);
            for (std::size_t k = 0; k < summary_probabilities.size(); ++k) {
                out << ", " << json_string(probability_key(summary_probabilities[k])) << ": ";
                print_json_array(plan.demand[k], out);
            }
            out << "},\n        \"needed\": {";
            for (std::size_t k = 0; k < places_probabilities.size(); ++k) {
                out << (k > 0 ? ", " : "") << json_string(probability_key(places_probabilities[k])) << ": ";
                print_json_array(plan.needed[k], out);
            }
            out << "},\n        \"p_shortfall\": ";
            print_json_array(plan.p_shortfall, out);
            out << ", \"overflow_mean\": ";
            print_json_array(plan.overflow_mean, out);
            out << ", \"overflow_extra_spend\": ";
            print_json_array(plan.overflow_extra_spend, out);
            out << ",\n        \"first_year_shortfall_likely\": "
                << (plan.first_year_shortfall_likely ? std::to_string(*plan.first_year_shortfall_likely)
                                                     : std::string("null"))
                << ", \"shortfall_likely_years\": [";
            for (std::size_t k = 0; k < plan.shortfall_likely_years.size(); ++k)
                out << (k > 0 ? ", " : "") << plan.shortfall_likely_years[k];
            out << "],\n        \"placement\": " << json_string(plan.placement)
                << ", \"phase\": " << (plan.phase.empty() ? "null" : json_string(plan.phase))
                << ", \"overflow_to\": " << (plan.overflow_to.empty() ? "null" : json_string(plan.overflow_to)) << '}';
        }
        out << (variant.entries.empty() ? "}" : "\n    }");
    }
    out << (summary.places.empty() ? "}" : "\n  }");
}

void print_json(const Summary& summary, bool dbv, bool places, bool drivers, std::ostream& out) {
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
    out << "],\n  \"replicates\": " << summary.info.replicates << ",\n  \"seed\": " << summary.info.seed;
    if (dbv || summary.has_levels()) {
        out << ",\n";
        print_json_dbv(summary, out);
    }
    if (!summary.exceedance.thresholds.empty()) {
        out << ",\n";
        print_json_exceedance(summary, out);
    }
    if (places || summary.has_capacity()) {
        out << ",\n";
        print_json_places(summary, out);
    }
    if (drivers || summary.drivers.computed) {
        out << ",\n";
        print_json_drivers(summary, out);
    }
    out << "\n}\n";
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

std::string financial_year(int year) { return financial_year_text(year); }

bool Summary::has_levels() const {
    return std::any_of(info.levels.begin(), info.levels.end(), [](const std::string& l) { return l != "none"; });
}

bool Summary::has_capacity() const {
    return std::any_of(places.begin(), places.end(), [](const VariantPlaces& v) { return !v.entries.empty(); });
}

double places_needed(double quantile) {
    if (std::isnan(quantile)) return nan_value;
    const double whole = std::round(quantile);
    return std::fabs(quantile - whole) <= 1e-9 ? whole : std::ceil(quantile);
}

Opportunity compare_deficits(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> as, bs, difference;
    for (std::size_t r = 0; r < std::min(a.size(), b.size()); ++r) {
        if (std::isnan(a[r]) || std::isnan(b[r])) continue;
        as.push_back(a[r]);
        bs.push_back(b[r]);
        difference.push_back(a[r] - b[r]);
    }
    Opportunity result;
    if (difference.empty()) return result;
    result.statistics.mean = mean_of(difference);
    // The sample variances' common 1 / (n - 1) cancels in the ratio.
    const double variance = squared_deviations(difference);
    if (difference.size() >= 2)
        result.sd = std::sqrt(variance / static_cast<double>(difference.size() - 1));
    if (difference.size() >= 2 && variance > 0.0) {
        const double factor = (squared_deviations(as) + squared_deviations(bs)) / variance;
        if (std::isfinite(factor)) result.variance_reduction = factor;
    }
    const auto q = quantiles_of(difference, dbv_probabilities);  // reorders difference
    result.statistics.p5 = q[0];
    result.statistics.p50 = q[1];
    result.statistics.p95 = q[2];
    return result;
}

std::optional<double> parse_amount(std::string_view text) {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && blank(text.back())) text.remove_suffix(1);
    bool negative = false;
    bool signed_already = false;
    const auto take_sign = [&] {
        if (signed_already || text.empty() || (text.front() != '-' && text.front() != '+')) return;
        negative = text.front() == '-';
        signed_already = true;
        text.remove_prefix(1);
    };
    take_sign();
    if (text.substr(0, 2) == "\xC2\xA3") text.remove_prefix(2);  // £
    take_sign();
    if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text.front())) || text.front() == '.')) {
        return std::nullopt;
    }
    std::size_t end = 0;  // the number: digits, '.', and an exponent
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
    bool exponent = false;
    if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
        std::size_t e = end + 1;
        if (e < text.size() && (text[e] == '+' || text[e] == '-')) ++e;
        if (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]))) {
            while (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]))) ++e;
            end = e;
            exponent = true;
        }
    }
    std::string suffix(text.substr(end));
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    int power = 0;
    if (suffix == "k") {
        power = 3;
    } else if (suffix == "m") {
        power = 6;
    } else if (suffix == "bn" || suffix == "b") {
        power = 9;
    } else if (!suffix.empty()) {
        return std::nullopt;
    }
    // "1.3m" is read as "1.3e6", so the amount is the double nearest the
    // decimal value rather than 1.3 * 1e6 rounded twice.
    std::string number(text.substr(0, end));
    double scale = 1.0;
    if (power > 0 && !exponent) {
        number += 'e';
        number += std::to_string(power);
    } else if (power > 0) {
        scale = std::pow(10.0, power);
    }
    double value = 0.0;
    const auto [ptr, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc() || ptr != number.data() + number.size()) return std::nullopt;
    value *= scale;
    if (!std::isfinite(value)) return std::nullopt;
    return negative ? -value : value;
}

Summary summarise(const ResultReader& reader, const SummaryOptions& options) {
    Summary summary;
    summary.info = reader.info();
    const RunInfo& info = summary.info;
    const auto replicates = static_cast<std::size_t>(std::max<std::int64_t>(0, info.replicates));
    const std::size_t years = info.years.size();
    std::vector<double> column;
    column.reserve(replicates);
    // Each variant's cumulative deficit at the horizon, per replicate: the
    // DBV opportunity and the exceedance probabilities come from these.
    std::vector<std::vector<double>> horizon_deficit;
    std::vector<std::vector<double>> horizon_spend;  // spend in the final year: what drives the spread

    for (const std::string& variant : info.variants) {
        VariantSummary variant_summary{variant, {}};
        horizon_deficit.emplace_back();
        horizon_spend.emplace_back();
        for (const MetricInfo& metric : metric_catalogue()) {
            // One metric in memory at a time: [replicate][year][category].
            const std::vector<double> values = reader.read_metric(variant, metric.name);
            if (values.empty()) continue;  // a metric the file leaves out (or no replicates)
            if (metric.name == metric_catalogue()[m_cumulative_deficit].name && years > 0) {
                auto& horizon = horizon_deficit.back();
                for (std::size_t r = 0; r < replicates; ++r) horizon.push_back(values[r * years + years - 1]);
            }
            if (metric.name == metric_catalogue()[m_spend].name && years > 0) {
                auto& horizon = horizon_spend.back();
                for (std::size_t r = 0; r < replicates; ++r) horizon.push_back(values[r * years + years - 1]);
            }
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
    summary.dbv = dbv_of(reader, summary, horizon_deficit);
    summary.places = places_of(reader, info);
    summary.scap = scap_of(reader, info);
    summary.drivers = drivers_of(reader, info, horizon_deficit, horizon_spend);
    summary.dsg = dsg_of(reader, summary);
    if (!options.exceedance_thresholds.empty()) {
        summary.exceedance = exceedance_of(summary, horizon_deficit, options.exceedance_thresholds);
    }
    return summary;
}

std::vector<std::string> scap_warnings(const Summary& summary) {
    std::vector<std::string> warnings;
    const RunInfo& info = summary.info;
    for (std::size_t v = 0; v < info.variants.size() && v < info.specialist.size(); ++v) {
        if (!info.specialist[v].empty()) continue;
        warnings.push_back("variant '" + info.variants[v] +
                           "' counts no placement as a specialist place: its SCAP rows have no numbers; name the "
                           "placements in its scenario with [capacity] specialist = [...] and run it again");
    }
    return warnings;
}

void print_summary(const Summary& summary, SummaryFormat format, std::ostream& out, const PrintOptions& options) {
    const bool exceedance = !summary.exceedance.thresholds.empty();
    if (options.scap && format != SummaryFormat::csv) {
        throw std::invalid_argument("the SCAP export is CSV only");
    }
    if (options.dsg && format != SummaryFormat::csv) {
        throw std::invalid_argument("the DSG deficit management plan export is CSV only");
    }
    switch (format) {
        case SummaryFormat::table:
            if (options.dbv || options.places || options.drivers) print_run_heading(summary.info, out);
            if (options.dbv) {
                print_dbv_headline(summary, out);
                print_dbv_table(summary, out);
            }
            if (options.places) print_places_table(summary, out);
            if (options.drivers) print_drivers_table(summary, out);
            if (!options.dbv && !options.places && !options.drivers) print_table(summary, out);
            if (exceedance) print_exceedance_table(summary, out);
            break;
        case SummaryFormat::csv:
            if (static_cast<int>(options.dbv) + static_cast<int>(exceedance) + static_cast<int>(options.places) +
                    static_cast<int>(options.scap) + static_cast<int>(options.dsg) +
                    static_cast<int>(options.drivers) > 1) {
                throw std::invalid_argument("the csv summary is one table: the DBV headline, the exceedance "
                                            "probabilities, the place planning, the SCAP export, the DSG export "
                                            "or the drivers, not two of them");
            }
            if (options.dbv) {
                print_dbv_csv(summary, out);
            } else if (exceedance) {
                print_exceedance_csv(summary, out);
            } else if (options.places) {
                print_places_csv(summary, out);
            } else if (options.scap) {
                print_scap_csv(summary, out);
            } else if (options.dsg) {
                print_dsg_csv(summary, out);
            } else if (options.drivers) {
                print_drivers_csv(summary, out);
            } else {
                print_csv(summary, out);
            }
            break;
        case SummaryFormat::json: print_json(summary, options.dbv, options.places, options.drivers, out); break;
    }
}

}  // namespace ehcpsim
