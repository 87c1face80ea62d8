// Parsing and validation of a scenario: the TOML file (toml++) and the CSV
// tables it names, into a ScenarioSet (format: docs/scenario.md).
//
// Validation collects every problem it can find and throws one ScenarioError
// at the end, each problem naming file, dotted key or CSV column, line and
// column. Variants are built by deep-merging the variant's table over a fresh
// parse of the baseline document and validating the result as a whole; the
// merge moves toml++ nodes (moves keep their source position, copies do not),
// so a value taken from a variant reports the variant's line.
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <cctype>
#include <functional>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "ehcpsim/scenario.h"

namespace ehcpsim {

namespace {

constexpr double mix_tolerance = 0.001;  // |sum of mix means - 1|, and transitions' excess over 1
constexpr int max_age_limit = 120;
constexpr int max_horizon = 100;
constexpr int first_year = 1000;  // years are four-digit labels
constexpr int last_year = 9999;
constexpr std::string_view default_key = "default";
constexpr double infinity = std::numeric_limits<double>::infinity();
// Chance of a draw outside a parameter's domain below which no note is made.
constexpr double negligible_tail = 1e-6;
// Legal values that are almost certainly a slip get a warning (docs/scenario.md,
// "Warnings"): a unit cost outside these GBP a year, a growth rate or
// inflation above this, a request rate above this a year.
constexpr double min_plausible_unit_cost = 1000.0;
constexpr double max_plausible_unit_cost = 1.0e6;
constexpr double max_plausible_growth = 0.5;
constexpr double max_plausible_request_rate = 0.2;

// ---------------------------------------------------------------- text helpers

std::string join_key(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string number_text(double value) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

// A computed value (a sum), rounded for reading.
std::string rounded_text(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

std::string list_text(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

bool is_identifier(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const auto result = std::from_chars(text.data(), end, value);
    if (text.empty() || result.ec != std::errc() || result.ptr != end) return std::nullopt;
    return value;
}

std::optional<double> parse_real(std::string_view text) {
    double value = 0.0;
    const char* end = text.data() + text.size();
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const auto result = std::from_chars(text.data(), end, value);
    if (text.empty() || result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) return std::nullopt;
    return value;
}

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

int index_of(const std::vector<std::string>& names, std::string_view name) {
    const auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

// ---------------------------------------------------------------- domains

// The values a parameter may take (docs/scenario.md, "Domains").
enum class Domain { probability, nonnegative, growth, persistence, money, real, count, shock };

// limit: the largest magnitude a value, or any draw of a distribution, may
// reach (docs/scenario.md, "Magnitude limits"). Far beyond any authority's
// figures, and small enough that nothing the engine computes from them over
// 100 years overflows a double or an int64 (probabilities are clamped).
struct DomainSpec {
    const char* text;  // for messages
    double low;
    double high;
    bool low_open;
    double limit = infinity;
    const char* limit_text = "";
};

DomainSpec domain_spec(Domain domain) {
    switch (domain) {
        case Domain::probability: return {"a probability in [0, 1]", 0.0, 1.0, false};
        case Domain::nonnegative:
            return {"a non-negative number [0, inf)", 0.0, infinity, false, 1e6, "1e6 (a multiplier or effect)"};
        case Domain::growth:
            return {"a growth rate in (-1, inf)", -1.0, infinity, true, 10.0, "10 (1,000% a year)"};
        case Domain::persistence: return {"a persistence in [0, 1]", 0.0, 1.0, false};
        case Domain::money:
            return {"an amount of money in [0, inf)", 0.0, infinity, false, 1e12, "1e12 (GBP 1 trillion)"};
        case Domain::real: return {"a real number", -infinity, infinity, false, 1e12, "1e12 (GBP 1 trillion)"};
        case Domain::count:
            return {"a non-negative number [0, inf)", 0.0, infinity, false, 1099511627776.0,
                    "2^40 (1,099,511,627,776)"};
        case Domain::shock:
            return {"a non-negative number [0, inf)", 0.0, infinity, false, 1.0, "1 (a shock sd of 100% a year)"};
    }
    return {"a number", -infinity, infinity, false};
}

bool in_domain(const DomainSpec& spec, double value) {
    return value <= spec.high && (spec.low_open ? value > spec.low : value >= spec.low);
}

// ---------------------------------------------------------------- problems

// Every problem and note found while loading, without repeats: a variant is a
// whole document, so a baseline problem would otherwise be reported once more
// for every variant.
class Problems {
public:
    // Appended to messages about a variant's merged document.
    void set_context(std::string context) { context_ = std::move(context); }

    void error(const SourceLocation& where, const std::string& message) {
        ++raised_;
        if (seen_errors_.insert(format_location(where) + "\n" + message).second)
            errors_.push_back({where, message + context_});
    }
    void note(const SourceLocation& where, const std::string& message) {
        std::string text = format_location(where) + ": " + message;
        if (seen_notes_.insert(text).second) notes_.push_back(text + context_);
    }
    // A legal value that is almost certainly a slip: the run goes on.
    void warning(const SourceLocation& where, const std::string& message) {
        std::string text = format_location(where) + ": " + message;
        if (seen_warnings_.insert(text).second) warnings_.push_back(text + context_);
    }
    std::vector<std::string> take_warnings() { return std::move(warnings_); }
    // Problems raised so far, repeats included: readers compare it before and
    // after a step to skip checks that would only echo an earlier problem.
    std::size_t error_count() const { return raised_; }
    const std::vector<Diagnostic>& errors() const { return errors_; }
    std::vector<std::string> take_notes() { return std::move(notes_); }

private:
    std::vector<Diagnostic> errors_;
    std::vector<std::string> notes_;
    std::set<std::string> seen_errors_;
    std::set<std::string> seen_notes_;
    std::vector<std::string> warnings_;
    std::set<std::string> seen_warnings_;
    std::string context_;
    std::size_t raised_ = 0;
};

// ---------------------------------------------------------------- files

// The CSV files a scenario names: read once, kept for the output's provenance,
// named in messages by their path next to the TOML file.
class Files {
public:
    Files(std::string toml_display, const FileReader& reader, std::vector<SourceFile>& sources)
        : toml_display_(std::move(toml_display)), reader_(reader), sources_(sources) {}

    const std::string* read(const std::string& name) {
        auto it = cache_.find(name);
        if (it == cache_.end()) {
            it = cache_.emplace(name, reader_(name)).first;
            if (it->second) sources_.push_back({name, *it->second});
        }
        return it->second ? &*it->second : nullptr;
    }

    std::string display(const std::string& name) const {
        const std::filesystem::path path(name);
        if (path.is_absolute()) return name;
        return (std::filesystem::path(toml_display_).parent_path() / path).generic_string();
    }

private:
    std::string toml_display_;
    const FileReader& reader_;
    std::vector<SourceFile>& sources_;
    std::map<std::string, std::optional<std::string>> cache_;
};

// ---------------------------------------------------------------- CSV

// Counts (stock cells, capacity places, a year's population, transfers a
// year) above this are refused: 2^40 (about 1.1e12) is far beyond any
// authority (England has about 1.5e7 residents aged 0-25) and keeps every sum
// the engine forms exactly representable in a double (2^53) and far from
// the int64 limit (2^63).
constexpr double max_count = 1099511627776.0;  // 2^40
const std::string max_count_text = "2^40 (1,099,511,627,776)";

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

struct CsvField {
    std::string text;     // trimmed, quotes removed, "" unescaped
    int column = 0;       // 1-based character column where the field starts
    bool quoted = false;
};

struct CsvRow {
    int line = 0;
    std::vector<CsvField> fields;
};

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
                                const std::function<bool(const CsvRow&)>& other_layout = {}) const {
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

// ---------------------------------------------------------------- TOML access

std::string type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date/time";
    }
}

bool is_number(const toml::node& node) { return node.is_integer() || node.is_floating_point(); }

double number_of(const toml::node& node) {
    return node.is_integer() ? static_cast<double>(node.as_integer()->get()) : node.as_floating_point()->get();
}

// A table giving a distribution rather than values keyed by name.
bool is_distribution_table(const toml::node& node) {
    const toml::table* table = node.as_table();
    return table && table->contains("dist");
}

// A table's entries in the order they were written (toml++ keeps them sorted by key).
std::vector<std::pair<const toml::key*, const toml::node*>> in_source_order(const toml::table& table) {
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [key, node] : table) entries.emplace_back(&key, &node);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) {
        const toml::source_position& a = x.first->source().begin;
        const toml::source_position& b = y.first->source().begin;
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    return entries;
}

// Which of a set of names a table keyed by names may give (`default` included).
struct NamedSpec {
    const char* what;           // "phase", "placement", "need": for messages
    Domain domain;
    bool single = false;        // one value may stand for every name
    bool with_default = false;  // a `default` key fills the names not listed
};

// Reads values out of one TOML document, reporting problems against its file.
class Toml {
public:
    Toml(std::string file, const toml::table& root, Problems& problems)
        : file_(std::move(file)), root_(root), problems_(problems) {}

    const std::string& file() const { return file_; }
    Problems& problems() { return problems_; }

    SourceLocation at(const toml::node& node, const std::string& key) const {
        if (&node == &root_) return {file_, key, 0, 0};
        return {file_, key, static_cast<int>(node.source().begin.line), static_cast<int>(node.source().begin.column)};
    }
    SourceLocation at(const toml::key& key, const std::string& path) const {
        return {file_, path, static_cast<int>(key.source().begin.line), static_cast<int>(key.source().begin.column)};
    }
    void error(const SourceLocation& where, const std::string& message) { problems_.error(where, message); }
    void note(const SourceLocation& where, const std::string& message) { problems_.note(where, message); }
    void warning(const SourceLocation& where, const std::string& message) { problems_.warning(where, message); }

    // Reports every key of `table` that is not in `allowed`; keys in `handled`
    // are judged by the caller, so neither reported nor listed.
    void check_keys(const toml::table& table, const std::string& path, const std::vector<std::string>& allowed,
                    const std::vector<std::string>& handled = {}) {
        for (const auto& [key, node] : in_source_order(table)) {
            if (std::find(allowed.begin(), allowed.end(), key->str()) == allowed.end() &&
                std::find(handled.begin(), handled.end(), key->str()) == handled.end())
                error(at(*key, join_key(path, key->str())),
                      "unknown key " + in_quotes(key->str()) + "; allowed keys" + (path.empty() ? "" : " in " + path) +
                          ": " + list_text(allowed));
        }
    }

    // parent[key], reported (at the parent, named by the key's full path) when missing.
    const toml::node* required(const toml::table& parent, std::string_view key, const std::string& parent_path) {
        return required_at(parent, key, join_key(parent_path, key));
    }
    const toml::node* required_at(const toml::table& parent, std::string_view key, const std::string& path) {
        const toml::node* node = parent.get(key);
        if (!node) error(at(parent, path), "missing required key " + in_quotes(key));
        return node;
    }

    // A sub-table; reports a missing (when required) or non-table value.
    const toml::table* table(const toml::table& parent, std::string_view key, const std::string& path,
                             bool required_key) {
        const toml::node* node = required_key ? required_at(parent, key, path) : parent.get(key);
        if (!node) return nullptr;
        if (!node->is_table()) {
            error(at(*node, path), "expected a table, found " + type_name(*node));
            return nullptr;
        }
        return node->as_table();
    }

    std::optional<std::int64_t> integer(const toml::node& node, const std::string& path, std::int64_t low,
                                        std::int64_t high) {
        if (!node.is_integer()) {
            error(at(node, path), "expected an integer, found " + type_name(node));
            return std::nullopt;
        }
        const std::int64_t value = node.as_integer()->get();
        if (value < low || value > high) {
            error(at(node, path), "must be between " + std::to_string(low) + " and " + std::to_string(high) +
                                      ", found " + std::to_string(value));
            return std::nullopt;
        }
        return value;
    }

    std::optional<std::int64_t> integer_or(const toml::table& parent, std::string_view key, const std::string& path,
                                           std::int64_t low, std::int64_t high, std::int64_t fallback) {
        const toml::node* node = parent.get(key);
        if (!node) return fallback;
        return integer(*node, path, low, high);
    }

    std::optional<std::string> text(const toml::node& node, const std::string& path) {
        if (!node.is_string()) {
            error(at(node, path), "expected a string, found " + type_name(node));
            return std::nullopt;
        }
        return node.as_string()->get();
    }

    std::optional<bool> boolean(const toml::node& node, const std::string& path) {
        if (!node.is_boolean()) {
            error(at(node, path), "expected true or false, found " + type_name(node));
            return std::nullopt;
        }
        return node.as_boolean()->get();
    }

    // A name the format uses as a key: [A-Za-z0-9_], not `default`.
    std::optional<std::string> identifier(const toml::node& node, const std::string& path) {
        std::optional<std::string> name = text(node, path);
        if (!name) return std::nullopt;
        if (!is_identifier(*name)) {
            error(at(node, path), "the name " + in_quotes(*name) + " must be non-empty and use only A-Z, a-z, 0-9 and _");
            return std::nullopt;
        }
        if (*name == default_key) {
            error(at(node, path), "the name 'default' is reserved");
            return std::nullopt;
        }
        return name;
    }

    // A year given as a table key ("2024").
    std::optional<int> year_key(const toml::key& key, const std::string& path) {
        const std::optional<std::int64_t> year = parse_integer(key.str());
        if (!year || *year < first_year || *year > last_year) {
            error(at(key, path), "expected a year (" + std::to_string(first_year) + ".." + std::to_string(last_year) +
                                     ") as key, found " + in_quotes(key.str()));
            return std::nullopt;
        }
        return static_cast<int>(*year);
    }

    // A number or a distribution table, checked against its domain.
    Param param(const toml::node& node, const std::string& path, Domain domain) {
        Param param{path, Distribution::fixed_value(0.0), at(node, path)};
        const DomainSpec spec = domain_spec(domain);
        if (is_number(node)) {
            const double value = number_of(node);
            if (!std::isfinite(value))
                error(param.where, "expected a finite number, found " + number_text(value));
            else if (!in_domain(spec, value))
                error(param.where, "must be " + std::string(spec.text) + ", found " + number_text(value));
            else if (std::abs(value) > spec.limit)
                error(param.where, number_text(value) + " is beyond " + spec.limit_text +
                                       ", the largest magnitude this key takes");
            else
                param.dist = Distribution::fixed_value(value);
            warn_if_percentage(param, domain);
            return param;
        }
        if (!node.is_table()) {
            error(param.where, "expected a number or a distribution table ({ dist = ... }), found " + type_name(node));
            return param;
        }
        std::optional<Distribution> dist = distribution(*node.as_table(), path);
        if (!dist) return param;
        if (!in_domain(spec, dist->mean())) {
            error(param.where, dist->describe() + " has mean " + rounded_text(dist->mean()) + "; the mean must be " +
                                   spec.text);
            return param;
        }
        // The most extreme draws the engine can make (its uniforms lie in
        // [2^-53, 1 - 2^-53]) must stay within the key's limit.
        const double lowest = dist->quantile(0x1.0p-53), highest = dist->quantile(1.0 - 0x1.0p-53);
        if (std::max(std::abs(lowest), std::abs(highest)) > spec.limit) {
            error(param.where, dist->describe() + " can draw " +
                                   rounded_text(std::abs(lowest) > std::abs(highest) ? lowest : highest) +
                                   ", beyond " + spec.limit_text + ", the largest magnitude this key takes");
            return param;
        }
        param.dist = *dist;
        // A normal growth rate reaches below -1 in theory only: say nothing
        // unless a draw outside is more likely than one in a million.
        const double low = dist->quantile(negligible_tail);
        const double high = dist->quantile(1.0 - negligible_tail);
        if ((spec.low_open ? low <= spec.low : low < spec.low) || high > spec.high)
            note(param.where, dist->describe() + " can fall outside its domain (" + spec.text +
                                  "); the engine clamps such draws to the domain");
        warn_if_percentage(param, domain);
        return param;
    }

    // A growth rate or inflation above 0.5 a year is almost surely a
    // percentage written as a number (3 for 3%).
    void warn_if_percentage(const Param& param, Domain domain) {
        const double mean = param.dist.mean();
        if (domain == Domain::growth && mean > max_plausible_growth)
            warning(param.where, "a rate of " + rounded_text(mean) + " a year (" + rounded_text(100.0 * mean) +
                                     "%) is above " + number_text(max_plausible_growth) +
                                     ": was a percentage written as a number? 3% is 0.03");
    }

    Param param_or(const toml::table& parent, std::string_view key, const std::string& path, Domain domain,
                   double fallback) {
        const toml::node* node = parent.get(key);
        if (!node) return Param{path, Distribution::fixed_value(fallback), {file_, path, 0, 0}};
        return param(*node, path, domain);
    }

    Param required_param(const toml::table& parent, std::string_view key, const std::string& path, Domain domain) {
        const toml::node* node = required_at(parent, key, path);
        if (!node) return Param{path, Distribution::fixed_value(0.0), {file_, path, 0, 0}};
        return param(*node, path, domain);
    }

    std::optional<Distribution> distribution(const toml::table& table, const std::string& path) {
        static const std::map<std::string, std::pair<Distribution::Kind, std::vector<std::string>>> kinds = {
            {"normal", {Distribution::Kind::normal, {"mean", "sd"}}},
            {"lognormal", {Distribution::Kind::lognormal, {"mean", "sd"}}},
            {"beta", {Distribution::Kind::beta, {"mean", "sd"}}},
            {"uniform", {Distribution::Kind::uniform, {"min", "max"}}},
            {"triangular", {Distribution::Kind::triangular, {"min", "mode", "max"}}},
            {"pert", {Distribution::Kind::pert, {"min", "mode", "max"}}},
        };
        const toml::node* dist_node = table.get("dist");
        if (!dist_node) {
            error(at(table, path), "a distribution table needs 'dist' (normal, lognormal, beta, uniform, triangular "
                                   "or pert)");
            return std::nullopt;
        }
        const std::optional<std::string> name = text(*dist_node, join_key(path, "dist"));
        if (!name) return std::nullopt;
        const auto kind = kinds.find(*name);
        if (kind == kinds.end()) {
            error(at(*dist_node, join_key(path, "dist")),
                  "unknown distribution " + in_quotes(*name) +
                      "; expected one of normal, lognormal, beta, uniform, triangular, pert");
            return std::nullopt;
        }
        const std::vector<std::string>& fields = kind->second.second;
        std::vector<std::string> allowed = fields;
        allowed.insert(allowed.begin(), "dist");
        const std::size_t before = problems_.error_count();
        check_keys(table, path, allowed);
        double values[3] = {0.0, 0.0, 0.0};
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string field_path = join_key(path, fields[i]);
            const toml::node* field = required(table, fields[i], path);
            if (!field) continue;
            if (!is_number(*field))
                error(at(*field, field_path), "expected a number, found " + type_name(*field));
            else
                values[i] = number_of(*field);
        }
        if (problems_.error_count() != before) return std::nullopt;
        const Distribution dist{kind->second.first, values[0], values[1], values[2]};
        if (const std::string why = dist.check(); !why.empty()) {
            error(at(table, path), "invalid " + dist.describe() + ": " + why);
            return std::nullopt;
        }
        // Parameters that pass the checks above can still overflow once
        // turned into the library's shape (a beta with sd 1e-200, a PERT over
        // [-1e308, 1e308]): Boost.Math then throws, or a quantile is not finite.
        std::string failure;
        try {
            for (double u : {0x1.0p-53, 0.5, 1.0 - 0x1.0p-53})
                if (!std::isfinite(dist.quantile(u)))
                    failure = "its draws overflow (quantile " + rounded_text(u) + " is " +
                              number_text(dist.quantile(u)) + ")";
            if (failure.empty() && !std::isfinite(dist.mean())) failure = "its mean overflows";
        } catch (const std::exception& e) {
            failure = e.what();
            if (const auto colon = failure.rfind(": "); colon != std::string::npos) failure = failure.substr(colon + 2);
            while (!failure.empty() && (failure.back() == ' ' || failure.back() == '!')) failure.pop_back();
            failure = "the parameters cannot be computed in double precision (" + failure + ")";
        }
        if (!failure.empty()) {
            error(at(table, path), "invalid " + dist.describe() + ": " + failure);
            return std::nullopt;
        }
        return dist;
    }

    // A year-keyed step function, or one value for every year (stored at base_year).
    YearSeries year_series(const toml::node& node, const std::string& path, Domain domain, double before_first,
                           int base_year) {
        YearSeries series;
        series.before_first = before_first;
        if (is_number(node) || is_distribution_table(node)) {
            series.points.emplace_back(base_year, param(node, path, domain));
            return series;
        }
        if (!node.is_table()) {
            error(at(node, path), "expected a number, a distribution or a table keyed by year, found " +
                                      type_name(node));
            return series;
        }
        for (const auto& [key, value] : in_source_order(*node.as_table())) {
            const std::string value_path = join_key(path, key->str());
            if (const std::optional<int> year = year_key(*key, value_path))
                series.points.emplace_back(*year, param(*value, value_path, domain));
        }
        std::sort(series.points.begin(), series.points.end(),
                  [](const auto& x, const auto& y) { return x.first < y.first; });
        return series;
    }

    // One parameter per name (phase, placement, need). Slots given neither
    // directly nor by `default` stay empty for the caller to judge.
    std::vector<std::optional<Param>> by_name(const toml::node& node, const std::string& path,
                                              const std::vector<std::string>& names, const NamedSpec& spec) {
        std::vector<std::optional<Param>> out(names.size());
        if (spec.single && (is_number(node) || is_distribution_table(node))) {
            const Param shared = param(node, path, spec.domain);
            std::fill(out.begin(), out.end(), shared);
            return out;
        }
        if (!node.is_table() || is_distribution_table(node)) {
            error(at(node, path), std::string("expected a table keyed by ") + spec.what +
                                      (spec.single ? " or a single value" : "") + ", found " +
                                      (node.is_table() ? std::string("a distribution") : type_name(node)));
            return out;
        }
        const toml::table& table = *node.as_table();
        std::vector<std::string> allowed = names;
        if (spec.with_default) allowed.emplace_back(default_key);
        check_keys(table, path, allowed);
        for (std::size_t i = 0; i < names.size(); ++i)
            if (const toml::node* value = table.get(names[i]))
                out[i] = param(*value, join_key(path, names[i]), spec.domain);
        if (const toml::node* fallback = spec.with_default ? table.get(default_key) : nullptr) {
            const Param shared = param(*fallback, join_key(path, default_key), spec.domain);
            for (std::optional<Param>& slot : out)
                if (!slot) slot = shared;
        }
        return out;
    }

    // by_name() where every name must be given: reports those missing.
    std::vector<Param> every_name(const toml::node& node, const std::string& path,
                                  const std::vector<std::string>& names, const NamedSpec& spec) {
        std::vector<std::optional<Param>> given = by_name(node, path, names, spec);
        std::vector<std::string> missing;
        std::vector<Param> out;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (!given[i]) {
                if (node.is_table()) missing.push_back(names[i]);
                given[i] = Param{join_key(path, names[i]), Distribution::fixed_value(0.0), at(node, path)};
            }
            out.push_back(*given[i]);
        }
        if (!missing.empty())
            error(at(node, path), std::string("missing ") + spec.what + " " + list_text(missing) + ": every " +
                                      spec.what + " must be given" +
                                      (spec.with_default ? " (or a 'default')" : ""));
        return out;
    }

private:
    std::string file_;
    const toml::table& root_;
    Problems& problems_;
};

// ---------------------------------------------------------------- [scenario]

// The set-level facts; variants share them.
struct Header {
    std::string name;
    std::string description;
    std::string baseline = "baseline";
    std::uint64_t seed = 1;
    std::int64_t replicates = 1000;
    std::optional<int> base_year;
    std::optional<int> horizon;
};

// The keys that place a variant among the others (docs/scenario.md, "Variants").
const std::vector<std::string> variant_only_keys = {"extends", "level", "compare_to"};

// The baseline is the unmitigated root every variant is merged over: it can
// neither extend, be mitigated nor be compared (at the top level or in [scenario]).
void reject_variant_only_keys(Toml& toml, const toml::table& table, const std::string& path) {
    for (const auto& [key, node] : in_source_order(table)) {
        const std::string name(key->str());
        const std::string where = join_key(path, name);
        if (name == "level")
            toml.error(toml.at(*key, where), "the baseline may not have a level: it is the unmitigated reference; "
                                             "give a mitigated run its own [variants.NAME] with level = \"target\"");
        else if (name == "extends")
            toml.error(toml.at(*key, where),
                       "the baseline extends nothing: it is the root every variant is merged over");
        else if (name == "compare_to")
            toml.error(toml.at(*key, where),
                       "the baseline has no compare_to: only variants with a level are compared");
    }
}

Header read_header(Toml& toml, const toml::table& root) {
    Header header;
    const toml::table* table = toml.table(root, "scenario", "scenario", true);
    if (!table) return header;
    toml.check_keys(*table, "scenario", {"name", "description", "base_year", "horizon", "baseline", "seed",
                                         "replicates"}, variant_only_keys);
    reject_variant_only_keys(toml, *table, "scenario");
    if (const toml::node* name = toml.required(*table, "name", "scenario")) {
        if (std::optional<std::string> text = toml.text(*name, "scenario.name")) {
            if (text->empty()) toml.error(toml.at(*name, "scenario.name"), "must not be empty");
            header.name = *text;
        }
    }
    if (const toml::node* description = table->get("description"))
        header.description = toml.text(*description, "scenario.description").value_or("");
    if (const toml::node* year = toml.required(*table, "base_year", "scenario"))
        if (auto value = toml.integer(*year, "scenario.base_year", first_year, last_year - max_horizon))
            header.base_year = static_cast<int>(*value);
    if (const toml::node* horizon = toml.required(*table, "horizon", "scenario"))
        if (auto value = toml.integer(*horizon, "scenario.horizon", 1, max_horizon))
            header.horizon = static_cast<int>(*value);
    if (const toml::node* baseline = table->get("baseline"))
        header.baseline = toml.identifier(*baseline, "scenario.baseline").value_or(header.baseline);
    header.seed = static_cast<std::uint64_t>(
        toml.integer_or(*table, "seed", "scenario.seed", 0, std::numeric_limits<std::int64_t>::max(), 1).value_or(1));
    header.replicates = toml.integer_or(*table, "replicates", "scenario.replicates", 1,
                                        std::numeric_limits<std::int64_t>::max(), 1000)
                            .value_or(1000);
    return header;
}

// ---------------------------------------------------------------- [dimensions]

// A list of unique names (needs, placements).
std::vector<std::string> read_names(Toml& toml, const toml::table& table, std::string_view key,
                                    const std::string& path) {
    std::vector<std::string> names;
    const toml::node* node = toml.required(table, key, "dimensions");
    if (!node) return names;
    const toml::array* array = node->as_array();
    if (!array || array->empty()) {
        toml.error(toml.at(*node, path), "expected a non-empty array of names, found " +
                                             (array ? std::string("an empty array") : type_name(*node)));
        return names;
    }
    std::map<std::string, SourceLocation> first;
    for (const toml::node& element : *array) {
        std::optional<std::string> name = toml.identifier(element, path);
        if (!name) continue;
        if (const auto seen = first.find(*name); seen != first.end()) {
            toml.error(toml.at(element, path), "duplicate name " + in_quotes(*name) + " (first given at line " +
                                                   std::to_string(seen->second.line) + ", column " +
                                                   std::to_string(seen->second.column) + ")");
            continue;
        }
        first.emplace(*name, toml.at(element, path));
        names.push_back(*name);
    }
    return names;
}

std::optional<Phase> read_phase(Toml& toml, const toml::node& node, const std::string& path, int min_age,
                                int max_age) {
    const toml::table* table = node.as_table();
    if (!table) {
        toml.error(toml.at(node, path), "expected a table { name = ..., ages = [first, last] }, found " +
                                            type_name(node));
        return std::nullopt;
    }
    toml.check_keys(*table, path, {"name", "ages"});
    const toml::node* name = toml.required(*table, "name", path);
    const toml::node* ages = toml.required(*table, "ages", path);
    if (!name || !ages) return std::nullopt;
    Phase phase;
    std::optional<std::string> text = toml.identifier(*name, join_key(path, "name"));
    const toml::array* range = ages->as_array();
    if (!range || range->size() != 2 || !range->get(0)->is_integer() || !range->get(1)->is_integer()) {
        toml.error(toml.at(*ages, join_key(path, "ages")),
                   "expected [first_age, last_age] (two integers), found " +
                       (range ? "an array of " + std::to_string(range->size()) + " value(s)" : type_name(*ages)));
        return std::nullopt;
    }
    // Clamped into int range first; anything outside 0..120 fails the range check below.
    auto age_at = [&](std::size_t i) {
        return static_cast<int>(std::clamp<std::int64_t>(range->get(i)->as_integer()->get(), -1, max_age_limit + 1));
    };
    phase.first_age = age_at(0);
    phase.last_age = age_at(1);
    const std::string range_text = "[" + std::to_string(range->get(0)->as_integer()->get()) + ", " +
                                   std::to_string(range->get(1)->as_integer()->get()) + "]";
    if (phase.first_age > phase.last_age) {
        toml.error(toml.at(*ages, join_key(path, "ages")), "ages " + range_text + ": first is after last");
        return std::nullopt;
    }
    if (phase.first_age < min_age || phase.last_age > max_age) {
        toml.error(toml.at(*ages, join_key(path, "ages")),
                   "ages " + range_text + " reach outside min_age..max_age (" + std::to_string(min_age) + ".." +
                       std::to_string(max_age) + ")");
        return std::nullopt;
    }
    if (!text) return std::nullopt;
    phase.name = *text;
    return phase;
}

// Phases must cover min_age..max_age in order, without gaps or overlaps.
std::vector<Phase> read_phases(Toml& toml, const toml::table& table, int min_age, int max_age) {
    std::vector<Phase> phases;
    const toml::node* node = toml.required(table, "phases", "dimensions");
    if (!node) return phases;
    const toml::array* array = node->as_array();
    if (!array || array->empty()) {
        toml.error(toml.at(*node, "dimensions.phases"), "expected a non-empty array of phase tables");
        return phases;
    }
    int next_age = min_age;
    std::string previous = "min_age";
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const std::string path = "dimensions.phases[" + std::to_string(i) + "]";
        std::optional<Phase> phase = read_phase(toml, element, path, min_age, max_age);
        if (!phase) return {};
        const bool duplicate = std::any_of(phases.begin(), phases.end(),
                                           [&](const Phase& earlier) { return earlier.name == phase->name; });
        if (duplicate) {
            toml.error(toml.at(element, path), "duplicate phase name " + in_quotes(phase->name));
            return {};
        }
        if (phase->first_age > next_age) {
            toml.error(toml.at(element, path),
                       "gap: phase " + in_quotes(phase->name) + " starts at age " + std::to_string(phase->first_age) +
                           " but the ages before it end at " + std::to_string(next_age - 1) + " (" + previous +
                           "); age " + std::to_string(next_age) + " is in no phase");
            return {};
        }
        if (phase->first_age < next_age) {
            toml.error(toml.at(element, path),
                       "overlap: phase " + in_quotes(phase->name) + " starts at age " + std::to_string(phase->first_age) +
                           ", which is already in " + previous + "; phases must be in age order without overlaps");
            return {};
        }
        next_age = phase->last_age + 1;
        previous = "phase " + in_quotes(phase->name);
        phases.push_back(*phase);
    }
    if (next_age <= max_age) {
        toml.error(toml.at(*node, "dimensions.phases"),
                   "gap: the phases end at age " + std::to_string(next_age - 1) + " but max_age is " +
                       std::to_string(max_age) + "; ages " + std::to_string(next_age) + ".." +
                       std::to_string(max_age) + " are in no phase");
        return {};
    }
    return phases;
}

// nullopt when the dimensions are unusable: everything else is keyed by them.
std::optional<Dimensions> read_dimensions(Toml& toml, const toml::table& root) {
    const toml::table* table = toml.table(root, "dimensions", "dimensions", true);
    if (!table) return std::nullopt;
    const std::size_t before = toml.problems().error_count();
    toml.check_keys(*table, "dimensions", {"min_age", "max_age", "needs", "placements", "phases"});
    Dimensions dims;
    const auto min_age = toml.integer_or(*table, "min_age", "dimensions.min_age", 0, max_age_limit, 0);
    const auto max_age = toml.integer_or(*table, "max_age", "dimensions.max_age", 0, max_age_limit, 25);
    if (min_age && max_age && *min_age > *max_age)
        toml.error(toml.at(*table->get("min_age"), "dimensions.min_age"),
                   "min_age " + std::to_string(*min_age) + " is above max_age " + std::to_string(*max_age));
    dims.min_age = static_cast<int>(min_age.value_or(0));
    dims.max_age = static_cast<int>(max_age.value_or(25));
    dims.needs = read_names(toml, *table, "needs", "dimensions.needs");
    dims.placements = read_names(toml, *table, "placements", "dimensions.placements");
    if (toml.problems().error_count() != before) return std::nullopt;
    dims.phases = read_phases(toml, *table, dims.min_age, dims.max_age);
    if (toml.problems().error_count() != before) return std::nullopt;
    return dims;
}

std::vector<std::string> phase_names(const Dimensions& dims) {
    std::vector<std::string> names;
    for (const Phase& phase : dims.phases) names.push_back(phase.name);
    return names;
}

// ---------------------------------------------------------------- [data]

std::string age_range_text(const Dimensions& dims) {
    return std::to_string(dims.min_age) + ".." + std::to_string(dims.max_age);
}

std::optional<int> csv_age(const CsvTable& csv, const CsvRow& row, std::size_t field, const Dimensions& dims) {
    const std::optional<std::int64_t> age = parse_integer(row.fields[field].text);
    if (!age) {
        csv.error(row, field, "expected an integer age, found " + shown(row.fields[field].text));
        return std::nullopt;
    }
    if (*age < dims.min_age || *age > dims.max_age) {
        csv.error(row, field, "age " + std::to_string(*age) + " is outside min_age..max_age (" +
                                  age_range_text(dims) + ")");
        return std::nullopt;
    }
    return static_cast<int>(*age);
}

std::optional<int> csv_name(const CsvTable& csv, const CsvRow& row, std::size_t field,
                            const std::vector<std::string>& names, const char* what) {
    const int index = index_of(names, row.fields[field].text);
    if (index < 0)
        csv.error(row, field, std::string("unknown ") + what + " " + shown(row.fields[field].text) + "; declared " +
                                  what + "s: " + list_text(names));
    if (index < 0) return std::nullopt;
    return index;
}

// A count: a whole number (written 12, 12.0 or "1,200") in 0..max_count;
// nullopt after reporting why not.
std::optional<std::int64_t> csv_count(const CsvTable& csv, const CsvRow& row, std::size_t field) {
    std::string why;
    const std::optional<std::string> plain = without_separators(row.fields[field], why);
    if (!plain) {
        csv.error(row, field, why);
        return std::nullopt;
    }
    std::optional<std::int64_t> count = parse_integer(*plain);
    const std::optional<double> real = count ? std::nullopt : parse_real(*plain);
    if (!count && real && *real == std::floor(*real) && std::abs(*real) <= max_count)
        count = static_cast<std::int64_t>(*real);
    if (!count) {
        if (real && std::abs(*real) > max_count)
            csv.error(row, field, "count " + shown(row.fields[field].text) + " is above " + max_count_text +
                                      ", the largest count the engine takes");
        else
            csv.error(row, field, "expected a non-negative integer count, found " + shown(row.fields[field].text));
        return std::nullopt;
    }
    if (*count < 0) {
        csv.error(row, field, "count must be >= 0, found " + std::to_string(*count));
        return std::nullopt;
    }
    if (static_cast<double>(*count) > max_count) {
        csv.error(row, field, "count " + std::to_string(*count) + " is above " + max_count_text +
                                  ", the largest count the engine takes");
        return std::nullopt;
    }
    return count;
}

std::vector<std::int64_t> read_stock(const CsvTable& csv, const std::string& text, const Dimensions& dims) {
    std::vector<std::int64_t> stock(dims.cells(), 0);
    const std::optional<std::vector<CsvRow>> rows = csv.rows(text);
    if (!rows) return stock;
    std::map<std::size_t, int> line_of_cell;
    double total = 0.0;
    for (const CsvRow& row : *rows) {
        const std::optional<int> age = csv_age(csv, row, 0, dims);
        const std::optional<int> need = csv_name(csv, row, 1, dims.needs, "need");
        const std::optional<int> placement = csv_name(csv, row, 2, dims.placements, "placement");
        const std::optional<std::int64_t> count = csv_count(csv, row, 3);
        if (!age || !need || !placement || !count) continue;
        const std::size_t cell = dims.cell(*age, *need, *placement);
        if (const auto seen = line_of_cell.find(cell); seen != line_of_cell.end()) {
            csv.error(row.line, 0, "",
                      "duplicate cell (age " + std::to_string(*age) + ", " + dims.needs[*need] + ", " +
                          dims.placements[*placement] + "): also on line " + std::to_string(seen->second));
            continue;
        }
        line_of_cell.emplace(cell, row.line);
        stock[cell] = *count;
        total += static_cast<double>(*count);
    }
    if (total > max_count)
        csv.error(0, 0, "count", "the stock adds up to " + rounded_text(total) + " plans, above " + max_count_text +
                                     ", the largest total the engine takes");
    return stock;
}

// An age label of a population table: "7", or an ONS open-ended group
// ("90+", "90 and over"), whose first age is returned with open = true.
std::optional<std::int64_t> population_age(std::string_view text, bool& open) {
    open = false;
    if (std::optional<std::int64_t> age = parse_integer(text)) return age;
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (std::string_view suffix : {"+", " and over", " and older", " plus"}) {
        if (lower.size() > suffix.size() && lower.ends_with(suffix)) {
            if (std::optional<std::int64_t> age =
                    parse_integer(trim(std::string_view(lower).substr(0, lower.size() - suffix.size())))) {
                open = true;
                return age;
            }
        }
    }
    return std::nullopt;
}

// The wide layout of a population table: "year" then one column per age
// (ONS tables put ages across): true when every other header is an age label.
bool is_wide_population_header(const CsvRow& header) {
    if (header.fields.size() < 2 || header.fields.front().text != "year") return false;
    for (std::size_t i = 1; i < header.fields.size(); ++i) {
        bool open = false;
        if (!population_age(header.fields[i].text, open)) return false;
    }
    return true;
}

// Population by year as listed, each year holding every age; then the step
// function filled in for base_year..base_year+horizon.
std::map<int, std::vector<double>> read_population(const CsvTable& csv, const std::string& text,
                                                   const Dimensions& dims, std::optional<int> base_year,
                                                   std::optional<int> horizon, Problems& problems) {
    std::map<int, std::vector<double>> filled;
    std::optional<CsvTable::Parsed> parsed = csv.parse(text, is_wide_population_header);
    if (!parsed) return filled;
    std::vector<CsvRow> rows;
    if (!parsed->other_layout) {
        rows = std::move(parsed->rows);
    } else {
        // year,0,1,...: one long row (year, age, population) per cell, located at the value.
        const std::vector<CsvField>& header = parsed->header.fields;
        for (CsvRow& wide : parsed->rows) {
            if (wide.fields.size() != header.size()) {
                csv.error(wide.line, 0, "",
                          "expected " + std::to_string(header.size()) + " fields (year and one per age, as in the "
                          "header), found " + std::to_string(wide.fields.size()));
                continue;
            }
            for (std::size_t i = 1; i < header.size(); ++i) {
                CsvField age = header[i];
                age.column = wide.fields[i].column;
                rows.push_back({wide.line, {wide.fields[0], age, wide.fields[i]}});
            }
        }
    }
    struct Listed {
        int first_line = 0;
        std::vector<std::optional<double>> by_age;
        std::vector<int> line_of_age;
    };
    std::map<int, Listed> listed;
    int ignored = 0;
    bool bad = false;
    for (const CsvRow& row : rows) {
        const std::optional<std::int64_t> year = parse_integer(row.fields[0].text);
        bool open = false;
        const std::optional<std::int64_t> age = population_age(row.fields[1].text, open);
        std::string why;
        const std::optional<std::string> plain = without_separators(row.fields[2], why);
        const double value = plain ? parse_real(*plain).value_or(std::nan("")) : std::nan("");
        const std::optional<double> population = std::isnan(value) ? std::nullopt : std::optional<double>(value);
        if (!year || *year < first_year || *year > last_year)
            csv.error(row, 0, "expected a year (" + std::to_string(first_year) + ".." + std::to_string(last_year) +
                                  "), found " + shown(row.fields[0].text));
        if (!age) csv.error(row, 1, "expected an integer age, found " + shown(row.fields[1].text));
        if (!plain)
            csv.error(row, 2, why);
        else if (!population)
            csv.error(row, 2, "expected a non-negative number, found " + shown(row.fields[2].text));
        else if (*population < 0.0)
            csv.error(row, 2, "population must be >= 0, found " + row.fields[2].text);
        else if (*population > max_count)
            csv.error(row, 2, "population " + row.fields[2].text + " is above " + max_count_text +
                                  ", the largest count the engine takes");
        const bool usable_value = value >= 0.0 && value <= max_count;
        bad = bad || !usable_value;
        if (!year || *year < first_year || *year > last_year || !age) {
            bad = true;
            continue;
        }
        if (*age < dims.min_age || *age > dims.max_age) {
            ++ignored;
            continue;
        }
        if (open) {
            csv.error(row, 1, "age " + shown(row.fields[1].text) + " is a group of every age from " +
                                  std::to_string(*age) + " up, but max_age is " + std::to_string(dims.max_age) +
                                  ": give single years of age up to max_age, or set max_age below " +
                                  std::to_string(*age) + " (the group is then ignored)");
            bad = true;
            continue;
        }
        Listed& entry = listed[static_cast<int>(*year)];
        if (entry.by_age.empty()) {
            entry.first_line = row.line;
            entry.by_age.resize(dims.ages());
            entry.line_of_age.resize(dims.ages());
        }
        const std::size_t slot = static_cast<std::size_t>(*age - dims.min_age);
        if (entry.by_age[slot]) {
            csv.error(row.line, 0, "",
                      "duplicate row for year " + std::to_string(*year) + ", age " + std::to_string(*age) +
                          ": also on line " + std::to_string(entry.line_of_age[slot]));
            bad = true;
            continue;
        }
        entry.by_age[slot] = usable_value ? value : 0.0;
        entry.line_of_age[slot] = row.line;
    }
    if (ignored > 0)
        problems.note({csv.file(), "age", 0, 0}, std::to_string(ignored) + " row(s) for ages outside min_age..max_age (" +
                                                     age_range_text(dims) + ") ignored");
    for (const auto& [year, entry] : listed) {
        std::vector<std::string> missing;
        double total = 0.0;
        for (int i = 0; i < dims.ages(); ++i) {
            if (!entry.by_age[i]) missing.push_back(std::to_string(dims.min_age + i));
            else total += *entry.by_age[i];
        }
        if (!missing.empty()) {
            csv.error(entry.first_line, 0, "age",
                      "year " + std::to_string(year) + " is missing age(s) " + list_text(missing) +
                          ": each listed year must give every age " + age_range_text(dims));
            bad = true;
        } else if (total > max_count) {
            csv.error(entry.first_line, 0, "population",
                      "the population of " + std::to_string(year) + " adds up to " + rounded_text(total) +
                          ", above " + max_count_text + ", the largest total the engine takes");
            bad = true;
        }
    }
    if (listed.empty()) {
        if (!bad) csv.error(0, 0, "", "no population rows for ages " + age_range_text(dims));
        return filled;
    }
    if (!base_year || !horizon || bad) return filled;
    if (listed.begin()->first > *base_year) {
        csv.error(listed.begin()->second.first_line, 0, "year",
                  "the first listed year " + std::to_string(listed.begin()->first) + " is after base_year " +
                      std::to_string(*base_year) + "; the population must be known from the base year");
        return filled;
    }
    for (int year = *base_year; year <= *base_year + *horizon; ++year) {
        const Listed& holding = std::prev(listed.upper_bound(year))->second;
        std::vector<double>& values = filled[year];
        for (const std::optional<double>& value : holding.by_age) values.push_back(*value);
    }
    return filled;
}


// A CSV named by a [data] key: its text, or a problem naming the path.
const std::string* data_file(Toml& toml, Files& files, const toml::table& data, std::string_view key,
                             std::string& display) {
    const std::string path = join_key("data", key);
    const toml::node* node = toml.required(data, key, "data");
    if (!node) return nullptr;
    const std::optional<std::string> name = toml.text(*node, path);
    if (!name) return nullptr;
    display = files.display(*name);
    const std::string* text = files.read(*name);
    if (!text)
        toml.error(toml.at(*node, path), "cannot read the file " + in_quotes(*name) + " (looked for " +
                                             in_quotes(display) + "; paths are relative to the scenario file): " +
                                             why_unreadable(display));
    return text;
}

void read_data(Toml& toml, Files& files, const toml::table& root, const Header& header, Scenario& scenario) {
    scenario.stock.assign(scenario.dims.cells(), 0);
    const toml::table* data = toml.table(root, "data", "data", true);
    if (!data) return;
    toml.check_keys(*data, "data", {"stock", "population"});
    std::string display;
    if (const std::string* text = data_file(toml, files, *data, "stock", display)) {
        const CsvTable csv(display, {"age", "need", "placement", "count"}, toml.problems());
        scenario.stock = read_stock(csv, *text, scenario.dims);
    }
    if (const std::string* text = data_file(toml, files, *data, "population", display)) {
        const CsvTable csv(display, {"year", "age", "population"}, toml.problems());
        scenario.population =
            read_population(csv, *text, scenario.dims, header.base_year, header.horizon, toml.problems());
    }
}

// ---------------------------------------------------------------- [demand]

// Reports a mix whose means do not sum to 1.
void check_mix_sum(Toml& toml, const toml::node& node, const std::string& path, const std::vector<Param>& weights) {
    double sum = 0.0;
    for (const Param& weight : weights) sum += weight.dist.mean();
    if (std::abs(sum - 1.0) > mix_tolerance)
        toml.error(toml.at(node, path), "the weights (their means) sum to " + rounded_text(sum) +
                                            "; they must sum to 1 (tolerance " + number_text(mix_tolerance) + ")");
}

std::vector<Param> read_mix(Toml& toml, const toml::node& node, const std::string& path,
                            const std::vector<std::string>& names, const char* what) {
    // Weights written as percentages (45 for 45%) fail their domain one by
    // one; say what the slip is once, for the whole mix.
    if (const toml::table* table = node.as_table(); table && !is_distribution_table(node)) {
        double sum = 0.0;
        bool numbers = !table->empty();
        for (auto&& [key, value] : *table) {
            if (is_number(value)) sum += number_of(value);
            else numbers = false;
        }
        if (numbers && sum >= 95.0 && sum <= 105.0)
            toml.error(toml.at(node, path), "the weights sum to " + rounded_text(sum) +
                                                ": they look like percentages; give fractions that sum to 1 (45% is "
                                                "0.45)");
    }
    const std::size_t before = toml.problems().error_count();
    std::vector<Param> weights = toml.every_name(node, path, names, {what, Domain::probability});
    if (toml.problems().error_count() == before) check_mix_sum(toml, node, path, weights);
    return weights;
}

// A required table keyed by phase names and `default` (the two mixes).
const toml::table* phase_keyed_table(Toml& toml, const toml::table& parent, const char* key, const std::string& path,
                                     const Dimensions& dims) {
    const toml::table* table = toml.table(parent, key, path, true);
    if (!table) return nullptr;
    std::vector<std::string> allowed = phase_names(dims);
    allowed.emplace_back(default_key);
    toml.check_keys(*table, path, allowed);
    return table;
}

// need_mix[phase][need]: a phase's own table, else `default`.
std::vector<std::vector<Param>> read_need_mix(Toml& toml, const toml::table& demand, const Dimensions& dims) {
    const std::string path = "demand.need_mix";
    std::vector<std::vector<Param>> mix(dims.phases.size());
    const toml::table* table = phase_keyed_table(toml, demand, "need_mix", path, dims);
    if (!table) return mix;
    std::vector<Param> fallback;
    if (const toml::node* node = table->get(default_key))
        fallback = read_mix(toml, *node, join_key(path, default_key), dims.needs, "need");
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string& name = dims.phases[phase].name;
        if (const toml::node* node = table->get(name))
            mix[phase] = read_mix(toml, *node, join_key(path, name), dims.needs, "need");
        else if (!fallback.empty())
            mix[phase] = fallback;
        else
            toml.error(toml.at(*table, path), "no need mix for phase " + in_quotes(name) + ": give " +
                                                  join_key(path, name) + " or " + join_key(path, default_key));
    }
    return mix;
}

// placement_mix[phase][need][placement]: [phase].need, else [phase].default, else default.
std::vector<std::vector<std::vector<Param>>> read_placement_mix(Toml& toml, const toml::table& demand,
                                                                const Dimensions& dims) {
    const std::string path = "demand.placement_mix";
    std::vector<std::vector<std::vector<Param>>> mix(dims.phases.size(),
                                                     std::vector<std::vector<Param>>(dims.needs.size()));
    const toml::table* table = phase_keyed_table(toml, demand, "placement_mix", path, dims);
    if (!table) return mix;
    std::vector<Param> fallback;
    if (const toml::node* node = table->get(default_key))
        fallback = read_mix(toml, *node, join_key(path, default_key), dims.placements, "placement");
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string phase_path = join_key(path, dims.phases[phase].name);
        const toml::table* phase_table = toml.table(*table, dims.phases[phase].name, phase_path, false);
        std::vector<Param> phase_fallback = fallback;
        if (phase_table) {
            std::vector<std::string> phase_keys = dims.needs;
            phase_keys.emplace_back(default_key);
            toml.check_keys(*phase_table, phase_path, phase_keys);
            if (const toml::node* node = phase_table->get(default_key))
                phase_fallback = read_mix(toml, *node, join_key(phase_path, default_key), dims.placements, "placement");
        }
        for (std::size_t need = 0; need < dims.needs.size(); ++need) {
            const toml::node* node = phase_table ? phase_table->get(dims.needs[need]) : nullptr;
            if (node)
                mix[phase][need] = read_mix(toml, *node, join_key(phase_path, dims.needs[need]), dims.placements,
                                            "placement");
            else if (!phase_fallback.empty())
                mix[phase][need] = phase_fallback;
            else
                toml.error(toml.at(*table, path),
                           "no placement mix for phase " + in_quotes(dims.phases[phase].name) + ", need " +
                               in_quotes(dims.needs[need]) + ": give " + phase_path + "." + dims.needs[need] + ", " +
                               phase_path + ".default or " + join_key(path, default_key));
        }
    }
    return mix;
}

// [demand] pipeline: the plans agreed in the base year and issued after its
// end (MODEL.md 4, step 4). A number (a total, spread over ages like the base
// year's issued plans) or a table of counts by the age they were agreed at.
void read_pipeline(Toml& toml, const toml::node& node, const Dimensions& dims, Demand& demand) {
    const std::string path = "demand.pipeline";
    auto count = [&](const toml::node& value, const std::string& where) -> double {
        if (!is_number(value)) {
            toml.error(toml.at(value, where), "expected a number of plans, found " + type_name(value));
            return 0.0;
        }
        const double x = number_of(value);
        if (!(x >= 0.0) || !(x <= 1e9)) {
            toml.error(toml.at(value, where), "a number of plans must be between 0 and 1e9");
            return 0.0;
        }
        return x;
    };
    if (is_number(node)) {
        demand.pipeline_total = count(node, path);
        return;
    }
    const toml::table* table = node.as_table();
    if (!table) {
        toml.error(toml.at(node, path),
                   "expected a number (a total) or a table of counts by age, e.g. { 4 = 10, 5 = 12 }, found " +
                       type_name(node));
        return;
    }
    demand.pipeline_by_age.assign(static_cast<std::size_t>(dims.ages()), 0.0);
    for (auto&& [key, value] : *table) {
        const std::string where = path + "." + std::string(key.str());
        const std::optional<double> age = parse_real(key.str());
        if (!age || *age != std::floor(*age) || *age < dims.min_age || *age >= dims.min_age + dims.ages() - 1) {
            toml.error(toml.at(value, where), "expected an age from " + std::to_string(dims.min_age) + " to " +
                                                  std::to_string(dims.min_age + dims.ages() - 2) +
                                                  " (the age the plans were agreed at; they join a year older)");
            continue;
        }
        demand.pipeline_by_age[static_cast<std::size_t>(*age - dims.min_age)] = count(value, where);
    }
}

Demand read_demand(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year) {
    Demand demand;
    const toml::table* table = toml.table(root, "demand", "demand", true);
    if (!table) return demand;
    toml.check_keys(*table, "demand", {"request_rate", "assess_rate", "issue_rate", "lag", "growth", "growth_long_run",
                                       "persistence", "shock_sd", "request_multiplier", "need_mix", "placement_mix",
                                       "pipeline"});
    if (const toml::node* rates = toml.required(*table, "request_rate", "demand"))
        demand.request_rate = toml.every_name(*rates, "demand.request_rate", phase_names(dims),
                                              {"phase", Domain::probability, true, true});
    for (const Param& rate : demand.request_rate)
        if (rate.dist.mean() > max_plausible_request_rate)
            toml.warning(rate.where, "a request rate of " + rounded_text(rate.dist.mean()) +
                                         " a year (a request from " + rounded_text(100.0 * rate.dist.mean()) +
                                         "% of residents every year) is above " +
                                         number_text(max_plausible_request_rate) +
                                         ": was a percentage written as a number (2% is 0.02), or a count given "
                                         "instead of a rate?");
    demand.assess_rate = toml.required_param(*table, "assess_rate", "demand.assess_rate", Domain::probability);
    demand.issue_rate = toml.required_param(*table, "issue_rate", "demand.issue_rate", Domain::probability);
    demand.lag = toml.param_or(*table, "lag", "demand.lag", Domain::probability, 0.0);
    demand.growth = toml.param_or(*table, "growth", "demand.growth", Domain::growth, 0.0);
    demand.growth_long_run = toml.param_or(*table, "growth_long_run", "demand.growth_long_run", Domain::growth, 0.0);
    demand.persistence = toml.param_or(*table, "persistence", "demand.persistence", Domain::persistence, 1.0);
    demand.shock_sd = toml.param_or(*table, "shock_sd", "demand.shock_sd", Domain::shock, 0.0);
    demand.request_multiplier.before_first = 1.0;
    if (const toml::node* multiplier = table->get("request_multiplier"))
        demand.request_multiplier =
            toml.year_series(*multiplier, "demand.request_multiplier", Domain::nonnegative, 1.0, base_year);
    demand.need_mix = read_need_mix(toml, *table, dims);
    demand.placement_mix = read_placement_mix(toml, *table, dims);
    if (const toml::node* pipeline = table->get("pipeline")) read_pipeline(toml, *pipeline, dims, demand);
    return demand;
}

// ---------------------------------------------------------------- [cease]

// c[phase][placement]: the phase's entry, else `default`, placement by placement.
std::vector<std::vector<Param>> read_cease_rate(Toml& toml, const toml::node& node, const Dimensions& dims) {
    const std::string path = "cease.rate";
    const NamedSpec by_placement{"placement", Domain::probability, true, false};
    std::vector<std::vector<Param>> rate(dims.phases.size());
    if (is_number(node) || is_distribution_table(node)) {
        const Param shared = toml.param(node, path, Domain::probability);
        for (std::vector<Param>& row : rate) row.assign(dims.placements.size(), shared);
        return rate;
    }
    if (!node.is_table()) {
        toml.error(toml.at(node, path), "expected a table keyed by phase (and 'default'), found " + type_name(node));
        return rate;
    }
    const toml::table& table = *node.as_table();
    std::vector<std::string> allowed = phase_names(dims);
    allowed.emplace_back(default_key);
    toml.check_keys(table, path, allowed);
    std::vector<std::optional<Param>> fallback(dims.placements.size());
    if (const toml::node* entry = table.get(default_key))
        fallback = toml.by_name(*entry, join_key(path, default_key), dims.placements, by_placement);
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string& name = dims.phases[phase].name;
        std::vector<std::optional<Param>> own(dims.placements.size());
        if (const toml::node* entry = table.get(name))
            own = toml.by_name(*entry, join_key(path, name), dims.placements, by_placement);
        std::vector<std::string> missing;
        for (std::size_t placement = 0; placement < dims.placements.size(); ++placement) {
            const std::optional<Param>& chosen = own[placement] ? own[placement] : fallback[placement];
            if (!chosen) missing.push_back(dims.placements[placement]);
            rate[phase].push_back(
                chosen.value_or(Param{join_key(path, name), Distribution::fixed_value(0.0), toml.at(table, path)}));
        }
        if (!missing.empty())
            toml.error(toml.at(table, path), "no cease rate for phase " + in_quotes(name) + ", placement(s) " +
                                                 list_text(missing) + ": give them in " + join_key(path, name) +
                                                 " or " + join_key(path, default_key));
    }
    return rate;
}

Cease read_cease(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year) {
    Cease cease;
    cease.rate.assign(dims.phases.size(), {});
    const toml::table* table = toml.table(root, "cease", "cease", true);
    if (!table) return cease;
    toml.check_keys(*table, "cease", {"rate", "multiplier"});
    if (const toml::node* rate = toml.required(*table, "rate", "cease")) cease.rate = read_cease_rate(toml, *rate, dims);
    cease.multiplier.before_first = 1.0;
    if (const toml::node* multiplier = table->get("multiplier"))
        cease.multiplier = toml.year_series(*multiplier, "cease.multiplier", Domain::nonnegative, 1.0, base_year);
    return cease;
}

// ---------------------------------------------------------------- [[transitions]]

std::vector<int> read_into_ages(Toml& toml, const toml::table& table, const std::string& path, const Dimensions& dims) {
    const toml::node* list = table.get("into_ages");
    const toml::node* range = table.get("into_age_range");
    if ((list != nullptr) == (range != nullptr)) {
        toml.error(toml.at(table, path), "give exactly one of into_ages (a list) or into_age_range ([first, last])");
        return {};
    }
    const std::string key = join_key(path, list ? "into_ages" : "into_age_range");
    const toml::node& node = list ? *list : *range;
    const toml::array* array = node.as_array();
    if (!array || array->empty() || (range && array->size() != 2)) {
        toml.error(toml.at(node, key), range ? "expected [first_age, last_age]" : "expected a non-empty list of ages");
        return {};
    }
    std::vector<int> given;
    for (const toml::node& element : *array) {
        const auto age = toml.integer(element, key, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
        if (!age) return {};
        // Nobody ages into min_age, so the youngest target is min_age + 1.
        if (*age <= dims.min_age || *age > dims.max_age) {
            toml.error(toml.at(element, key), "age " + std::to_string(*age) + " cannot be moved into: ages moved into run " +
                                                  std::to_string(dims.min_age + 1) + ".." + std::to_string(dims.max_age) +
                                                  " (min_age + 1 to max_age)");
            return {};
        }
        given.push_back(static_cast<int>(*age));
    }
    std::vector<int> ages;
    if (range) {
        if (given[0] > given[1]) {
            toml.error(toml.at(node, key), "first age is after last age");
            return {};
        }
        for (int age = given[0]; age <= given[1]; ++age) ages.push_back(age);
    } else {
        ages = given;
        std::sort(ages.begin(), ages.end());
        ages.erase(std::unique(ages.begin(), ages.end()), ages.end());
    }
    return ages;
}

std::optional<TransitionRule> read_transition(Toml& toml, const toml::node& node, const std::string& path,
                                              const Dimensions& dims) {
    const toml::table* table = node.as_table();
    if (!table) {
        toml.error(toml.at(node, path), "expected a table, found " + type_name(node));
        return std::nullopt;
    }
    const std::size_t before = toml.problems().error_count();
    toml.check_keys(*table, path, {"into_ages", "into_age_range", "needs", "from", "to"});
    TransitionRule rule;
    rule.where = toml.at(*table, path);
    rule.into_ages = read_into_ages(toml, *table, path, dims);
    if (const toml::node* needs = table->get("needs")) {
        const toml::array* array = needs->as_array();
        if (!array || array->empty())
            toml.error(toml.at(*needs, join_key(path, "needs")), "expected a non-empty list of needs");
        for (std::size_t i = 0; array && i < array->size(); ++i) {
            const std::optional<std::string> name = toml.text(*array->get(i), join_key(path, "needs"));
            const int need = name ? index_of(dims.needs, *name) : -1;
            if (name && need < 0)
                toml.error(toml.at(*array->get(i), join_key(path, "needs")),
                           "unknown need " + in_quotes(*name) + "; declared needs: " + list_text(dims.needs));
            if (need >= 0) rule.needs.push_back(need);
        }
    }
    if (const toml::node* from = toml.required(*table, "from", path)) {
        const std::optional<std::string> name = toml.text(*from, join_key(path, "from"));
        rule.from = name ? index_of(dims.placements, *name) : -1;
        if (name && rule.from < 0)
            toml.error(toml.at(*from, join_key(path, "from")),
                       "unknown placement " + in_quotes(*name) + "; declared placements: " + list_text(dims.placements));
    }
    if (const toml::node* to = toml.required(*table, "to", path)) {
        const std::string to_path = join_key(path, "to");
        const std::vector<std::optional<Param>> targets =
            toml.by_name(*to, to_path, dims.placements, {"placement", Domain::probability});
        double sum = 0.0;
        for (std::size_t placement = 0; placement < targets.size(); ++placement) {
            if (!targets[placement]) continue;
            if (static_cast<int>(placement) == rule.from)
                toml.error(targets[placement]->where, "'to' names the 'from' placement " +
                                                          in_quotes(dims.placements[placement]) +
                                                          "; those who stay are the remainder");
            rule.to.emplace_back(static_cast<int>(placement), *targets[placement]);
            sum += targets[placement]->dist.mean();
        }
        if (to->is_table() && rule.to.empty()) toml.error(toml.at(*to, to_path), "names no placement");
        if (sum > 1.0 + mix_tolerance)
            toml.error(toml.at(*to, to_path), "the probabilities (their means) sum to " + rounded_text(sum) +
                                                  "; they must sum to at most 1 (tolerance " +
                                                  number_text(mix_tolerance) + ")");
    }
    if (toml.problems().error_count() != before) return std::nullopt;
    return rule;
}

// Two rules may not cover the same (age moved into, need, from).
void check_transition_overlaps(Toml& toml, const std::vector<TransitionRule>& rules, const Dimensions& dims) {
    std::map<std::tuple<int, int, int>, std::size_t> owner;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const TransitionRule& rule = rules[i];
        std::vector<int> needs = rule.needs;
        if (needs.empty())
            for (int need = 0; need < static_cast<int>(dims.needs.size()); ++need) needs.push_back(need);
        for (int age : rule.into_ages) {
            for (int need : needs) {
                const auto [it, fresh] = owner.emplace(std::make_tuple(age, need, rule.from), i);
                if (fresh) continue;
                const TransitionRule& other = rules[it->second];
                toml.error(rule.where, "conflicts with the rule on line " + std::to_string(other.where.line) +
                                           " (" + other.where.key + "): both move pupils into age " +
                                           std::to_string(age) + " with need " + in_quotes(dims.needs[need]) +
                                           " from " + in_quotes(dims.placements[rule.from]));
                return;
            }
        }
    }
}

std::vector<TransitionRule> read_transitions(Toml& toml, const toml::table& root, const Dimensions& dims) {
    std::vector<TransitionRule> rules;
    const toml::node* node = root.get("transitions");
    if (!node) return rules;
    const toml::array* array = node->as_array();
    if (!array) {
        toml.error(toml.at(*node, "transitions"), "expected an array of tables ([[transitions]]), found " +
                                                       type_name(*node));
        return rules;
    }
    bool complete = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
        std::optional<TransitionRule> rule =
            read_transition(toml, *array->get(i), "transitions[" + std::to_string(i) + "]", dims);
        if (rule)
            rules.push_back(std::move(*rule));
        else
            complete = false;
    }
    if (complete) check_transition_overlaps(toml, rules, dims);
    return rules;
}

// ---------------------------------------------------------------- [transfers_in]

TransfersIn read_transfers_in(Toml& toml, const toml::table& root, int base_year) {
    TransfersIn transfers;
    transfers.rate.before_first = 0.0;
    const toml::table* table = toml.table(root, "transfers_in", "transfers_in", false);
    if (!table) return transfers;
    toml.check_keys(*table, "transfers_in", {"rate"});
    if (const toml::node* rate = table->get("rate"))
        transfers.rate = toml.year_series(*rate, "transfers_in.rate", Domain::count, 0.0, base_year);
    return transfers;
}

// ---------------------------------------------------------------- [money]

void read_other(Toml& toml, const toml::table& money, Money& out) {
    out.other_spend = Param{"money.other.spend", Distribution::fixed_value(0.0), {toml.file(), "money.other.spend"}};
    out.other_growth = Param{"money.other.growth", Distribution::fixed_value(0.0), {toml.file(), "money.other.growth"}};
    const toml::table* other = toml.table(money, "other", "money.other", false);
    if (!other) return;
    toml.check_keys(*other, "money.other", {"spend", "growth"});
    out.other_spend = toml.param_or(*other, "spend", "money.other.spend", Domain::money, 0.0);
    out.other_growth = toml.param_or(*other, "growth", "money.other.growth", Domain::growth, 0.0);
}

void read_funding(Toml& toml, const toml::table& money, int base_year, Money& out) {
    out.funding_growth =
        Param{"money.funding.growth", Distribution::fixed_value(0.0), {toml.file(), "money.funding.growth"}};
    const toml::table* funding = toml.table(money, "funding", "money.funding", true);
    if (!funding) return;
    toml.check_keys(*funding, "money.funding", {"known", "growth"});
    out.funding_growth = toml.param_or(*funding, "growth", "money.funding.growth", Domain::growth, 0.0);
    const toml::node* known = toml.required(*funding, "known", "money.funding");
    if (!known) return;
    if (!known->is_table() || is_distribution_table(*known) || known->as_table()->empty()) {
        toml.error(toml.at(*known, "money.funding.known"),
                   "expected a table of known allocations keyed by year, e.g. { " + std::to_string(base_year) +
                       " = 23.8e6 }");
        return;
    }
    out.funding_known = toml.year_series(*known, "money.funding.known", Domain::money, 0.0, base_year);
    if (!out.funding_known.empty() && out.funding_known.points.front().first > base_year)
        toml.error(toml.at(*known, "money.funding.known"),
                   "the first known year " + std::to_string(out.funding_known.points.front().first) +
                       " is after base_year " + std::to_string(base_year) +
                       "; every simulated year needs funding, so give the base year's");
}

Transport no_transport(const std::string& path, const std::string& file) {
    auto zero = [&](const char* key) {
        return Param{join_key(path, key), Distribution::fixed_value(0.0), {file, join_key(path, key)}};
    };
    return {zero("users"), zero("out_of_borough_share"), zero("cost_in_borough"), zero("cost_out_of_borough")};
}

// Without [money.transport] (or a placement's table) transport costs nothing.
void no_transport_at_all(const std::string& file, const Dimensions& dims, Money& out) {
    out.transport.clear();
    for (const std::string& placement : dims.placements)
        out.transport.push_back(no_transport("money.transport." + placement, file));
    out.transport_inflation =
        Param{"money.transport.inflation", Distribution::fixed_value(0.0), {file, "money.transport.inflation"}};
}

void read_transport(Toml& toml, const toml::table& money, const Dimensions& dims, Money& out) {
    no_transport_at_all(toml.file(), dims, out);
    const toml::table* transport = toml.table(money, "transport", "money.transport", false);
    if (!transport) return;
    std::vector<std::string> allowed = dims.placements;
    allowed.insert(allowed.begin(), "inflation");
    toml.check_keys(*transport, "money.transport", allowed);
    out.transport_inflation = toml.param_or(*transport, "inflation", "money.transport.inflation", Domain::growth, 0.0);
    for (std::size_t placement = 0; placement < dims.placements.size(); ++placement) {
        const std::string path = "money.transport." + dims.placements[placement];
        const toml::table* table = toml.table(*transport, dims.placements[placement], path, false);
        if (!table) continue;
        toml.check_keys(*table, path, {"users", "out_of_borough_share", "cost_in_borough", "cost_out_of_borough"});
        Transport& entry = out.transport[placement];
        entry.users = toml.required_param(*table, "users", join_key(path, "users"), Domain::probability);
        entry.out_of_borough_share = toml.required_param(*table, "out_of_borough_share",
                                                         join_key(path, "out_of_borough_share"), Domain::probability);
        entry.cost_in_borough =
            toml.required_param(*table, "cost_in_borough", join_key(path, "cost_in_borough"), Domain::money);
        entry.cost_out_of_borough =
            toml.required_param(*table, "cost_out_of_borough", join_key(path, "cost_out_of_borough"), Domain::money);
    }
}

Money read_money(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year) {
    Money money;
    const std::string file = toml.file();
    money.opening_deficit = Param{"money.opening_deficit", Distribution::fixed_value(0.0), {file, "money.opening_deficit", 0, 0}};
    const toml::table* table = toml.table(root, "money", "money", true);
    no_transport_at_all(file, dims, money);
    if (!table) return money;
    toml.check_keys(*table, "money", {"opening_deficit", "unit_cost", "cost_inflation", "other", "funding",
                                      "transport"});
    money.opening_deficit = toml.required_param(*table, "opening_deficit", "money.opening_deficit", Domain::real);
    if (const toml::node* unit_cost = toml.required(*table, "unit_cost", "money"))
        money.unit_cost = toml.every_name(*unit_cost, "money.unit_cost", dims.placements, {"placement", Domain::money});
    for (const Param& cost : money.unit_cost) {
        const double mean = cost.dist.mean();
        if (mean > 0.0 && mean < min_plausible_unit_cost)
            toml.warning(cost.where, "a unit cost of GBP " + rounded_text(mean) +
                                         " a year per plan is under GBP 1,000: a weekly or termly figure, or one in "
                                         "thousands of pounds? unit costs are GBP per plan per year");
        else if (mean > max_plausible_unit_cost)
            toml.warning(cost.where, "a unit cost of GBP " + rounded_text(mean) +
                                         " a year per plan is over GBP 1m: a total for the placement rather than per "
                                         "plan, or an amount in pence? unit costs are GBP per plan per year");
    }
    if (const toml::node* inflation = table->get("cost_inflation")) {
        const std::vector<std::optional<Param>> given = toml.by_name(
            *inflation, "money.cost_inflation", dims.placements, {"placement", Domain::growth, true, true});
        for (std::size_t placement = 0; placement < dims.placements.size(); ++placement) {
            const std::string path = "money.cost_inflation." + dims.placements[placement];
            money.cost_inflation.push_back(given[placement].value_or(
                Param{path, Distribution::fixed_value(0.0), {file, path}}));
        }
    } else {
        money.cost_inflation.assign(dims.placements.size(), Param{"money.cost_inflation",
                                                                  Distribution::fixed_value(0.0),
                                                                  {file, "money.cost_inflation"}});
    }
    read_other(toml, *table, money);
    read_funding(toml, *table, base_year, money);
    read_transport(toml, *table, dims, money);
    return money;
}

// ---------------------------------------------------------------- [[mitigations]]

using MitigationKind = Mitigation::Kind;

const std::vector<std::pair<std::string, MitigationKind>> mitigation_kinds = {
    {"fewer_plans", MitigationKind::fewer_plans},
    {"divert", MitigationKind::divert},
    {"cease_more", MitigationKind::cease_more},
    {"cheaper_unit_cost", MitigationKind::cheaper_unit_cost},
};

const std::vector<std::string> mitigation_keys = {
    "name",   "kind",  "description", "start_year", "ramp", "target", "stretch", "annual_cost", "cost_on_high_needs_block",
    "phases", "needs", "placements",  "stage",      "from", "to"};

// The keys only some kinds accept (docs/scenario.md, "Rules per kind").
const std::vector<std::pair<std::string, std::vector<MitigationKind>>> kind_specific_keys = {
    {"phases", {MitigationKind::fewer_plans, MitigationKind::divert, MitigationKind::cease_more}},
    {"needs", {MitigationKind::fewer_plans, MitigationKind::divert}},
    {"placements", {MitigationKind::cease_more, MitigationKind::cheaper_unit_cost}},
    {"stage", {MitigationKind::fewer_plans}},
    {"from", {MitigationKind::divert}},
    {"to", {MitigationKind::divert}},
};

std::string kind_name(MitigationKind kind) {
    for (const auto& [name, value] : mitigation_kinds)
        if (value == kind) return name;
    return "?";
}

std::vector<std::string> kind_names(const std::vector<MitigationKind>& kinds) {
    std::vector<std::string> names;
    for (MitigationKind kind : kinds) names.push_back(kind_name(kind));
    return names;
}

// Whether a mitigation of `kind` takes `key`; every key is taken while the kind is unknown.
bool kind_accepts(std::optional<MitigationKind> kind, std::string_view key) {
    if (!kind) return true;
    for (const auto& [name, kinds] : kind_specific_keys)
        if (name == key) return std::find(kinds.begin(), kinds.end(), *kind) != kinds.end();
    return true;
}

std::optional<MitigationKind> read_kind(Toml& toml, const toml::table& table, const std::string& path) {
    const toml::node* node = toml.required(table, "kind", path);
    if (!node) return std::nullopt;
    const std::optional<std::string> name = toml.text(*node, join_key(path, "kind"));
    if (!name) return std::nullopt;
    for (const auto& [known, kind] : mitigation_kinds)
        if (known == *name) return kind;
    std::vector<std::string> known;
    for (const auto& entry : mitigation_kinds) known.push_back(entry.first);
    toml.error(toml.at(*node, join_key(path, "kind")),
               "unknown mitigation kind " + in_quotes(*name) + "; expected one of " + list_text(known));
    return std::nullopt;
}

// Reports the keys written that the mitigation's kind does not take.
void check_kind_keys(Toml& toml, const toml::table& table, const std::string& path, MitigationKind kind) {
    for (const auto& [key, node] : in_source_order(table)) {
        const std::string name(key->str());  // a local: clang 14 cannot capture structured bindings
        if (kind_accepts(kind, name)) continue;
        const auto entry = std::find_if(kind_specific_keys.begin(), kind_specific_keys.end(),
                                        [&](const auto& spec) { return spec.first == name; });
        toml.error(toml.at(*key, join_key(path, key->str())),
                   in_quotes(key->str()) + " does not apply to kind " + in_quotes(kind_name(kind)) +
                       "; kinds that take it: " + list_text(kind_names(entry->second)));
    }
}

// base_year < start_year <= base_year + horizon; default base_year + 1.
int read_start_year(Toml& toml, const toml::table& table, const std::string& path, const Header& header) {
    const int base_year = header.base_year.value_or(0);
    const toml::node* node = table.get("start_year");
    if (!node) return base_year + 1;
    const std::string key = join_key(path, "start_year");
    const std::optional<std::int64_t> year = toml.integer(*node, key, first_year, last_year);
    if (!year) return base_year + 1;
    if (header.base_year && header.horizon && (*year <= base_year || *year > base_year + *header.horizon))
        toml.error(toml.at(*node, key), "start_year " + std::to_string(*year) + " is outside the simulated years " +
                                            std::to_string(base_year + 1) + ".." +
                                            std::to_string(base_year + *header.horizon) +
                                            " (after base_year, up to base_year + horizon)");
    return static_cast<int>(*year);
}

int read_ramp(Toml& toml, const toml::table& table, const std::string& path) {
    const toml::node* node = table.get("ramp");
    if (!node) return 1;
    const std::string key = join_key(path, "ramp");
    const std::optional<std::int64_t> ramp =
        toml.integer(*node, key, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
    if (!ramp) return 1;
    if (*ramp < 1) {
        toml.error(toml.at(*node, key), "ramp must be an integer >= 1 (years to full effect; 1 = full effect in "
                                        "start_year), found " + std::to_string(*ramp));
        return 1;
    }
    return static_cast<int>(*ramp);
}

// A declared name given as a string: its index, or -1 (reported).
int read_declared_name(Toml& toml, const toml::node& node, const std::string& path,
                       const std::vector<std::string>& names, const std::string& what) {
    const std::optional<std::string> name = toml.text(node, path);
    if (!name) return -1;
    const int index = index_of(names, *name);
    if (index < 0)
        toml.error(toml.at(node, path),
                   "unknown " + what + " " + in_quotes(*name) + "; declared " + what + "s: " + list_text(names));
    return index;
}

// A scope list of declared names as sorted indices; empty = all.
std::vector<int> read_scope(Toml& toml, const toml::node& node, const std::string& path,
                            const std::vector<std::string>& names, const std::string& what) {
    std::vector<int> indices;
    const toml::array* array = node.as_array();
    if (!array) {
        toml.error(toml.at(node, path), "expected an array of " + what + " names, found " + type_name(node));
        return indices;
    }
    for (const toml::node& element : *array)
        if (const int index = read_declared_name(toml, element, path, names, what); index >= 0)
            indices.push_back(index);
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    return indices;
}

void read_mitigation_scope(Toml& toml, const toml::table& table, const std::string& path, const Dimensions& dims,
                           std::optional<MitigationKind> kind, Mitigation& out) {
    struct Scope {
        const char* key;
        const char* what;
        const std::vector<std::string>& names;
        std::vector<int>& into;
    };
    const std::vector<std::string> phases = phase_names(dims);
    const Scope scopes[] = {{"phases", "phase", phases, out.phases},
                            {"needs", "need", dims.needs, out.needs},
                            {"placements", "placement", dims.placements, out.placements}};
    for (const Scope& scope : scopes) {
        const toml::node* node = table.get(scope.key);
        if (node && kind_accepts(kind, scope.key))
            scope.into = read_scope(toml, *node, join_key(path, scope.key), scope.names, scope.what);
    }
}

void read_stage(Toml& toml, const toml::table& table, const std::string& path, Mitigation& out) {
    const toml::node* node = table.get("stage");
    if (!node) return;
    const std::string key = join_key(path, "stage");
    const std::optional<std::string> stage = toml.text(*node, key);
    if (stage == "requests")
        out.stage = Mitigation::Stage::requests;
    else if (stage == "issues")
        out.stage = Mitigation::Stage::issues;
    else if (stage)
        toml.error(toml.at(*node, key), "unknown stage " + in_quotes(*stage) + "; expected requests or issues");
}

void read_diversion(Toml& toml, const toml::table& table, const std::string& path, const Dimensions& dims,
                    Mitigation& out) {
    if (const toml::node* from = toml.required(table, "from", path))
        out.from = read_declared_name(toml, *from, join_key(path, "from"), dims.placements, "placement");
    const toml::node* to = toml.required(table, "to", path);
    if (!to) return;
    out.to = read_declared_name(toml, *to, join_key(path, "to"), dims.placements, "placement");
    if (out.to >= 0 && out.to == out.from)
        toml.error(toml.at(*to, join_key(path, "to")),
                   "'to' is the 'from' placement " + in_quotes(dims.placements[out.to]) +
                       "; a diversion must send arrivals to another placement");
}

// The effects and the cost. A stretch not written is the target itself, same
// name and so the same draw.
void read_mitigation_values(Toml& toml, const toml::table& table, const std::string& path,
                            std::optional<MitigationKind> kind, Mitigation& out) {
    // cease_more multiplies by 1 + effect, so its effect may exceed 1; an unknown kind gets the wider domain.
    const Domain effect = kind == MitigationKind::cease_more || !kind ? Domain::nonnegative : Domain::probability;
    out.target = toml.required_param(table, "target", join_key(path, "target"), effect);
    if (const toml::node* stretch = table.get("stretch"))
        out.stretch = toml.param(*stretch, join_key(path, "stretch"), effect);
    else
        out.stretch = out.target;
    out.annual_cost = toml.param_or(table, "annual_cost", join_key(path, "annual_cost"), Domain::money, 0.0);
    if (const toml::node* flag = table.get("cost_on_high_needs_block"))
        out.cost_on_high_needs_block =
            toml.boolean(*flag, join_key(path, "cost_on_high_needs_block")).value_or(true);
}

// One [[mitigations]] entry; keyed in messages and parameter names by its name.
std::optional<Mitigation> read_mitigation(Toml& toml, const toml::node& node, std::size_t position,
                                          const Dimensions& dims, const Header& header) {
    const std::string indexed = "mitigations[" + std::to_string(position) + "]";
    const toml::table* table = node.as_table();
    if (!table) {
        toml.error(toml.at(node, indexed), "expected a table, found " + type_name(node));
        return std::nullopt;
    }
    const std::size_t before = toml.problems().error_count();
    Mitigation out;
    const toml::node* name = toml.required(*table, "name", indexed);
    const std::optional<std::string> text = name ? toml.identifier(*name, join_key(indexed, "name")) : std::nullopt;
    const std::string path = text ? "mitigations." + *text : indexed;
    out.name = text.value_or("");
    out.where = toml.at(*table, path);
    toml.check_keys(*table, path, mitigation_keys);
    if (const toml::node* description = table->get("description"))
        toml.text(*description, join_key(path, "description"));  // free text, for readers only
    const std::optional<MitigationKind> kind = read_kind(toml, *table, path);
    if (kind) {
        out.kind = *kind;
        check_kind_keys(toml, *table, path, *kind);
    }
    out.start_year = read_start_year(toml, *table, path, header);
    out.ramp = read_ramp(toml, *table, path);
    read_mitigation_values(toml, *table, path, kind, out);
    read_mitigation_scope(toml, *table, path, dims, kind, out);
    if (kind == MitigationKind::fewer_plans) read_stage(toml, *table, path, out);
    if (kind == MitigationKind::divert) read_diversion(toml, *table, path, dims, out);
    if (toml.problems().error_count() != before) return std::nullopt;
    return out;
}

std::vector<Mitigation> read_mitigations(Toml& toml, const toml::table& root, const Dimensions& dims,
                                         const Header& header) {
    std::vector<Mitigation> mitigations;
    const toml::node* node = root.get("mitigations");
    if (!node) return mitigations;
    const toml::array* array = node->as_array();
    if (!array) {
        toml.error(toml.at(*node, "mitigations"), "expected an array of tables ([[mitigations]]), found " +
                                                       type_name(*node));
        return mitigations;
    }
    std::map<std::string, int> first_line;
    for (std::size_t i = 0; i < array->size(); ++i) {
        std::optional<Mitigation> mitigation = read_mitigation(toml, *array->get(i), i, dims, header);
        if (!mitigation) continue;
        const auto [seen, fresh] = first_line.emplace(mitigation->name, mitigation->where.line);
        if (!fresh) {
            toml.error(mitigation->where, "duplicate mitigation name " + in_quotes(mitigation->name) +
                                              " (first given at line " + std::to_string(seen->second) +
                                              "); the name keys the mitigation's draws and must be unique");
            continue;
        }
        mitigations.push_back(std::move(*mitigation));
    }
    return mitigations;
}

// ---------------------------------------------------------------- [capacity]

// One value of `places`: a non-negative whole number (an integer, or a float
// without a fractional part), never a distribution.
Param read_place_count(Toml& toml, const toml::node& node, const std::string& path) {
    Param param{path, Distribution::fixed_value(0.0), toml.at(node, path)};
    if (is_distribution_table(node)) {
        toml.error(param.where, "places are a fixed whole number of places, not a distribution; give a number "
                                "(or a table of numbers keyed by year)");
        return param;
    }
    if (!is_number(node)) {
        toml.error(param.where, "expected a whole number of places, found " + type_name(node));
        return param;
    }
    const double value = number_of(node);
    if (!std::isfinite(value) || value < 0.0 || std::floor(value) != value) {
        toml.error(param.where, "places must be a non-negative whole number, found " + number_text(value));
        return param;
    }
    if (value > max_count) {
        toml.error(param.where, "places " + number_text(value) + " is above " + max_count_text +
                                    ", the largest count the engine takes");
        return param;
    }
    param.dist = Distribution::fixed_value(value + 0.0);  // + 0.0: no negative zero
    return param;
}

// `places`: a table keyed by year (a step function) or one number for every
// year (stored at base_year, named by the key alone like any value given once
// for all years). Before the first listed year there is no limit.
YearSeries read_places(Toml& toml, const toml::node& node, const std::string& path, int base_year) {
    YearSeries places;
    places.before_first = infinity;
    if (!node.is_table() || is_distribution_table(node)) {
        const Param count = read_place_count(toml, node, path);
        places.points.emplace_back(base_year, count);
        return places;
    }
    const toml::table& table = *node.as_table();
    if (table.empty()) {
        toml.error(toml.at(node, path), "expected places keyed by year, e.g. { " + std::to_string(base_year + 1) +
                                            " = 120 }, or one number for every year; found an empty table");
        return places;
    }
    for (const auto& [key, value] : in_source_order(table)) {
        const std::string value_path = join_key(path, key->str());
        if (const std::optional<int> year = toml.year_key(*key, value_path))
            places.points.emplace_back(*year, read_place_count(toml, *value, value_path));
    }
    std::sort(places.points.begin(), places.points.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    return places;
}

// Reports a capacity table that is not a table { places, overflow }; true when it is one.
bool is_capacity_table(Toml& toml, const toml::node& node, const std::string& path) {
    if (node.is_table() && !is_distribution_table(node)) return true;
    toml.error(toml.at(node, path), "expected a table { places = ..., overflow = \"...\" }, found " +
                                        (node.is_table() ? std::string("a distribution") : type_name(node)));
    return false;
}

// The `places` and `overflow` of one capacity: a whole placement's table
// (phase -1) or one of its phase tables. Problems are reported; the caller
// counts them.
Capacity read_capacity_entry(Toml& toml, const toml::table& table, const std::string& path, int placement,
                             int phase, const Dimensions& dims, int base_year) {
    Capacity out;
    out.placement = placement;
    out.phase = phase;
    out.where = toml.at(table, path);
    if (const toml::node* places = toml.required(table, "places", path))
        out.places = read_places(toml, *places, join_key(path, "places"), base_year);
    if (const toml::node* overflow = toml.required(table, "overflow", path)) {
        const std::string overflow_path = join_key(path, "overflow");
        out.overflow = read_declared_name(toml, *overflow, overflow_path, dims.placements, "placement");
        if (out.overflow == placement)
            toml.error(toml.at(*overflow, overflow_path),
                       "overflow names the capped placement " +
                           in_quotes(dims.placements[static_cast<std::size_t>(placement)]) +
                           " itself; it must name another placement, the one that takes the excess");
    }
    return out;
}

// One [capacity.<placement>] table: either `places` and `overflow` for the
// whole placement (one entry, phase -1) or a table per capped phase (one entry
// each, in phase order). Empty when it has a problem (reported).
std::vector<Capacity> read_capped_placement(Toml& toml, const toml::table& capacity, int placement,
                                            const Dimensions& dims, int base_year) {
    const std::string& name = dims.placements[static_cast<std::size_t>(placement)];
    const std::string path = join_key("capacity", name);
    const toml::node* node = capacity.get(name);
    if (!is_capacity_table(toml, *node, path)) return {};
    const toml::table& table = *node->as_table();
    const std::size_t before = toml.problems().error_count();
    std::vector<std::string> allowed = {"places", "overflow"};
    std::vector<int> phases;  // the phases with a table of their own
    for (std::size_t phase = 0; phase < dims.phases.size(); ++phase) {
        const std::string& phase_name = dims.phases[phase].name;
        if (phase_name == "places" || phase_name == "overflow") continue;  // the whole placement's keys
        allowed.push_back(phase_name);
        if (table.contains(phase_name)) phases.push_back(static_cast<int>(phase));
    }
    toml.check_keys(table, path, allowed);
    std::vector<Capacity> entries;
    if (phases.empty()) {
        entries.push_back(read_capacity_entry(toml, table, path, placement, -1, dims, base_year));
    } else if (table.contains("places") || table.contains("overflow")) {
        std::vector<std::string> phase_names;
        for (int phase : phases) phase_names.push_back(dims.phases[static_cast<std::size_t>(phase)].name);
        toml.error(toml.at(table, path), "placement " + in_quotes(name) + " has both places/overflow and phase " +
                                             "tables (" + list_text(phase_names) +
                                             "); give places/overflow for the whole placement or per phase, "
                                             "not both");
    } else {
        for (int phase : phases) {
            const std::string& phase_name = dims.phases[static_cast<std::size_t>(phase)].name;
            const std::string phase_path = join_key(path, phase_name);
            const toml::node* phase_node = table.get(phase_name);
            if (!is_capacity_table(toml, *phase_node, phase_path)) continue;
            const toml::table& phase_table = *phase_node->as_table();
            toml.check_keys(phase_table, phase_path, {"places", "overflow"});
            entries.push_back(read_capacity_entry(toml, phase_table, phase_path, placement, phase, dims, base_year));
        }
    }
    if (toml.problems().error_count() != before) return {};
    return entries;
}

// Depth first from capped placement `at` along its overflow edges (entries in
// phase order) back to `start`, through capped placements declared after
// `start` only. On success `path` holds the entries whose edges make the cycle.
bool find_overflow_cycle(const std::vector<std::vector<Capacity>>& by_placement, int start, int at,
                         std::vector<bool>& seen, std::vector<const Capacity*>& path) {
    for (const Capacity& entry : by_placement[static_cast<std::size_t>(at)]) {
        const int next = entry.overflow;
        path.push_back(&entry);
        if (next == start) return true;
        if (next > start && !by_placement[static_cast<std::size_t>(next)].empty() &&
            !seen[static_cast<std::size_t>(next)]) {
            seen[static_cast<std::size_t>(next)] = true;
            if (find_overflow_cycle(by_placement, start, next, seen, path)) return true;
        }
        path.pop_back();
    }
    return false;
}

// Reports each cycle of the overflow graph (an edge from a placement to the
// overflow of each of its entries) once, starting from its member declared
// first, at that member's table (its phase table, for a phase's edge). True
// when there is none.
bool check_overflow_cycles(Toml& toml, const std::vector<std::vector<Capacity>>& by_placement,
                           const Dimensions& dims) {
    bool acyclic = true;
    for (std::size_t start = 0; start < by_placement.size(); ++start) {
        // Only cycles whose first declared member is `start`: any other is
        // reported from its own first member.
        std::vector<bool> seen(by_placement.size(), false);
        std::vector<const Capacity*> path;
        if (!find_overflow_cycle(by_placement, static_cast<int>(start), static_cast<int>(start), seen, path)) continue;
        acyclic = false;
        std::string cycle;
        for (const Capacity* member : path) cycle += dims.placements[static_cast<std::size_t>(member->placement)] + " -> ";
        cycle += dims.placements[start];
        toml.error({toml.file(), "capacity", path.front()->where.line, path.front()->where.column},
                   "overflow cycle " + cycle + ": the excess of a placement may not come back to it");
    }
    return acyclic;
}

// The capacities in processing order: each capped placement before any capped
// placement one of its entries overflows into, ties by placement declaration
// order; a placement's entries together, in phase order.
std::vector<Capacity> processing_order(const std::vector<std::vector<Capacity>>& by_placement) {
    std::vector<int> feeders(by_placement.size(), 0);  // overflow edges into each capped placement
    for (const std::vector<Capacity>& entries : by_placement)
        for (const Capacity& entry : entries)
            if (!by_placement[static_cast<std::size_t>(entry.overflow)].empty())
                ++feeders[static_cast<std::size_t>(entry.overflow)];
    std::vector<Capacity> order;
    std::vector<bool> done(by_placement.size(), false);
    while (true) {
        std::size_t next = 0;
        while (next < by_placement.size() && (by_placement[next].empty() || done[next] || feeders[next] > 0)) ++next;
        if (next == by_placement.size()) break;
        done[next] = true;
        for (const Capacity& entry : by_placement[next]) {
            order.push_back(entry);
            const std::size_t overflow = static_cast<std::size_t>(entry.overflow);
            if (!by_placement[overflow].empty()) --feeders[overflow];
        }
    }
    return order;
}

// Placement names read as specialist places when no [capacity] table says
// which are (MODEL.md section 2: resourced provision / SEN unit, maintained
// special, independent or non-maintained special), compared ignoring case,
// with '-' and ' ' read as '_'.
bool specialist_by_name(std::string name) {
    static const std::set<std::string> names = {
        "resourced", "resourced_provision", "rp", "sen_unit", "sen_units", "unit", "units", "special",
        "special_school", "special_schools", "mss", "maintained_special", "inmss", "nmss", "nmiss", "ism",
        "independent", "independent_special", "non_maintained_special"};
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return names.count(name) > 0;
}

// [capacity]: the capped placements (MODEL.md section 4 step 6) and the
// placements counted as specialist places.
void read_capacity(Toml& toml, const toml::table& root, const Dimensions& dims, int base_year, Scenario& out) {
    const toml::table* table = toml.table(root, "capacity", "capacity", false);
    if (!table) {
        // Specialist demand exists whether or not places are declared: the
        // SCAP export counts the placements whose names say so, and says which.
        std::string listed;
        for (std::size_t p = 0; p < dims.placements.size(); ++p) {
            if (!specialist_by_name(dims.placements[p])) continue;
            out.specialist_placements.push_back(static_cast<int>(p));
            listed += (listed.empty() ? "" : ", ") + dims.placements[p];
        }
        // (None: summary --scap warns that the variant has no numbers.)
        if (!listed.empty())
            toml.note({toml.file(), "capacity", 0, 0},
                      "no [capacity] table: the SCAP export (summary --scap) counts " + listed +
                          " as specialist places, by their names; choose them with [capacity] specialist = [...]");
        return;
    }
    std::vector<std::string> allowed = dims.placements;
    allowed.insert(allowed.begin(), "specialist");
    toml.check_keys(*table, "capacity", allowed);
    std::vector<std::vector<Capacity>> by_placement(dims.placements.size());  // empty: uncapped
    for (std::size_t placement = 0; placement < dims.placements.size(); ++placement)
        if (table->contains(dims.placements[placement]))
            by_placement[placement] =
                read_capped_placement(toml, *table, static_cast<int>(placement), dims, base_year);
    // Cycles among the tables read well; a table with a problem is left out
    // (and the whole scenario rejected anyway).
    if (check_overflow_cycles(toml, by_placement, dims)) out.capacity = processing_order(by_placement);
    if (const toml::node* specialist = table->get("specialist")) {
        out.specialist_placements = read_scope(toml, *specialist, "capacity.specialist", dims.placements, "placement");
        return;
    }
    for (const Capacity& capped : out.capacity) {
        out.specialist_placements.push_back(capped.placement);
        out.specialist_placements.push_back(capped.overflow);
    }
    std::sort(out.specialist_placements.begin(), out.specialist_placements.end());
    out.specialist_placements.erase(std::unique(out.specialist_placements.begin(), out.specialist_placements.end()),
                                    out.specialist_placements.end());
}

// ---------------------------------------------------------------- documents and variants

const std::vector<std::string> top_level_keys = {"scenario",     "dimensions", "data",     "demand",
                                                 "cease",        "transitions", "transfers_in", "money",
                                                 "capacity",     "variants",   "mitigations"};
// What a variant may override: everything but the set-level [scenario] and the dimensions.
const std::vector<std::string> variant_keys = {"data",  "demand",   "cease",      "transitions", "transfers_in",
                                               "money", "capacity", "mitigations"};
// A variant table's own keys: not merged, they place the variant among the others.
const std::vector<std::string> variant_head_keys = {"description", "extends", "level", "compare_to"};

// One whole document (the baseline, or a variant merged over it) as a Scenario.
Scenario read_scenario(Toml& toml, Files& files, const toml::table& root, const Header& header) {
    Scenario scenario;
    scenario.base_year = header.base_year.value_or(0);
    scenario.horizon = header.horizon.value_or(0);
    toml.check_keys(root, "", top_level_keys, variant_only_keys);
    reject_variant_only_keys(toml, root, "");
    std::optional<Dimensions> dims = read_dimensions(toml, root);
    if (!dims) return scenario;
    scenario.dims = std::move(*dims);
    read_data(toml, files, root, header, scenario);
    scenario.demand = read_demand(toml, root, scenario.dims, scenario.base_year);
    scenario.cease = read_cease(toml, root, scenario.dims, scenario.base_year);
    scenario.transitions = read_transitions(toml, root, scenario.dims);
    scenario.transfers_in = read_transfers_in(toml, root, scenario.base_year);
    scenario.money = read_money(toml, root, scenario.dims, scenario.base_year);
    scenario.mitigations = read_mitigations(toml, root, scenario.dims, header);
    read_capacity(toml, root, scenario.dims, scenario.base_year, scenario);
    return scenario;
}

// Deep merge: tables merge key by key; arrays, values and distribution tables
// (those with `dist`) replace. Nodes are moved so they keep their source lines.
void merge_into(toml::table& base, toml::table& over) {
    for (auto&& [key, node] : over) {
        toml::node* existing = base.get(key.str());
        if (existing && existing->is_table() && node.is_table() && !is_distribution_table(node))
            merge_into(*existing->as_table(), *node.as_table());
        else
            base.insert_or_assign(key, std::move(node));
    }
}

toml::table parse_document(const std::string& display, const std::string& text) {
    try {
        return toml::parse(text, display);
    } catch (const toml::parse_error& error) {
        const toml::source_position& begin = error.source().begin;
        throw ScenarioError(SourceLocation{display, "", static_cast<int>(begin.line), static_cast<int>(begin.column)},
                            "TOML syntax error: " + std::string(error.description()));
    }
}

const std::vector<std::pair<std::string, AmbitionLevel>> ambition_levels = {
    {"none", AmbitionLevel::none}, {"target", AmbitionLevel::target}, {"stretch", AmbitionLevel::stretch}};

std::string level_name(AmbitionLevel level) {
    for (const auto& [name, value] : ambition_levels)
        if (value == level) return name;
    return "?";
}

// A variant as written: its name, its table and its own (unmerged) keys.
struct VariantEntry {
    std::string name;
    const toml::node* node = nullptr;
    std::string description;
    AmbitionLevel level = AmbitionLevel::none;
    std::optional<std::string> extends;
    std::optional<std::string> compare_to;
    SourceLocation level_at, extends_at, compare_to_at;
};

// The variants in the order written; checks their names.
std::vector<VariantEntry> list_variants(Toml& toml, const toml::table& root, const Header& header) {
    std::vector<VariantEntry> variants;
    const toml::table* table = toml.table(root, "variants", "variants", false);
    if (!table) return variants;
    for (const auto& [key, node] : in_source_order(*table)) {
        const std::string path = join_key("variants", key->str());
        if (!is_identifier(key->str()) || key->str() == default_key)
            toml.error(toml.at(*key, path), "the variant name " + in_quotes(key->str()) +
                                                " must use only A-Z, a-z, 0-9 and _ (and not be 'default')");
        else if (key->str() == header.baseline)
            toml.error(toml.at(*key, path), "a variant may not take the baseline's name " + in_quotes(header.baseline));
        else if (!node->is_table())
            toml.error(toml.at(*node, path), "expected a table, found " + type_name(*node));
        else {
            VariantEntry& variant = variants.emplace_back();
            variant.name = key->str();
            variant.node = node;
        }
    }
    return variants;
}

std::optional<AmbitionLevel> read_level(Toml& toml, const toml::node& node, const std::string& path) {
    const std::optional<std::string> name = toml.text(node, path);
    if (!name) return std::nullopt;
    for (const auto& [known, level] : ambition_levels)
        if (known == *name) return level;
    toml.error(toml.at(node, path), "unknown level " + in_quotes(*name) + "; expected none, target or stretch");
    return std::nullopt;
}

// One of the variant's own keys (variant_head_keys) into `variant`.
void read_head_key(Toml& toml, const std::string& key, const toml::node& node, const std::string& path,
                   VariantEntry& variant) {
    if (key == "description") {
        variant.description = toml.text(node, path).value_or("");
    } else if (key == "level") {
        variant.level = read_level(toml, node, path).value_or(AmbitionLevel::none);
        variant.level_at = toml.at(node, path);
    } else if (key == "extends") {
        variant.extends = toml.text(node, path);
        variant.extends_at = toml.at(node, path);
    } else if (key == "compare_to") {
        variant.compare_to = toml.text(node, path);
        variant.compare_to_at = toml.at(node, path);
    }
}

// Checks a variant table's keys and reads its own.
void read_variant_head(Toml& toml, VariantEntry& variant) {
    const std::string path = join_key("variants", variant.name);
    std::vector<std::string> allowed = variant_head_keys;
    allowed.insert(allowed.end(), variant_keys.begin(), variant_keys.end());
    for (const auto& [key, node] : in_source_order(*variant.node->as_table())) {
        const std::string name(key->str());
        if (name == "scenario" || name == "dimensions")
            toml.error(toml.at(*key, join_key(path, name)),
                       "a variant may not change [" + name + "]: every variant shares the baseline's " +
                           (name == "scenario" ? "base_year, horizon and set-level settings" : "dimensions"));
        else if (std::find(variant_head_keys.begin(), variant_head_keys.end(), name) != variant_head_keys.end())
            read_head_key(toml, name, *node, join_key(path, name), variant);
        else if (std::find(variant_keys.begin(), variant_keys.end(), name) == variant_keys.end())
            toml.error(toml.at(*key, join_key(path, name)),
                       "unknown key " + in_quotes(name) + "; allowed keys in " + path + ": " + list_text(allowed));
    }
}

int variant_index(const std::vector<VariantEntry>& variants, std::string_view name) {
    for (std::size_t i = 0; i < variants.size(); ++i)
        if (variants[i].name == name) return static_cast<int>(i);
    return -1;
}

// The variants merged over the baseline to make variants[index]: the
// farthest ancestor first, variants[index] last. nullopt when `extends`
// leads to an unknown name, the baseline or a cycle (each reported where the
// `extends` is written).
std::optional<std::vector<std::size_t>> extends_chain(Toml& toml, const std::vector<VariantEntry>& variants,
                                                      std::size_t index, const std::string& baseline) {
    std::vector<std::size_t> chain{index};
    for (std::size_t at = index; variants[at].extends;) {
        const VariantEntry& child = variants[at];
        const std::string& parent = *child.extends;
        if (parent == baseline) {
            toml.error(child.extends_at, "extends names the baseline " + in_quotes(baseline) +
                                             ": every variant is merged over it already; leave extends out");
            return std::nullopt;
        }
        const int found = variant_index(variants, parent);
        if (found < 0) {
            std::vector<std::string> names;
            for (const VariantEntry& variant : variants) names.push_back(variant.name);
            toml.error(child.extends_at,
                       "extends names no variant " + in_quotes(parent) + "; variants: " + list_text(names));
            return std::nullopt;
        }
        if (std::find(chain.begin(), chain.end(), static_cast<std::size_t>(found)) != chain.end()) {
            // A cycle is reported by each of its members; a variant leading into one is just left out.
            if (static_cast<std::size_t>(found) != index) return std::nullopt;
            std::string cycle;
            for (std::size_t member : chain) cycle += variants[member].name + " -> ";
            toml.error(variants[index].extends_at, "extends makes a cycle: " + cycle + variants[index].name);
            return std::nullopt;
        }
        chain.push_back(static_cast<std::size_t>(found));
        at = static_cast<std::size_t>(found);
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
}

// The unmitigated variant a variant with a level is measured against (""
// for level none): compare_to, else the variant it extends, else the baseline.
std::string resolve_compare_to(Toml& toml, const std::vector<VariantEntry>& variants, const VariantEntry& variant,
                               const std::string& baseline) {
    if (variant.level == AmbitionLevel::none) {
        if (variant.compare_to)
            toml.error(variant.compare_to_at, "compare_to is only for a variant with level target or stretch; this "
                                              "one has level none and is not compared");
        return "";
    }
    const std::string named = variant.compare_to ? *variant.compare_to : variant.extends.value_or(baseline);
    if (named == baseline) return named;
    std::vector<std::string> unmitigated{baseline};
    for (const VariantEntry& other : variants)
        if (other.level == AmbitionLevel::none) unmitigated.push_back(other.name);
    const std::string choices = "an unmitigated variant (level none): " + list_text(unmitigated);
    const int found = variant_index(variants, named);
    if (found < 0) {
        if (variant.compare_to)  // an unknown `extends` is reported with the chain
            toml.error(variant.compare_to_at,
                       "compare_to names no variant " + in_quotes(named) + "; name " + choices);
        return "";
    }
    const AmbitionLevel level = variants[static_cast<std::size_t>(found)].level;
    if (level == AmbitionLevel::none) return named;
    const std::string mitigated = in_quotes(named) + ", which has level " + in_quotes(level_name(level));
    if (variant.compare_to)
        toml.error(variant.compare_to_at, "compare_to names " + mitigated + "; it must name " + choices);
    else
        toml.error(variant.level_at, "compare_to defaults to the variant this one extends, " + mitigated +
                                         "; give compare_to naming " + choices);
    return "";
}

// The baseline document with the variants of a chain merged over it in order.
toml::table merged_document(const std::string& display, const std::string& text,
                            const std::vector<std::string>& chain) {
    toml::table document = parse_document(display, text);
    std::vector<toml::table> layers;
    for (const std::string& name : chain) {
        toml::table layer = std::move(*document["variants"][name].as_table());
        for (auto it = layer.begin(); it != layer.end();) {
            if (std::find(variant_keys.begin(), variant_keys.end(), it->first.str()) == variant_keys.end())
                it = layer.erase(it);
            else
                ++it;
        }
        layers.push_back(std::move(layer));
    }
    document.erase("variants");
    for (toml::table& layer : layers) merge_into(document, layer);
    return document;
}

// Where each variant sits: the chain it is merged from and what it is compared with.
struct VariantPlan {
    std::optional<std::vector<std::string>> chain;  // nullopt: `extends` is broken (reported)
    std::string compare_to;
};

std::vector<VariantPlan> plan_variants(Toml& toml, const std::vector<VariantEntry>& variants,
                                       const std::string& baseline) {
    std::vector<VariantPlan> plans;
    for (std::size_t i = 0; i < variants.size(); ++i) {
        VariantPlan plan;
        if (const auto chain = extends_chain(toml, variants, i, baseline)) {
            plan.chain.emplace();
            for (std::size_t member : *chain) plan.chain->push_back(variants[member].name);
        }
        plan.compare_to = resolve_compare_to(toml, variants, variants[i], baseline);
        plans.push_back(std::move(plan));
    }
    return plans;
}

}  // namespace

ScenarioSet load_scenario(const std::string& display_path, const std::string& toml_text,
                          const FileReader& read_relative) {
    ScenarioSet set;
    set.sources.push_back({display_path, toml_text});
    Problems problems;
    Files files(display_path, read_relative, set.sources);

    toml::table document = parse_document(display_path, toml_text);
    Toml baseline_toml(display_path, document, problems);
    const Header header = read_header(baseline_toml, document);
    set.name = header.name;
    set.description = header.description;
    set.default_seed = header.seed;
    set.default_replicates = header.replicates;

    std::vector<VariantEntry> variants = list_variants(baseline_toml, document, header);
    for (VariantEntry& variant : variants) read_variant_head(baseline_toml, variant);
    const std::vector<VariantPlan> plans = plan_variants(baseline_toml, variants, header.baseline);

    set.variants.push_back(read_scenario(baseline_toml, files, document, header));
    set.variants.back().variant = header.baseline;
    set.variants.back().description = header.description;

    for (std::size_t i = 0; i < variants.size(); ++i) {
        if (!plans[i].chain) continue;
        problems.set_context(" (in variant " + in_quotes(variants[i].name) + ")");
        const toml::table merged = merged_document(display_path, toml_text, *plans[i].chain);
        Toml variant_toml(display_path, merged, problems);
        Scenario& scenario = set.variants.emplace_back(read_scenario(variant_toml, files, merged, header));
        scenario.variant = variants[i].name;
        scenario.description = variants[i].description;
        scenario.level = variants[i].level;
        scenario.compare_to = plans[i].compare_to;
    }
    problems.set_context("");
    if (!problems.errors().empty()) throw ScenarioError(problems.errors());
    set.notes = problems.take_notes();
    set.warnings = problems.take_warnings();
    return set;
}

}  // namespace ehcpsim
