// P(cumulative deficit > X) and P(in-year deficit > X) in every year, per
// variant (summary_targets.h; docs/output.md, "Exceedance by year").
#include <cmath>

#include "common.h"
#include "ehcpsim/summary_dsg.h"
#include "ehcpsim/summary_targets.h"

namespace ehcpsim {

using namespace summary_detail;

namespace {

// P(x > threshold) over the replicates with a value, per threshold.
std::vector<double> above(const std::vector<double>& column, const std::vector<double>& thresholds) {
    std::size_t count = 0;
    for (double x : column) count += !std::isnan(x);
    std::vector<double> p;
    for (double threshold : thresholds) {
        std::size_t n = 0;
        for (double x : column) n += x > threshold;  // false for NaN
        p.push_back(count == 0 ? nan_value : static_cast<double>(n) / static_cast<double>(count));
    }
    return p;
}

}  // namespace

ExceedanceByYear exceedance_by_year(const ResultReader& reader, const std::vector<double>& thresholds) {
    const RunInfo& info = reader.info();
    ExceedanceByYear e;
    e.years = info.years;
    e.thresholds = thresholds;
    e.variants = info.variants;
    for (const std::string& variant : info.variants) {
        for (auto [metric, into] : {std::pair{int(m_cumulative_deficit), &e.cumulative},
                                    std::pair{int(m_in_year_deficit), &e.in_year}}) {
            std::vector<std::vector<double>> by_threshold(thresholds.size(),
                                                          std::vector<double>(info.years.size(), nan_value));
            for (std::size_t t = 0; t < info.years.size(); ++t) {
                const std::vector<double> p = above(read_column(reader, info, variant, metric, t, 0), thresholds);
                for (std::size_t k = 0; k < thresholds.size(); ++k) by_threshold[k][t] = p[k];
            }
            into->push_back(std::move(by_threshold));
        }
    }
    return e;
}

void print_exceedance_by_year_table(const ExceedanceByYear& e, std::ostream& out) {
    out << "== P(deficit > X) by financial year, fraction of replicates: cumulative at the end of the year, and in "
           "the year ==\n";
    for (std::size_t v = 0; v < e.variants.size(); ++v) {
        std::vector<YearRow> rows{{e.variants[v], {}, YearRow::Kind::heading}};
        for (std::size_t k = 0; k < e.thresholds.size(); ++k) {
            for (const auto& [name, values] :
                 {std::pair{"cumulative > ", &e.cumulative[v][k]}, std::pair{"in-year > ", &e.in_year[v][k]}}) {
                YearRow row{"  " + std::string(name) + threshold_text(e.thresholds[k]), {}};
                for (double p : *values) row.cells.push_back(probability_text(p));
                rows.push_back(std::move(row));
            }
        }
        print_year_table(rows, e.years, out, 0, false, true);
        out << '\n';
    }
}

void print_exceedance_by_year_csv(const ExceedanceByYear& e, std::ostream& out) {
    out << "variant,measure,threshold,year,probability\n";
    for (std::size_t v = 0; v < e.variants.size(); ++v)
        for (std::size_t k = 0; k < e.thresholds.size(); ++k)
            for (const auto& [name, values] : {std::pair{"cumulative_deficit", &e.cumulative[v][k]},
                                               std::pair{"in_year_deficit", &e.in_year[v][k]}})
                for (std::size_t t = 0; t < e.years.size(); ++t)
                    out << csv_field(e.variants[v]) << ',' << name << ',' << plain(e.thresholds[k]) << ','
                        << e.years[t] << ',' << csv_number((*values)[t]) << '\n';
}

}  // namespace ehcpsim
