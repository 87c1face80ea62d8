// The fit report of a calibration (calibrate.h): Markdown for a reader, JSON
// for a tool, with the same content.
#include <sstream>

#include <nlohmann/json.hpp>

#include "calibrate_detail.h"

namespace ehcpsim::calibrate {

using detail::fmt;

std::string Calibration::report_markdown() const {
    std::ostringstream o;
    o << "# Fit report: " << authority_name << " (" << authority << "), origin " << origin << "\n\n"
      << "Panel `" << panel_name << "` cut at " << origin << " (" << panel_rows_after_cut
      << " rows: stocks to January " << origin << ", flows to calendar " << origin - 1
      << "); template: " << template_name << ".\n\n";
    o << "## Base stock\n\nJanuary " << origin << " census: " << census_total << " plans; written: " << stock_total
      << " plans. IPF: " << ipf_iterations << " sweeps, largest relative gap to a margin "
      << fmt(ipf_max_relative_gap, 3)
      << " before rounding. Whole plans: the total exact, each margin at its target rounded to whole plans.\n\n"
      << "| margin | category | census | target | written |\n|---|---|---|---|---|\n";
    for (const MarginCheck& m : margins)
        o << "| " << m.margin << " | " << m.category << " | " << fmt(m.census, 8) << " | " << fmt(m.target, 8)
          << " | " << m.cells << " |\n";
    o << "\n## Fitted parameters\n\nEach is a distribution (a posterior): mean, 5% and 95% of what is written; "
         "`own weight` is the weight of the authority's own data against the group's (1 = its own only).\n\n"
      << "| key | family | written | mean | 90% interval | own weight | data | pooled towards |\n"
      << "|---|---|---|---|---|---|---|---|\n";
    for (const FittedParameter& p : fitted)
        o << "| `" << p.key << "` | " << p.family << " | `" << p.dist << "` | " << fmt(p.mean) << " | " << fmt(p.lo90)
          << " - " << fmt(p.hi90) << " | " << fmt(p.own_weight, 3) << " | " << p.data << " | " << p.pooled_towards
          << " |\n";
    o << "\n## Methods\n\n";
    for (const std::string& m : methods) o << "* " << m << "\n";
    o << "\n## Kept from the template\n\n";
    for (const std::string& k : kept) o << "* " << k << "\n";
    o << "\n## Not fitted yet\n\n";
    for (const std::string& k : not_fitted) o << "* " << k << "\n";
    o << "\n## Warnings\n\n";
    if (warnings.empty()) o << "None.\n";
    for (const std::string& w : warnings) o << "* " << w << "\n";
    return o.str();
}

std::string Calibration::report_json() const {
    nlohmann::ordered_json j;
    j["authority"] = authority;
    j["authority_name"] = authority_name;
    j["origin"] = origin;
    j["panel"] = panel_name;
    j["panel_rows_after_cut"] = panel_rows_after_cut;
    j["template"] = template_name;
    j["base_stock"] = {{"census_total", census_total},
                       {"stock_total", stock_total},
                       {"ipf_sweeps", ipf_iterations},
                       {"ipf_max_relative_gap", ipf_max_relative_gap}};
    for (const MarginCheck& m : margins)
        j["base_stock"]["margins"].push_back(
            {{"margin", m.margin}, {"category", m.category}, {"census", m.census}, {"target", m.target},
             {"written", m.cells}});
    j["fitted"] = nlohmann::ordered_json::array();
    for (const FittedParameter& p : fitted)
        j["fitted"].push_back({{"key", p.key},
                               {"family", p.family},
                               {"written", p.dist},
                               {"mean", p.mean},
                               {"p5", p.lo90},
                               {"p95", p.hi90},
                               {"own_weight", p.own_weight},
                               {"data", p.data},
                               {"pooled_towards", p.pooled_towards}});
    j["methods"] = methods;
    j["kept_from_template"] = kept;
    j["not_fitted"] = not_fitted;
    j["warnings"] = warnings;
    return j.dump(2) + "\n";
}

}  // namespace ehcpsim::calibrate
