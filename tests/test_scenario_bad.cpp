// The corpus of broken scenarios (tests/scenarios/bad): each must be rejected
// with a message containing the substring in EXPECTED.tsv, which names the
// file and, where there is one, the line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "ehcpsim/scenario.h"

namespace ehcpsim {
namespace {

const std::filesystem::path bad_dir = std::filesystem::path(EHCPSIM_SOURCE_DIR) / "tests/scenarios/bad";

struct Case {
    std::string toml;
    std::string expected;
};

std::vector<Case> read_cases() {
    std::vector<Case> cases;
    std::ifstream in(bad_dir / "EXPECTED.tsv");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        if (tab == std::string::npos) {
            ADD_FAILURE() << "EXPECTED.tsv line without a tab: " << line;
            continue;
        }
        cases.push_back({line.substr(0, tab), line.substr(tab + 1)});
    }
    return cases;
}

TEST(BadScenarios, EachIsRejectedWithItsMessage) {
    const std::vector<Case> cases = read_cases();
    ASSERT_GE(cases.size(), 40u);
    for (const Case& c : cases) {
        SCOPED_TRACE(c.toml);
        try {
            load_scenario((bad_dir / c.toml).string());
            ADD_FAILURE() << c.toml << " was accepted";
        } catch (const ScenarioError& error) {
            const std::string message = error.what();
            EXPECT_NE(message.find(c.expected), std::string::npos) << "expected: " << c.expected << "\ngot:\n"
                                                                   << message;
            ASSERT_FALSE(error.problems().empty());
            for (const Diagnostic& problem : error.problems()) {
                EXPECT_FALSE(problem.where.file.empty()) << problem.message;
                EXPECT_FALSE(problem.message.empty());
            }
            // The expected text starts with the file name and (mostly) its line.
            const std::string file = c.expected.substr(0, c.expected.find(':'));
            EXPECT_TRUE(file.size() > 4 && (file.ends_with(".toml") || file.ends_with(".csv") || file.ends_with(".xlsx")))
                << c.expected;
        }
    }
}

TEST(BadScenarios, EveryFileIsListed) {
    std::set<std::string> listed;
    for (const Case& c : read_cases()) listed.insert(c.toml);
    for (const auto& entry : std::filesystem::directory_iterator(bad_dir))
        if (entry.path().extension() == ".toml") {
            EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path() << " not in EXPECTED.tsv";
        }
}

}  // namespace
}  // namespace ehcpsim
