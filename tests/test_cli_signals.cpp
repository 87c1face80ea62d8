// Stopping a run with a real signal: SIGINT/SIGTERM end it with exit code
// 130 and leave nothing at the target, not even the temporary file; SIGKILL
// (which cannot be caught) never leaves a file at the target either. Each
// test waits for the run to show it is writing (its temporary file, its
// checkpoint's records) before it signals, never for a fixed time. What a
// stop leaves, and how soon it is seen, is tested in process
// (tests/test_app_run.cpp).
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
// --force past the size guard), writing to `target` in blocks of 100
// replicates (a checkpoint record each).
pid_t start_long_run(const std::string& target) {
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string scenario = testing::small_scenario();
        execl(EHCPSIM_BINARY, EHCPSIM_BINARY, "run", scenario.c_str(), "-n", "5000000", "-q", "--threads", "1",
              "--block-size", "100", "--force", "-o", target.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

// Waits (at most a minute) until the run writing `target` has its temporary
// file and at least `records` blocks in its checkpoint; false if it never did.
bool wait_until_writing(const std::string& target, int records) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
        if (testing::temporaries_left(target) && testing::whole_records(target + ".ckpt") >= records) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
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
        EXPECT_TRUE(wait_until_writing(target, 2)) << "the run never started writing";
        kill(pid, sig);
        bool signalled = false;
        EXPECT_EQ(wait_for(pid, signalled), 130) << "signal " << sig;
        EXPECT_FALSE(signalled);
        EXPECT_FALSE(fs::exists(target));
        EXPECT_FALSE(leftovers(dir, "run.h5")) << "a temporary file was left behind";
    }
}

// Killed as soon as it writes, after its first block, and well into the
// run: an engine that never wrote would fail the wait, not pass the test.
TEST(Signals, KillAtAnyMomentNeverLeavesAFileAtTheTarget) {
    for (int records : {0, 1, 8}) {
        testing::TempDir dir;
        const std::string target = dir / "run.h5";
        const pid_t pid = start_long_run(target);
        ASSERT_GT(pid, 0);
        EXPECT_TRUE(wait_until_writing(target, records)) << "the run never wrote " << records << " block(s)";
        kill(pid, SIGKILL);
        bool signalled = false;
        wait_for(pid, signalled);
        EXPECT_TRUE(signalled);
        EXPECT_FALSE(fs::exists(target)) << "killed after " << records << " block(s)";
    }
}

}  // namespace
}  // namespace ehcpsim
