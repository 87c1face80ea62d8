// Resuming an interrupted run through the real binary: a run killed
// (SIGKILL) or interrupted (SIGINT) part-way and finished with --resume
// writes the same datasets as a run never stopped; a checkpoint of another
// run (seed, scenario, engine version, replicate count) is refused and left
// as it was; a fresh run does not silently replace one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/crc.hpp>
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
#include "test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::TempDir;

// 40 blocks of 25 replicates, one thread: about half a second, long enough
// to stop at a chosen block.
std::vector<std::string> run_args(const std::string& replicates = "1000", const std::string& seed = "5") {
    return {"-n", replicates, "--seed", seed, "--block-size", "25", "--threads", "1", "-q"};
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

// The whole records of a checkpoint and where they end, walking the format
// of docs/output.md: 24 bytes (magic, version, byte order, body length),
// the body, its CRC; then records of 32 bytes of header (payload size at
// byte 24), the payload and a CRC.
struct Records {
    int count = 0;
    std::uint64_t end = 0;
};
Records whole_records_of(const std::string& path) {
    Records records;
    std::error_code error;
    const std::uint64_t size = fs::file_size(path, error);
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
int whole_records(const std::string& path) { return whole_records_of(path).count; }

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

// Every dataset compared value by value (bits, so NaN equals NaN), through
// the reader; and by h5diff when it is installed.
void expect_same_results(const std::string& a, const std::string& b) {
    const ResultReader x(a), y(b);
    ASSERT_EQ(x.info().variants, y.info().variants);
    EXPECT_EQ(x.info().replicates, y.info().replicates);
    EXPECT_EQ(x.info().first_replicate, y.info().first_replicate);
    const auto same = [](const std::vector<double>& p, const std::vector<double>& q) {
        return p.size() == q.size() && (p.empty() || std::memcmp(p.data(), q.data(), p.size() * sizeof(double)) == 0);
    };
    for (const std::string& variant : x.info().variants) {
        for (int m = 0; m < metric_count; ++m) {
            const MetricInfo& metric = metric_catalogue()[static_cast<std::size_t>(m)];
            EXPECT_TRUE(same(x.read_metric(variant, MetricId(m)), y.read_metric(variant, MetricId(m))))
                << variant << "/" << metric.name;
            EXPECT_TRUE(same(x.read_expected(variant, MetricId(m)), y.read_expected(variant, MetricId(m))))
                << variant << "/expected/" << metric.name;
        }
        EXPECT_TRUE(same(x.read_parameters(variant), y.read_parameters(variant))) << variant << "/parameters";
    }
    if (testing::run_shell("command -v h5diff").code == 0) {
        const CommandResult diff = testing::run_shell("h5diff " + a + " " + b);
        EXPECT_EQ(diff.code, 0) << diff.output;
    }
}

bool temporaries_left(const std::string& target) {
    const fs::path t(target);
    for (const auto& entry : fs::directory_iterator(t.parent_path()))
        if (entry.path().filename().string().rfind(t.filename().string() + ".tmp-", 0) == 0) return true;
    return false;
}

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

TEST_F(Resume, ACheckpointCutShortResumesFromItsWholeRecords) {
    const std::string target = dir / "cut.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(testing::small_scenario(), target, blocks / 2, SIGKILL);
    const Records whole = whole_records_of(checkpoint);
    ASSERT_GE(whole.count, 2);
    for (std::uintmax_t cut : {3, 1000}) {  // into the last whole record's CRC, then into its payload
        fs::resize_file(checkpoint, whole.end - cut);
        EXPECT_EQ(whole_records(checkpoint), whole.count - 1);
    }
    const CommandResult r = ehcpsim_run(testing::small_scenario(), target, " --resume");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("was dropped"), std::string::npos) << r.output;
    expect_same_results(reference(), target);
}

TEST_F(Resume, AfterAnInterruptGivesIdenticalDatasets) {
    const std::string target = dir / "interrupted.h5";
    const std::string checkpoint = target + ".ckpt";
    // The interrupted run leaves nothing at the target, and says how to go on.
    const std::string messages = dir / "messages.txt";
    EXPECT_EQ(stop_after(testing::small_scenario(), target, blocks / 4, SIGINT, {}, messages), 130);
    std::ifstream in(messages);
    const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(said.find("rerun the same command with --resume"), std::string::npos) << said;
    EXPECT_NE(said.find(checkpoint), std::string::npos) << said;
    EXPECT_FALSE(fs::exists(target));
    EXPECT_FALSE(temporaries_left(target));
    const int saved = whole_records(checkpoint);
    EXPECT_LT(saved, blocks);
    // Every block it finished is in the checkpoint, whole: nothing to drop.
    const CommandResult r = ehcpsim_run(testing::small_scenario(), target, " --resume");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.find("dropped"), std::string::npos) << r.output;
    expect_same_results(reference(), target);
    EXPECT_FALSE(fs::exists(checkpoint));
}

TEST_F(Resume, AnInterruptedOverwriteKeepsThePreviousFileUntilResumed) {
    const std::string target = dir / "previous.h5";
    ASSERT_EQ(testing::run_ehcpsim("run " + testing::small_scenario() + " -n 20 -q -o " + target).code, 0);
    const auto before = fs::file_size(target);
    EXPECT_EQ(stop_after(testing::small_scenario(), target, 2, SIGTERM, {"--overwrite"}), 130);
    EXPECT_EQ(fs::file_size(target), before);
    const CommandResult r = ehcpsim_run(testing::small_scenario(), target, " --overwrite --resume");
    ASSERT_EQ(r.code, 0) << r.output;
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

TEST_F(Resume, ACheckpointOfAnotherRunIsRefusedAndKept) {
    const std::string target = dir / "other.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(testing::small_scenario(), target, 2, SIGKILL);
    ASSERT_GE(whole_records(checkpoint), 2);
    const auto size = fs::file_size(checkpoint);
    const auto refused = [&](const std::string& scenario, const std::string& extra, const std::string& what,
                             const std::string& replicates = "1000", const std::string& seed = "5") {
        const CommandResult r = testing::run_ehcpsim("run " + scenario + joined(run_args(replicates, seed)) + extra +
                                                     " -o " + target + " --resume");
        EXPECT_EQ(r.code, 3) << what << ": " << r.output;
        EXPECT_NE(r.output.find("checkpoint was written by a different " + what), std::string::npos) << r.output;
        EXPECT_FALSE(fs::exists(target));
        EXPECT_EQ(fs::file_size(checkpoint), size) << "a refused checkpoint must be left as it was";
    };
    refused(testing::small_scenario(), "", "seed (checkpoint: 5; this run: 6)", "1000", "6");
    refused(testing::small_scenario(), "", "total replicate count (checkpoint: 1000; this run: 1500)", "1500");
    refused(testing::small_scenario(), " --no-crn", "common random numbers");

    // The same scenario with its TOML edited, in a copy of its directory.
    const fs::path copy = dir / "edited";
    fs::copy(fs::path(testing::small_scenario()).parent_path(), copy, fs::copy_options::recursive);
    std::ofstream(copy / "small.toml", std::ios::app) << "\n# edited after the run started\n";
    refused((copy / "small.toml").string(), "", "text of scenario file");

    fake_engine_version(checkpoint, '9');  // "0.1.0" becomes "99999"
    refused(testing::small_scenario(), "", "engine version (checkpoint: \"999");
}

TEST_F(Resume, AFreshRunDoesNotReplaceAStaleCheckpointSilently) {
    const std::string target = dir / "stale.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(testing::small_scenario(), target, 3, SIGKILL);
    ASSERT_GE(whole_records(checkpoint), 3);
    const auto size = fs::file_size(checkpoint);

    CommandResult r = ehcpsim_run(testing::small_scenario(), target);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--overwrite"), std::string::npos) << r.output;
    EXPECT_EQ(fs::file_size(checkpoint), size);
    EXPECT_FALSE(fs::exists(target));

    // --overwrite discards it and starts afresh; the finished run removes it.
    r = ehcpsim_run(testing::small_scenario(), target, " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_FALSE(fs::exists(checkpoint));
    expect_same_results(reference(), target);
}

std::string contents(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A checkpoint whose header is damaged may still hold finished replicates:
// neither a fresh run nor --resume replaces it; --overwrite does.
TEST_F(Resume, ADamagedHeaderIsRefusedNotReplaced) {
    const std::string target = dir / "damaged.h5";
    const std::string checkpoint = target + ".ckpt";
    stop_after(testing::small_scenario(), target, 3, SIGKILL);
    ASSERT_GE(whole_records(checkpoint), 3);
    {
        std::fstream f(checkpoint, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(30);  // inside the header's body (after 24 bytes of fixed header)
        f.put('#');
    }
    const std::string before = contents(checkpoint);
    for (const char* extra : {"", " --resume"}) {
        const CommandResult r = ehcpsim_run(testing::small_scenario(), target, extra);
        EXPECT_EQ(r.code, 3) << extra << r.output;
        EXPECT_NE(r.output.find("damaged"), std::string::npos) << r.output;
        EXPECT_EQ(contents(checkpoint), before) << extra;
        EXPECT_FALSE(fs::exists(target));
    }
    const CommandResult r = ehcpsim_run(testing::small_scenario(), target, " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    expect_same_results(reference(), target);
}

// --overwrite through a checkpoint path that is a symbolic link replaces the
// link, never what it points to (here another run's checkpoint, which then
// still resumes).
TEST_F(Resume, OverwriteThroughASymbolicLinkLeavesWhatItPointsTo) {
    const std::string other = dir / "other.h5";
    stop_after(testing::small_scenario(), other, 3, SIGKILL);
    ASSERT_GE(whole_records(other + ".ckpt"), 3);
    const std::string before = contents(other + ".ckpt");
    const std::string target = dir / "linked.h5";
    fs::create_symlink(other + ".ckpt", target + ".ckpt");

    CommandResult r = ehcpsim_run(testing::small_scenario(), target);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("symbolic link"), std::string::npos) << r.output;
    r = ehcpsim_run(testing::small_scenario(), target, " --overwrite");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_FALSE(fs::exists(fs::symlink_status(target + ".ckpt")));  // the finished run removed the link's replacement
    EXPECT_EQ(contents(other + ".ckpt"), before) << "the link's target was written";
    r = ehcpsim_run(testing::small_scenario(), other, " --resume");
    ASSERT_EQ(r.code, 0) << r.output;
    expect_same_results(reference(), other);
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

TEST(Checkpoints, ResumeWithoutACheckpointRunsFromTheStart) {
    TempDir dir;
    const std::string target = dir / "nothing.h5";
    const CommandResult r = ehcpsim_run(testing::small_scenario(), target, " --resume");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("no checkpoint"), std::string::npos) << r.output;
    EXPECT_EQ(ResultReader(target).info().replicates, 1000);
    EXPECT_FALSE(fs::exists(target + ".ckpt"));
}

TEST_F(Resume, AShardResumesLikeAWholeRun) {
    const std::string whole = dir / "shard-whole.h5";
    const std::string killed = dir / "shard-killed.h5";
    ASSERT_EQ(ehcpsim_run(testing::small_scenario(), whole, " --shard 2/3").code, 0);
    // Stopped part-way through its 14 blocks (334 replicates).
    EXPECT_EQ(stop_after(testing::small_scenario(), killed, 3, SIGKILL, {"--shard", "2/3"}), -1);
    ASSERT_FALSE(fs::exists(killed));
    const CommandResult r = ehcpsim_run(testing::small_scenario(), killed, " --shard 2/3 --resume");
    ASSERT_EQ(r.code, 0) << r.output;
    expect_same_results(whole, killed);
    // A shard's checkpoint is its own: resuming it as another shard is refused.
    stop_after(testing::small_scenario(), dir / "whole-run.h5", 2, SIGKILL);
    const CommandResult other =
        ehcpsim_run(testing::small_scenario(), dir / "whole-run.h5", " --shard 1/3 --resume");
    EXPECT_EQ(other.code, 3) << other.output;
    EXPECT_NE(other.output.find("different shard"), std::string::npos) << other.output;
}

TEST(Checkpoints, NoCheckpointKeepsNone) {
    TempDir dir;
    const std::string target = dir / "plain.h5";
    const pid_t pid = start_run(testing::small_scenario(), target, {"--no-checkpoint"});
    while (!temporaries_left(target)) std::this_thread::sleep_for(std::chrono::microseconds(500));  // under way
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 130);
    EXPECT_FALSE(fs::exists(target + ".ckpt"));
    EXPECT_FALSE(fs::exists(target));
}

TEST(Checkpoints, AFinishedRunRemovesItsCheckpoint) {
    TempDir dir;
    const std::string target = dir / "done.h5";
    ASSERT_EQ(testing::run_ehcpsim("run " + testing::small_scenario() + " -n 50 -q -o " + target).code, 0);
    EXPECT_TRUE(fs::exists(target));
    EXPECT_FALSE(fs::exists(target + ".ckpt"));
}

TEST(ResumeUsage, RefusedWhereThereIsNothingToResume) {
    const std::string small = testing::small_scenario();
    CommandResult r = testing::run_ehcpsim("run " + small + " -n 10 -q --resume");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("--resume needs -o"), std::string::npos) << r.output;
    EXPECT_EQ(testing::run_ehcpsim("run " + small + " --deterministic -q --resume -o /tmp/x.h5").code, 2);
    EXPECT_EQ(testing::run_ehcpsim("run " + small + " -n 10 -q --resume --no-checkpoint -o /tmp/x.h5").code, 2);
}

TEST(ResumeUsage, RefusedUnderMpi) {
    const std::string mpiexec = EHCPSIM_MPIEXEC;
    if (mpiexec.empty() || !fs::exists(mpiexec)) GTEST_SKIP() << "built without MPI";
    TempDir dir;
    const CommandResult r = testing::run_shell("ASAN_OPTIONS=detect_leaks=0 " + mpiexec +
                                               " -x ASAN_OPTIONS --oversubscribe --allow-run-as-root -np 2 " +
                                               EHCPSIM_BINARY + " run " + testing::small_scenario() +
                                               " -n 10 -q --threads 1 --resume -o " + (dir / "mpi.h5"));
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("not supported under MPI"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "mpi.h5"));
}

}  // namespace
}  // namespace ehcpsim
