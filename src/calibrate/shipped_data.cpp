// Finding the shipped panel beside the binary or where it is installed
// (shipped_data.h).
#include "ehcpsim/shipped_data.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "ehcpsim/error.h"

namespace ehcpsim::calibrate {

namespace {
const std::filesystem::path panel_in_data = std::filesystem::path("sen2_la") / "panel.csv";
}

std::vector<std::string> shipped_panel_candidates(const std::string& executable) {
    std::vector<std::string> candidates;
    const char* data_env = std::getenv("EHCPSIM_DATA_DIR");
    if (data_env && *data_env) {
        candidates.push_back((std::filesystem::path(data_env) / panel_in_data).string());
    } else if (!executable.empty()) {
        const std::filesystem::path bin = std::filesystem::path(executable).parent_path();
        candidates.push_back((bin / "data" / panel_in_data).string());
        candidates.push_back((bin.parent_path() / "share" / "ehcpsim" / "data" / panel_in_data).string());
    }
    return candidates;
}

std::string find_shipped_panel(const std::string& executable) {
    const std::vector<std::string> candidates = shipped_panel_candidates(executable);
    std::string tried;
    for (const std::string& candidate : candidates) {
        std::error_code error;
        if (std::filesystem::is_regular_file(candidate, error) && access(candidate.c_str(), R_OK) == 0)
            return candidate;
        tried += (tried.empty() ? "" : ", ") + candidate;
    }
    throw ScenarioError(SourceLocation{"", "--panel", 0, 0},
                        "cannot find the panel shipped with ehcpsim (looked for " +
                            (tried.empty() ? std::string("nothing: the binary's place is unknown") : tried) +
                            "); give a panel with --panel FILE, or set EHCPSIM_DATA_DIR to the directory that "
                            "holds sen2_la/panel.csv (data/ in the source tree, or share/ehcpsim/data where "
                            "ehcpsim is installed)");
}

}  // namespace ehcpsim::calibrate
