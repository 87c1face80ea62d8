// Reading CSV text (csv.h): the refusal of files that are not text, the
// record splitter, and a table's header and width checks. The splitter and
// the messages came from the scenario's CSV reader (src/scenario/csv.cpp).
#include "ehcpsim/csv.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ehcpsim::csv {

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

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// What a file that is not text is, when it can be told from its first bytes
// (it is then never echoed); empty for text.
std::string binary_kind(const std::string& text, bool nul_may_be_utf16) {
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
               (nul_may_be_utf16 ? "; UTF-16 text without a byte-order mark looks like this too" : "") +
               "): save it as 'CSV UTF-8 (Comma delimited)'";
    return {};
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
    return out;
}

// The fields joined by commas, empty ones included (",,x" stays ",,x").
std::string row_text(const Row& row) {
    std::string out;
    for (std::size_t i = 0; i < row.fields.size(); ++i) out += (i ? "," : "") + row.fields[i].text;
    return out;
}

}  // namespace

// RFC 4180 records: a UTF-8 byte-order mark is dropped; records end at LF,
// CRLF or CR; a field may be quoted ("a, b", "say ""x"""), and a quoted field
// may span lines; spaces and tabs around a field (outside its quotes) are
// ignored; blank records and records of empty fields only (Excel's trailing
// ",,,") are skipped, and so are comments and trailing empty fields where
// the Conventions say so. Malformed quoting is reported with its line and
// column and ends the reading (what follows cannot be trusted).
class Table::Records {
public:
    Records(const std::string& text, const Conventions& conventions, std::size_t width, const Report& report)
        : text_(text), conventions_(conventions), width_(width), report_(report) {
        if (text_.compare(0, utf8_bom.size(), utf8_bom) == 0) pos_ = utf8_bom.size();
    }

    bool failed() const { return failed_; }

    // The raw first line, for the header's separator check.
    std::string_view first_line() const {
        const std::size_t start = text_.compare(0, utf8_bom.size(), utf8_bom) == 0 ? utf8_bom.size() : 0;
        const std::size_t end = text_.find_first_of("\r\n", start);
        return std::string_view(text_).substr(start, end == std::string::npos ? std::string::npos : end - start);
    }

    // The next record, nullopt at the end or after a quoting error.
    std::optional<Row> next() {
        while (pos_ < text_.size() && !failed_) {
            Row row = record();
            if (failed_) return std::nullopt;
            const bool blank = std::all_of(row.fields.begin(), row.fields.end(),
                                           [](const Field& f) { return f.text.empty() && !f.quoted; });
            const bool comment = conventions_.comments && !row.fields.empty() && !row.fields.front().quoted &&
                                 row.fields.front().text.starts_with('#');
            if (conventions_.drop_trailing_empty_fields)
                while (row.fields.size() > width_ && row.fields.back().text.empty() && !row.fields.back().quoted)
                    row.fields.pop_back();
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
        report_(line, column, message);
        failed_ = true;
    }
    void skip_blanks() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    }

    Row record() {
        Row row{line_, {}};
        while (true) {
            Field field;
            skip_blanks();
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
                skip_blanks();
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
                std::size_t end = pos_;
                while (end > start && (text_[end - 1] == ' ' || text_[end - 1] == '\t')) --end;
                field.text = text_.substr(start, end - start);
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
    const Conventions& conventions_;
    std::size_t width_;
    const Report& report_;
    std::size_t pos_ = 0;
    std::size_t line_start_ = 0;
    int line_ = 1;
    bool failed_ = false;
};

Table::Table(const std::string& text, std::vector<std::string> header, Conventions conventions, Report report)
    : header_(std::move(header)), conventions_(std::move(conventions)), report_(std::move(report)), text_(text) {}

Table::~Table() = default;

bool Table::failed() const { return records_ && records_->failed(); }

std::string Table::header_text() const { return joined(header_); }

std::optional<Row> Table::read_header(const std::function<bool(const Row&)>& other_layout) {
    if (const std::string kind = binary_kind(text_, conventions_.nul_may_be_utf16); !kind.empty()) {
        report_(0, 0, "this file is " + kind);
        return std::nullopt;
    }
    records_ = std::make_unique<Records>(text_, conventions_, header_.size(), report_);
    std::optional<Row> header = records_->next();
    if (!header) {
        if (!records_->failed()) report_(0, 0, "the file is empty: expected the header '" + header_text() + "'");
        return std::nullopt;
    }
    bool matches = header->fields.size() == header_.size();
    bool same_ignoring_case = matches;
    for (std::size_t i = 0; matches && i < header_.size(); ++i) matches = header->fields[i].text == header_[i];
    if (matches) return header;
    if (other_layout && other_layout(*header)) {
        other_layout_ = true;
        return header;
    }
    for (std::size_t i = 0; same_ignoring_case && i < header_.size(); ++i) {
        std::string name = header->fields[i].text;
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        same_ignoring_case = name == header_[i];
    }
    std::string hint;
    const std::string_view raw = records_->first_line();
    const bool one_field = !conventions_.separator_hints_for.empty() && header->fields.size() == 1;
    if (one_field && raw.find(';') != std::string_view::npos)
        hint = ": its fields are separated by semicolons, as a spreadsheet set to a European locale saves CSV; save "
               "it with 'Save As' > 'CSV UTF-8 (Comma delimited)' or replace the semicolons by commas";
    else if (one_field && raw.find('\t') != std::string_view::npos)
        hint = ": its fields are separated by tabs; " + conventions_.separator_hints_for + " is comma-separated CSV";
    else if (same_ignoring_case)
        hint = " (column names are lower case)";
    report_(header->line, 1,
            "expected the header '" + header_text() + "', found " + shown(row_text(*header)) + hint);
    records_.reset();  // no rows are read under a header that is not the table's
    return std::nullopt;
}

std::optional<Row> Table::next() {
    if (!records_) return std::nullopt;
    while (std::optional<Row> row = records_->next()) {
        if (!other_layout_ && row->fields.size() != header_.size()) {
            const bool too_many = row->fields.size() > header_.size();
            report_(row->line, 0,
                    "expected " + std::to_string(header_.size()) + " fields (" + header_text() + "), found " +
                        std::to_string(row->fields.size()) + (too_many ? conventions_.too_many_fields_hint : ""));
            continue;
        }
        return row;
    }
    return std::nullopt;
}

}  // namespace ehcpsim::csv
