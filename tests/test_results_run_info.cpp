// RunInfo and first_difference(): the one answer to "is this the same run?"
// that resuming a checkpoint and merging shards both ask.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ehcpsim/results.h"

namespace ehcpsim {
namespace {

RunInfo two_variant_run() {
    RunInfo info;
    info.scenario_name = "Synthetic";
    info.mode = "monte_carlo";
    info.seed = 42;
    info.replicates = 10;
    info.total_replicates = 10;
    info.engine_version = "0.1.0-test";
    info.years = {2024, 2025, 2026};
    info.placements = {"mainstream", "mss", "inmss"};
    info.needs = {"ASD", "SEMH"};
    info.phases = {"primary", "secondary"};
    info.variants = {"baseline", "target"};
    info.levels = {"none", "target"};
    info.compare_to = {"", "baseline"};
    info.parameter_names = {{"request_rate"}, {"request_rate", "effect"}};
    info.specialist = {{1, 2}, {1, 2}};
    const double inf = std::numeric_limits<double>::infinity();
    info.capacity = {{RunInfo::CapacityEntry{1, 1, 2, {inf, 70, 80}}}, {}};
    info.sources = {{"run.toml", "[scenario]\nname = \"Synthetic\"\nseed = 42\n"}, {"data/stock.csv", "a,b\n1,2\n"}};
    return info;
}

// The first difference of a from b is `what`, shown by both values (no note).
void expect_difference(const RunInfo& a, const RunInfo& b, RunMatch match, const std::string& what,
                       const std::string& first, const std::string& second) {
    const auto d = first_difference(a, b, match);
    ASSERT_TRUE(d) << "no difference; expected " << what;
    EXPECT_EQ(d->what, what);
    EXPECT_EQ(d->first, first);
    EXPECT_EQ(d->second, second);
    EXPECT_TRUE(d->note.empty()) << d->note;
}

TEST(RunInfoComparison, TheSameRunHasNoDifference) {
    const RunInfo info = two_variant_run();
    EXPECT_FALSE(first_difference(info, info, RunMatch::same_run));
    EXPECT_FALSE(first_difference(info, info, RunMatch::same_shard));
}

TEST(RunInfoComparison, ThePathsOfTheScenarioFilesDoNotMatter) {
    const RunInfo info = two_variant_run();
    RunInfo elsewhere = info;
    for (SourceText& source : elsewhere.sources) source.path = "/elsewhere/" + source.path;
    EXPECT_FALSE(first_difference(info, elsewhere, RunMatch::same_shard));
}

TEST(RunInfoComparison, NamesTheFieldAndBothValues) {
    const RunInfo info = two_variant_run();
    RunInfo other = info;
    other.seed = 7;
    expect_difference(info, other, RunMatch::same_run, "seed", "42", "7");

    other = info;
    other.engine_version = "0.2.0";
    expect_difference(info, other, RunMatch::same_run, "engine version", "\"0.1.0-test\"", "\"0.2.0\"");
}

// Each field that decides the numbers or the layout is compared; the first
// that differs (in a fixed order) is the one named.
TEST(RunInfoComparison, EveryFieldIsCompared) {
    const RunInfo info = two_variant_run();
    const auto what = [&](RunInfo other) {
        const auto d = first_difference(info, other, RunMatch::same_run);
        return d ? d->what : std::string("(none)");
    };
    RunInfo o = info;
    o.scenario_name = "Other";
    EXPECT_EQ(what(o), "scenario name");
    o = info;
    o.mode = "deterministic";
    EXPECT_EQ(what(o), "mode");
    o = info;
    o.total_replicates = 20;
    EXPECT_EQ(what(o), "total replicate count");
    o = info;
    o.variants = {"baseline", "stretch"};
    EXPECT_EQ(what(o), "variant list");
    o = info;
    o.common_random_numbers = false;
    EXPECT_EQ(what(o), "common random numbers");
    o = info;
    o.fixed_parameters = true;
    EXPECT_EQ(what(o), "fixed parameters");
    o = info;
    o.years = {2025, 2026, 2027};
    EXPECT_EQ(what(o), "year list");
    o = info;
    o.placements[2] = "independent";
    EXPECT_EQ(what(o), "placement list");
    o = info;
    o.needs = {"ASD"};
    EXPECT_EQ(what(o), "need list");
    o = info;
    o.phases = {"all"};
    EXPECT_EQ(what(o), "phase list");
    o = info;
    o.phase_detail = false;
    EXPECT_EQ(what(o), "phase detail");
    o = info;
    o.levels[1] = "stretch";
    EXPECT_EQ(what(o), "level of variant 'target'");
    o = info;
    o.compare_to[1] = "";
    EXPECT_EQ(what(o), "compare_to of variant 'target'");
    o = info;
    o.parameter_names[1].pop_back();
    EXPECT_EQ(what(o), "parameter list of variant 'target'");
    o = info;
    o.specialist[0] = {1};
    EXPECT_EQ(what(o), "specialist placement list of variant 'baseline'");
    o = info;
    o.capacity[0][0].phase = 0;
    EXPECT_EQ(what(o), "capacity entry list of variant 'baseline'");
    o = info;
    o.capacity[0][0].overflow = -1;
    EXPECT_EQ(what(o), "overflow of capacity entry 'mss/secondary' of variant 'baseline'");
    o = info;
    o.capacity[0][0].places[2] = 81;
    EXPECT_EQ(what(o), "places of capacity entry 'mss/secondary' of variant 'baseline'");
    o = info;
    o.sources.pop_back();
    EXPECT_EQ(what(o), "number of scenario files");

    o = info;  // two differences: the one compared first is named
    o.seed = 1;
    o.engine_version = "9";
    EXPECT_EQ(what(o), "engine version");
}

TEST(RunInfoComparison, PlacesShowTheWholeListAndCompareNanByBits) {
    RunInfo info = two_variant_run();
    info.capacity[0][0].places[0] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_FALSE(first_difference(info, info, RunMatch::same_run)) << "NaN places compare equal to themselves";
    RunInfo other = info;
    other.capacity[0][0].places[2] = 76;
    const auto d = first_difference(info, other, RunMatch::same_run);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->first, "[nan, 70, 80]");
    EXPECT_EQ(d->second, "[nan, 70, 76]");
}

TEST(RunInfoComparison, AScenarioTextDifferenceGivesItsLine) {
    const RunInfo info = two_variant_run();
    RunInfo other = info;
    other.sources[0].text = "[scenario]\nname = \"Synthetic\"\nseed = 43\n";
    const auto d = first_difference(info, other, RunMatch::same_run);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->what, "text of scenario file 'run.toml'");
    EXPECT_EQ(d->note, "first difference in line 3");
    EXPECT_TRUE(d->first.empty() && d->second.empty());
}

// Shards of one run differ in their replicates; a checkpoint must be of the
// same shard as the run resuming it.
TEST(RunInfoComparison, TheShardMattersOnlyForSameShard) {
    RunInfo first_half = two_variant_run();
    first_half.total_replicates = 20;
    RunInfo second_half = first_half;
    second_half.first_replicate = 10;
    EXPECT_FALSE(first_difference(first_half, second_half, RunMatch::same_run));
    expect_difference(first_half, second_half, RunMatch::same_shard, "shard", "replicates [0, 10)",
                      "replicates [10, 20)");
}

// A long list is named by its length, or by the first element that differs.
TEST(RunInfoComparison, LongListsNameTheirFirstDifference) {
    RunInfo info = two_variant_run();
    info.years.clear();
    for (int y = 2000; y < 2100; ++y) info.years.push_back(y);
    info.capacity = {};
    RunInfo other = info;
    other.years[57] = 1;
    expect_difference(info, other, RunMatch::same_run, "year 57", "2057", "1");
    other = info;
    other.years.pop_back();
    expect_difference(info, other, RunMatch::same_run, "length of year list", "100", "99");
}

// What a writer's caller may leave out compares as its default.
TEST(RunInfoComparison, LeftOutListsCompareAsTheirDefaults) {
    RunInfo given = two_variant_run();
    given.capacity.clear();
    given.specialist.clear();
    given.levels.clear();
    given.compare_to.clear();
    given.total_replicates = 0;
    RunInfo spelt_out = given;
    spelt_out.capacity = {{}, {}};
    spelt_out.specialist = {{}, {}};
    spelt_out.levels = {"none", "none"};
    spelt_out.compare_to = {"", ""};
    spelt_out.total_replicates = spelt_out.replicates;
    EXPECT_FALSE(first_difference(given, spelt_out, RunMatch::same_shard));
    const RunInfo filled = with_defaults(given);
    EXPECT_EQ(filled.levels, spelt_out.levels);
    EXPECT_EQ(filled.total_replicates, 10);
    EXPECT_EQ(filled.capacity.size(), 2u);
}

TEST(RunInfo, ShapeAndCapacityEntryNames) {
    const RunInfo info = two_variant_run();
    const Shape shape = info.shape();
    EXPECT_EQ(shape.years, 3);
    EXPECT_EQ(shape.placements, 3);
    EXPECT_EQ(shape.needs, 2);
    EXPECT_EQ(shape.phases, 2);
    EXPECT_EQ(info.parameters_per_variant(), (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(capacity_entry_name(info, info.capacity[0][0]), "mss/secondary");
    EXPECT_EQ(capacity_entry_name(info, RunInfo::CapacityEntry{2, -1, 0, {}}), "inmss");
}

}  // namespace
}  // namespace ehcpsim
