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
#include <iterator>
#include <string>
#include <vector>

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

// The exit status of each rank of `mpirun -np 2 ehcpsim <arguments>`, under
// a time limit: a rank left waiting in a collective fails the test (status
// 124 from timeout) instead of hanging the suite.
struct RankResults {
    std::vector<int> codes;  // by rank; -1 if the rank never reported
    int launcher = -1;
    std::string output;
};

RankResults mpi_ranks(const std::string& arguments, const std::string& environment = "") {
    const std::string reporter = "ASAN_OPTIONS=detect_leaks=0 timeout -k 5 60 " + std::string(EHCPSIM_MPIEXEC) +
                                 " -x ASAN_OPTIONS --oversubscribe --allow-run-as-root -np 2 sh -c '" + environment +
                                 " " + EHCPSIM_BINARY + " " + arguments +
                                 "; echo \"rank-exit $OMPI_COMM_WORLD_RANK $?\"'";
    const Result r = run_command(reporter);
    RankResults results{{-1, -1}, r.code, r.output};
    std::size_t at = 0;
    while ((at = r.output.find("rank-exit ", at)) != std::string::npos) {
        int rank = -1, code = -1;
        if (std::sscanf(r.output.c_str() + at, "rank-exit %d %d", &rank, &code) == 2 && rank >= 0 && rank < 2)
            results.codes[static_cast<std::size_t>(rank)] = code;
        at += 10;
    }
    return results;
}

bool have_mpi() {
    const std::string mpiexec = EHCPSIM_MPIEXEC;
    return !mpiexec.empty() && fs::exists(mpiexec) && have("timeout");
}

// Failures under MPI end every rank, with the failed rank's message, never a
// rank spinning in a collective.
TEST(Cluster, MpiExistingOutputEndsEveryRankWithStatus3) {
    if (!have_mpi()) GTEST_SKIP() << "built without MPI";
    Dir dir;
    const std::string target = dir / "exists.h5";
    { std::ofstream(target) << "keep me"; }
    const RankResults r = mpi_ranks("run " + small_scenario() + args + "--threads 1 -o " + target);
    EXPECT_NE(r.launcher, 124) << "timed out: a rank hung\n" << r.output;
    EXPECT_EQ(r.codes, (std::vector<int>{3, 3})) << r.output;
    EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
    std::ifstream in(target);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "keep me");
    EXPECT_FALSE(fs::exists(target + ".rank0.h5"));
    EXPECT_FALSE(fs::exists(target + ".rank1.h5"));
}

TEST(Cluster, MpiBadScenarioEndsEveryRankWithStatus2) {
    if (!have_mpi()) GTEST_SKIP() << "built without MPI";
    Dir dir;
    const std::string scenario = dir / "bad.toml";
    { std::ofstream(scenario) << "name = \"bad\"\n[[[\n"; }
    const RankResults r = mpi_ranks("run " + scenario + args + "--threads 1 -o " + (dir / "out.h5"));
    EXPECT_NE(r.launcher, 124) << "timed out: a rank hung\n" << r.output;
    EXPECT_EQ(r.codes, (std::vector<int>{2, 2})) << r.output;
    EXPECT_FALSE(fs::exists(dir / "out.h5"));
    // Rank 0 says what is wrong; the other ranks, which read the same file, do not repeat it.
    std::size_t said = 0;
    for (std::size_t at = r.output.find("invalid scenario"); at != std::string::npos;
         at = r.output.find("invalid scenario", at + 1))
        ++said;
    EXPECT_EQ(said, 1u) << r.output;
}

TEST(Cluster, MpiUnwritableOutputEndsEveryRank) {
    if (!have_mpi()) GTEST_SKIP() << "built without MPI";
    Dir dir;
    // A directory that does not exist: every rank fails to create its file.
    RankResults r = mpi_ranks("run " + small_scenario() + args + "--threads 1 -o " + (dir / "no/such/dir/out.h5"));
    EXPECT_NE(r.launcher, 124) << "timed out: a rank hung\n" << r.output;
    EXPECT_TRUE(r.codes[0] == r.codes[1] && (r.codes[0] == 2 || r.codes[0] == 3)) << r.output;
    // Only rank 1 fails, at the end of its run (its file cannot be put in
    // place): rank 0 does not merge, and both exit 3.
    const std::string target = dir / "out.h5";
    fs::create_directories(target + ".rank1.h5/occupied");
    r = mpi_ranks("run " + small_scenario() + args + "--threads 1 -o " + target);
    EXPECT_NE(r.launcher, 124) << "timed out: a rank hung\n" << r.output;
    EXPECT_EQ(r.codes, (std::vector<int>{3, 3})) << r.output;
    EXPECT_FALSE(fs::exists(target));
    EXPECT_FALSE(fs::exists(target + ".rank0.h5"));
}

// Rank 0's merge fails (a file appears at the target just before the merged
// file is put in place: the fault shim of tests/test_cli_faults.cpp): the
// file that appeared is kept, and every rank exits 3, not only rank 0.
TEST(Cluster, MpiFailedMergeEndsEveryRankWithStatus3) {
    if (!have_mpi()) GTEST_SKIP() << "built without MPI";
    Dir dir;
    const std::string target = dir / "merged.h5";
    const RankResults r =
        mpi_ranks("run " + small_scenario() + args + "--threads 1 -o " + target,
                  "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 LD_PRELOAD=" + std::string(EHCPSIM_FAULT_SHIM) +
                      " EHCPSIM_FAULT_APPEAR=" + target);
    EXPECT_NE(r.launcher, 124) << "timed out: a rank hung\n" << r.output;
    EXPECT_EQ(r.codes, (std::vector<int>{3, 3})) << r.output;
    EXPECT_NE(r.output.find("appeared while the run was going"), std::string::npos) << r.output;
    std::ifstream in(target);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "another run");
    EXPECT_FALSE(fs::exists(target + ".rank0.h5"));
    EXPECT_FALSE(fs::exists(target + ".rank1.h5"));
}

}  // namespace
}  // namespace ehcpsim
