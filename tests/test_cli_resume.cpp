// Resuming through the real binary what only a process shows: a run killed
// with SIGKILL part-way and finished with --resume writes the same datasets
// as a run never stopped; two processes writing one output; the files a
// killed run without -o leaves. The rest of the
// checkpoint's policy is tested in process (tests/test_app_resume.cpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "ehcpsim/output.h"
#include "ehcpsim/results.h"
#include "app_test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::TempDir;

// 40 blocks of 10 replicates, one thread: long enough to stop at a chosen block.
std::vector<std::string> run_args(const std::string& replicates = "400", const std::string& seed = "5") {
    return {"-n", replicates, "--seed", seed, "--block-size", "10", "--threads", "1", "-q"};
}
constexpr int blocks = 40;

std::string joined(const std::vector<std::string>& args) {
    std::string text;
    for (const std::string& a : args) text += " " + a;
    return text;
}

// The run (its summary and messages captured), with more arguments.
CommandResult ehcpsim_run(const std::string& scenario, const std::string& target, const std::string& extra = "") {
    return testing::run_ehcpsim("run " + scenario + joined(run_args()) + " -o " + target + extra);
}

// The same run in the background, its messages to `messages`.
pid_t start_run(const std::string& scenario, const std::string& target, const std::vector<std::string>& extra = {},
                const std::string& messages = "/dev/null") {
    std::vector<std::string> args = {EHCPSIM_BINARY, "run", scenario};
    const std::vector<std::string> common = run_args();
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"-o", target});
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (!freopen("/dev/null", "w", stdout) || !freopen(messages.c_str(), "w", stderr)) _exit(126);
        execv(EHCPSIM_BINARY, argv.data());
        _exit(127);
    }
    return pid;
}

using testing::whole_records;

// Waits until the checkpoint holds at least `records` blocks.
void wait_for_records(const std::string& checkpoint, int records) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (whole_records(checkpoint) < records && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::microseconds(500));
}

// Runs until the checkpoint holds at least `records` blocks, then sends
// `signal`; returns the exit code (-1 when killed by the signal).
int stop_after(const std::string& scenario, const std::string& target, int records, int signal,
               const std::vector<std::string>& extra = {}, const std::string& messages = "/dev/null") {
    const pid_t pid = start_run(scenario, target, extra, messages);
    wait_for_records(target + ".ckpt", records);
    kill(pid, signal);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Every dataset compared value by value, and by h5diff when it is installed.
void expect_same_results(const std::string& a, const std::string& b) {
    testing::expect_same_results(a, b);
    if (testing::run_shell("command -v h5diff").code == 0) {
        const CommandResult diff = testing::run_shell("h5diff " + a + " " + b);
        EXPECT_EQ(diff.code, 0) << diff.output;
    }
}
using testing::temporaries_left;

// One uninterrupted run to compare with, made once.
class Resume : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        reference_dir_ = new TempDir;
        const CommandResult r = ehcpsim_run(testing::small_scenario(), reference());
        ASSERT_EQ(r.code, 0) << r.output;
    }
    static void TearDownTestSuite() {
        delete reference_dir_;
        reference_dir_ = nullptr;
    }
    static std::string reference() { return *reference_dir_ / "uninterrupted.h5"; }
    static TempDir* reference_dir_;
    TempDir dir;
};
TempDir* Resume::reference_dir_ = nullptr;

TEST_F(Resume, AfterAKillGivesIdenticalDatasets) {
    for (int kill_at : {1, blocks / 2, blocks * 3 / 4}) {
        const std::string target = dir / ("killed-" + std::to_string(kill_at) + ".h5");
        const std::string checkpoint = target + ".ckpt";
        EXPECT_EQ(stop_after(testing::small_scenario(), target, kill_at, SIGKILL), -1);
        ASSERT_FALSE(fs::exists(target)) << "a killed run left a file at the target";
        const int saved = whole_records(checkpoint);
        EXPECT_GE(saved, kill_at);
        EXPECT_LT(saved, blocks) << "the run finished before it was killed: the test proves nothing";

        const CommandResult r = ehcpsim_run(testing::small_scenario(), target, " --resume");
        ASSERT_EQ(r.code, 0) << r.output;
        expect_same_results(reference(), target);
        EXPECT_FALSE(fs::exists(checkpoint)) << "the checkpoint outlived the run it served";
        EXPECT_FALSE(temporaries_left(target)) << "the killed run's temporary file was left behind";
    }
}

// Two runs to one output, neither keeping a checkpoint: the second is
// refused at once (exit 3), the first finishes, and nothing is replaced.
TEST_F(Resume, TwoRunsToOneOutputWithoutACheckpoint) {
    const std::string target = dir / "shared.h5";
    const pid_t first = start_run(testing::small_scenario(), target, {"--no-checkpoint"});
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!temporaries_left(target) && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    const CommandResult second = testing::run_ehcpsim("run " + testing::small_scenario() +
                                                      " -n 30 -q --no-checkpoint --overwrite -o " + target);
    int status = 0;
    waitpid(first, &status, 0);
    EXPECT_EQ(second.code, 3) << second.output;
    EXPECT_NE(second.output.find("another ehcpsim run is writing"), std::string::npos) << second.output;
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    expect_same_results(reference(), target);
}

// A run without -o writes a temporary file named ehcpsim-run-<pid>.h5 (and
// .tmp-<pid>) in $TMPDIR; killed, it leaves them; the next run without -o
// removes those whose process is gone, and keeps a live process's.
TEST(Checkpoints, AKilledRunWithoutOutputLeavesFilesTheNextRunRemoves) {
    TempDir tmp;
    const std::string tmpdir = tmp / "";
    const std::string env = "TMPDIR=" + tmpdir + " ";
    const CommandResult killed = testing::run_shell(
        "bash -c '" + env + EHCPSIM_BINARY + " run " + testing::small_scenario() + joined(run_args()) +
        " >/dev/null 2>&1 & p=$!; for i in $(seq 2000); do ls " + tmpdir +
        " | grep -q tmp- && break; sleep 0.01; done; kill -9 $p; wait $p; ls " + tmpdir + "'");
    EXPECT_NE(killed.output.find("ehcpsim-run-"), std::string::npos) << killed.output;
    const std::string live = tmp / ("ehcpsim-run-" + std::to_string(getpid()) + ".h5.tmp-" + std::to_string(getpid()));
    std::ofstream(live) << "a live run's";
    const CommandResult next =
        testing::run_shell(env + EHCPSIM_BINARY + " run " + testing::small_scenario() + " -n 20 -q");
    ASSERT_EQ(next.code, 0) << next.output;
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(tmpdir)) names.push_back(entry.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{fs::path(live).filename().string()});
}

}  // namespace
}  // namespace ehcpsim
