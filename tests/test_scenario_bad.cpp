// The broken scenarios (tests/scenarios/bad_cases.txt): each is the small test
// scenario with a line changed, and must be rejected with a message containing
// the case's expected text, which names the file and, where there is one, the
// line.
#include <gtest/gtest.h>

#include <set>

#include "bad_cases.h"

namespace ehcpsim {
namespace {

using testing::BadCase;

TEST(BadScenarios, TheBaseLoads) {
    // Otherwise every case would be rejected for the base's own problem.
    const ScenarioSet set = testing::load_files(testing::small_scenario_files());
    EXPECT_EQ(set.variants.size(), 5u);
}

TEST(BadScenarios, EachIsRejectedWithItsMessage) {
    const std::vector<BadCase> cases = testing::read_bad_cases();
    ASSERT_GE(cases.size(), 90u);
    const testing::ScenarioFiles base = testing::small_scenario_files();
    std::set<std::string> names;
    for (const BadCase& c : cases) {
        SCOPED_TRACE("bad_cases.txt:" + std::to_string(c.table_line) + ": " + c.name);
        EXPECT_TRUE(names.insert(c.name).second) << "case named twice";
        ASSERT_FALSE(c.edits.empty());
        const testing::ScenarioFiles files = testing::apply_edits(c, base);
        try {
            testing::load_files(files);
            ADD_FAILURE() << c.name << " was accepted";
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
            EXPECT_EQ(files.count(file), 1u) << c.expected;
        }
    }
}

// An edit must find its line: a case whose line is gone from the base would
// otherwise test the base, not the break.
TEST(BadScenarios, AnEditThatFindsNoLineIsAnError) {
    BadCase c{"gone", "", {{testing::small_toml_name, "no such line", 1, false, "x = 1"}}, 1};
    EXPECT_THROW(testing::apply_edits(c, testing::small_scenario_files()), std::runtime_error);
    c.edits[0] = {testing::small_toml_name, "shock_sd = 0.01", 2, false, "x = 1"};  // written once only
    EXPECT_THROW(testing::apply_edits(c, testing::small_scenario_files()), std::runtime_error);
}

TEST(BadScenarios, EditsReplaceInsertAndDelete) {
    const testing::ScenarioFiles base = {{"f", "a\nb\na\n"}};
    const auto edited = [&](testing::LineEdit edit) {
        return testing::apply_edits(BadCase{"e", "", {edit}, 1}, base).at("f");
    };
    EXPECT_EQ(edited({"f", "b", 1, false, "c"}), "a\nc\na\n");
    EXPECT_EQ(edited({"f", "a", 2, false, "c"}), "a\nb\nc\n");
    EXPECT_EQ(edited({"f", "b", 1, true, "c"}), "a\nb\nc\na\n");
    EXPECT_EQ(edited({"f", "b", 1, false, ""}), "a\na\n");
}

}  // namespace
}  // namespace ehcpsim
