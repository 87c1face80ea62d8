// The exceedance view: P(cumulative deficit at the horizon > X) per variant
// for the amounts X asked for, and the reading of those amounts ("30m").
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include "common.h"
#include "ehcpsim/summary_dsg.h"

namespace ehcpsim {
namespace summary_detail {

Exceedance exceedance_of(const RunInfo& info, const std::vector<std::vector<double>>& horizon_deficit,
                         const std::vector<double>& thresholds) {
    Exceedance result;
    result.year = info.years.empty() ? 0 : info.years.back();
    result.thresholds = thresholds;
    for (const auto& column : horizon_deficit) {
        std::vector<double> probability;
        std::size_t count = 0;
        for (double x : column) count += !std::isnan(x);
        for (double threshold : thresholds) {
            std::size_t above = 0;
            for (double x : column) above += x > threshold;  // false for NaN
            probability.push_back(count == 0 ? nan_value
                                             : static_cast<double>(above) / static_cast<double>(count));
        }
        result.probability.push_back(std::move(probability));
    }
    return result;
}
std::string threshold_text(double pounds) {  // "£30m", "£500k", "£750", "-£2.5m"
    const double size = std::fabs(pounds);
    std::string text = pounds < 0 ? "-£" : "£";
    if (size >= 1e6) {
        text += plain(size / 1e6);
        text += "m";
    } else if (size >= 1e3) {
        text += plain(size / 1e3);
        text += "k";
    } else {
        text += plain(size);
    }
    return text;
}

void print_exceedance_table(const Summary& summary, std::ostream& out) {
    const Exceedance& e = summary.exceedance;
    out << "\n== P(cumulative deficit at the end of " << financial_year(e.year) << " > X), fraction of replicates ==\n";
    std::vector<std::vector<std::string>> rows = {{"variant"}};
    for (double x : e.thresholds) rows[0].push_back("> " + threshold_text(x));
    for (std::size_t v = 0; v < e.probability.size() && v < summary.info.variants.size(); ++v) {
        rows.push_back({summary.info.variants[v]});
        for (double p : e.probability[v]) rows.back().push_back(probability_text(p));
    }
    print_grid(rows, 1, out);
}
void print_exceedance_csv(const Summary& summary, std::ostream& out) {
    const Exceedance& e = summary.exceedance;
    out << "variant,year,threshold,probability\n";
    for (std::size_t v = 0; v < e.probability.size() && v < summary.info.variants.size(); ++v) {
        for (std::size_t k = 0; k < e.thresholds.size(); ++k) {
            out << csv_field(summary.info.variants[v]) << ',' << e.year << ',' << plain(e.thresholds[k]) << ','
                << csv_number(e.probability[v][k]) << "\n";
        }
    }
}
Json exceedance_json(const Summary& summary) {
    const Exceedance& e = summary.exceedance;
    Json probability = Json::object();
    for (std::size_t v = 0; v < e.probability.size() && v < summary.info.variants.size(); ++v) {
        probability[summary.info.variants[v]] = json_numbers(e.probability[v]);
    }
    // The amounts as given, in plain notation as always: a whole number of pounds is an integer.
    Json thresholds = Json::array();
    for (double x : e.thresholds) {
        const bool whole = std::isfinite(x) && std::trunc(x) == x && std::fabs(x) < 9e18;
        thresholds.push_back(whole ? Json(static_cast<std::int64_t>(x)) : json_number(x));
    }
    return {{"year", e.year}, {"thresholds", std::move(thresholds)}, {"probability", std::move(probability)}};
}

}  // namespace summary_detail

std::optional<double> parse_amount(std::string_view text) {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && blank(text.back())) text.remove_suffix(1);
    bool negative = false;
    bool signed_already = false;
    const auto take_sign = [&] {
        if (signed_already || text.empty() || (text.front() != '-' && text.front() != '+')) return;
        negative = text.front() == '-';
        signed_already = true;
        text.remove_prefix(1);
    };
    take_sign();
    if (text.substr(0, 2) == "\xC2\xA3") text.remove_prefix(2);  // £
    take_sign();
    if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text.front())) || text.front() == '.')) {
        return std::nullopt;
    }
    std::size_t end = 0;  // the number: digits, '.', and an exponent
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
    bool exponent = false;
    if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
        std::size_t e = end + 1;
        if (e < text.size() && (text[e] == '+' || text[e] == '-')) ++e;
        if (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]))) {
            while (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]))) ++e;
            end = e;
            exponent = true;
        }
    }
    std::string suffix(text.substr(end));
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    int power = 0;
    if (suffix == "k") {
        power = 3;
    } else if (suffix == "m") {
        power = 6;
    } else if (suffix == "bn" || suffix == "b") {
        power = 9;
    } else if (!suffix.empty()) {
        return std::nullopt;
    }
    // "1.3m" is read as "1.3e6", so the amount is the double nearest the
    // decimal value rather than 1.3 * 1e6 rounded twice.
    std::string number(text.substr(0, end));
    double scale = 1.0;
    if (power > 0 && !exponent) {
        number += 'e';
        number += std::to_string(power);
    } else if (power > 0) {
        scale = std::pow(10.0, power);
    }
    double value = 0.0;
    const auto [ptr, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc() || ptr != number.data() + number.size()) return std::nullopt;
    value *= scale;
    if (!std::isfinite(value)) return std::nullopt;
    return negative ? -value : value;
}

}  // namespace ehcpsim
