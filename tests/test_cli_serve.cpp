// `ehcpsim serve` through the binary: only what needs a process (the flags,
// the address on stdout, SIGINT). Its routes are tested in process
// (tests/test_serve_api.cpp) and its page in a browser (tests/serve_browser.py).
#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

namespace ehcpsim::testing {
namespace {

TEST(CliServe, AMissingScenarioOrABadPortIsAUsageError) {
    const CommandResult missing = run_ehcpsim("serve no_such_scenario.toml");
    EXPECT_EQ(missing.code, 2) << missing.output;
    EXPECT_NE(missing.output.find("no_such_scenario.toml: cannot read the scenario file"), std::string::npos)
        << missing.output;
    const CommandResult port = run_ehcpsim("serve --port 70000");
    EXPECT_EQ(port.code, 2) << port.output;
}

TEST(CliServe, PrintsItsLoopbackAddressAndStopsCleanlyOnSigint) {
    // Half a second is enough to bind and print; SIGINT then stops it with exit 0.
    const CommandResult served = run_shell("timeout -s INT --preserve-status 0.5 " + std::string(EHCPSIM_BINARY) +
                                           " serve " + small_scenario() + " -n 10");
    EXPECT_EQ(served.code, 0) << served.output;
    EXPECT_EQ(served.output.rfind("ehcpsim serve: http://127.0.0.1:", 0), 0u) << served.output;
    EXPECT_NE(served.output.find("ehcpsim serve: stopped"), std::string::npos) << served.output;
}

}  // namespace
}  // namespace ehcpsim::testing
