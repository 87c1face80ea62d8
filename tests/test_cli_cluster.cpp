// Cluster runs through the real binary: shards (--shard, Slurm arrays) and
// MPI ranks, merged, give the same datasets as one process; merge refuses
// shards that do not make one run.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::small_scenario;

using Result = testing::CommandResult;
using Dir = testing::TempDir;

Result run_command(const std::string& command) { return testing::run_shell(command); }
Result ehcpsim(const std::string& arguments) { return testing::run_ehcpsim(arguments); }
bool have(const char* tool) { return run_command(std::string("command -v ") + tool).code == 0; }

const std::string args = " -n 90 --seed 5 -q ";

TEST(Cluster, ThreeShardsMergedEqualOneRun) {
    if (!have("h5diff")) GTEST_SKIP() << "h5diff (hdf5-tools) not installed";
    Dir dir;
    ASSERT_EQ(ehcpsim("run " + small_scenario() + args + "-o " + (dir / "whole.h5")).code, 0);
    for (int k = 1; k <= 3; ++k) {
        const Result r = ehcpsim("run " + small_scenario() + args + "--shard " + std::to_string(k) + "/3 -o " +
                                 (dir / ("shard-" + std::to_string(k) + ".h5")));
        ASSERT_EQ(r.code, 0) << r.output;
    }
    // Given out of order: merge sorts them by replicate range.
    const Result merged = ehcpsim("merge " + (dir / "shard-3.h5") + " " + (dir / "shard-1.h5") + " " +
                                  (dir / "shard-2.h5") + " -o " + (dir / "merged.h5"));
    ASSERT_EQ(merged.code, 0) << merged.output;
    const Result diff = run_command("h5diff " + (dir / "whole.h5") + " " + (dir / "merged.h5"));
    EXPECT_EQ(diff.code, 0) << diff.output;
    // And the summaries, computed from the files, are the same text.
    EXPECT_EQ(ehcpsim("summary " + (dir / "whole.h5") + " --format json").output,
              ehcpsim("summary " + (dir / "merged.h5") + " --format json").output);
}

TEST(Cluster, SlurmArrayVariablesChooseTheShard) {
    if (!have("h5diff")) GTEST_SKIP() << "h5diff (hdf5-tools) not installed";
    Dir dir;
    for (int task = 1; task <= 2; ++task) {  // --array=1-2
        const Result r = run_command("SLURM_ARRAY_TASK_ID=" + std::to_string(task) +
                                     " SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=2 " + EHCPSIM_BINARY + " run " +
                                     small_scenario() + args + "-o " + (dir / ("task" + std::to_string(task) + ".h5")));
        ASSERT_EQ(r.code, 0) << r.output;
    }
    ASSERT_EQ(ehcpsim("run " + small_scenario() + args + "--shard 1/2 -o " + (dir / "explicit.h5")).code, 0);
    EXPECT_EQ(run_command("h5diff " + (dir / "task1.h5") + " " + (dir / "explicit.h5")).code, 0);
}

TEST(Cluster, MergeRefusesShardsThatDoNotMakeOneRun) {
    Dir dir;
    for (int k = 1; k <= 3; ++k)
        ASSERT_EQ(ehcpsim("run " + small_scenario() + args + "--shard " + std::to_string(k) + "/3 -o " +
                          (dir / ("s" + std::to_string(k) + ".h5")))
                      .code,
                  0);
    ASSERT_EQ(ehcpsim("run " + small_scenario() + " -n 90 --seed 6 -q --shard 2/3 -o " + (dir / "seed6.h5")).code, 0);
    const std::string out = dir / "out.h5";

    Result r = ehcpsim("merge " + (dir / "s1.h5") + " " + (dir / "s3.h5") + " -o " + out);  // s2 missing
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("missing"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));

    r = ehcpsim("merge " + (dir / "s1.h5") + " " + (dir / "s2.h5") + " " + (dir / "s2.h5") + " " + (dir / "s3.h5") +
                " -o " + out);  // s2 twice
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("both"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));

    r = ehcpsim("merge " + (dir / "s1.h5") + " " + (dir / "seed6.h5") + " " + (dir / "s3.h5") + " -o " + out);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("seed"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));
}

TEST(Cluster, ShardUsageErrors) {
    EXPECT_EQ(ehcpsim("run " + small_scenario() + " -n 10 --shard 4/3 -o /tmp/x.h5").code, 2);
    EXPECT_EQ(ehcpsim("run " + small_scenario() + " -n 10 --shard two -o /tmp/x.h5").code, 2);
    EXPECT_EQ(ehcpsim("run " + small_scenario() + " -n 10 --shard 1/3").code, 2);  // no -o
    EXPECT_EQ(ehcpsim("run " + small_scenario() + " --deterministic --shard 1/3 -o /tmp/x.h5").code, 2);
}

// mpirun -np 2: each rank runs a contiguous block into its own file, rank 0
// merges; the result equals a single-process run dataset by dataset.
TEST(Cluster, MpiTwoRanksEqualOneProcess) {
    const std::string mpiexec = EHCPSIM_MPIEXEC;
    if (mpiexec.empty() || !fs::exists(mpiexec)) GTEST_SKIP() << "built without MPI";
    if (!have("h5diff")) GTEST_SKIP() << "h5diff (hdf5-tools) not installed";
    Dir dir;
    ASSERT_EQ(ehcpsim("run " + small_scenario() + args + "--threads 1 -o " + (dir / "single.h5")).code, 0);
    // Under AddressSanitizer, LeakSanitizer reports allocations Open MPI's own
    // libraries and plugins never free at MPI_Finalize; they are not ours, so
    // leak checking is off for the ranks (every other check stays on).
    const Result r = run_command("ASAN_OPTIONS=detect_leaks=0 " + mpiexec +
                                 " -x ASAN_OPTIONS --oversubscribe --allow-run-as-root -np 2 " + EHCPSIM_BINARY +
                                 " run " + small_scenario() + args + "--threads 1 -o " + (dir / "mpi.h5"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_FALSE(fs::exists(dir / "mpi.h5.rank0.h5"));  // per-rank files are removed after the merge
    EXPECT_FALSE(fs::exists(dir / "mpi.h5.rank1.h5"));
    const Result diff = run_command("h5diff " + (dir / "single.h5") + " " + (dir / "mpi.h5"));
    EXPECT_EQ(diff.code, 0) << diff.output;
}

}  // namespace
}  // namespace ehcpsim
