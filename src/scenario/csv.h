// CSV tables as the scenario's [data] names them: RFC 4180 records with the
// conventions docs/scenario.md states, a required header, rows of the right
// width; numbers as a spreadsheet writes them; counts bounded by max_count.
// Every problem is reported with the file, column name, line and column.
#pragma once

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "problems.h"

namespace ehcpsim::scenario_reading {

// Counts (stock cells, capacity places, a year's population, transfers a
// year) above this are refused: 2^40 (about 1.1e12) is far beyond any
// authority (England has about 1.5e7 residents aged 0-25) and keeps every sum
// the engine forms exactly representable in a double (2^53) and far from
// the int64 limit (2^63).
constexpr double max_count = 1099511627776.0;  // 2^40
inline const std::string max_count_text = "2^40 (1,099,511,627,776)";

// A field's text for a message: control bytes escaped, long text cut, so a
// stray binary field never reaches the terminal raw.
std::string shown(std::string_view text);

struct CsvField {
    std::string text;     // trimmed, quotes removed, "" unescaped
    int column = 0;       // 1-based character column where the field starts
    bool quoted = false;
};

struct CsvRow {
    int line = 0;
    std::vector<CsvField> fields;
};

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
    bool header_matches(const std::vector<CsvField>& fields) const {
        if (fields.size() != header_.size()) return false;
        for (std::size_t i = 0; i < fields.size(); ++i)
            if (fields[i].text != header_[i]) return false;
        return true;
    }
    // Why a header that names the right columns does not match.
    std::string header_hint(const CsvRow& row) const {
        if (row.fields.size() != header_.size()) return {};
        bool same_ignoring_case = true;
        for (std::size_t i = 0; i < header_.size(); ++i) {
            std::string a = row.fields[i].text, b = header_[i];
            std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
            same_ignoring_case = same_ignoring_case && a == b;
        }
        return same_ignoring_case ? " (column names are lower case)" : "";
    }
    static std::string row_text(const CsvRow& row) {
        std::string out;
        for (const CsvField& field : row.fields) out += (out.empty() ? "" : ",") + field.text;
        return out;
    }
    std::string header_text() const {
        std::string out;
        for (const std::string& name : header_) out += (out.empty() ? "" : ",") + name;
        return out;
    }

    std::string file_;
    std::vector<std::string> header_;
    Problems& problems_;
};

}  // namespace ehcpsim::scenario_reading
