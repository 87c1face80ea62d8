// The keys of year-to-year rate variation ([demand] conversion_sd,
// conversion_persistence; [cease] variation_sd, variation_persistence):
// read with their defaults, and impossible values refused with the file,
// key and line.
#include <gtest/gtest.h>

#include "mini_scenario.h"

namespace ehcpsim {
namespace {

using testing::contains;
using testing::load;
using testing::minimal_toml;
using testing::with;

std::string with_keys(const std::string& demand_lines, const std::string& cease_lines) {
    std::string text = with(minimal_toml, "issue_rate = 0.9\n", "issue_rate = 0.9\n" + demand_lines);
    return with(text, "rate = 0.05\n", "rate = 0.05\n" + cease_lines);
}

TEST(RateVariationKeys, AbsentMeansNoneAndGivenValuesAreRead) {
    const testing::Loaded plain = load(minimal_toml);
    ASSERT_TRUE(plain.set) << plain.error;
    const Scenario& s = plain.set->variants.front();
    EXPECT_EQ(s.demand.conversion_sd.dist.a, 0.0);
    EXPECT_EQ(s.demand.conversion_persistence.dist.a, 0.0);
    EXPECT_EQ(s.cease.variation_sd.dist.a, 0.0);
    EXPECT_EQ(s.cease.variation_persistence.dist.a, 0.0);

    const testing::Loaded given = load(with_keys(
        "conversion_sd = { dist = \"lognormal\", mean = 0.15, sd = 0.03 }\nconversion_persistence = 0.3\n",
        "variation_sd = 0.4\nvariation_persistence = { dist = \"beta\", mean = 0.4, sd = 0.1 }\n"));
    ASSERT_TRUE(given.set) << given.error;
    const Scenario& g = given.set->variants.front();
    EXPECT_EQ(g.demand.conversion_sd.dist.kind, Distribution::Kind::lognormal);
    EXPECT_EQ(g.demand.conversion_sd.name, "demand.conversion_sd");
    EXPECT_EQ(g.demand.conversion_persistence.dist.a, 0.3);
    EXPECT_EQ(g.cease.variation_sd.dist.a, 0.4);
    EXPECT_EQ(g.cease.variation_persistence.dist.kind, Distribution::Kind::beta);
}

struct Bad {
    std::string demand, cease;
    std::string key;       // as named in the message
    int line;              // of the mini scenario with the lines added
    std::string expected;  // part of the message
};

TEST(RateVariationKeys, ImpossibleValuesAreRefusedWithFileKeyAndLine) {
    // Lines of the mini scenario: issue_rate is line 21, the demand key added after it 22;
    // [cease] rate is line 26 (with no demand key added), the cease key added after it 27.
    const std::vector<Bad> cases = {
        {"conversion_sd = -0.1\n", "", "demand.conversion_sd", 22, "must be a non-negative number [0, inf), found -0.1"},
        {"conversion_sd = 6\n", "", "demand.conversion_sd", 22, "6 is beyond 5"},
        {"conversion_persistence = 1\n", "", "demand.conversion_persistence", 22, "must be a persistence in [0, 1), found 1"},
        {"conversion_persistence = -0.2\n", "", "demand.conversion_persistence", 22, "must be a persistence in [0, 1)"},
        {"", "variation_sd = -1\n", "cease.variation_sd", 27, "must be a non-negative number [0, inf), found -1"},
        {"", "variation_persistence = 1.5\n", "cease.variation_persistence", 27, "must be a persistence in [0, 1), found 1.5"},
        {"", "variation_sd = { dist = \"normal\", mean = -0.2, sd = 0.1 }\n", "cease.variation_sd", 27,
         "the mean must be a non-negative number"},
        {"", "variation_persistence = { dist = \"uniform\", min = 0.5, max = 1.5 }\n", "cease.variation_persistence", 27,
         "the mean must be a persistence in [0, 1)"},
        {"", "variation_sd_typo = 0.1\n", "cease.variation_sd_typo", 27, "unknown key"},
    };
    for (const Bad& c : cases) {
        const testing::Loaded loaded = load(with_keys(c.demand, c.cease));
        ASSERT_FALSE(loaded.set) << c.key;
        ASSERT_FALSE(loaded.problems.empty()) << c.key;
        const Diagnostic& d = loaded.problems.front();
        EXPECT_TRUE(contains(d.message, c.expected)) << c.key << ": " << d.message;
        EXPECT_EQ(d.where.file, "dir/mini.toml") << c.key;
        EXPECT_EQ(d.where.key, c.key) << d.message;
        EXPECT_EQ(d.where.line, c.line) << c.key << ": " << d.message;
        EXPECT_TRUE(contains(loaded.error, "dir/mini.toml")) << loaded.error;
    }
}

}  // namespace
}  // namespace ehcpsim
