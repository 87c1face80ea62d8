// Output failures after the run has started: a file-size limit hit part-way
// (RLIMIT_FSIZE, which fails write() with EFBIG exactly as a full disk fails
// it with ENOSPC), a real full filesystem and a read-only one (tmpfs mounts,
// where the test may mount: root in CI; skipped elsewhere). Each must give
// exit code 3 with a message naming the target, and leave neither the target
// nor the temporary file beside it.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;
using testing::small_scenario;
using testing::TempDir;

// Names in `dir` that start with `stem` (the target or its temporary file).
std::vector<std::string> leftovers(const std::string& dir, const std::string& stem) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(stem, 0) == 0 && name.find(".ckpt") == std::string::npos) found.push_back(name);
    }
    return found;
}

// ehcpsim with a file-size limit of `kib` KiB. SIGXFSZ is ignored (the
// ignored disposition survives exec), so the kernel fails the write with EFBIG
// instead of killing the process: the path a full disk takes.
testing::CommandResult run_limited(int kib, const std::string& arguments) {
    return run_shell("sh -c \"trap '' XFSZ; ulimit -f " + std::to_string(kib) + "; exec " + EHCPSIM_BINARY + " " +
                     arguments + "\"");
}

// The small scenario's 1,000-replicate run is one block: its checkpoint is
// written first (about 3 MB), then the results file (3.4 MB). A limit of
// 100 KiB stops the results file while its layout is written; 560, 1,680
// and 2,800 KiB stop the checkpoint early, half-way and near its end (the
// points 1, 3 and 5 MiB were for the 2,000-replicate run this used to make,
// scaled to half the size). Every one fails cleanly.
TEST(IoErrors, FileSizeLimitAtAnyPointIsAClearErrorAndLeavesNothing) {
    for (int kib : {100, 560, 1680, 2800}) {
        TempDir dir;
        const std::string target = dir / "out.h5";
        const auto r = run_limited(kib, "run " + small_scenario() + " -n 1000 -q --threads 2 -o " + target);
        EXPECT_EQ(r.code, 3) << kib << " KiB: " << r.output;
        EXPECT_NE(r.output.find("File too large"), std::string::npos) << kib << " KiB: " << r.output;
        EXPECT_NE(r.output.find(target), std::string::npos) << kib << " KiB: " << r.output;
        EXPECT_EQ(r.output.find("Segmentation"), std::string::npos) << r.output;
        EXPECT_TRUE(leftovers(dir / "", "out.h5").empty()) << kib << " KiB left " << leftovers(dir / "", "out.h5").front();
    }
}

TEST(IoErrors, FileSizeLimitKeepsThePreviousFile) {
    TempDir dir;
    const std::string target = dir / "out.h5";
    auto r = run_shell(std::string(EHCPSIM_BINARY) + " run " + small_scenario() + " -n 20 -q -o " + target);
    ASSERT_EQ(r.code, 0) << r.output;
    const auto size = fs::file_size(target);
    r = run_limited(1024, "run " + small_scenario() + " -n 1000 -q --overwrite -o " + target);
    EXPECT_EQ(r.code, 3) << r.output;
    ASSERT_TRUE(fs::exists(target));
    EXPECT_EQ(fs::file_size(target), size);
    r = run_shell(std::string(EHCPSIM_BINARY) + " summary " + target + " --format csv");
    EXPECT_EQ(r.code, 0) << r.output;
}

TEST(IoErrors, MergeIntoALimitedFileIsAClearError) {
    TempDir dir;
    for (int k = 1; k <= 2; ++k) {
        // Two shards of 500: merged, 3.4 MB, over the 2 MiB limit.
        const auto r = run_shell(std::string(EHCPSIM_BINARY) + " run " + small_scenario() + " -n 1000 -q --shard " +
                                 std::to_string(k) + "/2 -o " + (dir / ("part" + std::to_string(k) + ".h5")));
        ASSERT_EQ(r.code, 0) << r.output;
    }
    const auto r = run_limited(2048, "merge " + (dir / "part1.h5") + " " + (dir / "part2.h5") + " -o " +
                                         (dir / "merged.h5"));
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("merged.h5"), std::string::npos) << r.output;
    EXPECT_TRUE(leftovers(dir / "", "merged.h5").empty());
}

// A tmpfs of its own, unmounted when the test ends.
class Tmpfs {
public:
    Tmpfs(const std::string& path, const std::string& options) : path_(path) {
        fs::create_directories(path);
        mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
    }
    ~Tmpfs() {
        if (mounted_) ::umount(path_.c_str());
    }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;
    bool mounted() const { return mounted_; }

private:
    std::string path_;
    bool mounted_ = false;
};

TEST(IoErrors, FullFilesystemIsAClearError) {
    TempDir dir;
    const Tmpfs disk(dir / "disk", "size=1m");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root); the file-size tests cover the path";
    const std::string target = dir / "disk/out.h5";
    // 1,000 replicates: a checkpoint of about 3 MB, three times the disk.
    const auto r = run_shell(std::string(EHCPSIM_BINARY) + " run " + small_scenario() + " -n 1000 -q -o " + target);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(target), std::string::npos) << r.output;
    EXPECT_TRUE(leftovers(dir / "disk", "out.h5").empty());
}

TEST(IoErrors, ReadOnlyDirectoryIsAClearError) {
    // chmod does not stop root, so the directory is a read-only mount.
    TempDir dir;
    const Tmpfs disk(dir / "ro", "size=1m");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    ASSERT_EQ(::mount(nullptr, (dir / "ro").c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
    const std::string target = dir / "ro/out.h5";
    const auto r = run_shell(std::string(EHCPSIM_BINARY) + " run " + small_scenario() + " -n 20 -q -o " + target);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find(target), std::string::npos) << r.output;
    EXPECT_TRUE(leftovers(dir / "ro", "out.h5").empty());
}

}  // namespace
}  // namespace ehcpsim
