// An installed ehcpsim works from wherever it is installed: `cmake --install`
// puts report.py in <prefix>/share/ehcpsim beside <prefix>/bin, and the
// binary finds it there, with no path of the source tree compiled in. A
// binary copied somewhere without its script says where it looked.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::TempDir;

TEST(Install, TheInstalledBinaryFindsItsReportScript) {
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "the report needs /usr/bin/python3";
    TempDir dir;
    const std::string prefix = dir / "prefix";
    const std::string build = fs::path(EHCPSIM_BINARY).parent_path().string();
    const CommandResult installed = testing::run_shell("cmake --install " + build + " --prefix " + prefix);
    ASSERT_EQ(installed.code, 0) << installed.output;
    ASSERT_TRUE(fs::exists(prefix + "/share/ehcpsim/report.py"));

    // The script runs (and refuses the missing file itself): it was found.
    const CommandResult r = testing::run_shell("env -u EHCPSIM_SCRIPTS_DIR " + prefix + "/bin/ehcpsim report " +
                                               (dir / "missing.h5") + " -o " + (dir / "out"));
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("missing.h5"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("cannot find the report script"), std::string::npos) << r.output;

    // The binary alone, elsewhere: a clear error naming where it looked.
    fs::create_directories(dir / "alone");
    fs::copy_file(prefix + "/bin/ehcpsim", dir / "alone/ehcpsim");
    const CommandResult alone = testing::run_shell("env -u EHCPSIM_SCRIPTS_DIR " + (dir / "alone/ehcpsim") +
                                                   " report " + (dir / "missing.h5") + " -o " + (dir / "out"));
    EXPECT_EQ(alone.code, 3) << alone.output;
    EXPECT_NE(alone.output.find("cannot find the report script"), std::string::npos) << alone.output;
    EXPECT_NE(alone.output.find(dir / "alone/report.py"), std::string::npos) << alone.output;
}

}  // namespace
}  // namespace ehcpsim
