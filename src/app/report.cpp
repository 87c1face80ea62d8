// `ehcpsim report` (app.h): the charts and the HTML page are drawn by
// report.py (docs/report.md) under Debian's python3, which has matplotlib
// and h5py. The process becomes the script (exec, no shell), so its exit
// code (0, 3, 130; 2 for its own usage errors) and its handling of Ctrl-C
// are the command's.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "ehcpsim/app.h"
#include "ehcpsim/error.h"

namespace ehcpsim {

// The script travels with the binary, not with the source tree it was built
// from: the build copies it beside the binary, `cmake --install` puts it in
// <prefix>/share/ehcpsim beside <prefix>/bin. $EHCPSIM_SCRIPTS_DIR, when
// set, is the only place looked at (a script being edited): a directory the
// user named that lacks the script is an error, not a reason to run another.
std::vector<std::string> script_candidates(const std::string& executable, const std::string& script) {
    std::vector<std::string> candidates;
    const char* scripts_env = std::getenv("EHCPSIM_SCRIPTS_DIR");
    if (scripts_env && *scripts_env) {
        candidates.push_back((std::filesystem::path(scripts_env) / script).string());
    } else if (!executable.empty()) {
        const std::filesystem::path bin = std::filesystem::path(executable).parent_path();
        candidates.push_back((bin / script).string());
        candidates.push_back((bin.parent_path() / "share" / "ehcpsim" / script).string());
    }
    return candidates;
}

FoundScript find_script(const std::string& executable, const std::string& script) {
    FoundScript found;
    for (const std::string& candidate : script_candidates(executable, script)) {
        if (access(candidate.c_str(), R_OK) == 0) {
            found.path = candidate;
            found.tried.clear();
            return found;
        }
        found.tried += (found.tried.empty() ? "" : ", ") + candidate;
    }
    return found;
}

int report_command(const std::string& file, const std::string& output, bool overwrite, int year) {
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    const FoundScript found = find_script(ec ? std::string() : self, "report.py");
    const std::string& script = found.path;
    if (script.empty()) {
        throw RuntimeError("cannot find the report script report.py (looked for " + found.tried +
                           "); set EHCPSIM_SCRIPTS_DIR to the directory that holds it (scripts/ in the source tree, "
                           "or share/ehcpsim where ehcpsim is installed)");
    }
    const char* python_env = std::getenv("EHCPSIM_PYTHON");
    const std::string python = python_env && *python_env ? python_env : "/usr/bin/python3";
    if (access(python.c_str(), X_OK) != 0)
        throw RuntimeError("cannot run " + python +
                           ": the report needs Debian's python3 with matplotlib and h5py "
                           "(apt-get install python3-matplotlib python3-h5py), or EHCPSIM_PYTHON set to one");
    std::vector<std::string> args{python, script, "-o", output};
    if (!self.empty()) args.insert(args.end(), {"--ehcpsim", self});
    if (overwrite) args.emplace_back("--overwrite");
    if (year != 0) args.insert(args.end(), {"--year", std::to_string(year)});
    args.insert(args.end(), {"--", file});  // a file name starting with '-' is still the file
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::cout.flush();
    std::cerr.flush();
    execv(python.c_str(), argv.data());
    throw RuntimeError("cannot run " + python + ": " + std::strerror(errno));
}

}  // namespace ehcpsim
