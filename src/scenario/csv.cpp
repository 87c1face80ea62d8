// The scenario's CSV tables (csv.h): its conventions for the shared reader,
// and numbers with thousands separators.
#include "csv.h"

#include <utility>

namespace ehcpsim::scenario_reading {

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
    csv::Conventions conventions;
    conventions.comments = true;
    conventions.nul_may_be_utf16 = true;
    conventions.too_many_fields_hint =
        "; a number with a thousands separator (8,700) must be quoted (\"8,700\") or written without it";
    csv::Table table(text, header_, std::move(conventions),
                     [this](int line, int column, const std::string& message) { error(line, column, "", message); });
    std::optional<CsvRow> header = table.read_header(other_layout);
    if (!header) return std::nullopt;
    Parsed parsed;
    parsed.header = std::move(*header);
    parsed.other_layout = table.other_layout();
    while (std::optional<CsvRow> row = table.next()) parsed.rows.push_back(std::move(*row));
    return parsed;
}

}  // namespace ehcpsim::scenario_reading
