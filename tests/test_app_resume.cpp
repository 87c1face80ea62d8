// The run command's checkpoint and --resume, in process: a run stopped
// after an exact block and finished with --resume writes the same datasets
// as a run never stopped; a checkpoint of another run is refused and left
// as it was; a fresh run does not silently replace one; a damaged one is
// refused, not replaced. (A run killed with SIGKILL, which only a process
// can show, is in tests/test_cli_resume.cpp.)
#include <gtest/gtest.h>

#include <boost/crc.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "app_test_support.h"
#include "ehcpsim/output.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::AppOutcome;
using testing::expect_same_results;
using testing::run_request;
using testing::TempDir;
using testing::temporaries_left;
using testing::whole_records;
using testing::whole_records_of;

// 10 blocks of 5 replicates of the small scenario (each block is a
// checkpoint record, synced to disk: few blocks keep the tests quick; a run
// is stopped at an exact block, so the number of replicates in a block
// changes nothing the tests check).
constexpr int blocks = 10;
constexpr int block_size = 5;
constexpr int run_replicates = blocks * block_size;
RunRequest small_run(const std::string& target, std::int64_t replicates = run_replicates, std::uint64_t seed = 5) {
    return testing::small_run(target, replicates, seed, block_size);
}

using testing::contents;

// Stops the run after `stopped_at` blocks: the checkpoint then holds exactly
// those blocks.
void stop_after(const RunRequest& request, int stopped_at) {
    const AppOutcome r = run_request(request, stopped_at);
    ASSERT_EQ(r.code, 130) << r.err;
    ASSERT_EQ(whole_records(request.output + ".ckpt"), stopped_at);
}

// One uninterrupted run to compare with, made once, when a test first asks
// for it (ctest runs each test in a process of its own: a test that does not
// compare with it does not pay for it).
class AppResume : public ::testing::Test {
protected:
    static void TearDownTestSuite() {
        delete reference_dir_;
        reference_dir_ = nullptr;
    }
    static std::string reference() {
        if (!reference_dir_) {
            reference_dir_ = new TempDir;
            const AppOutcome r = run_request(small_run(*reference_dir_ / "uninterrupted.h5"));
            EXPECT_EQ(r.code, 0) << r.err;
        }
        return *reference_dir_ / "uninterrupted.h5";
    }
    static TempDir* reference_dir_;
    TempDir dir;
};
TempDir* AppResume::reference_dir_ = nullptr;

TEST_F(AppResume, AfterAStopGivesIdenticalDatasetsWhereverItStopped) {
    for (int stopped_at : {1, blocks / 4, blocks - 1}) {
        const std::string target = dir / ("stopped-" + std::to_string(stopped_at) + ".h5");
        const std::string checkpoint = target + ".ckpt";
        const AppOutcome stopped = run_request(small_run(target), stopped_at);
        EXPECT_EQ(stopped.code, 130) << stopped.err;
        // It leaves nothing at the target, and says how to go on.
        EXPECT_NE(stopped.err.find("rerun the same command with --resume"), std::string::npos) << stopped.err;
        EXPECT_NE(stopped.err.find(checkpoint), std::string::npos) << stopped.err;
        EXPECT_FALSE(fs::exists(target));
        EXPECT_FALSE(temporaries_left(target));
        EXPECT_EQ(whole_records(checkpoint), stopped_at);

        RunRequest resume = small_run(target);
        resume.resume = true;
        resume.quiet = false;
        const AppOutcome r = run_request(resume);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_NE(r.err.find("resuming from " + checkpoint + ": " + std::to_string(stopped_at * block_size) + " of " +
                                       std::to_string(run_replicates)),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(r.err.find("dropped"), std::string::npos) << r.err;  // every finished block is whole
        expect_same_results(reference(), target);
        EXPECT_FALSE(fs::exists(checkpoint)) << "the checkpoint outlived the run it served";
    }
}

TEST_F(AppResume, ACheckpointCutShortResumesFromItsWholeRecords) {
    const std::string target = dir / "cut.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(small_run(target), blocks / 2);
    const testing::Records whole = whole_records_of(checkpoint);
    for (std::uintmax_t cut : {3, 1000}) {  // into the last whole record's CRC, then into its payload
        fs::resize_file(checkpoint, whole.end - cut);
        EXPECT_EQ(whole_records(checkpoint), whole.count - 1);
    }
    RunRequest resume = small_run(target);
    resume.resume = true;
    const AppOutcome r = run_request(resume);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("was dropped"), std::string::npos) << r.err;
    expect_same_results(reference(), target);
}

TEST_F(AppResume, AStoppedOverwriteKeepsThePreviousFileUntilResumed) {
    const std::string target = dir / "previous.h5";
    ASSERT_EQ(run_request(small_run(target, 20)).code, 0);
    const std::string before = contents(target);
    RunRequest overwrite = small_run(target);
    overwrite.overwrite = true;
    stop_after(overwrite, 2);
    EXPECT_EQ(contents(target), before);
    overwrite.resume = true;
    const AppOutcome r = run_request(overwrite);
    ASSERT_EQ(r.code, 0) << r.err;
    expect_same_results(reference(), target);
}

// Rewrites the engine version stored in a checkpoint's header (same length),
// with the header's CRC-32 made right again, as an older engine would have
// written it.
void fake_engine_version(const std::string& checkpoint, char version) {
    std::fstream f(checkpoint, std::ios::in | std::ios::out | std::ios::binary);
    char fixed[24];
    f.read(fixed, sizeof fixed);
    std::uint64_t body_length = 0;
    std::memcpy(&body_length, fixed + 16, 8);
    std::string body(body_length, '\0');
    f.read(body.data(), static_cast<std::streamsize>(body.size()));
    std::uint64_t length = 0;  // the body opens with the engine version: 8 bytes of length, then the text
    std::memcpy(&length, body.data(), 8);
    ASSERT_LE(length, body.size() - 8);
    body.replace(8, length, std::string(length, version));
    boost::crc_32_type crc;
    crc.process_bytes(body.data(), body.size());
    const std::uint32_t sum = crc.checksum();
    f.seekp(24);
    f.write(body.data(), static_cast<std::streamsize>(body.size()));
    f.write(reinterpret_cast<const char*>(&sum), sizeof sum);
}

TEST_F(AppResume, ACheckpointOfAnotherRunIsRefusedAndKept) {
    const std::string target = dir / "other.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(small_run(target), 2);
    const std::string kept = contents(checkpoint);
    const auto refused = [&](RunRequest request, const std::string& what) {
        request.resume = true;
        const AppOutcome r = run_request(request);
        EXPECT_EQ(r.code, 3) << what << ": " << r.err;
        EXPECT_NE(r.err.find("checkpoint was written by a different " + what), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(target));
        EXPECT_EQ(contents(checkpoint), kept) << "a refused checkpoint must be left as it was";
    };
    refused(small_run(target, run_replicates, 6), "seed (checkpoint: 5; this run: 6)");
    refused(small_run(target, 300), "total replicate count (checkpoint: " + std::to_string(run_replicates) + "; this run: 300)");
    RunRequest no_crn = small_run(target);
    no_crn.no_crn = true;
    refused(no_crn, "common random numbers");

    // The same scenario with its TOML edited, in a copy of its directory.
    const fs::path copy = dir / "edited";
    fs::copy(fs::path(testing::small_scenario()).parent_path(), copy, fs::copy_options::recursive);
    std::ofstream(copy / "small.toml", std::ios::app) << "\n# edited after the run started\n";
    RunRequest edited = small_run(target);
    edited.scenario = (copy / "small.toml").string();
    refused(edited, "text of scenario file");

    fake_engine_version(checkpoint, '9');  // "0.1.0" becomes "99999"
    const std::string faked = contents(checkpoint);
    RunRequest resume = small_run(target);
    resume.resume = true;
    const AppOutcome r = run_request(resume);
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_NE(r.err.find("checkpoint was written by a different engine version (checkpoint: \"999"), std::string::npos)
        << r.err;
    EXPECT_EQ(contents(checkpoint), faked);
}

TEST_F(AppResume, AFreshRunDoesNotReplaceAStaleCheckpointSilently) {
    const std::string target = dir / "stale.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(small_run(target), 3);
    const std::string kept = contents(checkpoint);

    AppOutcome r = run_request(small_run(target));
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
    EXPECT_EQ(contents(checkpoint), kept);
    EXPECT_FALSE(fs::exists(target));

    // --overwrite discards it and starts afresh; the finished run removes it.
    RunRequest overwrite = small_run(target);
    overwrite.overwrite = true;
    r = run_request(overwrite);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(fs::exists(checkpoint));
    expect_same_results(reference(), target);
}

// A checkpoint whose header is damaged may still hold finished replicates:
// neither a fresh run nor --resume replaces it; --overwrite does.
TEST_F(AppResume, ADamagedHeaderIsRefusedNotReplaced) {
    const std::string target = dir / "damaged.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(small_run(target), 3);
    {
        std::fstream f(checkpoint, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(30);  // inside the header's body (after 24 bytes of fixed header)
        f.put('#');
    }
    const std::string before = contents(checkpoint);
    for (const bool resume : {false, true}) {
        RunRequest request = small_run(target);
        request.resume = resume;
        const AppOutcome r = run_request(request);
        EXPECT_EQ(r.code, 3) << resume << r.err;
        EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
        EXPECT_EQ(contents(checkpoint), before) << resume;
        EXPECT_FALSE(fs::exists(target));
    }
    RunRequest overwrite = small_run(target);
    overwrite.overwrite = true;
    const AppOutcome r = run_request(overwrite);
    ASSERT_EQ(r.code, 0) << r.err;
    expect_same_results(reference(), target);
}

// --overwrite through a checkpoint path that is a symbolic link replaces the
// link, never what it points to (here another run's checkpoint, which then
// still resumes).
TEST_F(AppResume, OverwriteThroughASymbolicLinkLeavesWhatItPointsTo) {
    const std::string other = dir / "other.h5";
    stop_after(small_run(other), 3);
    const std::string before = contents(other + ".ckpt");
    const std::string target = dir / "linked.h5";
    fs::create_symlink(other + ".ckpt", target + ".ckpt");

    AppOutcome r = run_request(small_run(target));
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
    RunRequest overwrite = small_run(target);
    overwrite.overwrite = true;
    r = run_request(overwrite);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(fs::exists(fs::symlink_status(target + ".ckpt")));  // the finished run removed the link's replacement
    EXPECT_EQ(contents(other + ".ckpt"), before) << "the link's target was written";
    RunRequest resume = small_run(other);
    resume.resume = true;
    r = run_request(resume);
    ASSERT_EQ(r.code, 0) << r.err;
    expect_same_results(reference(), other);
}

TEST_F(AppResume, ResumeWithoutACheckpointRunsFromTheStart) {
    const std::string target = dir / "nothing.h5";
    RunRequest resume = small_run(target);
    resume.resume = true;
    const AppOutcome r = run_request(resume);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("no checkpoint"), std::string::npos) << r.err;
    expect_same_results(reference(), target);
    EXPECT_FALSE(fs::exists(target + ".ckpt"));
}

TEST_F(AppResume, AShardResumesLikeAWholeRun) {
    const std::string whole = dir / "shard-whole.h5";
    const std::string stopped = dir / "shard-stopped.h5";
    RunRequest shard = small_run(whole);
    shard.shard = "2/3";
    ASSERT_EQ(run_request(shard).code, 0);
    // Stopped part-way through its 4 blocks (a third of the replicates).
    shard.output = stopped;
    stop_after(shard, 2);
    shard.resume = true;
    const AppOutcome r = run_request(shard);
    ASSERT_EQ(r.code, 0) << r.err;
    expect_same_results(whole, stopped);
    // A shard's checkpoint is its own: resuming it as another shard is refused.
    const std::string whole_run = dir / "whole-run.h5";
    stop_after(small_run(whole_run), 2);
    RunRequest other = small_run(whole_run);
    other.shard = "1/3";
    other.resume = true;
    const AppOutcome refused = run_request(other);
    EXPECT_EQ(refused.code, 3) << refused.err;
    EXPECT_NE(refused.err.find("different shard"), std::string::npos) << refused.err;
}

TEST(AppCheckpoints, NoCheckpointKeepsNone) {
    TempDir dir;
    RunRequest request = small_run(dir / "plain.h5");
    request.no_checkpoint = true;
    const AppOutcome r = run_request(request, 2);
    EXPECT_EQ(r.code, 130) << r.err;
    EXPECT_NE(r.err.find("interrupted: no results were written"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(request.output + ".ckpt"));
    EXPECT_FALSE(fs::exists(request.output));
    EXPECT_FALSE(temporaries_left(request.output));
}

TEST(AppCheckpoints, AFinishedRunRemovesItsCheckpoint) {
    TempDir dir;
    const RunRequest request = small_run(dir / "done.h5", 50);
    ASSERT_EQ(run_request(request).code, 0);
    EXPECT_TRUE(fs::exists(request.output));
    EXPECT_FALSE(fs::exists(request.output + ".ckpt"));
}

TEST(AppResumeUsage, RefusedWhereThereIsNothingToResume) {
    TempDir dir;
    RunRequest request = small_run("", 10);
    request.resume = true;
    AppOutcome r = run_request(request);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("--resume needs -o"), std::string::npos) << r.err;
    request = small_run(dir / "x.h5", 0);
    request.deterministic = true;
    request.resume = true;
    r = run_request(request);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("nothing to resume"), std::string::npos) << r.err;
    request = small_run(dir / "x.h5", 10);
    request.resume = true;
    request.no_checkpoint = true;
    r = run_request(request);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("not both"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "x.h5"));
}

// Under MPI the ranks' files are merged at once and keep no checkpoint:
// --resume is refused on every rank before any of them starts. (The ranks'
// vote itself is tested through mpirun in tests/test_cli_cluster.cpp.)
TEST(AppResumeUsage, RefusedUnderMpi) {
    TempDir dir;
    RunRequest request = small_run(dir / "mpi.h5", 10);
    request.resume = true;
    for (int rank : {0, 1}) {
        const AppOutcome r = testing::run_in_process(
            [&](const Console& console) {
                Console ranked = console;
                ranked.world = World{rank, 2};
                return run_command(request, ranked);
            });
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_NE(r.err.find("not supported under MPI"), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(dir / "mpi.h5"));
}

}  // namespace
}  // namespace ehcpsim
