// The series view: per variant, metric (and category) and year, the mean and
// the quantiles over replicates; as the terminal table, the long CSV and the
// JSON "variants".
#include <algorithm>
#include <cassert>
#include <cmath>

#include "common.h"

namespace ehcpsim::summary_detail {
namespace {

std::vector<std::string> categories_of(const RunInfo& info, Extent extent) {
    switch (extent) {
        case Extent::year: return {""};
        case Extent::year_placement: return info.placements;
        case Extent::year_need: return info.needs;
        case Extent::year_phase: return info.phases;
        case Extent::year_placement_age_need:
            return {};  // too many cells for the series: summary --dsg-plan and --scap-return read it
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

// The terminal table.

bool in_table(int metric) {
    if (metric < 0) return false;
    const auto& info = metric_catalogue()[static_cast<std::size_t>(metric)];
    return info.extent == Extent::year || metric == m_stock_by_placement || metric == m_spend_by_placement;
}

std::string units_label(const MetricInfo& metric) { return metric.units == "GBP" ? "£m" : metric.units; }

}  // namespace

std::vector<SeriesSummary> summarise_metric(const ResultReader& reader, const RunInfo& info,
                                            const std::string& variant, int metric, std::size_t budget) {
    const MetricInfo& metric_info = metric_catalogue()[static_cast<std::size_t>(metric)];
    const std::size_t years = info.years.size();
    const auto categories = categories_of(info, metric_info.extent);
    std::vector<SeriesSummary> result;
    if (categories.empty()) return result;
    for (const std::string& category : categories) {
        SeriesSummary series;
        series.metric = metric;
        series.category = category;
        series.label = metric_info.extent == Extent::year ? metric_info.name : metric_info.name + "[" + category + "]";
        series.mean.assign(years, nan_value);
        series.quantiles.assign(summary_probabilities.size(), std::vector<double>(years, nan_value));
        result.push_back(std::move(series));
    }
    std::vector<double> present;
    present.reserve(replicates_of(info));
    const bool any = for_each_column(reader, info, variant, metric, budget,
                                     [&](std::size_t y, std::size_t c, const std::vector<double>& column) {
        present.clear();
        double sum = 0.0;  // in replicate order, so the mean does not depend on anything else
        for (const double x : column) {
            if (std::isnan(x)) continue;
            sum += x;
            present.push_back(x);
        }
        if (present.empty()) return;
        SeriesSummary& series = result[c];
        series.mean[y] = sum / static_cast<double>(present.size());
        const auto q = quantiles_of(present, summary_probabilities);
        for (std::size_t k = 0; k < q.size(); ++k) series.quantiles[k][y] = q[k];
    });
    if (!any) result.clear();  // a metric the file leaves out (or no replicates)
    return result;
}

SeriesSummary other_spend_series(const ResultReader& reader, const RunInfo& info, const std::string& variant) {
    SeriesSummary other;
    other.label = "spend_other";
    other.metric = m_spend;
    other.category = "other";
    const std::size_t years = info.years.size();
    const std::size_t placements = info.placements.size();
    std::vector<double> present;
    for (std::size_t y = 0; y < years; ++y) {
        std::vector<double> column = read_column(reader, info, variant, m_spend, y, 0);
        if (column.empty()) return {};
        for (std::size_t p = 0; p < placements; ++p) {
            const std::vector<double> part = read_column(reader, info, variant, m_spend_by_placement, y, p);
            if (part.size() != column.size()) return {};
            for (std::size_t r = 0; r < column.size(); ++r) column[r] -= part[r];
        }
        if (y == 0) {
            other.mean.assign(years, nan_value);
            other.quantiles.assign(summary_probabilities.size(), std::vector<double>(years, nan_value));
        }
        present.clear();
        double sum = 0.0;
        for (const double x : column) {
            if (std::isnan(x)) continue;
            sum += x;
            present.push_back(x);
        }
        if (present.empty()) continue;
        other.mean[y] = sum / static_cast<double>(present.size());
        const auto q = quantiles_of(present, summary_probabilities);
        for (std::size_t k = 0; k < q.size(); ++k) other.quantiles[k][y] = q[k];
    }
    return other;
}

SeriesSummary year_series(const ResultReader& reader, const Summary& summary, std::size_t v, int metric,
                          std::size_t budget) {
    assert(metric_catalogue()[static_cast<std::size_t>(metric)].extent == Extent::year);
    if (summary.computed.series && v < summary.variants.size()) {
        for (const SeriesSummary& series : summary.variants[v].series) {
            if (series.metric == metric) return series;
        }
    }
    const std::string& variant = summary.info.variants[v];
    std::vector<SeriesSummary> series = summarise_metric(reader, summary.info, variant, metric, budget);
    if (!series.empty()) return std::move(series.front());
    // No values: every mean and quantile NaN.
    SeriesSummary none;
    none.metric = metric;
    none.label = metric_catalogue()[static_cast<std::size_t>(metric)].name;
    none.mean.assign(summary.info.years.size(), nan_value);
    none.quantiles.assign(summary_probabilities.size(), std::vector<double>(summary.info.years.size(), nan_value));
    return none;
}

void print_series_table(const Summary& summary, std::ostream& out) {
    const RunInfo& info = summary.info;
    const std::size_t median_index = probability_index(0.50);
    const std::size_t low_index = probability_index(0.05);
    const std::size_t high_index = probability_index(0.95);
    print_run_heading(info, out);
    // One replicate (deterministic mode, or -n 1): every quantile is the value
    // itself, so the range rows would only repeat it.
    const bool ranges = info.replicates > 1;
    out << (ranges ? "Each cell: the median over replicates, and below it the 5th to 95th percentile range.\n"
                   : "One replicate: each cell is its value.\n")
        << "Money in £m at each year's prices; \"-\" = no value (flows in the base year).\n"
        << "Years: money in financial year Y-1 to Y (2024 = 2023-24); plans at the January census of year Y.\n";
    for (const VariantSummary& variant : summary.variants) {
        std::vector<YearRow> rows;
        int heading_for = -1;
        for (const SeriesSummary& series : variant.series) {
            const int metric = series.metric;
            if (!in_table(metric)) continue;
            const MetricInfo& metric_info = metric_catalogue()[static_cast<std::size_t>(metric)];
            const bool money = metric_info.units == "GBP";
            const std::string title = metric_info.name + " (" + units_label(metric_info) + ")";
            if (!series.category.empty() && heading_for != metric) {
                rows.push_back({title, {}, YearRow::Kind::heading});
                heading_for = metric;
            }
            YearRow median{series.category.empty() ? title : "  " + series.category, {}};
            YearRow range{"", {}, ranges ? YearRow::Kind::cells : YearRow::Kind::width_only};
            const auto& q = series.quantiles;
            for (std::size_t y = 0; y < info.years.size(); ++y) {
                median.cells.push_back(table_value(q[median_index][y], money));
                range.cells.push_back(table_range(q[low_index][y], q[high_index][y], money));
            }
            rows.push_back(std::move(median));
            rows.push_back(std::move(range));
            const bool last_placement = metric == m_spend_by_placement && !info.placements.empty() &&
                                        series.category == info.placements.back();
            if (last_placement && !variant.other_spend.mean.empty()) {
                YearRow other{"  other (not driven by the stock)", {}};
                YearRow other_range{"", {}, ranges ? YearRow::Kind::cells : YearRow::Kind::width_only};
                const auto& o = variant.other_spend.quantiles;
                for (std::size_t y = 0; y < info.years.size(); ++y) {
                    other.cells.push_back(table_value(o[median_index][y], money));
                    other_range.cells.push_back(table_range(o[low_index][y], o[high_index][y], money));
                }
                rows.push_back(std::move(other));
                rows.push_back(std::move(other_range));
            }
        }
        const std::size_t v = static_cast<std::size_t>(&variant - summary.variants.data());
        const std::string shown = variant_label(info, v);
        out << "\n== " << (shown == variant.variant ? shown : shown + " (" + variant.variant + ")") << " ==\n";
        print_year_table(rows, info.years, out, 0, true);
    }
}

void print_series_csv(const Summary& summary, std::ostream& out) {
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

Json series_json(const Summary& summary) {
    Json variants = Json::object();
    for (const VariantSummary& variant : summary.variants) {
        Json& by_label = variants[variant.variant] = Json::object();
        for (const SeriesSummary& series : variant.series) {
            Json entry = {{"mean", json_numbers(series.mean)}};
            add_quantiles_json(entry, summary_probabilities, series.quantiles);
            by_label[series.label] = std::move(entry);
        }
    }
    return variants;
}

}  // namespace ehcpsim::summary_detail
