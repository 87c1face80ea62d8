// libFuzzer target over the checkpoint reader: an input is the bytes of a
// checkpoint file, resumed against a fixed run (fuzz_support.h) and every
// saved block read back, then offered to a fresh run (start() without
// replace). Any outcome is fine except a crash, a sanitizer report or an
// exception other than RuntimeError (what the CLI turns into exit 3); a
// resumed checkpoint must hold distinct blocks inside the run.
//
// FUZZ_WRITE_SEEDS=DIR ./fuzz_checkpoint writes valid checkpoints (no
// block, one, three) to DIR as a seed corpus and exits.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ehcpsim/checkpoint.h"
#include "ehcpsim/error.h"
#include "fuzz_support.h"

namespace {

using namespace ehcpsim;

const RunInfo& run() {
    static const RunInfo info = fuzzing::small_run(8);
    return info;
}

std::string scratch() {
    return (std::filesystem::temp_directory_path() / ("ehcpsim-fuzz-" + std::to_string(getpid()) + ".ckpt")).string();
}

void put(const std::string& path, const std::uint8_t* data, std::size_t size) {
    std::filesystem::remove(path);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

void write_seeds(const std::string& dir) {
    std::filesystem::create_directories(dir);
    const std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> sets = {
        {}, {{0, 2}}, {{4, 4}, {0, 1}, {2, 2}}};
    int n = 0;
    for (const auto& blocks : sets) {
        const std::string path = dir + "/seed-" + std::to_string(n++) + ".ckpt";
        std::filesystem::remove(path);
        Checkpoint checkpoint = Checkpoint::start(path, run(), false);
        for (const auto& [first, count] : blocks) checkpoint.append(fuzzing::made_up_block(run(), first, count));
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* dir = std::getenv("FUZZ_WRITE_SEEDS")) {
        write_seeds(dir);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch();
    put(path, data, size);
    try {
        std::optional<Checkpoint> checkpoint = Checkpoint::resume(path, run());
        if (checkpoint) {
            std::int64_t total = 0;
            std::vector<Checkpoint::Range> ranges = checkpoint->saved();
            std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (std::size_t i = 0; i < ranges.size(); ++i) {
                const auto& r = ranges[i];
                if (r.count <= 0 || r.first < 0 || r.first + r.count > run().replicates) __builtin_trap();
                if (i > 0 && ranges[i - 1].first + ranges[i - 1].count > r.first) __builtin_trap();
                total += r.count;
            }
            if (total != checkpoint->saved_replicates()) __builtin_trap();
            for (std::size_t i = 0; i < checkpoint->saved().size(); ++i) {
                const ResultBlock block = checkpoint->read(i);
                if (block.first_replicate != checkpoint->saved()[i].first) __builtin_trap();
            }
        }
    } catch (const RuntimeError&) {
    }
    put(path, data, size);
    try {
        Checkpoint::start(path, run(), false);
    } catch (const RuntimeError&) {
    }
    std::filesystem::remove(path);
    return 0;
}
