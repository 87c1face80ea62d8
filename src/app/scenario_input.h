// The scenario a command reads, shared by the commands. Private to src/app.
#pragma once

#include <ostream>
#include <string>

#include "ehcpsim/scenario.h"

namespace ehcpsim::app_detail {

// The scenario at `path`, or the embedded default when `path` is empty.
inline ScenarioSet load(const std::string& path) {
    return path.empty() ? load_default_scenario() : load_scenario(path);
}

// The scenario's notes and warnings, one a line.
inline void report_notes(const ScenarioSet& scenario, std::ostream& err) {
    for (const std::string& note : scenario.notes) err << "note: " << note << '\n';
    for (const std::string& warning : scenario.warnings) err << "warning: " << warning << '\n';
}

}  // namespace ehcpsim::app_detail
