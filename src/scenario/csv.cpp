// Reading CSV text: the record parser, the refusal of files that are not
// text, and a table's header and row checks (csv.h).
#include "csv.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "text.h"

namespace ehcpsim::scenario_reading {

// A field's text for a message: control bytes escaped, long text cut, so a
// stray binary field never reaches the terminal raw.
std::string shown(std::string_view text) {
    constexpr std::size_t longest = 60;
    std::string out = "'";
    for (std::size_t i = 0; i < text.size() && i < longest; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > longest) out += "...";
    return out + "'";
}

namespace {

// What a file that is not text is, when it can be told from its first bytes
// (it is then never echoed); empty for text.
std::string binary_kind(const std::string& text) {
    const auto starts = [&](std::string_view magic) { return text.compare(0, magic.size(), magic) == 0; };
    if (starts(std::string_view("PK\x03\x04", 4)))
        return "a zip archive (an Excel .xlsx or OpenDocument .ods workbook?), not CSV text: save the sheet with "
               "'Save As' > 'CSV UTF-8 (Comma delimited)'";
    if (starts("\xD0\xCF\x11\xE0"))
        return "an Excel 97-2003 workbook (.xls), not CSV text: save the sheet with 'Save As' > 'CSV UTF-8 (Comma "
               "delimited)'";
    if (starts("\xFF\xFE") || starts("\xFE\xFF"))
        return "UTF-16 text (it starts with a UTF-16 byte-order mark), which this reader does not take: save it as "
               "'CSV UTF-8 (Comma delimited)'";
    if (const auto nul = text.find('\0'); nul != std::string::npos)
        return "binary, not CSV text (a NUL byte at offset " + std::to_string(nul) +
               "; UTF-16 text without a byte-order mark looks like this too): save it as 'CSV UTF-8 (Comma "
               "delimited)'";
    return {};
}

// RFC 4180 records with the conventions docs/scenario.md states: a UTF-8
// byte-order mark is dropped; records end at LF, CRLF or CR; a field may be
// quoted ("a, b", "say ""x"""), and a quoted field may span lines; spaces
// around a field (outside its quotes) are ignored; blank records, records of
// empty fields only (Excel's trailing ",,,") and records whose first
// character is '#' are skipped. Malformed quoting is reported with its line
// and column and ends the file's reading (what follows cannot be trusted).
class CsvParser {
public:
    CsvParser(const std::string& text, std::function<void(int, int, const std::string&)> error)
        : text_(text), error_(std::move(error)) {
        if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;  // the UTF-8 BOM Excel writes
    }

    bool failed() const { return failed_; }

    // The next record, nullopt at the end or after a quoting error.
    std::optional<CsvRow> next() {
        while (pos_ < text_.size() && !failed_) {
            CsvRow row = record();
            if (failed_) return std::nullopt;
            const bool blank = std::all_of(row.fields.begin(), row.fields.end(),
                                           [](const CsvField& f) { return f.text.empty() && !f.quoted; });
            const bool comment = !row.fields.empty() && !row.fields.front().quoted &&
                                 row.fields.front().text.starts_with('#');
            if (!blank && !comment) return row;
        }
        return std::nullopt;
    }

private:
    bool at_end_of_line() const { return pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r'; }
    void end_line() {
        if (pos_ < text_.size() && text_[pos_] == '\r') {
            ++pos_;
            if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        } else if (pos_ < text_.size() && text_[pos_] == '\n') {
            ++pos_;
        }
        ++line_;
        line_start_ = pos_;
    }
    int column() const { return static_cast<int>(pos_ - line_start_) + 1; }
    void fail(int line, int column, const std::string& message) {
        error_(line, column, message);
        failed_ = true;
    }

    CsvRow record() {
        CsvRow row{line_, {}};
        while (true) {
            CsvField field;
            while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
            field.column = column();
            if (pos_ < text_.size() && text_[pos_] == '"') {
                field.quoted = true;
                const int open_line = line_, open_column = column();
                ++pos_;
                while (true) {
                    if (pos_ >= text_.size()) {
                        fail(open_line, open_column,
                             "the quote that opens this field is never closed (a field that starts with \" must end "
                             "with \"; a quote inside it is written twice, \"\")");
                        return row;
                    }
                    const char c = text_[pos_];
                    if (c == '"') {
                        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
                            field.text += '"';
                            pos_ += 2;
                            continue;
                        }
                        ++pos_;
                        break;
                    }
                    if (c == '\r' || c == '\n') {
                        field.text += '\n';
                        end_line();
                        continue;
                    }
                    field.text += c;
                    ++pos_;
                }
                while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
                if (!at_end_of_line() && text_[pos_] != ',') {
                    fail(line_, column(),
                         "unexpected text after the closing quote of the field that starts at column " +
                             std::to_string(field.column) + " (a quote inside a quoted field is written twice, \"\")");
                    return row;
                }
            } else {
                const std::size_t start = pos_;
                while (!at_end_of_line() && text_[pos_] != ',') {
                    if (text_[pos_] == '"') {
                        fail(line_, column(),
                             "a quote inside an unquoted field: quote the whole field (\"...\") and write a quote "
                             "inside it twice (\"\")");
                        return row;
                    }
                    ++pos_;
                }
                field.text = std::string(trim(std::string_view(text_).substr(start, pos_ - start)));
            }
            row.fields.push_back(std::move(field));
            if (at_end_of_line()) {
                end_line();
                return row;
            }
            ++pos_;  // the comma
        }
    }

    const std::string& text_;
    std::function<void(int, int, const std::string&)> error_;
    std::size_t pos_ = 0;
    std::size_t line_start_ = 0;
    int line_ = 1;
    bool failed_ = false;
};

}  // namespace

// A number as a spreadsheet may write it: "8,700.0" (quoted, with thousands
// separators in groups of three) is 8700.0. The text without separators, or
// nullopt with `why` set when the separators are not thousands separators.
std::optional<std::string> without_separators(const CsvField& field, std::string& why) {
    const std::string& text = field.text;
    if (text.find(',') == std::string::npos) return text;
    std::string_view digits = text;
    std::string sign;
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
        sign = std::string(1, digits.front());
        digits.remove_prefix(1);
    }
    const std::size_t point = digits.find('.');
    const std::string_view whole = digits.substr(0, point);
    const std::string_view fraction = point == std::string_view::npos ? std::string_view() : digits.substr(point);
    bool ok = fraction.find(',') == std::string_view::npos && !whole.empty();
    std::string out = sign;
    std::size_t group = 0;
    for (std::size_t i = 0; ok && i <= whole.size(); ++i) {
        if (i == whole.size() || whole[i] == ',') {
            ok = (group == 0 ? false : out.size() == sign.size() + group ? group <= 3 : group == 3);
            group = 0;
            if (i == whole.size()) break;
            continue;
        }
        ok = whole[i] >= '0' && whole[i] <= '9';
        out += whole[i];
        ++group;
    }
    if (!ok) {
        why = "expected a number, found " + shown(text) +
              ": its commas are not thousands separators (groups of three digits before any decimal point, as in "
              "8,700.5); a decimal comma is not accepted";
        return std::nullopt;
    }
    return out + std::string(fraction);
}

std::optional<CsvTable::Parsed> CsvTable::parse(const std::string& text,
                                                 const std::function<bool(const CsvRow&)>& other_layout) const {
    if (const std::string kind = binary_kind(text); !kind.empty()) {
        error(0, 0, "", "this file is " + kind);
        return std::nullopt;
    }
    CsvParser parser(text, [this](int line, int column, const std::string& message) {
        error(line, column, "", message);
    });
    Parsed parsed;
    std::optional<CsvRow> first = parser.next();
    if (!first) {
        if (!parser.failed())
            error(0, 0, "", "the file is empty: expected the header '" + header_text() + "'");
        return std::nullopt;
    }
    parsed.header = std::move(*first);
    if (!header_matches(parsed.header.fields)) {
        if (other_layout && other_layout(parsed.header)) {
            parsed.other_layout = true;
        } else {
            error(parsed.header.line, 1, "", "expected the header '" + header_text() + "', found " +
                                                 shown(row_text(parsed.header)) + header_hint(parsed.header));
            return std::nullopt;
        }
    }
    while (std::optional<CsvRow> row = parser.next()) {
        if (!parsed.other_layout && row->fields.size() != header_.size()) {
            std::string hint;
            if (row->fields.size() > header_.size())
                hint = "; a number with a thousands separator (8,700) must be quoted (\"8,700\") or written "
                       "without it";
            error(row->line, 0, "",
                  "expected " + std::to_string(header_.size()) + " fields (" + header_text() + "), found " +
                      std::to_string(row->fields.size()) + hint);
            continue;
        }
        parsed.rows.push_back(std::move(*row));
    }
    return parsed;
}

}  // namespace ehcpsim::scenario_reading
