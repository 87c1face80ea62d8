// The run command's policy, in process: what a stop leaves and how soon it
// is seen, the size guard, the checks made before anything is written, the
// temporary file of a run without -o, and the summary after a run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

#include "app_test_support.h"
#include "ehcpsim/output.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::AppOutcome;
using testing::run_request;
using testing::TempDir;

RunRequest small_run(const std::string& target, std::int64_t replicates = 40) {
    return testing::small_run(target, replicates);
}

using testing::contents;

TEST(AppRun, WritesTheFileAndPrintsItsSummary) {
    TempDir dir;
    RunRequest request = small_run(dir / "run.h5");
    request.quiet = false;
    const AppOutcome r = run_request(request);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(ResultReader(request.output).info().replicates, 40);
    EXPECT_NE(r.out.find("cumulative_deficit"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("Monte Carlo: 40 replicate(s)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("results in " + request.output), std::string::npos) << r.err;
}

// A run stopped after two blocks, replacing a file, leaves the file it was
// to replace as it was, and nothing else beside it but its checkpoint.
TEST(AppRun, AStoppedRunLeavesThePreviousFileUntouched) {
    TempDir dir;
    const std::string target = dir / "run.h5";
    ASSERT_EQ(run_request(small_run(target, 20)).code, 0);
    const std::string before = contents(target);
    for (const bool checkpoint : {true, false}) {
        RunRequest request = small_run(target, 400);
        request.overwrite = true;
        request.no_checkpoint = !checkpoint;
        const AppOutcome r = run_request(request, 2);
        EXPECT_EQ(r.code, 130) << r.err;
        EXPECT_EQ(contents(target), before);
        EXPECT_FALSE(testing::temporaries_left(target));
        EXPECT_EQ(fs::exists(target + ".ckpt"), checkpoint);
        fs::remove(target + ".ckpt");
    }
}

// A stop requested while a block of 6,000 replicates is computed (about 10 s
// on one thread here) is seen within the block: the run returns well before
// the block could have finished. The request is made once the run has
// written its expected-value projection (its temporary file exists), so the
// block is under way. The bound of 3 s leaves room for a loaded machine (a
// replicate takes a few ms; the old behaviour took the rest of the block).
TEST(AppRun, AStopIsSeenInsideABlock) {
    TempDir dir;
    RunRequest request;
    request.replicates = 6000;
    request.block_size = 6000;
    request.threads = 1;
    request.quiet = true;
    request.output = dir / "run.h5";
    std::ostringstream out, err;
    std::atomic<bool> stop{false};
    const Console console{out, err, {}, &stop, World{}};
    std::chrono::steady_clock::time_point asked;
    std::thread stopper([&] {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!testing::temporaries_left(request.output) && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // into the block's first replicates
        asked = std::chrono::steady_clock::now();
        stop = true;
    });
    int code = -1;
    try {
        code = run_command(request, console);
    } catch (const Interrupted&) {
        code = exit_interrupted;
    }
    const auto returned = std::chrono::steady_clock::now();
    stopper.join();
    EXPECT_EQ(code, exit_interrupted) << err.str();
    const double seconds = std::chrono::duration<double>(returned - asked).count();
    EXPECT_LT(seconds, 3.0) << "the run went on for " << seconds << " s after the stop";
    EXPECT_FALSE(fs::exists(request.output));
    EXPECT_FALSE(testing::temporaries_left(request.output));
}

TEST(AppRun, AbsurdRunsAreRefusedWithAnEstimate) {
    TempDir dir;
    RunRequest request = small_run(dir / "huge.h5", 1000000000);
    request.scenario.clear();  // the default scenario
    const AppOutcome r = run_request(request);
    EXPECT_EQ(r.code, 2) << r.err;
    for (const char* word : {"would write up to", "TB", "memory", "--force"})
        EXPECT_NE(r.err.find(word), std::string::npos) << word << " in " << r.err;
    EXPECT_FALSE(fs::exists(request.output));
}

TEST(AppRun, UsageErrorsAreFoundBeforeAnythingIsWritten) {
    TempDir dir;
    const auto refused = [&](RunRequest request, const std::string& what) {
        const AppOutcome r = run_request(request);
        EXPECT_EQ(r.code, 2) << what << ": " << r.err;
        EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(dir / "out.h5"));
    };
    RunRequest deterministic = small_run(dir / "out.h5", 10);
    deterministic.deterministic = true;
    refused(deterministic, "-n/--replicates does not apply");
    RunRequest shard = small_run(dir / "out.h5", 10);
    shard.shard = "4/3";
    refused(shard, "expected K/N with 1 <= K <= N");
    shard.shard = "1/3";
    shard.output.clear();
    refused(shard, "a shard needs -o FILE");
    shard = small_run(dir / "out.h5", 2);
    shard.shard = "1/3";
    refused(shard, "would hold no replicate");
    RunRequest directory = small_run(dir / "", 10);
    refused(directory, "is a directory");
    RunRequest itself = small_run(testing::small_scenario(), 10);
    refused(itself, "the scenario file");
    RunRequest unknown = small_run(dir / "out.h5", 10);
    unknown.variants = {"no_such_variant"};
    const AppOutcome r = run_request(unknown);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("no variant named 'no_such_variant'"), std::string::npos) << r.err;
}

// Without -o the results go to $TMPDIR/ehcpsim-run-<pid>.h5, which is
// summarised and removed.
TEST(AppRun, ARunWithoutOutputLeavesNoFile) {
    TempDir dir;
    const char* saved = std::getenv("TMPDIR");
    const std::string previous = saved ? saved : "";
    setenv("TMPDIR", (dir / "").c_str(), 1);
    const AppOutcome r = run_request(small_run("", 20));
    if (saved) setenv("TMPDIR", previous.c_str(), 1); else unsetenv("TMPDIR");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("cumulative_deficit"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(dir / "")) << "the temporary results were left behind";
}

TEST(AppRun, ThreadCountDoesNotChangeTheFile) {
    TempDir dir;
    RunRequest one = small_run(dir / "one.h5", 60);
    RunRequest two = small_run(dir / "two.h5", 60);
    two.threads = 2;
    two.block_size = 7;
    ASSERT_EQ(run_request(one).code, 0);
    ASSERT_EQ(run_request(two).code, 0);
    testing::expect_same_results(one.output, two.output);
}

// `merge -o` naming one of its own shards would replace an input with the
// merge of itself: refused before anything is read, and the shard is kept.
TEST(AppMerge, TheOutputIsNeverOneOfTheShards) {
    TempDir dir;
    RunRequest first = small_run(dir / "a.h5", 20), second = small_run(dir / "b.h5", 20);
    first.shard = "1/2";
    second.shard = "2/2";
    ASSERT_EQ(run_request(first).code, 0);
    ASSERT_EQ(run_request(second).code, 0);
    const std::string before = contents(first.output);
    fs::create_symlink(first.output, dir / "link.h5");
    for (const std::string& output : {first.output, dir / "link.h5"}) {
        const AppOutcome r = testing::run_in_process([&](const Console& console) {
            return merge_command({first.output, second.output}, output, true, console);
        });
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_NE(r.err.find("is the shard file"), std::string::npos) << r.err;
        EXPECT_EQ(contents(first.output), before);
    }
    const AppOutcome merged = testing::run_in_process([&](const Console& console) {
        return merge_command({first.output, second.output}, dir / "merged.h5", false, console);
    });
    EXPECT_EQ(merged.code, 0) << merged.err;
    EXPECT_NE(merged.out.find("merged 2 shard(s), 20 replicates"), std::string::npos) << merged.out;
}

}  // namespace
}  // namespace ehcpsim
