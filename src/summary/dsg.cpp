// The DSG deficit management plan export: per variant and financial year the
// lines of the DfE template (spend, funding, in-year and cumulative position,
// and for a mitigated variant the savings against its unmitigated one) as
// distributions over replicates; CSV only.
#include <algorithm>
#include <cmath>

#include "common.h"

namespace ehcpsim {
namespace summary_detail {
namespace {

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

}  // namespace

std::vector<DsgRow> dsg_of(const ResultReader& reader, const Summary& summary) {
    const RunInfo& info = summary.info;
    const std::size_t years = info.years.size();
    const std::size_t replicates = replicates_of(info);
    // Year y of a [replicate, year] metric (one column: memory does not grow
    // with the years), or its expected values, sized to fit (NaN where the
    // file has none).
    const auto read = [&](const std::string& variant, int metric, std::size_t y) {
        std::vector<double> values = read_column(reader, info, variant, metric, y, 0);
        if (values.size() != replicates) values.assign(replicates, nan_value);
        return values;
    };
    const auto expected = [&](const std::string& variant, int metric) {
        std::vector<double> values = read_expected(reader, variant, metric);
        if (values.size() != years) values.assign(years, nan_value);
        return values;
    };
    // -values in year y: a deficit as a position (0 - x, so a zero stays +0, not "-0").
    const auto negated = [&](const std::vector<double>& values) {
        std::vector<double> column(replicates);
        for (std::size_t r = 0; r < replicates; ++r) column[r] = 0.0 - values[r];
        return column;
    };
    // a - b replicate by replicate in year y, NaN where either is NaN.
    const auto difference = [&](const std::vector<double>& a, const std::vector<double>& b) {
        std::vector<double> column(replicates);
        for (std::size_t r = 0; r < replicates; ++r) {
            const double x = a[r], z = b[r];
            column[r] = std::isnan(x) || std::isnan(z) ? nan_value : x - z;
        }
        return column;
    };

    std::vector<DsgRow> rows;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::string& variant = info.variants[v];
        const AmbitionLevel level = variant_level(info, v);
        const std::string compare_to = v < info.compare_to.size() ? info.compare_to[v] : std::string();
        const bool mitigated = level != AmbitionLevel::none;
        const SeriesSummary spend_series = year_series(reader, summary, v, m_spend);
        const SeriesSummary funding_series = year_series(reader, summary, v, m_funding);
        const SeriesSummary* spend = &spend_series;
        const SeriesSummary* funding = &funding_series;
        const std::vector<double> expected_spend = expected(variant, m_spend);
        const std::vector<double> expected_funding = expected(variant, m_funding);
        const std::vector<double> expected_in_year = expected(variant, m_in_year_deficit);
        const std::vector<double> expected_cumulative = expected(variant, m_cumulative_deficit);
        const bool matched =
            mitigated && std::find(info.variants.begin(), info.variants.end(), compare_to) != info.variants.end();
        std::vector<double> base_expected_in_year, base_expected_cumulative;
        if (matched) {
            base_expected_in_year = expected(compare_to, m_in_year_deficit);
            base_expected_cumulative = expected(compare_to, m_cumulative_deficit);
        }
        for (std::size_t y = 0; y < years; ++y) {
            const std::vector<double> in_year = read(variant, m_in_year_deficit, y);
            const std::vector<double> cumulative = read(variant, m_cumulative_deficit, y);
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
            described(dsg_lines[2], negated(in_year), 0.0 - expected_in_year[y]);
            described(dsg_lines[3], negated(cumulative), 0.0 - expected_cumulative[y]);
            if (!mitigated) continue;
            if (matched) {
                described(dsg_lines[4], difference(read(compare_to, m_in_year_deficit, y), in_year),
                          base_expected_in_year[y] - expected_in_year[y]);
                described(dsg_lines[5], difference(read(compare_to, m_cumulative_deficit, y), cumulative),
                          base_expected_cumulative[y] - expected_cumulative[y]);
            } else {  // compared with a variant this file does not hold: unknown
                rows.push_back(row(dsg_lines[4]));
                rows.push_back(row(dsg_lines[5]));
            }
        }
    }
    return rows;
}
void print_dsg_csv(const Summary& summary, std::ostream& out) {
    out << "variant,level,compare_to,financial_year,year,line,mean";
    for (double p : summary_probabilities) out << ',' << probability_key(p);
    out << ",deterministic\n";
    for (const DsgRow& row : summary.dsg) {
        out << csv_field(row.variant) << ',' << csv_field(std::string(ambition_level_name(row.level))) << ',' << csv_field(row.compare_to) << ','
            << financial_year(row.year) << ',' << row.year << ',' << row.line << ',' << csv_number(row.mean);
        for (double q : row.quantiles) out << ',' << csv_number(q);
        out << ',' << csv_number(row.deterministic) << "\n";
    }
}
}  // namespace summary_detail

std::string financial_year(int year) {
    const int two = ((year % 100) + 100) % 100;
    std::string text = std::to_string(year - 1);
    text += '-';
    if (two < 10) text += '0';
    text += std::to_string(two);
    return text;
}


}  // namespace ehcpsim
