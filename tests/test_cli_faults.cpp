// Failed writes through the real binary. A preloaded shim (tests/support/
// fault_shim.cpp) makes one chosen write(2)/pwrite(2) to the writer's
// temporary file fail with EIO or ENOSPC, below HDF5, so HDF5's own cache
// flushes (at H5Dclose, H5Fflush, eviction) meet the failure as they would
// meet a failing disk. Whatever write fails, a run either exits 0 with a file
// identical to a clean run's, or exits 3 leaving nothing at the target and
// its checkpoint, from which --resume gives the clean run's file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "app_test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::TempDir;


// Under AddressSanitizer its runtime must come first in the libraries loaded,
// which LD_PRELOAD changes: the link-order check is off. Leak checking is off
// for these runs too: a run that failed part-way may leave HDF5 handles whose
// close failed, which are HDF5's, and a leak report would replace exit 3.
std::string with_faults(const std::string& environment) {
    return "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 LD_PRELOAD=" + std::string(EHCPSIM_FAULT_SHIM) + " " +
           environment + " " + EHCPSIM_BINARY + " ";
}

std::vector<std::string> leftovers(const std::string& dir, const std::string& name) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string file = entry.path().filename().string();
        if (file.rfind(name + ".tmp-", 0) == 0) found.push_back(file);
    }
    return found;
}

// The writes to fail, chosen by phase. The marks (the count of writes when
// the run turned to its checkpoint) divide the writes into phases: for a run
// with a checkpoint, the layout (up to the checkpoint's header), the writes
// that come before the first block's record, and the flushes of finish()
// (chunk data, then metadata, then the superblock) after the last record; a
// --deterministic run keeps no checkpoint and is one phase. Each phase gets
// its first, middle and last write; the run its first three and last four;
// and `spread` more points are spread evenly over all of it.
std::vector<long> points(long writes, const std::vector<long>& marks, int spread) {
    std::set<long> chosen{1, 2, 3};
    for (long n = writes; n > std::max(0L, writes - 4); --n) chosen.insert(n);
    long first = 1;
    for (std::size_t i = 0; i <= marks.size(); ++i) {
        const long last = i < marks.size() ? marks[i] : writes;
        if (last < first) continue;
        chosen.insert({first, (first + last) / 2, last});
        first = last + 1;
    }
    for (int i = 1; i <= spread; ++i) chosen.insert(1 + (writes - 1) * i / (spread + 1));
    return {chosen.begin(), chosen.end()};
}

// Files are compared dataset by dataset through the reader (every metric,
// expected line and parameter draw, bit for bit).
void expect_every_fault_caught(const std::string& extra_args, int spread) {
    TempDir dir;
    // -n does not apply to --deterministic (the command line refuses the pair).
    const bool deterministic = extra_args.find("--deterministic") != std::string::npos;
    const std::string args = "run " + testing::small_scenario() + (deterministic ? "" : " -n 90") +
                             " --seed 5 --block-size 10 --threads 1 -q" + extra_args + " -o ";
    const std::string reference = dir / "reference.h5", target = dir / "run.h5", counted = dir / "writes";
    // The clean run, through the shim, counts the writes to its temporary file
    // and marks where it turned to its checkpoint.
    const CommandResult clean = testing::run_shell(
        with_faults("EHCPSIM_FAULT_MARK=.ckpt EHCPSIM_FAULT_COUNT_FILE=" + counted) + args + reference);
    ASSERT_EQ(clean.code, 0) << clean.output;
    long writes = 0;
    std::vector<long> marks;
    {
        std::ifstream in(counted);
        in >> writes;
        for (long mark; in >> mark;) marks.push_back(mark);
    }
    ASSERT_GT(writes, 20) << "the shim saw no writes: is it preloaded?";
    // A run with a checkpoint turns to it after its layout and after its first
    // block's writes: without the marks its phases would go unseen.
    if (!deterministic) {
        ASSERT_GE(marks.size(), 2u) << "the shim saw no checkpoint";
    }
    const std::vector<long> chosen = points(writes, marks, spread);

    int failed = 0, resumed = 0;
    for (const long n : chosen) {
        const std::string error = n % 2 ? "EIO" : "ENOSPC";
        SCOPED_TRACE("write " + std::to_string(n) + " of " + std::to_string(writes) + " fails with " + error);
        fs::remove(target);
        fs::remove(target + ".ckpt");
        const CommandResult r = testing::run_shell(
            with_faults("EHCPSIM_FAULT_AT=" + std::to_string(n) + " EHCPSIM_FAULT_ERRNO=" + error) + args + target);
        EXPECT_TRUE(leftovers(dir / "", "run.h5").empty());
        if (r.code == 0) {  // the write was retried or rewritten: the file must be the clean one
            SCOPED_TRACE("exit 0: the file must be the clean run's\n" + r.output);
            testing::expect_same_results(reference, target);
            continue;
        }
        ++failed;
        EXPECT_EQ(r.code, 3) << r.output;
        EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
        EXPECT_FALSE(fs::exists(target)) << "a failed run left a file at the target";
        if (!fs::exists(target + ".ckpt")) continue;  // failed before any block was finished
        // What was finished is kept, and finishing it gives the clean run's file.
        const CommandResult again = testing::run_ehcpsim(args + target + " --resume");
        ASSERT_EQ(again.code, 0) << again.output;
        ++resumed;
        testing::expect_same_results(reference, target);
    }
    EXPECT_GT(failed, static_cast<int>(chosen.size()) / 2) << "the injected failures were not seen";
    if (extra_args.find("--deterministic") == std::string::npos) {
        EXPECT_GT(resumed, 0);
    }
}

TEST(Faults, OneFailedWriteAnywhereGivesExit3OrTheCleanFile) { expect_every_fault_caught("", 4); }

TEST(Faults, OneFailedWriteInADeterministicRun) {
    // --deterministic keeps no checkpoint: its small contiguous datasets go
    // through HDF5's sieve buffer, flushed when each dataset is closed.
    expect_every_fault_caught(" --deterministic", 6);
}

// A disk whose free space comes and goes: every 40th write fails.
TEST(Faults, IntermittentWriteFailuresNeverPublishAFile) {
    TempDir dir;
    const std::string target = dir / "run.h5";
    const CommandResult r =
        testing::run_shell(with_faults("EHCPSIM_FAULT_EVERY=40 EHCPSIM_FAULT_ERRNO=ENOSPC") + "run " +
                           testing::small_scenario() + " -n 90 --seed 5 --block-size 10 -q -o " + target);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(leftovers(dir / "", "run.h5").empty());
}

// Two runs to one output: a run that cannot see the other's lock (a file
// system without locks, another program) must still never replace the file
// the other published. The shim makes such a file appear at the target just
// before the finished file is moved into place.
TEST(Faults, AFileThatAppearsAtTheTargetIsNeverReplaced) {
    TempDir dir;
    const std::string target = dir / "run.h5";
    const CommandResult r = testing::run_shell(with_faults("EHCPSIM_FAULT_APPEAR=" + target) + "run " +
                                               testing::small_scenario() + " -n 20 --seed 5 -q -o " + target);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("appeared while the run was going"), std::string::npos) << r.output;
    std::ifstream in(target);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "another run");
    EXPECT_TRUE(leftovers(dir / "", "run.h5").empty());
}

}  // namespace
}  // namespace ehcpsim
