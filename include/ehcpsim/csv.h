// CSV tables as people save them from a spreadsheet: the one reader of
// comma-separated files for every stage that reads them (the scenario's
// [data] tables, the SEN2 panel). It refuses a file that is not CSV text (an
// .xlsx or .xls workbook, UTF-16, binary) before echoing any of it, splits
// RFC 4180 records with Excel's habits (a UTF-8 byte-order mark, CRLF or CR
// line ends, quoted fields over several lines, blank and ",,," records),
// checks the header and each row's width, and reports every problem with its
// line and column through a callback. What a field means is the caller's.
//
// No Debian package does this job: libcsv-dev (libcsv 3.0.3, C) hands fields
// to callbacks but reports a malformed quote with neither its line nor its
// column and cannot tell a quoted field from a bare one; libfccp-dev
// (fast-cpp-csv-parser) reads line by line, so a quoted field cannot span
// lines, fixes the column count at compile time and reports by exception.
// Neither recognises a workbook or UTF-16 text given as CSV.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ehcpsim::csv {

// A field's text for a message: control bytes escaped, long text cut, in
// single quotes, so a stray binary field never reaches the terminal raw.
std::string shown(std::string_view text);

struct Field {
    std::string text;  // trimmed, quotes removed, "" unescaped
    int column = 0;    // 1-based character column where the field starts
    bool quoted = false;
};

struct Row {
    int line = 0;  // 1-based line where the record starts
    std::vector<Field> fields;
};

// Where the readers of the project differ; every message is otherwise the same.
struct Conventions {
    // Records whose first field is unquoted and starts with '#' are skipped.
    bool comments = false;
    // Empty unquoted fields after the header's last column (a spreadsheet's
    // trailing ",,") are dropped from every record.
    bool drop_trailing_empty_fields = false;
    // When not empty ("the panel"), a header read as one field that holds
    // ';' or a tab is said to be separated by semicolons (a European locale's
    // CSV) or by tabs, and this names the table in the message.
    std::string separator_hints_for;
    // The message for a NUL byte adds that UTF-16 text without a byte-order
    // mark looks like this too.
    bool nul_may_be_utf16 = false;
    // Appended to "expected N fields (...), found M" when M > N.
    std::string too_many_fields_hint;
};

// One problem: line and column (0 when not known, or the whole file), message.
using Report = std::function<void(int line, int column, const std::string& message)>;

// A table whose header must be `header`. Read the header, then the rows.
class Table {
public:
    // `text` is read in place: it must outlive the table (a temporary
    // cannot be given, hence the deleted overload).
    Table(const std::string& text, std::vector<std::string> header, Conventions conventions, Report report);
    Table(std::string&& text, std::vector<std::string> header, Conventions conventions, Report report) = delete;
    ~Table();
    Table(const Table&) = delete;
    Table& operator=(const Table&) = delete;

    // The header row as found. nullopt, with the problem reported, when the
    // file is not CSV text, is empty, its quoting is malformed, or its header
    // is not `header` and `other_layout` (when given) does not accept it.
    std::optional<Row> read_header(const std::function<bool(const Row&)>& other_layout = {});
    // The next data row. A row whose width is not the header's is reported
    // and skipped (unless another layout was accepted: its rows come
    // unchecked). nullopt at the end, after malformed quoting (reported), or
    // when the header was refused.
    std::optional<Row> next();

    // Malformed quoting ended the reading.
    bool failed() const;
    bool other_layout() const { return other_layout_; }
    // "a,b,c": the expected header as a message writes it.
    std::string header_text() const;

private:
    class Records;
    std::vector<std::string> header_;
    Conventions conventions_;
    Report report_;
    const std::string& text_;
    std::unique_ptr<Records> records_;
    bool other_layout_ = false;
};

}  // namespace ehcpsim::csv
