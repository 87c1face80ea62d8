// The plan tables (summary_dsg.h, PlanTable: the DSG deficit management plan
// and the SCAP return in their templates' shape) as a terminal table, long
// CSV or JSON.
#include <algorithm>
#include <cmath>

#include "common.h"

namespace ehcpsim {

using namespace summary_detail;

void print_plan_tables(const std::vector<PlanTable>& tables, SummaryFormat format, std::ostream& out) {
    switch (format) {
        case SummaryFormat::table:
            for (const PlanTable& table : tables) {
                out << "\n== " << table.title << " ==\n";
                for (const std::string& note : table.notes) out << note << "\n";
                std::vector<std::vector<std::string>> grid;
                std::vector<std::string> header = table.label_headers;
                header.insert(header.end(), table.value_headers.begin(), table.value_headers.end());
                grid.push_back(std::move(header));
                for (const PlanRow& row : table.rows) {
                    std::vector<std::string> cells = row.labels;
                    // £000s to the nearest thousand, counts whole.
                    for (double x : row.cells) cells.push_back(std::isnan(x) ? std::string("-") : fixed(x, 0));
                    grid.push_back(std::move(cells));
                }
                print_grid(grid, table.label_headers.size(), out);
            }
            break;
        case SummaryFormat::csv: {
            // One tidy table: a row per cell. label_1 ... label_k are the
            // row's labels (k the most any table has; empty where a table has
            // fewer), column its value header.
            std::size_t labels = 0;
            for (const PlanTable& table : tables)
                for (const PlanRow& row : table.rows) labels = std::max(labels, row.labels.size());
            out << "table";
            for (std::size_t k = 0; k < labels; ++k) out << ",label_" << k + 1;
            out << ",column,value\n";
            for (const PlanTable& table : tables)
                for (const PlanRow& row : table.rows)
                    for (std::size_t c = 0; c < row.cells.size() && c < table.value_headers.size(); ++c) {
                        out << csv_field(table.title);
                        for (std::size_t k = 0; k < labels; ++k)
                            out << ',' << csv_field(k < row.labels.size() ? row.labels[k] : std::string());
                        out << ',' << csv_field(table.value_headers[c]) << ',' << csv_number(row.cells[c]) << "\n";
                    }
            break;
        }
        case SummaryFormat::json: {
            Json json = Json::array();
            for (const PlanTable& table : tables) {
                Json rows = Json::array();
                for (const PlanRow& row : table.rows) rows.push_back({{"labels", row.labels}, {"cells", json_numbers(row.cells)}});
                json.push_back({{"title", table.title},
                                {"notes", table.notes},
                                {"label_headers", table.label_headers},
                                {"value_headers", table.value_headers},
                                {"whole", table.whole},
                                {"rows", std::move(rows)}});
            }
            out << json.dump(2) << '\n';
            break;
        }
    }
}

}  // namespace ehcpsim
