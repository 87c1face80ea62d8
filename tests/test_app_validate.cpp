// `validate` in process: every broken scenario of tests/scenarios/bad_cases.txt,
// written to a directory as the user would have it, gives exit 2 and its
// message as `ehcpsim validate` prints them (the command's streams and
// explain_failure, which the binary's main() calls). The binary itself
// validates the base scenario and one broken case (cli.Cli.Validate*).
#include <gtest/gtest.h>

#include <string>

#include "app_test_support.h"
#include "bad_cases.h"

namespace ehcpsim {
namespace {

using testing::AppOutcome;
using testing::run_in_process;
using testing::TempDir;

AppOutcome validate(const std::string& file) {
    return run_in_process([&](const Console& console) { return validate_command(file, console); });
}

TEST(AppValidate, ReportsEveryBrokenScenario) {
    const testing::ScenarioFiles base = testing::small_scenario_files();
    TempDir good;
    testing::write_files(base, good / "");
    const AppOutcome ok = validate(good / testing::small_toml_name);
    EXPECT_EQ(ok.code, 0) << ok.err;  // the base is valid: each case fails by its edit
    int cases = 0;
    for (const testing::BadCase& c : testing::read_bad_cases()) {
        TempDir dir;
        testing::write_files(testing::apply_edits(c, base), dir / "");
        const AppOutcome r = validate(dir / testing::small_toml_name);
        const std::string output = r.out + r.err;
        EXPECT_EQ(r.code, 2) << c.name << "\n" << output;
        EXPECT_NE(output.find(c.expected), std::string::npos)
            << c.name << ": expected '" << c.expected << "' in\n" << output;
        EXPECT_NE(output.find("error: invalid scenario"), std::string::npos) << output;
        ++cases;
    }
    EXPECT_GE(cases, 20);
}

}  // namespace
}  // namespace ehcpsim
