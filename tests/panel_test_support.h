// Helpers of the calibrate tests that edit a SEN2 panel as text, without the
// panel reader (so that what they prove does not rest on the reader's cut).
#pragma once

#include <string>
#include <string_view>

namespace ehcpsim::testing {

// A panel's text (a header line, then la_code,la_name,year,measure,breakdown,
// value) without the rows dated after `origin`: stocks of later January
// censuses, and flows of years after the origin or, when `strict`, of the
// origin's own calendar year too (a flow of year Y is published with the
// census of Y+1). la_name may hold commas; the last four fields do not.
inline std::string without_rows_after(const std::string& text, int origin, bool strict) {
    std::string out;
    out.reserve(text.size());
    std::size_t at = text.find('\n');
    if (at == std::string::npos) return text;
    out.append(text, 0, at + 1);
    for (++at; at < text.size();) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        const std::string_view line(text.data() + at, end - at);
        at = end + 1;
        // The commas before value, breakdown, measure and year, from the right.
        std::size_t comma[4] = {std::string_view::npos, std::string_view::npos, std::string_view::npos,
                                std::string_view::npos};
        std::size_t from = line.size();
        for (std::size_t& c : comma) {
            c = from == 0 ? std::string_view::npos : line.rfind(',', from - 1);
            if (c == std::string_view::npos) break;
            from = c;
        }
        if (line.empty() || comma[3] == std::string_view::npos) continue;  // not a row
        const std::string_view measure = line.substr(comma[2] + 1, comma[1] - comma[2] - 1);
        const int year = std::stoi(std::string(line.substr(comma[3] + 1, comma[2] - comma[3] - 1)));
        const int keep_to = strict && measure != "stock" ? origin - 1 : origin;
        if (year <= keep_to) out.append(line).push_back('\n');
    }
    return out;
}

}  // namespace ehcpsim::testing
