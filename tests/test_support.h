// Helpers shared by the model and CLI tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ehcpsim/results.h"

namespace ehcpsim::testing {

inline std::string source_path(const std::string& relative) { return std::string(EHCPSIM_SOURCE_DIR) + "/" + relative; }
inline std::string small_scenario() { return source_path("tests/scenarios/small/small.toml"); }

// Value of a [replicate, year(, extra)] metric inside a block.
inline double value(const VariantBlock& block, const Shape& shape, int metric, std::int64_t slot, int year,
                    int extra = 0) {
    const std::size_t per_rep = shape.values_per_replicate(metric);
    const std::size_t width = per_rep / static_cast<std::size_t>(shape.years);
    return block.metrics[metric][static_cast<std::size_t>(slot) * per_rep + static_cast<std::size_t>(year) * width +
                                 static_cast<std::size_t>(extra)];
}

// A command's exit status and everything it printed (stdout and stderr).
struct CommandResult {
    int code = -1;
    std::string output;
};

inline CommandResult run_shell(const std::string& command) {
    CommandResult result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return result;
    std::array<char, 4096> buffer{};
    std::size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
    const int status = pclose(pipe);
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// The ehcpsim binary with these arguments.
inline CommandResult run_ehcpsim(const std::string& arguments) {
    return run_shell(std::string(EHCPSIM_BINARY) + " " + arguments);
}

// A scratch directory removed with everything in it when the test ends.
class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("ehcpsim-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace ehcpsim::testing
