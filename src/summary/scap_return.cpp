// SCAP in the return's shape (docs/dsg-plan.md): per variant, pupils with an
// EHCP in each specialist provision type by national curriculum year,
// Reception to 11, by academic year; five years ahead for primary and seven
// for secondary, as far as the forecast reaches (a note says where it stops;
// nothing is extrapolated). From stock_by_placement_age_need (run
// --plan-detail).
#include <algorithm>
#include <cmath>

#include "common.h"

namespace ehcpsim {
namespace summary_detail {
namespace {

// The return's provision types and the placement names that map to each
// (the default scenarios' names first; docs/dsg-plan.md).
struct ProvisionType {
    std::string name;
    std::vector<std::string> placements;
};
const std::vector<ProvisionType>& provision_types() {
    static const std::vector<ProvisionType> types = {
        {"Resourced provision and SEN units", {"resourced", "rp", "resourced_provision", "sen_unit", "unit"}},
        {"State special (incl. non-maintained)", {"mss", "special", "maintained_special", "state_special", "nmss"}},
        {"Independent special", {"inmss", "independent", "independent_special", "iss"}},
        {"Alternative provision", {"ap", "alternative_provision", "pru"}},
    };
    return types;
}

int provision_type_of(const std::string& placement) {
    const auto& types = provision_types();
    for (std::size_t k = 0; k < types.size(); ++k)
        if (std::find(types[k].placements.begin(), types[k].placements.end(), placement) != types[k].placements.end())
            return static_cast<int>(k);
    return -1;
}

std::string nc_year_name(int nc) { return nc == 0 ? std::string("Reception") : "Year " + std::to_string(nc); }

// "2025/26" for the census year label 2026 (the academic year it falls in).
std::string academic_year(int year) {
    const int two = ((year % 100) + 100) % 100;
    return std::to_string(year - 1) + "/" + (two < 10 ? "0" : "") + std::to_string(two);
}

}  // namespace
}  // namespace summary_detail

using namespace summary_detail;

int nc_year_of_age(int age) { return age >= scap_first_age && age <= scap_last_age ? age - scap_first_age : -1; }

std::vector<PlanTable> scap_return(const ResultReader& reader) {
    const RunInfo& info = reader.info();
    std::vector<PlanTable> tables;
    const std::size_t years = info.years.size();
    const std::size_t P = info.placements.size(), A = info.ages.size(), N = info.needs.size();
    const std::size_t T = provision_types().size();
    const int base = years == 0 ? 0 : info.years.front();
    const int last = years == 0 ? 0 : info.years.back();
    std::vector<std::string> unmapped;
    for (const std::string& placement : info.placements)
        if (provision_type_of(placement) < 0) unmapped.push_back(placement);
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        PlanTable table;
        table.title = "SCAP: pupils with an EHCP in specialist provision: " + info.variants[v];
        table.label_headers = {"provision type", "NC year"};
        for (int year : info.years) table.value_headers.push_back(academic_year(year));
        table.notes = {"Mean over replicates of the pupils placed in each provision type at the January census of the "
                       "academic year, by national curriculum year: NC year = age at 31 August before the academic "
                       "year - 4 (Reception = 4, Year 1 = 5, Year 6 = 10, Year 7 = 11, Year 11 = 15). The first "
                       "column is the base year (observed).",
                       "Primary (Reception to Year 6) is asked for " + std::to_string(scap_primary_years) +
                           " years ahead, secondary (Years 7 to 11) " + std::to_string(scap_secondary_years) +
                           "; cells beyond that are left empty."};
        if (last - base < scap_primary_years || last - base < scap_secondary_years) {
            table.notes.push_back("The forecast ends in " + academic_year(last) + " (" + std::to_string(last - base) +
                                  " years ahead of the base year): the return asks for " +
                                  std::to_string(scap_primary_years) + " years ahead for primary (to " +
                                  academic_year(base + scap_primary_years) + ") and " +
                                  std::to_string(scap_secondary_years) + " for secondary (to " +
                                  academic_year(base + scap_secondary_years) +
                                  "); the years after the horizon are not given (run a longer horizon), never "
                                  "extrapolated.");
        }
        if (!unmapped.empty()) {
            std::string names;
            for (const std::string& name : unmapped) names += (names.empty() ? "" : ", ") + name;
            table.notes.push_back("Placements outside the return's provision types (not counted): " + names + ".");
        }
        if (has_capacity(info))
            table.notes.push_back("With capacity limits, pupils moved on by overflow count in the provision they "
                                  "were moved to (placed pupils, not first-choice demand: see summary --places).");
        const std::vector<std::vector<double>> means = stock_cell_means(reader, info, info.variants[v]);
        if (means.empty()) {
            table.notes.push_back("This file has no plan detail (stock by placement, age and need): run with "
                                  "--plan-detail to fill the return.");
            tables.push_back(std::move(table));
            continue;
        }
        constexpr int nc_years = scap_last_age - scap_first_age + 1;
        // cells[type][nc][year]
        std::vector<double> cells(T * nc_years * years, 0.0);
        std::vector<char> known(years, 1);
        for (std::size_t y = 0; y < years; ++y)
            for (std::size_t p = 0; p < P; ++p) {
                const int type = provision_type_of(info.placements[p]);
                if (type < 0) continue;
                for (std::size_t a = 0; a < A; ++a) {
                    const int nc = nc_year_of_age(info.ages[a]);
                    if (nc < 0) continue;
                    double sum = 0.0;
                    for (std::size_t n = 0; n < N; ++n) sum += means[y][(p * A + a) * N + n];
                    if (std::isnan(sum)) known[y] = 0;
                    cells[(static_cast<std::size_t>(type) * nc_years + static_cast<std::size_t>(nc)) * years + y] += sum;
                }
            }
        for (std::size_t k = 0; k < T; ++k)
            for (int nc = 0; nc < nc_years; ++nc) {
                const int ahead = nc <= 6 ? scap_primary_years : scap_secondary_years;
                PlanRow row{{provision_types()[k].name, nc_year_name(nc)}, {}};
                for (std::size_t y = 0; y < years; ++y) {
                    const bool asked = info.years[y] - base <= ahead;
                    row.cells.push_back(asked && known[y] ? cells[(k * nc_years + static_cast<std::size_t>(nc)) * years + y]
                                                          : nan_value);
                }
                table.rows.push_back(std::move(row));
            }
        tables.push_back(std::move(table));
    }
    return tables;
}

}  // namespace ehcpsim
