// Where the public data shipped with ehcpsim (data/ of the source tree) is
// found at run time: like report.py, it travels with the binary, not with the
// source tree it was built from. The build copies data/ beside the binary
// (<build>/data), `cmake --install` puts it in <prefix>/share/ehcpsim/data.
// $EHCPSIM_DATA_DIR, when set, is the only place looked at.
#pragma once

#include <string>
#include <vector>

namespace ehcpsim::calibrate {

// The places the shipped SEN2 panel is looked for, in order, for a binary at
// `executable` (the path of the running ehcpsim, e.g. /proc/self/exe).
std::vector<std::string> shipped_panel_candidates(const std::string& executable);

// The first candidate that can be read; a ScenarioError listing them all
// (and how to point at the data, or to give --panel) when none can.
std::string find_shipped_panel(const std::string& executable);

}  // namespace ehcpsim::calibrate
