// Writing the calibrated scenario's text: distributions as the scenario
// format takes them, and the template's other sections copied through toml++
// (calibrate_detail.h).
#include <algorithm>
#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include "calibrate_detail.h"
#include "ehcpsim/distribution.h"
#include "ehcpsim/error.h"
#include "ehcpsim/text.h"

namespace ehcpsim::calibrate::detail {

std::string number(double value) { return shortest_text(value); }

namespace {

// Six significant digits: a fitted figure has no more, and the file reads well.
double rounded(double value) {
    if (value == 0.0 || !std::isfinite(value)) return value;
    const double magnitude = std::pow(10.0, 5 - static_cast<int>(std::floor(std::log10(std::abs(value)))));
    return std::round(value * magnitude) / magnitude;
}

Written written(const Distribution& d, const std::string& text) {
    return {text, d.mean(), d.quantile(0.05), d.quantile(0.95)};
}

}  // namespace

Written write_fixed(double value) {
    const double v = rounded(value);
    return {number(v), v, v, v};
}

Written write_beta(double mean, double sd) {
    const double m = rounded(mean), s = rounded(sd);
    if (!(m > 0.0 && m < 1.0) || !(s > 0.0) || s * s >= m * (1.0 - m)) return write_fixed(mean);
    const Distribution d{Distribution::Kind::beta, m, s, 0.0};
    if (!d.check().empty()) return write_fixed(mean);
    return written(d, "{ dist = \"beta\", mean = " + number(m) + ", sd = " + number(s) + " }");
}

Written write_normal(double mean, double sd) {
    const double m = rounded(mean), s = rounded(sd);
    if (!(s > 0.0)) return write_fixed(mean);
    const Distribution d{Distribution::Kind::normal, m, s, 0.0};
    return written(d, "{ dist = \"normal\", mean = " + number(m) + ", sd = " + number(s) + " }");
}

Written write_lognormal(double mean, double sd) {
    const double m = rounded(mean), s = rounded(sd);
    if (!(m > 0.0) || !(s > 0.0)) return write_fixed(mean);
    const Distribution d{Distribution::Kind::lognormal, m, s, 0.0};
    return written(d, "{ dist = \"lognormal\", mean = " + number(m) + ", sd = " + number(s) + " }");
}

std::string template_rest(const std::string& toml_text, const std::string& display_name,
                          const std::vector<std::string>& drop, int origin, int horizon,
                          std::vector<std::string>& removed, std::vector<std::string>& notes) {
    toml::table root;
    try {
        root = toml::parse(toml_text, display_name);
    } catch (const toml::parse_error& e) {
        throw ScenarioError(SourceLocation{display_name, "", static_cast<int>(e.source().begin.line),
                                           static_cast<int>(e.source().begin.column)},
                            std::string(e.description()));
    }
    for (const std::string& key : drop) root.erase(key);
    if (toml::table* variants = root["variants"].as_table())
        for (auto& [name, variant] : *variants)
            if (toml::table* v = variant.as_table())
                for (const std::string& key : drop)
                    if (v->contains(key)) {
                        removed.push_back("variants." + std::string(name.str()) + "." + key);
                        v->erase(key);
                    }
    if (toml::table* known = root["money"]["funding"]["known"].as_table()) {
        int first = 0;
        const toml::node* first_value = nullptr;
        for (auto& [year, value] : *known) {
            const int y = std::atoi(std::string(year.str()).c_str());
            if (first_value == nullptr || y < first) {
                first = y;
                first_value = &value;
            }
        }
        if (first_value != nullptr && first > origin) {
            const toml::node* copy = first_value;
            if (const toml::table* inline_table = copy->as_table()) known->insert(std::to_string(origin), *inline_table);
            else if (auto v = copy->value<double>()) known->insert(std::to_string(origin), *v);
            notes.push_back("[money.funding] known starts in " + std::to_string(first) + ", after the origin " +
                            std::to_string(origin) + ": its first value is held back to " +
                            std::to_string(origin) + " so that every year has a funding figure");
        }
    }
    // Mitigations must start in a simulated year: one starting at or before
    // the origin starts in the first simulated year; one starting after the
    // last simulated year is left out.
    if (toml::array* levers = root["mitigations"].as_array()) {
        std::vector<std::string> lever_notes;
        for (std::size_t i = levers->size(); i-- > 0;) {
            toml::table* lever = (*levers)[i].as_table();
            if (!lever) continue;
            const auto start = (*lever)["start_year"].value<std::int64_t>();
            const std::string name = (*lever)["name"].value_or(std::string("#") + std::to_string(i));
            if (!start) continue;
            if (*start <= origin) {
                lever->insert_or_assign("start_year", static_cast<std::int64_t>(origin + 1));
                lever_notes.insert(lever_notes.begin(), "mitigation " + name + " starts in " + std::to_string(*start) +
                                ", not after the origin: it starts in " + std::to_string(origin + 1) +
                                ", the first simulated year");
            } else if (*start > origin + horizon) {
                levers->erase(levers->begin() + static_cast<std::ptrdiff_t>(i));
                lever_notes.insert(lever_notes.begin(), "mitigation " + name + " starts in " + std::to_string(*start) +
                                ", after the last simulated year " + std::to_string(origin + horizon) + ": left out");
            }
        }
        notes.insert(notes.end(), lever_notes.begin(), lever_notes.end());
        if (levers->empty()) root.erase("mitigations");
    }
    std::ostringstream out;
    out << toml::toml_formatter(root, (toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings) |
                                   toml::format_flags::relaxed_float_precision);
    return out.str();
}

}  // namespace ehcpsim::calibrate::detail
