// Stopping a run: SIGINT/SIGTERM end it with exit code 130 and leave nothing
// at the target, not even the temporary file; SIGKILL (which cannot be
// caught) never leaves a file at the target either.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;

// Starts a run long enough to be stopped part-way (so long that it needs
// --force past the size guard), writing to `target`.
pid_t start_long_run(const std::string& target) {
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string scenario = testing::small_scenario();
        execl(EHCPSIM_BINARY, EHCPSIM_BINARY, "run", scenario.c_str(), "-n", "5000000", "-q", "--threads", "1",
              "--force", "-o", target.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

int wait_for(pid_t pid, bool& signalled) {
    int status = 0;
    waitpid(pid, &status, 0);
    signalled = WIFSIGNALED(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Files beside the target other than its checkpoint (kept on purpose, for
// --resume: see test_cli_resume.cpp).
bool leftovers(const testing::TempDir& dir, const std::string& stem) {
    for (const auto& entry : fs::directory_iterator(fs::path(dir / stem).parent_path())) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(stem, 0) == 0 && name != stem + ".ckpt") return true;
    }
    return false;
}

TEST(Signals, InterruptLeavesNothingAndExits130) {
    for (int sig : {SIGINT, SIGTERM}) {
        testing::TempDir dir;
        const std::string target = dir / "run.h5";
        const pid_t pid = start_long_run(target);
        ASSERT_GT(pid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // well into the run
        kill(pid, sig);
        bool signalled = false;
        EXPECT_EQ(wait_for(pid, signalled), 130) << "signal " << sig;
        EXPECT_FALSE(signalled);
        EXPECT_FALSE(fs::exists(target));
        EXPECT_FALSE(leftovers(dir, "run.h5")) << "a temporary file was left behind";
    }
}

TEST(Signals, KillAtAnyMomentNeverLeavesAFileAtTheTarget) {
    for (int delay_ms : {100, 700, 1500}) {
        testing::TempDir dir;
        const std::string target = dir / "run.h5";
        const pid_t pid = start_long_run(target);
        ASSERT_GT(pid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        kill(pid, SIGKILL);
        bool signalled = false;
        wait_for(pid, signalled);
        EXPECT_TRUE(signalled);
        EXPECT_FALSE(fs::exists(target)) << "after " << delay_ms << " ms";
    }
}

TEST(Signals, AnInterruptedRunLeavesThePreviousFileUntouched) {
    testing::TempDir dir;
    const std::string target = dir / "run.h5";
    ASSERT_EQ(testing::run_ehcpsim("run " + testing::small_scenario() + " -n 20 -q -o " + target).code, 0);
    const auto before = fs::file_size(target);
    const auto modified = fs::last_write_time(target);
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string scenario = testing::small_scenario();
        execl(EHCPSIM_BINARY, EHCPSIM_BINARY, "run", scenario.c_str(), "-n", "5000000", "-q", "--threads", "1",
              "--force", "--overwrite", "-o", target.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    kill(pid, SIGINT);
    bool signalled = false;
    EXPECT_EQ(wait_for(pid, signalled), 130);
    EXPECT_EQ(fs::file_size(target), before);
    EXPECT_EQ(fs::last_write_time(target), modified);
}

// One block of thousands of replicates used to run to its end after Ctrl-C
// (about 10 s here on one thread): the stop request is now seen before each
// replicate. The bound of 3 s leaves room for a loaded machine (a Halton
// replicate takes a few ms; the old behaviour takes the rest of the block).
TEST(Signals, AStopIsSeenInsideABlockWithinASecond) {
    for (int sig : {SIGINT, SIGTERM}) {
        testing::TempDir dir;
        const std::string target = dir / "run.h5";
        const pid_t pid = fork();
        if (pid == 0) {
            execl(EHCPSIM_BINARY, EHCPSIM_BINARY, "run", "-n", "6000", "--block-size", "6000", "-q", "--threads", "1",
                  "-o", target.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        ASSERT_GT(pid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // inside the one block
        const auto sent = std::chrono::steady_clock::now();
        kill(pid, sig);
        bool signalled = false;
        EXPECT_EQ(wait_for(pid, signalled), 130) << "signal " << sig;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
        EXPECT_LT(seconds, 3.0) << "signal " << sig << ": the run went on for " << seconds << " s after it";
        EXPECT_FALSE(fs::exists(target));
        EXPECT_FALSE(leftovers(dir, "run.h5")) << "a temporary file was left behind";
    }
}

}  // namespace
}  // namespace ehcpsim
