// The backtest: benchmark formulas on a hand-made panel, the year
// conventions of stocks and flows, the files and their fixed headers, the
// refusal to overwrite, and the strict cut (a panel with every row after the
// origin deleted gives the same files, byte for byte). The last test measures
// the benchmarks' pooled scores on the shipped panel (docs/backtest.md).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "ehcpsim/backtest.h"
#include "ehcpsim/error.h"
#include "panel_test_support.h"
#include "test_support.h"

namespace ehcpsim::calibrate {
namespace {

using ehcpsim::testing::read_text_file;
using ehcpsim::testing::source_path;
using ehcpsim::testing::TempDir;
using ehcpsim::testing::without_rows_after;

const std::string header = "la_code,la_name,year,measure,breakdown,value\n";

// Stocks 2016-2021 and new plans 2016-2020 of one authority, and a second
// authority with three stock years only.
const std::string hand_made = header +
                              "E1,One,2016,stock,all,80\n"
                              "E1,One,2017,stock,all,90\n"
                              "E1,One,2018,stock,all,100\n"
                              "E1,One,2019,stock,all,110\n"
                              "E1,One,2020,stock,all,121\n"
                              "E1,One,2021,stock,all,130\n"
                              "E1,One,2016,new_plans,all,10\n"
                              "E1,One,2017,new_plans,all,12\n"
                              "E1,One,2018,new_plans,all,15\n"
                              "E1,One,2019,new_plans,all,18\n"
                              "E1,One,2020,new_plans,all,20\n"
                              "E2,Two,2019,stock,all,50\n"
                              "E2,Two,2020,stock,all,55\n"
                              "E2,Two,2021,stock,all,60\n";

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

TEST(CalibrateBacktest, StocksAreDatedByCensusAndFlowsByTheYearBefore) {
    EXPECT_EQ(last_known_year("stock", 2020), 2020);
    EXPECT_EQ(target_year("stock", 2020, 1), 2021);
    EXPECT_EQ(last_known_year("new_plans", 2020), 2019);
    EXPECT_EQ(target_year("new_plans", 2020, 1), 2020);  // the flows that lead to the January 2021 stock
    EXPECT_EQ(target_year("requests", 2020, 5), 2024);
}

TEST(CalibrateBacktest, BenchmarkFormulas) {
    const Panel panel = Panel::read_text(hand_made, "hand.csv");
    const Series stock = panel.cut_after(2020).series("E1", "stock", "all");
    // persistence: x(Y) (x(Y)/x(Y-1))^h = 121 * 1.1^h
    EXPECT_NEAR(*benchmark_forecast(Benchmark::persistence, stock, 2020, 1), 133.1, 1e-9);
    EXPECT_NEAR(*benchmark_forecast(Benchmark::persistence, stock, 2020, 2), 146.41, 1e-9);
    EXPECT_EQ(*benchmark_forecast(Benchmark::no_change, stock, 2020, 3), 121);
    // three-year trend: g = (121/110 + 110/100 + 100/90) / 3, x(Y) g^h
    const double g = (121.0 / 110 + 110.0 / 100 + 100.0 / 90) / 3;
    EXPECT_NEAR(*benchmark_forecast(Benchmark::three_year_trend, stock, 2020, 1), 121 * g, 1e-9);
    EXPECT_NEAR(*benchmark_forecast(Benchmark::three_year_trend, stock, 2020, 4), 121 * std::pow(g, 4), 1e-9);
    // Not enough years, or a zero denominator: no forecast.
    const Series e2 = panel.series("E2", "stock", "all");
    EXPECT_FALSE(benchmark_forecast(Benchmark::three_year_trend, e2, 2021, 1));
    EXPECT_TRUE(benchmark_forecast(Benchmark::persistence, e2, 2021, 1));
    EXPECT_FALSE(benchmark_forecast(Benchmark::persistence, Series{{2019, 0}, {2020, 5}}, 2020, 1));
    EXPECT_FALSE(benchmark_forecast(Benchmark::no_change, e2, 2022, 1));

    // Through the backtest: at origin 2020 the last new-plans year is 2019 (18),
    // the horizon-1 forecast is for calendar 2020 and its outturn is 20.
    BacktestOptions options;
    options.first_origin = options.last_origin = 2020;
    options.horizon = 2;
    const BacktestResult result = compute_backtest(panel, options, {});
    bool found = false;
    for (const BenchmarkForecast& b : result.benchmarks) {
        if (b.la_code == "E1" && b.key.series == "new_plans" && b.horizon == 1 && b.model == "persistence") {
            found = true;
            EXPECT_EQ(b.year, 2020);
            EXPECT_NEAR(b.forecast, 18 * 18.0 / 15, 1e-9);
            EXPECT_EQ(b.outturn, 20.0);
        }
        if (b.la_code == "E1" && b.key.series == "stock" && b.horizon == 2) {
            EXPECT_FALSE(b.outturn);  // 2022 is not in the panel
        }
    }
    EXPECT_TRUE(found);
    // Scored: stock of E1 at h=1 only (E2 has no trend; h=2 has no outturn).
    ASSERT_EQ(result.scores.size(), 2u * 3);  // (stock h1, new_plans h1) x 3 benchmarks
    EXPECT_EQ(result.scores[0].key.series, "stock");
    EXPECT_EQ(result.scores[0].model, "persistence");
    EXPECT_EQ(result.scores[0].scores.n_pairs, 1u);
    EXPECT_NEAR(result.scores[0].scores.mdape, 100 * (133.1 - 130) / 130, 1e-9);
    EXPECT_NEAR(result.scores[1].scores.bias, 100 * (121.0 - 130) / 130, 1e-9);  // no_change
}

TEST(CalibrateBacktest, AgeBandsAreRebuiltFromSingleYears) {
    const Panel panel = Panel::read_text(header +
                                             "E1,One,2022,stock,age:0-4,5\n"
                                             "E1,One,2022,stock,age:5-10,10\n"
                                             "E1,One,2024,stock,age:0-2,1\n"
                                             "E1,One,2024,stock,age:3,2\n"
                                             "E1,One,2024,stock,age:4,3\n"
                                             "E1,One,2024,stock,age:7,4\n"
                                             "E1,One,2024,stock,age:20,1\n"
                                             "E1,One,2024,stock,age:25,2\n"
                                             "E1,One,2024,stock,age:unknown,9\n"
                                             "E1,One,2024,stock,placement:ap,7\n",
                                         "ages.csv");
    const std::map<SeriesKey, Series> series = backtest_series(panel, "E1", SeriesChoice{});
    EXPECT_EQ(series.at({"stock", "age:0-4"}), (Series{{2022, 5}, {2024, 6}}));
    EXPECT_EQ(series.at({"stock", "age:5-10"}), (Series{{2022, 10}, {2024, 4}}));
    EXPECT_EQ(series.at({"stock", "age:11-15"}), (Series{{2024, 0}}));  // absent single ages count as 0
    EXPECT_EQ(series.at({"stock", "age:20-25"}), (Series{{2024, 3}}));
    EXPECT_EQ(series.at({"stock", "placement:ap"}), (Series{{2024, 7}}));
    EXPECT_EQ(series.count({"stock", "all"}), 0u);
}

TEST(CalibrateBacktest, FilesHaveTheFixedHeadersAndAreNotOverwritten) {
    const Panel panel = Panel::read_text(hand_made, "hand.csv");
    BacktestOptions options;
    options.first_origin = 2019;
    options.last_origin = 2020;
    options.horizon = 2;
    // A forecaster that says "no change, +-10%" for every stock series it sees.
    const Forecaster forecaster = [](const Panel& cut, const std::string& la, int origin, int horizon) {
        std::vector<QuantileForecast> out;
        const Series stock = cut.series(la, "stock", "all");
        if (stock.empty() || stock.rbegin()->first != origin) return out;
        const double x = stock.rbegin()->second;
        for (int h = 1; h <= horizon; ++h)
            out.push_back({"stock", "all", origin + h, h, x, {0.9 * x, 0.92 * x, 0.96 * x, x, 1.04 * x, 1.08 * x,
                                                              1.1 * x}});
        return out;
    };
    TempDir dir;
    std::vector<BacktestProgress> progress;
    run_backtest(panel, options, forecaster, [&](const BacktestProgress& p) { progress.push_back(p); },
                 dir / "out", false);
    ASSERT_EQ(progress.size(), 4u);  // 2 origins x 2 authorities
    EXPECT_EQ(progress.back().done, 4u);
    EXPECT_EQ(progress.back().total, 4u);
    EXPECT_EQ(first_line(dir / "out/forecasts.csv"),
              "la_code,origin,year,horizon,series,breakdown,mean,p5,p10,p25,p50,p75,p90,p95");
    EXPECT_EQ(first_line(dir / "out/scores.csv"),
              "series,breakdown,horizon,model,n_pairs,mdape,bias,cov50,cov80,cov90,cov_p5_p95,pit_mean,pit_var,"
              "crps");
    EXPECT_EQ(first_line(dir / "out/scores_by_authority.csv"), std::string("la_code,") + scores_header);
    EXPECT_EQ(first_line(dir / "out/benchmarks.csv"),
              "la_code,origin,year,horizon,series,breakdown,model,forecast,outturn");
    EXPECT_EQ(first_line(dir / "out/wins.csv"), "series,breakdown,horizon,model,benchmark,n_pairs,share_won");
    EXPECT_EQ(first_line(dir / "out/pit_histogram.csv"),
              "series,breakdown,horizon,model,n_pairs,pit_0_10,pit_10_20,pit_20_30,pit_30_40,pit_40_50,pit_50_60,"
              "pit_60_70,pit_70_80,pit_80_90,pit_90_100");
    // Forecasts: E1 and E2 at 2019 and 2020, two horizons each.
    const std::string forecasts = read_text_file(dir / "out/forecasts.csv");
    EXPECT_NE(forecasts.find("\nE1,2019,2020,1,stock,all,110,99,101.2"), std::string::npos) << forecasts;
    // The model's row carries coverage and PIT; a benchmark's leaves them empty.
    // Scored at h=1: E1 at origin 2019 (outturn 121) and 2020 (130); E2 has no three-year trend.
    const std::string scores = read_text_file(dir / "out/scores.csv");
    EXPECT_NE(scores.find("\nstock,all,1,ehcpsim,2,"), std::string::npos) << scores;
    EXPECT_NE(scores.find("\nstock,all,1,no_change,2,"), std::string::npos) << scores;
    EXPECT_NE(scores.find(",,,,,,,"), std::string::npos) << scores;  // six empty fields of a benchmark row
    for (const std::string& name : backtest_files) EXPECT_FALSE(ehcpsim::testing::temporaries_left(dir / ("out/" + name)));

    // A second run refuses to replace the files, naming one, unless told to.
    try {
        run_backtest(panel, options, forecaster, {}, dir / "out", false);
        FAIL() << "overwrote";
    } catch (const RuntimeError& e) {
        EXPECT_NE(std::string(e.what()).find("forecasts.csv exists"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(run_backtest(panel, options, forecaster, {}, dir / "out", true));
    EXPECT_EQ(read_text_file(dir / "out/scores.csv"), scores);

    // Without a forecaster forecasts.csv has its header only.
    run_backtest(panel, options, {}, {}, dir / "benchmarks-only", false);
    EXPECT_EQ(read_text_file(dir / "benchmarks-only/forecasts.csv"), std::string(forecasts_header) + "\n");
}

TEST(CalibrateBacktest, OptionsAndAnswersThatCannotBeServedAreRefused) {
    const Panel panel = Panel::read_text(hand_made, "hand.csv");
    BacktestOptions options;
    options.first_origin = options.last_origin = 2020;
    options.authorities = {"E9"};
    EXPECT_THROW(compute_backtest(panel, options, {}), ScenarioError);
    options.authorities = {};
    options.horizon = 0;
    EXPECT_THROW(compute_backtest(panel, options, {}), ScenarioError);
    options.horizon = 2;
    options.first_origin = 2021;
    EXPECT_THROW(compute_backtest(panel, options, {}), ScenarioError);
    options.first_origin = 2020;
    const auto answer = [](int year, Quantiles q) {
        return [year, q](const Panel&, const std::string&, int, int) {
            return std::vector<QuantileForecast>{{"stock", "all", year, 1, q[3], q}};
        };
    };
    EXPECT_NO_THROW(compute_backtest(panel, options, answer(2021, {1, 2, 3, 4, 5, 6, 7})));
    EXPECT_THROW(compute_backtest(panel, options, answer(2022, {1, 2, 3, 4, 5, 6, 7})), RuntimeError);
    EXPECT_THROW(compute_backtest(panel, options, answer(2021, {1, 2, 3, 4, 5, 7, 6})), RuntimeError);
}

// A forecaster that pools every authority of the cut: the growth of the
// series over its last year, across authorities, gives each authority's
// quantiles. Asserts that it sees nothing after the origin.
std::vector<QuantileForecast> pooled_growth(const Panel& cut, const std::string& la, int origin, int horizon) {
    EXPECT_LE(cut.years(Dating::census)->last, origin);
    EXPECT_LE(cut.years(Dating::in_year)->last, origin - 1);
    std::vector<QuantileForecast> out;
    for (const std::string series : {"stock", "new_plans"}) {
        const int last = last_known_year(series, origin);
        std::vector<double> growth;
        for (const std::string& other : cut.authorities()) {
            const std::optional<double> a = cut.value(other, last, series, "all");
            const std::optional<double> b = cut.value(other, last - 1, series, "all");
            if (a && b && *b > 0) growth.push_back(*a / *b);
        }
        const std::optional<double> now = cut.value(la, last, series, "all");
        if (!now || growth.size() < 2) continue;
        const Quantiles g = quantiles_of(growth);
        for (int h = 1; h <= horizon; ++h) {
            QuantileForecast f{series, "all", last + h, h, 0, {}};
            for (std::size_t k = 0; k < g.size(); ++k) f.quantiles[k] = *now * std::pow(g[k], h);
            f.mean = f.quantiles[3];
            out.push_back(f);
        }
    }
    return out;
}

// Forecast and scored: Halton, the two authorities whose names hold a comma
// (quoted in the file), and every tenth authority of the panel, 14 of 106,
// those of them the panel has at the origin (a
// backtest of all of them takes eight times as long and proves no more: the
// pooled forecaster reads every authority of the cut whichever are scored).
TEST(CalibrateBacktest, StrictCutDeletingEveryRowAfterTheOriginChangesNoByte) {
    const std::string text = read_text_file(source_path("data/sen2_la/panel.csv"));
    const Panel full = Panel::read_text(text, "panel.csv");
    std::set<std::string> scored = {"E06000006", "E06000019", "E06000058"};
    for (std::size_t i = 0; i < full.authorities().size(); i += 10) scored.insert(full.authorities()[i]);
    TempDir dir;
    for (const int origin : {2014, 2019, 2023}) {
        BacktestOptions options;
        options.first_origin = options.last_origin = origin;
        options.horizon = 5;
        const Panel known = full.cut_after(origin);  // Bournemouth, Christchurch and Poole begins in 2019
        for (const std::string& code : scored)
            if (known.has_authority(code)) options.authorities.push_back(code);
        write_backtest(compute_backtest(full, options, pooled_growth), dir / "full", true);
        for (const bool strict : {true, false}) {
            const Panel truncated = Panel::read_text(without_rows_after(text, origin, strict), "truncated.csv");
            ASSERT_LT(truncated.size(), full.size());
            // Forecasts from the truncated panel, scored against the full one.
            write_backtest(compute_backtest(truncated, full, options, pooled_growth), dir / "cut", true);
            for (const std::string& name : backtest_files)
                EXPECT_EQ(read_text_file(dir / ("full/" + name)), read_text_file(dir / ("cut/" + name)))
                    << name << " differs at origin " << origin << (strict ? " (strict deletion)" : "");
        }
        EXPECT_GT(read_text_file(dir / "full/forecasts.csv").size(), 10000u);  // the comparison had something to compare
        EXPECT_NE(read_text_file(dir / "full/scores.csv").find("\nstock,all,1,ehcpsim,"), std::string::npos);
    }
}

// The figures the model must beat (docs/backtest.md): the benchmarks' pooled
// scores for January stock, horizons 1-5, every authority and every origin
// the shipped panel allows. Printed; recomputed independently by
// tests/calibrate/benchmark_scores.py (numpy) and compared to 1e-9; and the
// median errors pinned (to the 3 decimals docs/backtest.md quotes) so that a
// change to the panel, the series or a formula is seen: re-baseline on
// purpose only.
TEST(CalibrateBacktest, BenchmarkScoresOfJanuaryStockOnTheShippedPanel) {
    const std::string panel_file = source_path("data/sen2_la/panel.csv");
    const Panel panel = Panel::read_file(panel_file);
    const std::optional<std::pair<int, int>> origins = default_origins(panel);
    ASSERT_TRUE(origins);
    EXPECT_EQ(origins->first, 2011);
    EXPECT_EQ(origins->second, 2024);
    BacktestOptions options;
    options.first_origin = origins->first;
    options.last_origin = origins->second;
    options.horizon = 5;
    const BacktestResult result = compute_backtest(panel, options, {});
    std::vector<const ScoreRow*> stock;
    for (const ScoreRow& row : result.scores)
        if (row.key.series == "stock" && row.key.breakdown == "all") stock.push_back(&row);
    ASSERT_EQ(stock.size(), 15u);
    std::printf("January stock (all), pooled over %zu authorities, origins %d-%d\n", result.authorities.size(),
                origins->first, origins->second);
    std::printf("%-3s %-17s %7s %9s %9s %9s\n", "h", "benchmark", "n_pairs", "mdape%", "bias%", "crps%");
    for (const ScoreRow* row : stock)
        std::printf("%-3d %-17s %7zu %9.3f %9.3f %9.3f\n", row->horizon, row->model.c_str(), row->scores.n_pairs,
                    row->scores.mdape, row->scores.bias, row->scores.crps);

    // The other series (not pinned): median absolute % error by breakdown and horizon.
    std::printf("\nmdape%% by series, breakdown and horizon (pairs at h1), persistence / no_change / "
                "three_year_trend\n");
    std::map<std::pair<std::string, std::string>, std::map<int, std::vector<const ScoreRow*>>> table;
    std::vector<std::pair<std::string, std::string>> order;
    for (const ScoreRow& row : result.scores) {
        const auto key = std::make_pair(row.key.series, row.key.breakdown);
        if (!table.count(key)) order.push_back(key);
        table[key][row.horizon].push_back(&row);
    }
    for (const auto& key : order) {
        const auto& by_horizon = table[key];
        std::printf("%-10s %-30s n=%5zu", key.first.c_str(), key.second.c_str(),
                    by_horizon.begin()->second.front()->scores.n_pairs);
        for (const auto& [h, rows] : by_horizon) {
            std::printf("  h%d", h);
            for (const ScoreRow* row : rows) std::printf(" %6.1f", row->scores.mdape);
        }
        std::printf("\n");
    }

    // Pinned: median absolute % error by horizon, persistence / no change / trend.
    const double pinned[5][3] = {{3.869, 8.282, 3.802},
                                 {7.627, 16.298, 7.545},
                                 {11.934, 23.843, 11.949},
                                 {17.259, 30.527, 17.630},
                                 {23.546, 36.590, 22.992}};
    for (const ScoreRow* row : stock) {
        const std::size_t b = row->model == "persistence" ? 0 : row->model == "no_change" ? 1 : 2;
        EXPECT_NEAR(row->scores.mdape, pinned[row->horizon - 1][b], 0.0005) << row->model << " h" << row->horizon;
    }

    // The same figures from an independent implementation.
    const ehcpsim::testing::CommandResult python = ehcpsim::testing::run_shell(
        "/usr/bin/python3 " + source_path("tests/calibrate/benchmark_scores.py") + " " + panel_file + " 2011 2024 5");
    ASSERT_EQ(python.code, 0) << python.output;
    std::istringstream lines(python.output);
    std::string line;
    std::getline(lines, line);
    ASSERT_EQ(line, "horizon,model,n_pairs,mdape,bias,crps");
    std::size_t compared = 0;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string horizon, model, n, mdape, bias, crps;
        std::getline(fields, horizon, ',');
        std::getline(fields, model, ',');
        std::getline(fields, n, ',');
        std::getline(fields, mdape, ',');
        std::getline(fields, bias, ',');
        std::getline(fields, crps, ',');
        for (const ScoreRow* row : stock) {
            if (row->horizon != std::stoi(horizon) || row->model != model) continue;
            ++compared;
            EXPECT_EQ(row->scores.n_pairs, std::stoul(n)) << line;
            EXPECT_NEAR(row->scores.mdape, std::stod(mdape), 1e-9) << line;
            EXPECT_NEAR(row->scores.bias, std::stod(bias), 1e-9) << line;
            EXPECT_NEAR(row->scores.crps, std::stod(crps), 1e-9) << line;
        }
    }
    EXPECT_EQ(compared, 15u);
}

}  // namespace
}  // namespace ehcpsim::calibrate
