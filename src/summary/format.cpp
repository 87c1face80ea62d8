// The text of numbers, tables, CSV fields and JSON values shared by the views.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "common.h"
#include "ehcpsim/text.h"

namespace ehcpsim::summary_detail {

std::string plain(double value) {  // round-trips exactly, never in exponent form
    char buffer[400];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
    return std::string(buffer, result.ptr);
}

std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    std::string text = buffer;
    // "-0" and "-0.00" read as a sign that is not there.
    if (text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
    return text;
}

std::size_t display_width(const std::string& text) {  // UTF-8 code points
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad_left(const std::string& text, std::size_t width) {
    const std::size_t w = display_width(text);
    return w >= width ? text : std::string(width - w, ' ') + text;
}

std::string pad_right(const std::string& text, std::size_t width) {
    const std::size_t w = display_width(text);
    return w >= width ? text : text + std::string(width - w, ' ');
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string csv_number(double value) { return std::isnan(value) ? "" : shortest_text(value); }

std::string probability_key(double p) {
    // Built with += : GCC 12 warns falsely (-Wrestrict, bug 105329) on "literal" + std::string&&.
    std::string key = "p";
    key += std::to_string(std::lround(p * 100.0));
    return key;
}

std::string level_text(const Opportunity& o) {
    return o.range ? std::string("range") : std::string(ambition_level_name(o.level));
}

std::string variant_shown(const RunInfo& info, const std::string& variant) {
    const auto at = std::find(info.variants.begin(), info.variants.end(), variant);
    return at == info.variants.end() ? variant : variant_label(info, static_cast<std::size_t>(at - info.variants.begin()));
}

std::string parameter_shown(const RunInfo& info, const std::string& variant, const std::string& parameter) {
    const auto at = std::find(info.variants.begin(), info.variants.end(), variant);
    if (at == info.variants.end()) return parameter;
    const auto v = static_cast<std::size_t>(at - info.variants.begin());
    if (v >= info.parameter_names.size()) return parameter;
    const auto& names = info.parameter_names[v];
    const auto found = std::find(names.begin(), names.end(), parameter);
    return found == names.end() ? parameter : parameter_label(info, v, static_cast<std::size_t>(found - names.begin()));
}

// Rows of cells; the first `left` columns left-aligned, the others right-aligned.
void print_grid(const std::vector<std::vector<std::string>>& rows, std::size_t left, std::ostream& out) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (c > 0) line += "  ";
            line += c < left ? pad_right(row[c], widths[c]) : pad_left(row[c], widths[c]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << "\n";
    }
}

// Index of probability p in summary_probabilities.
std::size_t probability_index(double p) {
    const auto& ps = summary_probabilities;
    const auto it = std::find_if(ps.begin(), ps.end(), [p](double q) { return std::fabs(q - p) < 1e-12; });
    assert(it != ps.end());
    return static_cast<std::size_t>(it - ps.begin());
}

std::string table_value(double value, bool money) {
    if (std::isnan(value)) return "-";
    return money ? fixed(value / 1e6, 2) : fixed(value, 0);
}

std::string table_range(double low, double high, bool money) {
    if (std::isnan(low) && std::isnan(high)) return "-";
    std::string range = "[";
    range += table_value(low, money);
    range += ", ";
    range += table_value(high, money);
    range += "]";
    return range;
}

std::string millions(double value, int decimals) { return std::isnan(value) ? "-" : fixed(value / 1e6, decimals); }

std::string probability_text(double value) { return std::isnan(value) ? "-" : fixed(value, 3); }

void print_year_table(const std::vector<YearRow>& rows, const std::vector<int>& years, std::ostream& out,
                      std::size_t min_label_width, bool print_empty, bool financial_years) {
    std::size_t label_width = min_label_width;
    std::size_t column_width = financial_years ? 7 : 5;  // "2022-23"
    for (const YearRow& row : rows) {
        if (row.kind != YearRow::Kind::width_only) label_width = std::max(label_width, display_width(row.label));
        for (const std::string& cell : row.cells) column_width = std::max(column_width, display_width(cell));
    }
    column_width += 1;  // the brackets of the ranges keep neighbouring cells apart
    label_width += 1;
    const std::size_t per_block =
        std::max<std::size_t>(1, (table_width > label_width ? table_width - label_width : 0) / column_width);
    for (std::size_t first = 0; first < years.size() || (first == 0 && print_empty); first += per_block) {
        const std::size_t last = std::min(years.size(), first + per_block);
        if (first > 0) out << "\n";
        out << pad_right("", label_width);
        for (std::size_t y = first; y < last; ++y)
            out << pad_left(financial_years ? financial_year(years[y]) : std::to_string(years[y]), column_width);
        out << "\n";
        for (const YearRow& row : rows) {
            if (row.kind == YearRow::Kind::width_only) continue;
            if (row.kind == YearRow::Kind::heading) {
                out << row.label << "\n";
                continue;
            }
            out << pad_right(row.label, label_width);
            for (std::size_t y = first; y < last && y < row.cells.size(); ++y) out << pad_left(row.cells[y], column_width);
            out << "\n";
        }
        if (years.empty()) break;
    }
}

void print_run_heading(const RunInfo& info, std::ostream& out) {
    out << "Scenario: " << info.scenario_name << "\n"
        << "Mode: " << info.mode << "   replicates: " << info.replicates << "   seed: " << info.seed
        << "   engine: ehcpsim " << info.engine_version << "\n";
}

Json json_number(double value) {
    if (!std::isfinite(value)) return nullptr;
    // A value whose shortest text is a whole number ("1650", not "2e+06" or
    // "0.5") is written as that integer, as the summary always has: a reader
    // such as Python's json then sees an int where it always saw one (whole
    // places, counts), and a float everywhere else.
    const std::string text = shortest_text(value);
    if (text.find_first_of(".e") == std::string::npos) {
        std::int64_t whole = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), whole);
        if (error == std::errc() && end == text.data() + text.size()) return whole;
    }
    return value;
}

Json json_numbers(const std::vector<double>& values) {
    Json array = Json::array();
    for (double x : values) array.push_back(json_number(x));
    return array;
}

void add_quantiles_json(Json& object, const std::vector<double>& probabilities,
                        const std::vector<std::vector<double>>& quantiles) {
    for (std::size_t k = 0; k < quantiles.size() && k < probabilities.size(); ++k)
        object[probability_key(probabilities[k])] = json_numbers(quantiles[k]);
}

Json json_string_or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

}  // namespace ehcpsim::summary_detail
