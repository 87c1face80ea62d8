// Helpers shared by the model and CLI tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ehcpsim/results.h"
#include "read_text_file.h"

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

// Whole records of a checkpoint and where they end, walking the format of
// docs/output.md: 24 bytes (magic, version, byte order, body length), the
// body, its CRC; then records of 32 bytes of header (payload size at byte
// 24), the payload and a CRC.
struct Records {
    int count = 0;
    std::uint64_t end = 0;
};
inline Records whole_records_of(const std::string& path) {
    Records records;
    std::error_code error;
    const std::uint64_t size = std::filesystem::file_size(path, error);
    std::ifstream in(path, std::ios::binary);
    if (error || size < 24 || !in) return records;
    char fixed[24];
    in.read(fixed, sizeof fixed);
    std::uint64_t body = 0;
    std::memcpy(&body, fixed + 16, 8);
    std::uint64_t at = 24 + body + 4;
    records.end = std::min(at, size);
    while (at + 32 <= size) {
        char header[32];
        in.seekg(static_cast<std::streamoff>(at));
        if (!in.read(header, sizeof header)) break;
        std::uint64_t payload = 0;
        std::memcpy(&payload, header + 24, 8);
        if (at + 32 + payload + 4 > size) break;
        at += 32 + payload + 4;
        records.end = at;
        ++records.count;
    }
    return records;
}
inline int whole_records(const std::string& path) { return whole_records_of(path).count; }

// Whether a writer's temporary file (<target>.tmp-<pid>) is beside `target`.
inline bool temporaries_left(const std::string& target) {
    const std::filesystem::path t(target);
    for (const auto& entry : std::filesystem::directory_iterator(t.parent_path()))
        if (entry.path().filename().string().rfind(t.filename().string() + ".tmp-", 0) == 0) return true;
    return false;
}

}  // namespace ehcpsim::testing
