// CSV tables as the scenario's [data] names them, read by the shared reader
// (ehcpsim/csv.h) with the conventions docs/scenario.md states ('#' comment
// records); numbers as a spreadsheet writes them; counts bounded by
// max_count. Every problem is reported with the file, column name, line and
// column.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ehcpsim/csv.h"
#include "problems.h"

namespace ehcpsim::scenario_reading {

// Counts (stock cells, capacity places, a year's population, transfers a
// year) above this are refused: 2^40 (about 1.1e12) is far beyond any
// authority (England has about 1.5e7 residents aged 0-25) and keeps every sum
// the engine forms exactly representable in a double (2^53) and far from
// the int64 limit (2^63).
constexpr double max_count = 1099511627776.0;  // 2^40
inline const std::string max_count_text = "2^40 (1,099,511,627,776)";

using csv::shown;
using CsvField = csv::Field;
using CsvRow = csv::Row;

// A number as a spreadsheet may write it: "8,700.0" (quoted, with thousands
// separators in groups of three) is 8700.0. The text without separators, or
// nullopt with `why` set when the separators are not thousands separators.
std::optional<std::string> without_separators(const CsvField& field, std::string& why);

// A CSV table: its header must be exactly `header` (or, if `accept` says
// so, another layout the caller handles); rows with the wrong number of
// fields are reported and dropped. nullopt when the header is wrong or the
// file cannot be read as CSV.
class CsvTable {
public:
    CsvTable(std::string file, std::vector<std::string> header, Problems& problems)
        : file_(std::move(file)), header_(std::move(header)), problems_(problems) {}

    // The header row as found and the data rows; `other_layout` may accept a
    // header that is not `header` (its rows are then returned unchecked).
    struct Parsed {
        CsvRow header;
        std::vector<CsvRow> rows;
        bool other_layout = false;
    };
    std::optional<Parsed> parse(const std::string& text,
                                const std::function<bool(const CsvRow&)>& other_layout = {}) const;

    std::optional<std::vector<CsvRow>> rows(const std::string& text) const {
        std::optional<Parsed> parsed = parse(text);
        if (!parsed) return std::nullopt;
        return std::move(parsed->rows);
    }

    void error(int line, int column, const std::string& key, const std::string& message) const {
        problems_.error({file_, key, line, column}, message);
    }
    void error(const CsvRow& row, std::size_t field, const std::string& message) const {
        error(row.line, row.fields[field].column, field < header_.size() ? header_[field] : "", message);
    }
    const std::string& file() const { return file_; }
    const std::vector<std::string>& header() const { return header_; }

private:
    std::string file_;
    std::vector<std::string> header_;
    Problems& problems_;
};

}  // namespace ehcpsim::scenario_reading
