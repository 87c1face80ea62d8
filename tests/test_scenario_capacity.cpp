// [capacity] (docs/scenario.md, "[capacity]"; MODEL.md section 4 step 6):
// capped placements, their overflow, the processing order and the specialist
// placements, on small in-memory scenarios and the small test scenario.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

#include "ehcpsim/scenario.h"
#include "mini_scenario.h"

namespace ehcpsim {
namespace {

// The minimal scenario with one need, four placements, one phase; years 2020..2023.
const std::string base_toml = testing::with_lines(testing::minimal_toml, {
    {R"(needs = ["A", "B"])", R"(needs = ["A"])"},
    {R"(placements = ["ms", "sp"])", R"(placements = ["mainstream", "resourced", "mss", "inmss"])"},
    {R"(phases = [{ name = "young", ages = [0, 1] }, { name = "old", ages = [2, 3] }])",
     R"(phases = [{ name = "all", ages = [0, 3] }])"},
    {"need_mix.default = { A = 0.5, B = 0.5 }", "need_mix.default = { A = 1.0 }"},
    {"placement_mix.default = { ms = 0.7, sp = 0.3 }",
     "placement_mix.default = { mainstream = 0.6, resourced = 0.1, mss = 0.2, inmss = 0.1 }"},
    {"opening_deficit = -1.0e5", "opening_deficit = 0"},
    {"unit_cost = { ms = 8000, sp = 20000 }",
     "unit_cost = { mainstream = 8000, resourced = 15000, mss = 20000, inmss = 50000 }"},
});

// Placement indices in base_toml.
constexpr int resourced = 1;
constexpr int mss = 2;
constexpr int inmss = 3;

constexpr double no_limit = std::numeric_limits<double>::infinity();

// base_toml with three phases (and the same number of lines).
std::string phased_toml() {
    const std::string one_phase = R"(phases = [{ name = "all", ages = [0, 3] }])";
    const std::string three_phases =
        R"(phases = [{ name = "early", ages = [0, 0] }, { name = "primary", ages = [1, 2] }, )"
        R"({ name = "secondary", ages = [3, 3] }])";
    std::string text = base_toml;
    text.replace(text.find(one_phase), one_phase.size(), three_phases);
    return text;
}

// Phase indices in phased_toml().
constexpr int early = 0;
constexpr int primary = 1;
constexpr int secondary = 2;

using testing::contains;
using testing::Loaded;
using testing::variant;

Loaded load(const std::string& extra, const std::string& base = base_toml) {
    return testing::load_in_memory("c.toml", base + extra,
                                   {{"stock.csv", "age,need,placement,count\n1,A,mainstream,3\n2,A,mss,4\n"},
                                    {"pop.csv", testing::minimal_population}});
}

// The error text, failing the test if the scenario loaded.
std::string rejected(const std::string& extra, const std::string& base = base_toml) {
    return testing::rejected_with(load(extra, base), extra);
}

int base_lines() { return static_cast<int>(std::count(base_toml.begin(), base_toml.end(), '\n')); }

// The value of a capacity in `year`, as the engine reads the step function.
double places_in(const Capacity& capacity, int year) {
    double value = capacity.places.before_first;
    for (const auto& [point_year, param] : capacity.places.points)
        if (point_year <= year) value = param.dist.a;
    return value;
}

// A TOML fragment appended to a base scenario, and the problem it must raise.
struct ProblemCase {
    const char* toml;
    int line;  // of the problem, counted from the first line of `toml`
    const char* expected;
};

// Each case is rejected with its message, on a line of its own that starts
// with its location (c.toml:<line>:).
void expect_problems(const std::vector<ProblemCase>& cases, const std::string& base) {
    for (const ProblemCase& c : cases) {
        const std::string error = rejected(c.toml, base);
        const std::string at = "c.toml:" + std::to_string(base_lines() + c.line) + ":";
        const std::size_t found = error.find(c.expected);
        EXPECT_NE(found, std::string::npos) << c.toml << "\n" << error;
        if (found == std::string::npos) continue;
        const std::size_t newline = error.rfind('\n', found);
        const std::size_t start = newline == std::string::npos ? 0 : newline + 1;
        EXPECT_EQ(error.compare(start, at.size(), at), 0) << c.toml << "\n" << error;
    }
}

std::vector<int> order_of(const Scenario& scenario) {
    std::vector<int> order;
    for (const Capacity& capacity : scenario.capacity) order.push_back(capacity.placement);
    return order;
}

// (placement, phase) of each capacity, in processing order.
std::vector<std::pair<int, int>> entries_of(const Scenario& scenario) {
    std::vector<std::pair<int, int>> entries;
    for (const Capacity& capacity : scenario.capacity) entries.emplace_back(capacity.placement, capacity.phase);
    return entries;
}

// Without [capacity] nothing is capped, but specialist demand still exists:
// the placements named as specialist places count (resourced, mss, inmss
// here), and a note says which, so the SCAP export is never a row of zeros.
TEST(ScenarioCapacity, NoneMeansNoCapsAndSpecialistPlacementsByName) {
    const Loaded loaded = load("");
    ASSERT_TRUE(loaded.set) << loaded.error;
    EXPECT_TRUE(loaded.set->variants[0].capacity.empty());
    EXPECT_EQ(loaded.set->variants[0].specialist_placements, (std::vector<int>{resourced, mss, inmss}));
    ASSERT_EQ(loaded.set->notes.size(), 1u);
    EXPECT_TRUE(contains(loaded.set->notes[0], "counts resourced, mss, inmss as specialist places, by their names"))
        << loaded.set->notes[0];
    // Names in another case or spelling, and one that says nothing.
    std::string base = base_toml;
    const auto rename = [&](const std::string& from, const std::string& to) {
        std::size_t at = 0;
        while ((at = base.find(from, at)) != std::string::npos) {
            base.replace(at, from.size(), to);
            at += to.size();
        }
    };
    rename("inmss", "Independent_Special");
    rename("resourced", "base_a");
    const Loaded renamed = load("", base);
    ASSERT_TRUE(renamed.set) << renamed.error;
    EXPECT_EQ(renamed.set->variants[0].specialist_placements, (std::vector<int>{mss, inmss}));
    // No placement named so: no specialist placement, and no note (summary
    // --scap warns; test_model_capacity.cpp, ScapWithNoSpecialistPlacement...).
}

TEST(ScenarioCapacity, StepFunctionByYear) {
    const Loaded loaded = load(R"(
[capacity.mss]
places = { 2023 = 434, 2021 = 470.0, 2019 = 400 }
overflow = "inmss"
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& s = loaded.set->variants[0];
    ASSERT_EQ(s.capacity.size(), 1u);
    const Capacity& c = s.capacity[0];
    EXPECT_EQ(c.placement, mss);
    EXPECT_EQ(c.phase, -1);  // the whole placement
    EXPECT_EQ(c.overflow, inmss);
    EXPECT_EQ(c.where.line, base_lines() + 2);
    EXPECT_EQ(c.where.key, "capacity.mss");
    // Sorted by year; a year before base_year is kept and holds until the next.
    EXPECT_EQ(c.places.before_first, no_limit);
    ASSERT_EQ(c.places.points.size(), 3u);
    EXPECT_EQ(c.places.points[0].first, 2019);
    EXPECT_EQ(c.places.points[1].first, 2021);
    EXPECT_EQ(c.places.points[2].first, 2023);
    for (const auto& [year, param] : c.places.points) {
        EXPECT_EQ(param.name, "capacity.mss.places." + std::to_string(year));
        EXPECT_TRUE(param.dist.is_fixed());
        EXPECT_EQ(param.where.line, base_lines() + 3);
    }
    EXPECT_EQ(c.places.points[1].second.dist.a, 470.0);  // a float without a fraction
    EXPECT_EQ(places_in(c, 2018), no_limit);
    EXPECT_EQ(places_in(c, 2020), 400.0);
    EXPECT_EQ(places_in(c, 2022), 470.0);
    EXPECT_EQ(places_in(c, 2023), 434.0);
}

TEST(ScenarioCapacity, OneNumberForEveryYear) {
    const Loaded loaded = load(R"(
[capacity]
resourced = { places = 150, overflow = "mss" }
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& s = loaded.set->variants[0];
    ASSERT_EQ(s.capacity.size(), 1u);
    const Capacity& c = s.capacity[0];
    EXPECT_EQ(c.placement, resourced);
    EXPECT_EQ(c.overflow, mss);
    ASSERT_EQ(c.places.points.size(), 1u);
    EXPECT_EQ(c.places.points[0].first, 2020);  // stored at base_year: every simulated year
    EXPECT_EQ(c.places.points[0].second.name, "capacity.resourced.places");
    EXPECT_EQ(c.places.points[0].second.dist.a, 150.0);
    for (int year : s.years()) EXPECT_EQ(places_in(c, year), 150.0) << year;
    // Zero places is allowed: every arrival overflows.
    const Loaded zero = load("[capacity.mss]\nplaces = 0\noverflow = \"inmss\"\n");
    ASSERT_TRUE(zero.set) << zero.error;
    EXPECT_EQ(zero.set->variants[0].capacity[0].places.points[0].second.dist.a, 0.0);
}

TEST(ScenarioCapacity, SpecialistDefaultsToCappedAndOverflowPlacements) {
    const Loaded loaded = load(R"(
[capacity.mss]
places = 20
overflow = "inmss"
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    EXPECT_EQ(loaded.set->variants[0].specialist_placements, (std::vector<int>{mss, inmss}));
    // A chain counts every capped and every overflow placement once, in placement order.
    const Loaded chain = load(R"(
[capacity.mss]
places = 20
overflow = "inmss"
[capacity.resourced]
places = 10
overflow = "mss"
)");
    ASSERT_TRUE(chain.set) << chain.error;
    EXPECT_EQ(chain.set->variants[0].specialist_placements, (std::vector<int>{resourced, mss, inmss}));
}

TEST(ScenarioCapacity, SpecialistGivenIsSortedAndUnique) {
    const Loaded loaded = load(R"(
[capacity]
specialist = ["inmss", "resourced", "mss", "inmss"]
mss = { places = 20, overflow = "inmss" }
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    EXPECT_EQ(loaded.set->variants[0].specialist_placements, (std::vector<int>{resourced, mss, inmss}));
    // Without any capped placement, and empty for none.
    const Loaded only = load("[capacity]\nspecialist = [\"mss\"]\n");
    ASSERT_TRUE(only.set) << only.error;
    EXPECT_TRUE(only.set->variants[0].capacity.empty());
    EXPECT_EQ(only.set->variants[0].specialist_placements, (std::vector<int>{mss}));
    const Loaded none = load("[capacity]\nspecialist = []\nmss = { places = 20, overflow = \"inmss\" }\n");
    ASSERT_TRUE(none.set) << none.error;
    EXPECT_TRUE(none.set->variants[0].specialist_placements.empty());
}

TEST(ScenarioCapacity, AChainDeclaredInReverseIsProcessedUpstreamFirst) {
    // inmss overflows to mainstream; mss to inmss; resourced to mss. Written
    // (and declared) downstream first, processed resourced, mss, inmss.
    const Loaded loaded = load(R"(
[capacity.inmss]
places = 5
overflow = "mainstream"
[capacity.mss]
places = 20
overflow = "inmss"
[capacity.resourced]
places = 10
overflow = "mss"
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    EXPECT_EQ(order_of(loaded.set->variants[0]), (std::vector<int>{resourced, mss, inmss}));
    // Independent caps keep placement declaration order.
    const Loaded apart = load(R"(
[capacity.mss]
places = 20
overflow = "mainstream"
[capacity.resourced]
places = 10
overflow = "mainstream"
)");
    ASSERT_TRUE(apart.set) << apart.error;
    EXPECT_EQ(order_of(apart.set->variants[0]), (std::vector<int>{resourced, mss}));
    // Two feeding one: both before it, in declaration order.
    const Loaded join = load(R"(
[capacity.inmss]
places = 5
overflow = "mainstream"
[capacity.mss]
places = 20
overflow = "inmss"
[capacity.resourced]
places = 10
overflow = "inmss"
)");
    ASSERT_TRUE(join.set) << join.error;
    EXPECT_EQ(order_of(join.set->variants[0]), (std::vector<int>{resourced, mss, inmss}));
}

TEST(ScenarioCapacity, AVariantOverridesOnePlacementsPlaces) {
    const Loaded loaded = load(R"(
[capacity.mss]
places = { 2021 = 20, 2023 = 24 }
overflow = "inmss"
[capacity.resourced]
places = 10
overflow = "mss"

[variants.more_mss]
capacity.mss.places = { 2022 = 30 }

[variants.fixed_mss]
[variants.fixed_mss.capacity.mss]
places = 25
)");
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& base = loaded.set->variants[0];
    const Scenario& more = variant(*loaded.set, "more_mss");
    const Scenario& fixed = variant(*loaded.set, "fixed_mss");
    for (const Scenario* s : {&base, &more, &fixed}) {
        ASSERT_EQ(order_of(*s), (std::vector<int>{resourced, mss})) << s->variant;
        EXPECT_EQ(s->capacity[1].overflow, inmss);                   // kept from the baseline
        EXPECT_EQ(places_in(s->capacity[0], 2023), 10.0);            // resourced untouched
        EXPECT_EQ(s->specialist_placements, (std::vector<int>{resourced, mss, inmss}));
    }
    // A year table merges year by year: 2022 is added to the baseline's years.
    const Capacity& merged = more.capacity[1];
    ASSERT_EQ(merged.places.points.size(), 3u);
    EXPECT_EQ(places_in(merged, 2021), 20.0);
    EXPECT_EQ(places_in(merged, 2022), 30.0);
    EXPECT_EQ(places_in(merged, 2023), 24.0);
    EXPECT_EQ(merged.places.points[1].second.name, "capacity.mss.places.2022");
    EXPECT_EQ(merged.places.points[1].second.where.line, base_lines() + 10);  // the variant's line
    // A number replaces the table whole.
    ASSERT_EQ(fixed.capacity[1].places.points.size(), 1u);
    EXPECT_EQ(places_in(fixed.capacity[1], 2021), 25.0);
    EXPECT_EQ(places_in(fixed.capacity[1], 2023), 25.0);
}

TEST(ScenarioCapacity, AVariantIsValidatedAsAWhole) {
    // The variant's overflow closes a cycle with the baseline's table.
    const std::string error = rejected(R"(
[capacity.mss]
places = 20
overflow = "inmss"
[capacity.inmss]
places = 5
overflow = "mainstream"

[variants.loop]
capacity.inmss.overflow = "mss"
)");
    EXPECT_TRUE(contains(error, "capacity: overflow cycle mss -> inmss -> mss")) << error;
    EXPECT_TRUE(contains(error, "(in variant 'loop')")) << error;
}

TEST(ScenarioCapacity, Problems) {
    const std::vector<ProblemCase> cases = {
        {"[capacity.mss]\nplaces = 20\n", 1, "capacity.mss.overflow: missing required key 'overflow'"},
        {"[capacity.mss]\noverflow = \"inmss\"\n", 1, "capacity.mss.places: missing required key 'places'"},
        {"[capacity.mss]\nplaces = 20\noverflow = \"mss\"\n", 3,
         "capacity.mss.overflow: overflow names the capped placement 'mss' itself"},
        {"[capacity.mss]\nplaces = 20\noverflow = \"hospital\"\n", 3,
         "capacity.mss.overflow: unknown placement 'hospital'; declared placements: mainstream, resourced, mss, inmss"},
        {"[capacity.hospital]\nplaces = 20\noverflow = \"mss\"\n", 1,
         "capacity.hospital: unknown key 'hospital'; allowed keys in capacity: specialist, mainstream, resourced, mss, "
         "inmss"},
        {"[capacity.mss]\nplaces = -1\noverflow = \"inmss\"\n", 2,
         "capacity.mss.places: places must be a non-negative whole number, found -1"},
        {"[capacity.mss]\nplaces = { 2022 = 2.5 }\noverflow = \"inmss\"\n", 2,
         "capacity.mss.places.2022: places must be a non-negative whole number, found 2.5"},
        {"[capacity.mss]\nplaces = { dist = \"normal\", mean = 20, sd = 2 }\noverflow = \"inmss\"\n", 2,
         "capacity.mss.places: places are a fixed whole number of places, not a distribution"},
        {"[capacity.mss]\nplaces = { 2022 = { dist = \"uniform\", min = 10, max = 20 } }\noverflow = \"inmss\"\n", 2,
         "capacity.mss.places.2022: places are a fixed whole number of places, not a distribution"},
        {"[capacity.mss]\nplaces = { next = 20 }\noverflow = \"inmss\"\n", 2,
         "capacity.mss.places.next: expected a year (1000..9999) as key, found 'next'"},
        {"[capacity.mss]\nplaces = {}\noverflow = \"inmss\"\n", 2, "capacity.mss.places: expected places keyed by year"},
        {"[capacity.mss]\nplaces = \"many\"\noverflow = \"inmss\"\n", 2,
         "capacity.mss.places: expected a whole number of places, found a string"},
        {"[capacity.mss]\nplaces = 20\noverflow = \"inmss\"\nplace = 3\n", 4,
         "capacity.mss.place: unknown key 'place'; allowed keys in capacity.mss: places, overflow"},
        {"[capacity]\nmss = 20\n", 2,
         "capacity.mss: expected a table { places = ..., overflow = \"...\" }, found an integer"},
        {"[capacity]\nspecialist = [\"mss\", \"hospital\"]\n", 2,
         "capacity.specialist: unknown placement 'hospital'; declared placements: mainstream, resourced, mss, inmss"},
        {"[capacity]\nspecialist = \"mss\"\n", 2, "capacity.specialist: expected an array of placement names"},
        {"[variants.v]\ncapacity = 3\n", 2, "capacity: expected a table, found an integer (in variant 'v')"},
    };
    expect_problems(cases, base_toml);
}

TEST(ScenarioCapacity, ACycleIsReportedOnceInOrder) {
    const std::string error = rejected(R"(
[capacity.resourced]
places = 10
overflow = "inmss"
[capacity.inmss]
places = 5
overflow = "mss"
[capacity.mss]
places = 20
overflow = "resourced"
[capacity.mainstream]
places = 100
overflow = "mss"
)");
    // Named from its first declared member, at that member's table; the
    // placement leading into it (mainstream) is not a cycle of its own.
    const std::string expected = "c.toml:" + std::to_string(base_lines() + 2) +
                                 ":1: capacity: overflow cycle resourced -> inmss -> mss -> resourced";
    EXPECT_TRUE(contains(error, expected)) << error;
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 0) << error;  // one problem only
}

// ---------------------------------------------------------------- per phase

TEST(ScenarioCapacityPhases, OneEntryPerCappedPhase) {
    const Loaded loaded = load(R"(
[capacity.mss.primary]
places = { 2021 = 18 }
overflow = "inmss"
[capacity.mss.secondary]
places = 26
overflow = "resourced"
)",
                               phased_toml());
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& s = loaded.set->variants[0];
    // No entry for the early years: that phase has no limit.
    ASSERT_EQ(entries_of(s), (std::vector<std::pair<int, int>>{{mss, primary}, {mss, secondary}}));
    const Capacity& p = s.capacity[0];
    EXPECT_EQ(p.overflow, inmss);
    EXPECT_EQ(p.where.key, "capacity.mss.primary");
    EXPECT_EQ(p.where.line, base_lines() + 2);
    ASSERT_EQ(p.places.points.size(), 1u);
    EXPECT_EQ(p.places.points[0].first, 2021);
    EXPECT_EQ(p.places.points[0].second.name, "capacity.mss.primary.places.2021");
    EXPECT_EQ(p.places.points[0].second.where.line, base_lines() + 3);
    EXPECT_EQ(places_in(p, 2020), no_limit);
    EXPECT_EQ(places_in(p, 2021), 18.0);
    const Capacity& q = s.capacity[1];
    EXPECT_EQ(q.overflow, resourced);
    EXPECT_EQ(q.where.key, "capacity.mss.secondary");
    EXPECT_EQ(q.where.line, base_lines() + 5);
    ASSERT_EQ(q.places.points.size(), 1u);
    EXPECT_EQ(q.places.points[0].first, 2020);  // one number: every year
    EXPECT_EQ(q.places.points[0].second.name, "capacity.mss.secondary.places");
    EXPECT_TRUE(q.places.points[0].second.dist.is_fixed());
    for (int year : s.years()) EXPECT_EQ(places_in(q, year), 26.0) << year;
    // Every capped placement and every overflow placement of any phase.
    EXPECT_EQ(s.specialist_placements, (std::vector<int>{resourced, mss, inmss}));
    // Inline tables, and the whole-placement form alongside, with many phases.
    const Loaded inline_tables = load(R"(
[capacity]
mss = { early = { places = 2, overflow = "inmss" }, secondary = { places = 3, overflow = "inmss" } }
inmss = { places = 9, overflow = "mainstream" }
)",
                                      phased_toml());
    ASSERT_TRUE(inline_tables.set) << inline_tables.error;
    EXPECT_EQ(entries_of(inline_tables.set->variants[0]),
              (std::vector<std::pair<int, int>>{{mss, early}, {mss, secondary}, {inmss, -1}}));
}

TEST(ScenarioCapacityPhases, OrderByPlacementThenPhase) {
    // Written secondary first; a phase's overflow orders its placement before
    // the one it overflows into (inmss's secondary sends resourced after it).
    const Loaded loaded = load(R"(
[capacity.resourced]
places = 10
overflow = "mainstream"
[capacity.inmss.secondary]
places = 5
overflow = "resourced"
[capacity.inmss.primary]
places = 4
overflow = "mainstream"
[capacity.mss.secondary]
places = 20
overflow = "mainstream"
[capacity.mss.primary]
places = 30
overflow = "inmss"
)",
                               phased_toml());
    ASSERT_TRUE(loaded.set) << loaded.error;
    EXPECT_EQ(entries_of(loaded.set->variants[0]),
              (std::vector<std::pair<int, int>>{
                  {mss, primary}, {mss, secondary}, {inmss, primary}, {inmss, secondary}, {resourced, -1}}));
    // Without edges between them, placement declaration order.
    const Loaded apart = load(R"(
[capacity.inmss.secondary]
places = 5
overflow = "mainstream"
[capacity.mss.primary]
places = 30
overflow = "mainstream"
[capacity.mss.early]
places = 3
overflow = "mainstream"
)",
                              phased_toml());
    ASSERT_TRUE(apart.set) << apart.error;
    EXPECT_EQ(entries_of(apart.set->variants[0]),
              (std::vector<std::pair<int, int>>{{mss, early}, {mss, primary}, {inmss, secondary}}));
}

TEST(ScenarioCapacityPhases, ACycleThroughOnePhase) {
    // mss's primary overflows into inmss, which overflows back into mss; the
    // secondary's edge leads out. Reported once, at the phase table whose
    // edge starts it.
    const std::string error = rejected(R"(
[capacity.mss.secondary]
places = 20
overflow = "mainstream"
[capacity.mss.primary]
places = 30
overflow = "inmss"
[capacity.inmss]
places = 5
overflow = "mss"
)",
                                       phased_toml());
    const std::string expected =
        "c.toml:" + std::to_string(base_lines() + 5) + ":1: capacity: overflow cycle mss -> inmss -> mss";
    EXPECT_TRUE(contains(error, expected)) << error;
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 0) << error;  // one problem only
    // Two phases of one placement into two different placements that come back.
    const std::string two = rejected(R"(
[capacity.resourced.primary]
places = 1
overflow = "mss"
[capacity.resourced.secondary]
places = 1
overflow = "inmss"
[capacity.mss]
places = 5
overflow = "resourced"
[capacity.inmss]
places = 5
overflow = "mainstream"
)",
                                     phased_toml());
    EXPECT_TRUE(contains(two, "c.toml:" + std::to_string(base_lines() + 2) +
                                  ":1: capacity: overflow cycle resourced -> mss -> resourced"))
        << two;
    EXPECT_EQ(std::count(two.begin(), two.end(), '\n'), 0) << two;
}

TEST(ScenarioCapacityPhases, AVariantOverridesOnePhasesPlaces) {
    const Loaded loaded = load(R"(
[capacity.mss.primary]
places = { 2021 = 18 }
overflow = "inmss"
[capacity.mss.secondary]
places = { 2021 = 26, 2023 = 28 }
overflow = "inmss"

[variants.more_primary]
capacity.mss.primary.places = { 2022 = 22 }

[variants.early_too]
capacity.mss.early = { places = 2, overflow = "resourced" }
)",
                               phased_toml());
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& base = loaded.set->variants[0];
    const Scenario& more = variant(*loaded.set, "more_primary");
    const Scenario& early_too = variant(*loaded.set, "early_too");
    for (const Scenario* s : {&base, &more}) {
        ASSERT_EQ(entries_of(*s), (std::vector<std::pair<int, int>>{{mss, primary}, {mss, secondary}})) << s->variant;
        EXPECT_EQ(places_in(s->capacity[1], 2022), 26.0) << s->variant;  // secondary untouched
        EXPECT_EQ(places_in(s->capacity[1], 2023), 28.0) << s->variant;
    }
    const Capacity& merged = more.capacity[0];
    ASSERT_EQ(merged.places.points.size(), 2u);
    EXPECT_EQ(places_in(merged, 2021), 18.0);
    EXPECT_EQ(places_in(merged, 2022), 22.0);
    EXPECT_EQ(merged.places.points[1].second.name, "capacity.mss.primary.places.2022");
    EXPECT_EQ(merged.places.points[1].second.where.line, base_lines() + 10);  // the variant's line
    EXPECT_EQ(places_in(base.capacity[0], 2022), 18.0);
    // A variant may cap another phase.
    EXPECT_EQ(entries_of(early_too),
              (std::vector<std::pair<int, int>>{{mss, early}, {mss, primary}, {mss, secondary}}));
    EXPECT_EQ(early_too.specialist_placements, (std::vector<int>{resourced, mss, inmss}));
    // But not switch to the whole-placement form: that mixes the two.
    const std::string error = rejected(R"(
[capacity.mss.primary]
places = 18
overflow = "inmss"

[variants.whole]
capacity.mss.places = 40
)",
                                       phased_toml());
    EXPECT_TRUE(contains(error, "capacity.mss: placement 'mss' has both places/overflow and phase tables (primary); "
                                "give places/overflow for the whole placement or per phase, not both "
                                "(in variant 'whole')"))
        << error;
}

TEST(ScenarioCapacityPhases, Problems) {
    const std::vector<ProblemCase> cases = {
        {"[capacity.mss]\nplaces = 20\noverflow = \"inmss\"\n[capacity.mss.primary]\nplaces = 10\n"
         "overflow = \"inmss\"\n",
         1,
         "capacity.mss: placement 'mss' has both places/overflow and phase tables (primary); give places/overflow "
         "for the whole placement or per phase, not both"},
        {"[capacity]\nmss = { overflow = \"inmss\", secondary = { places = 1, overflow = \"inmss\" }, "
         "early = { places = 1, overflow = \"inmss\" } }\n",
         2,
         "capacity.mss: placement 'mss' has both places/overflow and phase tables (early, secondary); give "
         "places/overflow for the whole placement or per phase, not both"},
        {"[capacity.mss.junior]\nplaces = 10\noverflow = \"inmss\"\n", 1,
         "capacity.mss.junior: unknown key 'junior'; allowed keys in capacity.mss: places, overflow, early, primary, "
         "secondary"},
        {"[capacity.mss.primary]\nplaces = 10\noverflow = \"mss\"\n", 3,
         "capacity.mss.primary.overflow: overflow names the capped placement 'mss' itself"},
        {"[capacity.mss.primary]\nplaces = 10\n", 1,
         "capacity.mss.primary.overflow: missing required key 'overflow'"},
        {"[capacity.mss.primary]\noverflow = \"inmss\"\n", 1,
         "capacity.mss.primary.places: missing required key 'places'"},
        {"[capacity.mss.primary]\nplaces = { 2022 = -3 }\noverflow = \"inmss\"\n", 2,
         "capacity.mss.primary.places.2022: places must be a non-negative whole number, found -3"},
        {"[capacity.mss.primary]\nplaces = 10\noverflow = \"inmss\"\nplace = 3\n", 4,
         "capacity.mss.primary.place: unknown key 'place'; allowed keys in capacity.mss.primary: places, overflow"},
        {"[capacity.mss]\nprimary = 10\n", 2,
         "capacity.mss.primary: expected a table { places = ..., overflow = \"...\" }, found an integer"},
        {"[capacity.mss]\nprimary = { dist = \"normal\", mean = 20, sd = 2 }\n", 2,
         "capacity.mss.primary: expected a table { places = ..., overflow = \"...\" }, found a distribution"},
    };
    expect_problems(cases, phased_toml());
}

// ---------------------------------------------------------------- the small scenario

TEST(ScenarioCapacity, SmallScenarioCapsSpecialPlaces) {
    const ScenarioSet set = load_scenario(std::string(EHCPSIM_SOURCE_DIR) + "/tests/scenarios/small/small.toml");
    for (const Scenario& s : set.variants) {
        SCOPED_TRACE(s.variant);
        const int special = 2;
        const int independent = 3;
        ASSERT_EQ(s.capacity.size(), 1u);
        const Capacity& c = s.capacity[0];
        EXPECT_EQ(s.dims.placements[static_cast<std::size_t>(c.placement)], "special");
        EXPECT_EQ(c.placement, special);
        EXPECT_EQ(c.overflow, independent);
        EXPECT_EQ(places_in(c, 2023), no_limit);
        EXPECT_EQ(places_in(c, 2024), 80.0);
        EXPECT_EQ(places_in(c, 2025), 80.0);
        EXPECT_EQ(places_in(c, 2026), 84.0);
        EXPECT_EQ(places_in(c, 2028), 84.0);
        EXPECT_EQ(s.specialist_placements, (std::vector<int>{1, special, independent}));
        // The cap is a little above the base stock of special places (74).
        std::int64_t stock = 0;
        for (int age = s.dims.min_age; age <= s.dims.max_age; ++age)
            for (std::size_t need = 0; need < s.dims.needs.size(); ++need)
                stock += s.stock[s.dims.cell(age, static_cast<int>(need), special)];
        EXPECT_EQ(stock, 74);
        EXPECT_GT(places_in(c, 2024), static_cast<double>(stock));
    }
}

}  // namespace
}  // namespace ehcpsim
