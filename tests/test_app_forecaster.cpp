// The engine's forecaster of the backtest (engine_forecaster.h): what it
// forecasts, the seed of a unit, the same bytes for any thread count, the
// strict cut through calibrate and the engine, and a panel of authorities
// and years never seen. Small runs (50 replicates, one to four units): each
// test well under a second apart from reading the shipped panel once.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "backtest_test_support.h"
#include "ehcpsim/benchmarks.h"
#include "panel_text.h"

namespace ehcpsim {
namespace {

using namespace calibrate;
using testing::shipped_panel;
using testing::small_engine;

TEST(EngineForecaster, ForecastsTheScoredSeriesTheEngineRecords) {
    const Panel cut = shipped_panel().panel.cut_after(2019);
    const std::vector<QuantileForecast> answer = small_engine(50)(cut, "E06000006", 2019, 3);
    std::set<std::pair<std::string, std::string>> series;
    for (const QuantileForecast& f : answer) {
        series.insert({f.series, f.breakdown});
        EXPECT_EQ(f.year, target_year(f.series, 2019, f.horizon)) << f.series << " " << f.breakdown;
        EXPECT_GE(f.horizon, 1);
        EXPECT_LE(f.horizon, 3);
        for (std::size_t k = 1; k < f.quantiles.size(); ++k) EXPECT_LE(f.quantiles[k - 1], f.quantiles[k]);
        EXPECT_GE(f.mean, f.quantiles.front() * 0.5);
        EXPECT_LE(f.mean, f.quantiles.back() * 2.0 + 1.0);
    }
    for (const auto& want : std::vector<std::pair<std::string, std::string>>{
             {"stock", "all"}, {"new_plans", "all"}, {"requests", "all"}, {"ceased", "all"},
             {"stock", "placement:special_maintained"}, {"new_plans", "placement:mainstream"}})
        EXPECT_TRUE(series.count(want)) << want.first << " " << want.second;
    EXPECT_TRUE(series.count({"stock", "age:5-10"}));
    EXPECT_EQ(answer.size(), series.size() * 3);
    // One year on, the median stock is near the January 2019 census it starts
    // from (770 plans): growth there was about 10% a year, so within 25%.
    const double census = *cut.value("E06000006", 2019, "stock", "all");
    for (const QuantileForecast& f : answer)
        if (f.series == "stock" && f.breakdown == "all" && f.horizon == 1) {
            EXPECT_GT(f.quantiles[3], census);
            EXPECT_LT(f.quantiles[3], census * 1.25);
        }
}

// The age bands forecast are those the backtest scores for the authority
// (the panel's, published or rebuilt from single ages), for each measure
// with ages in the cut panel; each replicate's bands add up to its total
// (ceased: with the plans aged out), so the means do too.
TEST(EngineForecaster, ForecastsThePanelsAgeBandsAddingUpToTheTotals) {
    // 2019: bands as published, stock and new plans only; 2024: single ages
    // (person-level years), requests and ceases by age too (calendar 2023).
    const std::map<int, std::vector<std::string>> measures_with_ages = {
        {2019, {"stock", "new_plans"}}, {2024, {"stock", "new_plans", "requests", "ceased"}}};
    for (const auto& [origin, measures] : measures_with_ages) {
        const Panel cut = shipped_panel().panel.cut_after(origin);
        const std::vector<QuantileForecast> answer = small_engine(30)(cut, "E06000006", origin, 2);
        SeriesChoice choice;
        choice.by_placement = false;
        std::set<std::pair<std::string, std::string>> want, got;
        for (const auto& [key, series] : backtest_series(cut, "E06000006", choice))
            if (key.breakdown.starts_with("age:")) want.insert({key.series, key.breakdown});
        std::map<std::pair<std::string, int>, double> all, bands;
        for (const QuantileForecast& f : answer) {
            if (f.breakdown == "all") all[{f.series, f.horizon}] = f.mean;
            if (!f.breakdown.starts_with("age:")) continue;
            got.insert({f.series, f.breakdown});
            bands[{f.series, f.horizon}] += f.mean;
        }
        EXPECT_EQ(got, want) << "origin " << origin;
        for (const std::string& measure : measures)
            EXPECT_TRUE(want.count({measure, "age:0-4"}) && want.count({measure, "age:20-25"}))
                << measure << " at origin " << origin;
        for (const auto& [key, sum] : bands)
            EXPECT_NEAR(sum, all.at(key), 1e-9 * std::max(1.0, sum)) << key.first << " horizon " << key.second;
    }
}

// The backtest scores the engine on the age bands: scores.csv has ehcpsim
// rows for them, on as many pairs as the benchmarks (two authorities, one
// origin: two pairs a row).
TEST(EngineForecaster, TheBacktestScoresTheAgeBands) {
    BacktestOptions options;
    options.authorities = {"E06000006", "E06000037"};
    options.first_origin = options.last_origin = 2021;
    options.horizon = 2;
    const BacktestResult result = compute_backtest(shipped_panel().panel, options, small_engine(30));
    std::string scores;
    for (const auto& [name, text] : backtest_file_texts(result))
        if (name == "scores.csv") scores = text;
    for (const std::string band : {"age:0-4", "age:5-10", "age:11-15", "age:16-19", "age:20-25"}) {
        EXPECT_NE(scores.find("\nstock," + band + ",1,ehcpsim,2,"), std::string::npos) << band;
        EXPECT_NE(scores.find("\nstock," + band + ",1,persistence,2,"), std::string::npos) << band;
    }
    // New plans at 16 and over can be none in a year (no pair: outturn 0).
    for (const std::string band : {"age:0-4", "age:5-10", "age:11-15"})
        EXPECT_NE(scores.find("\nnew_plans," + band + ",1,ehcpsim,2,"), std::string::npos) << band;
}

TEST(EngineForecaster, TheSeedOfAUnitIsAPureFunctionOfSeedAuthorityAndOrigin) {
    EXPECT_EQ(unit_seed(7, "E06000006", 2019), unit_seed(7, "E06000006", 2019));
    std::set<std::uint64_t> seeds;
    for (const std::uint64_t seed : {7u, 8u})
        for (const std::string la : {"E06000006", "E06000007"})
            for (const int origin : {2019, 2020}) {
                const std::uint64_t s = unit_seed(seed, la, origin);
                EXPECT_LT(s, std::uint64_t{1} << 63) << "scenario.seed takes 0 .. 2^63 - 1";
                seeds.insert(s);
            }
    EXPECT_EQ(seeds.size(), 8u);
}

TEST(EngineForecaster, SameBytesForAnyThreadCount) {
    BacktestOptions options;
    options.authorities = {"E06000006", "E06000007"};
    options.first_origin = 2018;
    options.last_origin = 2019;
    options.horizon = 3;
    const EngineForecaster engine = small_engine(30);  // 30, not 50: eight units, kept under a second
    std::string texts[2];
    for (const int threads : {1, 2}) {
        options.parallel_for = testing::tbb_parallel_for(threads);
        texts[threads - 1] = testing::all_file_texts(compute_backtest(shipped_panel().panel, options, engine));
    }
    EXPECT_EQ(texts[0], texts[1]);
    EXPECT_NE(texts[0].find("\nE06000007,2019,2022,3,stock,all,"), std::string::npos);
    EXPECT_NE(texts[0].find("\nstock,all,1,ehcpsim,4,"), std::string::npos);
}

// The strict cut through calibrate and the engine: the shipped panel with
// every row dated after the origin deleted as text gives the same files,
// byte for byte (the forecasts are made from the truncated panel and scored
// against the whole one).
TEST(EngineForecaster, StrictCutDeletingEveryRowAfterTheOriginChangesNoByte) {
    const int origin = 2019;
    const Panel truncated =
        Panel::read_text(testing::without_rows_after(shipped_panel().text, origin, true), "truncated.csv");
    ASSERT_LT(truncated.size(), shipped_panel().panel.size());
    BacktestOptions options;
    options.authorities = {"E06000006"};
    options.first_origin = options.last_origin = origin;
    options.horizon = 5;
    const EngineForecaster engine = small_engine(50);
    const std::string full = testing::all_file_texts(compute_backtest(shipped_panel().panel, options, engine));
    const std::string cut =
        testing::all_file_texts(compute_backtest(truncated, shipped_panel().panel, options, engine));
    EXPECT_EQ(full, cut);
    EXPECT_NE(full.find("\nE06000006,2019,2024,5,stock,all,"), std::string::npos);  // something was compared
}

TEST(EngineForecaster, WorksOnAPanelOfAuthoritiesAndYearsNeverSeen) {
    const Panel panel = Panel::read_text(testing::synthetic_panel_text(), "synthetic.csv");
    BacktestOptions options;
    options.first_origin = 2033;
    options.last_origin = 2034;
    options.horizon = 2;
    const BacktestResult result = compute_backtest(panel, options, small_engine(50));
    EXPECT_EQ(result.authorities.size(), 4u);
    EXPECT_EQ(result.forecasts.size() % 2, 0u);
    bool scored = false;
    for (const ScoreRow& row : result.scores)
        if (row.model == "ehcpsim" && row.key == SeriesKey{"stock", "all"} && row.horizon == 2) {
            scored = true;
            EXPECT_EQ(row.scores.n_pairs, 8u);  // 4 authorities x 2 origins
            // The synthetic stocks grow 7-10% a year, smoothly: the median is
            // within 15% of them two years on.
            EXPECT_LT(row.scores.mdape, 15.0);
        }
    EXPECT_TRUE(scored);
}

}  // namespace
}  // namespace ehcpsim
