// The SCAP export (MODEL.md section 8): demand for specialist places by
// variant, year and phase, with the places to provision for 50/80/95%
// confidence; CSV only.
#include <cmath>

#include "common.h"

namespace ehcpsim {
namespace summary_detail {

std::vector<ScapRow> scap_of(const ResultReader& reader, const RunInfo& info) {
    std::vector<ScapRow> rows;
    const std::size_t years = info.years.size();
    const std::size_t phases = info.phases.size();
    if (phases == 0) return rows;
    std::vector<double> column;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::string& variant = info.variants[v];
        const std::size_t first = rows.size();
        for (std::size_t y = 0; y < years; ++y) {
            for (std::size_t k = 0; k < phases; ++k) {
                ScapRow row;
                row.variant = variant;
                row.year = info.years[y];
                row.phase = info.phases[k];
                rows.push_back(std::move(row));
            }
        }
        // A variant that counts no placement as specialist has no specialist
        // demand to report: its rows are empty, never a demand of 0.
        if (v < info.specialist.size() && info.specialist[v].empty()) continue;
        for_each_column(reader, info, variant, m_specialist_demand_by_phase, SummaryOptions().read_budget_bytes,
                        [&](std::size_t y, std::size_t k, const std::vector<double>& values) {
            ScapRow& row = rows[first + y * phases + k];
            column.clear();
            double sum = 0.0;
            for (const double x : values) {
                if (std::isnan(x)) continue;
                sum += x;
                column.push_back(x);
            }
            if (column.empty()) return;
            row.mean = sum / static_cast<double>(column.size());
            const auto q = quantiles_of(column, places_probabilities);
            row.p50 = places_needed(q[0]);
            row.p80 = places_needed(q[1]);
            row.p95 = places_needed(q[2]);
        });
    }
    return rows;
}
void print_scap_csv(const Summary& summary, std::ostream& out) {
    out << "variant,year,phase,mean,p50,p80,p95\n";
    for (const ScapRow& row : summary.scap) {
        out << csv_field(row.variant) << ',' << row.year << ',' << csv_field(row.phase) << ',' << csv_number(row.mean)
            << ',' << csv_number(row.p50) << ',' << csv_number(row.p80) << ',' << csv_number(row.p95) << "\n";
    }
}
}  // namespace summary_detail

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

}  // namespace ehcpsim
