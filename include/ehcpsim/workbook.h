// An Excel workbook (.xlsx) of a run: a plain table structure any view can
// fill (a title, typed columns, rows of cells), one worksheet per table, and
// the tables of a summary (docs/output.md, "The workbook"). Numbers stay
// numbers (a format such as £#,##0 or 0.0% changes only how Excel shows
// them, never the stored value), text stays text, the header row is frozen.
// The workbook is written to a temporary file beside the target and renamed
// into place only when complete (libxlsxwriter, Debian libxlsxwriter-dev).
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace ehcpsim {

struct Summary;
struct PlanTable;

// How a column's numbers are shown (the stored value is the exact double).
enum class CellFormat {
    general,   // as Excel shows any number
    pounds,    // £#,##0 (whole pounds shown; pence kept)
    thousands, // £#,##0 of a value already in £000s (the DSG template's unit)
    percent,   // 0.0% of a fraction (0.25 shows as 25.0%)
    count,     // #,##0
    decimal,   // 0.000
    text,      // a column of text
};

// A cell: empty, a number (NaN is written as an empty cell), or text.
using Cell = std::variant<std::monostate, double, std::string>;

struct Column {
    std::string header;
    CellFormat format = CellFormat::general;
    double width = 0;  // characters; 0 = from the header and the cells
};

// One worksheet. `sheet` is its tab name (at most 31 characters, none of
// []:*?/\ ; made unique in the workbook); `title` the first row, `notes`
// rows under the table (units, definitions, where the numbers come from).
struct Table {
    std::string sheet;
    std::string title;
    std::vector<Column> columns;
    std::vector<std::vector<Cell>> rows;  // each at most columns.size() cells
    std::vector<std::string> notes;
};

// The tables in order, one sheet each, written to <path>.tmp-<pid> and then
// renamed to path. RuntimeError naming the file on failure (no file is left
// at path, nor the temporary). std::invalid_argument for a table with no
// columns or a row longer than its columns.
void write_workbook(const std::filesystem::path& path, const std::vector<Table>& tables);

// The sheets of a summary computed with every view (SummaryViews{}): the
// headline (opportunity per bound), quantiles by variant, the DSG plan
// export, the SCAP export, places, drivers, and the run's provenance, each
// with the same numbers as the summary's CSV of that view. A view with
// nothing to show (no levels, no capacity limit, a deterministic file's
// drivers) is a sheet saying so; exceedance is a sheet when thresholds were
// given. ensemble_file (may be "") is named on the provenance sheet.
std::vector<Table> workbook_tables(const Summary& summary, const std::string& ensemble_file = "");

// The DSG plan and SCAP return tables in their templates' shape
// (summary_dsg.h) as sheets: the tables of one kind and shape (the financial
// summaries; the children and young people by placement; by age group and
// need; the SCAP returns) stacked in one sheet, a first column naming the
// table each row comes from (its variant, and census year), the values as
// they are (GBP 000s, or counts), the notes once.
std::vector<Table> plan_sheets(const std::vector<PlanTable>& plans);

}  // namespace ehcpsim
