// Reading the long panel (panel.h): its conventions for the shared CSV reader
// (ehcpsim/csv.h), the checks of each field, and the queries and the strict
// cut.
#include "ehcpsim/panel.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <set>
#include <tuple>

#include "ehcpsim/csv.h"
#include "ehcpsim/error.h"

namespace ehcpsim::calibrate {

using csv::shown;

namespace {

const std::vector<std::string> panel_header = {"la_code", "la_name", "year", "measure", "breakdown", "value"};
constexpr std::size_t max_problems = 20;
constexpr int first_year = 1900;
constexpr int last_year = 2200;

// Collects located problems; stops the reading after max_problems.
class Problems {
public:
    explicit Problems(std::string file) : file_(std::move(file)) {}
    void add(int line, int column, const std::string& key, const std::string& message) {
        if (list_.size() < max_problems)
            list_.push_back({{file_, key, line, column}, message});
        else
            truncated_ = true;
    }
    bool full() const { return list_.size() >= max_problems; }
    void more() { truncated_ = true; }
    bool any() const { return !list_.empty(); }
    [[noreturn]] void raise() {
        if (truncated_) list_.push_back({{file_, "", 0, 0}, "more problems not listed: fix these first"});
        throw ScenarioError(std::move(list_));
    }
    const std::string& file() const { return file_; }

private:
    std::string file_;
    std::vector<Diagnostic> list_;
    bool truncated_ = false;
};

bool is_code_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
// A breakdown value: letters, digits, '_', '-', '+', '.'; no ':', '|', ',' or spaces.
bool is_value_char(char c) { return is_code_char(c) || c == '+' || c == '.'; }

std::optional<int> parse_int(std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<double> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (text.front() == '+') text.remove_prefix(1);
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

}  // namespace

// ---------------------------------------------------------------- breakdowns

std::optional<Breakdown> Breakdown::parse(std::string_view text, std::string& why) {
    Breakdown out;
    if (text == "all") return out;
    if (text.empty()) {
        why = "the breakdown is empty: write 'all' for a total";
        return std::nullopt;
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t bar = text.find('|', start);
        const std::string_view part = text.substr(start, bar == std::string_view::npos ? bar : bar - start);
        const std::size_t colon = part.find(':');
        if (part == "all") {
            why = "'all' cannot be combined with other parts in " + shown(text);
            return std::nullopt;
        }
        if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) {
            why = "expected 'all' or parts 'dimension:value' joined by '|' (as in age:7|need:ASD), found " +
                  shown(part) + " in " + shown(text);
            return std::nullopt;
        }
        const std::string_view dimension = part.substr(0, colon), value = part.substr(colon + 1);
        if (!std::all_of(dimension.begin(), dimension.end(), is_name_char)) {
            why = "the dimension " + shown(dimension) + " of " + shown(text) +
                  " must be lower-case letters, digits or '_' (age, need, placement)";
            return std::nullopt;
        }
        if (!std::all_of(value.begin(), value.end(), is_value_char)) {
            why = "the value " + shown(value) + " of " + shown(text) +
                  " may hold only letters, digits, '_', '-', '+' and '.'";
            return std::nullopt;
        }
        for (const BreakdownPart& seen : out.parts_) {
            if (seen.dimension == dimension) {
                why = "the dimension '" + seen.dimension + "' appears twice in " + shown(text);
                return std::nullopt;
            }
        }
        out.parts_.push_back({std::string(dimension), std::string(value)});
        if (bar == std::string_view::npos) break;
        start = bar + 1;
    }
    std::sort(out.parts_.begin(), out.parts_.end(),
              [](const BreakdownPart& a, const BreakdownPart& b) { return a.dimension < b.dimension; });
    return out;
}

std::optional<std::string> Breakdown::value_of(std::string_view dimension) const {
    for (const BreakdownPart& part : parts_)
        if (part.dimension == dimension) return part.value;
    return std::nullopt;
}

std::string Breakdown::text() const {
    if (parts_.empty()) return "all";
    std::string out;
    for (const BreakdownPart& part : parts_) out += (out.empty() ? "" : "|") + part.dimension + ":" + part.value;
    return out;
}

std::optional<AgeRange> parse_age(std::string_view value) {
    const std::size_t dash = value.find('-');
    const std::optional<int> lo = parse_int(value.substr(0, dash));
    const std::optional<int> hi = dash == std::string_view::npos ? lo : parse_int(value.substr(dash + 1));
    if (!lo || !hi || *lo < 0 || *hi < *lo || *hi > 150) return std::nullopt;
    return AgeRange{*lo, *hi};
}

Dating dating_of(std::string_view measure) { return measure == "stock" ? Dating::census : Dating::in_year; }

// ---------------------------------------------------------------- reading

Panel Panel::read_file(const std::string& path) {
    std::error_code error;
    std::ifstream in;
    if (std::filesystem::is_regular_file(path, error)) in.open(path, std::ios::binary);
    std::string text;
    if (in.is_open()) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.is_open() || in.bad())
        throw ScenarioError(SourceLocation{path, "", 0, 0},
                            "cannot read the panel file " + path + ": " + why_unreadable(path));
    return read_text(text, path);
}

Panel Panel::read_stream(std::istream& in, const std::string& name) {
    std::string text(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>{});
    return read_text(text, name);
}

Panel Panel::read_text(const std::string& text, const std::string& name) {
    Problems problems(name);
    csv::Conventions conventions;
    conventions.drop_trailing_empty_fields = true;
    conventions.separator_hints_for = "the panel";
    conventions.too_many_fields_hint =
        "; a name with a comma must be quoted (\"Bristol, City of\"), and a number is written without a thousands "
        "separator";
    csv::Table table(text, panel_header, std::move(conventions),
                     [&problems](int line, int column, const std::string& message) {
                         problems.add(line, column, "", message);
                     });
    if (!table.read_header()) problems.raise();

    Panel panel;
    std::map<std::string, int> name_line;  // la_code -> line that named it
    std::map<std::tuple<std::string, std::string, std::string, int>, int> cell_line;
    while (!problems.full()) {
        std::optional<csv::Row> row = table.next();
        if (!row) break;
        if (problems.full()) {  // rows of the wrong width filled the list: this row is one more to read
            problems.more();
            break;
        }
        const int line = row->line;
        const auto error = [&](std::size_t field, const std::string& message) {
            problems.add(line, row->fields[field].column, panel_header[field], message);
        };
        const std::string& code = row->fields[0].text;
        const std::string& la_name = row->fields[1].text;
        const std::string& year_text = row->fields[2].text;
        const std::string& measure = row->fields[3].text;
        const std::string& breakdown_text = row->fields[4].text;
        const std::string& value_text = row->fields[5].text;
        bool ok = true;
        if (code.empty() || !std::all_of(code.begin(), code.end(), is_code_char)) {
            error(0, "expected an authority code (letters, digits, '_' or '-', as E06000006), found " + shown(code));
            ok = false;
        }
        const std::optional<int> year = parse_int(year_text);
        if (!year || *year < first_year || *year > last_year) {
            error(2, "expected a year between " + std::to_string(first_year) + " and " + std::to_string(last_year) +
                         " (the census year for stocks, the calendar year for flows), found " + shown(year_text));
            ok = false;
        }
        if (measure.empty() || !std::all_of(measure.begin(), measure.end(), is_name_char)) {
            error(3, "expected a measure name of lower-case letters, digits and '_' (stock, new_plans, ...), found " +
                         shown(measure));
            ok = false;
        }
        std::string why;
        const std::optional<Breakdown> breakdown = Breakdown::parse(breakdown_text, why);
        if (!breakdown) {
            error(4, why);
            ok = false;
        }
        const std::optional<double> value = parse_number(value_text);
        if (!value || !std::isfinite(*value) || *value < 0) {
            const std::string marker = lower(value_text);
            if (marker.empty() || marker == "x" || marker == "c" || marker == "z" || marker == "." ||
                marker == "na" || marker == "n/a")
                error(5, "no value (" + shown(value_text) +
                             "): a suppressed or unpublished cell is an absent row in a panel, never a marker or a "
                             "zero; delete the row");
            else if (value_text.find(',') != std::string::npos)
                error(5, "expected a count, found " + shown(value_text) +
                             ": write it without a thousands separator (and with a decimal point, not a comma)");
            else
                error(5, "expected a non-negative count, found " + shown(value_text));
            ok = false;
        }
        if (!ok) continue;

        const auto [named, first] = name_line.emplace(code, line);
        Authority& authority = panel.authorities_[code];
        if (first) {
            authority.name = la_name;
        } else if (authority.name != la_name) {
            error(1, "the authority " + code + " is named " + shown(la_name) + " here but " + shown(authority.name) +
                         " on line " + std::to_string(named->second) + ": one code, one name");
            continue;
        }
        const std::string key = breakdown->text();
        const auto [cell, fresh] = cell_line.emplace(std::make_tuple(code, measure, key, *year), line);
        if (!fresh) {
            error(5, "a second value for " + code + ", " + std::to_string(*year) + ", " + measure + ", " + key +
                         " (the first is on line " + std::to_string(cell->second) +
                         "): a panel has one row per authority, year, measure and breakdown");
            continue;
        }
        authority.series[{measure, key}][*year] = *value;
        ++panel.rows_;
    }
    if (problems.full() && table.next()) problems.more();
    if (table.failed() || problems.any()) problems.raise();
    if (panel.rows_ == 0) {
        problems.add(0, 0, "", "the panel has a header but no rows");
        problems.raise();
    }
    return panel;
}

// ---------------------------------------------------------------- queries

std::vector<std::string> Panel::authorities() const {
    std::vector<std::string> out;
    out.reserve(authorities_.size());
    for (const auto& [code, authority] : authorities_) out.push_back(code);
    return out;
}

std::string Panel::name_of(const std::string& la_code) const {
    const auto it = authorities_.find(la_code);
    return it == authorities_.end() ? std::string() : it->second.name;
}

Series Panel::series(const std::string& la_code, const std::string& measure, const std::string& breakdown) const {
    const auto it = authorities_.find(la_code);
    if (it == authorities_.end()) return {};
    const auto found = it->second.series.find({measure, breakdown});
    return found == it->second.series.end() ? Series{} : found->second;
}

std::optional<double> Panel::value(const std::string& la_code, int year, const std::string& measure,
                                   const std::string& breakdown) const {
    const auto it = authorities_.find(la_code);
    if (it == authorities_.end()) return std::nullopt;
    const auto found = it->second.series.find({measure, breakdown});
    if (found == it->second.series.end()) return std::nullopt;
    const auto cell = found->second.find(year);
    if (cell == found->second.end()) return std::nullopt;
    return cell->second;
}

std::vector<std::string> Panel::measures(const std::string& la_code) const {
    std::set<std::string> out;
    if (const auto it = authorities_.find(la_code); it != authorities_.end())
        for (const auto& [key, series] : it->second.series) out.insert(key.first);
    return {out.begin(), out.end()};
}

std::vector<std::string> Panel::breakdowns(const std::string& la_code, const std::string& measure) const {
    std::vector<std::string> out;
    if (const auto it = authorities_.find(la_code); it != authorities_.end())
        for (const auto& [key, series] : it->second.series)
            if (key.first == measure) out.push_back(key.second);
    return out;  // already sorted: the map orders by (measure, breakdown)
}

std::optional<YearSpan> Panel::years(Dating dating) const {
    std::optional<YearSpan> out;
    for (const auto& [code, authority] : authorities_)
        for (const auto& [key, series] : authority.series) {
            if (series.empty() || dating_of(key.first) != dating) continue;
            const int first = series.begin()->first, last = series.rbegin()->first;
            if (!out) out = YearSpan{first, last};
            out->first = std::min(out->first, first);
            out->last = std::max(out->last, last);
        }
    return out;
}

Panel Panel::cut_after(int origin) const {
    Panel out;
    out.cut_origin_ = cut_origin_ ? std::min(*cut_origin_, origin) : origin;
    for (const auto& [code, authority] : authorities_) {
        Authority kept{authority.name, {}};
        for (const auto& [key, series] : authority.series) {
            const int last = dating_of(key.first) == Dating::census ? origin : origin - 1;
            Series visible(series.begin(), series.upper_bound(last));
            if (visible.empty()) continue;
            out.rows_ += visible.size();
            kept.series.emplace(key, std::move(visible));
        }
        if (!kept.series.empty()) out.authorities_.emplace(code, std::move(kept));
    }
    return out;
}

}  // namespace ehcpsim::calibrate
