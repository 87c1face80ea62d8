// What drives the spread: standardised rank regression coefficients (SRRC)
// on synthetic data with known answers, and the "drivers" of a summary in
// every format. The end-to-end check (a scenario in which one parameter's
// spread dominates, run through the engine) is in test_cli_drivers.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numbers>
#include <sstream>
#include <stdexcept>

#include "ehcpsim/drivers.h"
#include "ehcpsim/summary.h"
#include "json_test_support.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;
using namespace json_testing;

// SplitMix64: a fixed, portable stream of numbers (the standard library's
// distributions differ between implementations).
class Numbers {
public:
    explicit Numbers(std::uint64_t seed) : state_(seed) {}
    double uniform() {  // (0, 1]
        state_ += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        return (static_cast<double>(z >> 11) + 1.0) * 0x1.0p-53;
    }
    double normal() {  // Box-Muller
        const double u = uniform(), v = uniform();
        return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
    }

private:
    std::uint64_t state_;
};

const Driver* find_driver(const DriverFit& fit, const std::string& name) {
    for (const Driver& d : fit.parameters) {
        if (d.name == name) return &d;
    }
    return nullptr;
}

// x1, x2, x3 independent standard normals; y = 3 x1 + 0.1 x2 + e, e ~
// Normal(0, 3). The ranks of jointly normal variables with correlation rho
// have correlation (6 / pi) asin(rho / 2) (Spearman's rho of the normal), so
// with independent parameters SRRC_j = (6 / pi) asin(rho_j / 2) and R^2 is the
// sum of their squares: rho_1 = 3 / sqrt(12.01), rho_2 = 0.1 / sqrt(12.01),
// rho_3 = 0.
struct LinearData {
    std::vector<std::string> names = {"x1", "x2", "x3"};
    std::vector<double> x;  // [replicate][parameter]
    std::vector<double> y;
};

LinearData linear_data(std::size_t n) {
    LinearData data;
    Numbers numbers(20240601);
    for (std::size_t r = 0; r < n; ++r) {
        const double x1 = numbers.normal(), x2 = numbers.normal(), x3 = numbers.normal();
        data.x.insert(data.x.end(), {x1, x2, x3});
        data.y.push_back(3.0 * x1 + 0.1 * x2 + std::sqrt(3.0) * numbers.normal());
    }
    return data;
}

double spearman_of_normal(double rho) { return 6.0 / std::numbers::pi * std::asin(rho / 2.0); }

TEST(AverageRanks, TiesShareTheMeanOfTheirRanks) {
    EXPECT_EQ(average_ranks({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
    EXPECT_EQ(average_ranks({3, 1, 2}), (std::vector<double>{3, 1, 2}));
    EXPECT_EQ(average_ranks({5, 5, 5}), (std::vector<double>{2, 2, 2}));
    EXPECT_EQ(average_ranks({2, 1, 2, 1, 2}), (std::vector<double>{4, 1.5, 4, 1.5, 4}));
    EXPECT_TRUE(average_ranks({}).empty());
}

TEST(RankRegression, LinearModelKnownAnswer) {
    const LinearData data = linear_data(20000);
    const DriverFit fit = rank_regression(data.x, data.names, data.y);
    ASSERT_TRUE(fit.ok()) << fit.reason;
    EXPECT_EQ(fit.replicates, 20000u);
    ASSERT_EQ(fit.parameters.size(), 3u);
    EXPECT_EQ(fit.parameters[0].name, "x1");
    EXPECT_EQ(fit.parameters[1].name, "x2");
    EXPECT_EQ(fit.parameters[2].name, "x3");
    const double s1 = spearman_of_normal(3.0 / std::sqrt(12.01));  // 0.8550
    const double s2 = spearman_of_normal(0.1 / std::sqrt(12.01));  // 0.0276
    // Sampling error of a coefficient with n = 20000: about (1 - R^2) / sqrt(n)
    // ~ 0.002 for x1 and 1 / sqrt(n) ~ 0.007 for the others; the tolerances
    // are about three of those.
    EXPECT_NEAR(fit.parameters[0].srrc, s1, 0.01);
    EXPECT_NEAR(fit.parameters[1].srrc, s2, 0.02);
    EXPECT_GT(fit.parameters[1].srrc, 0.0);  // the sign is right: 4 standard errors from 0
    EXPECT_NEAR(fit.parameters[2].srrc, 0.0, 0.02);
    EXPECT_NEAR(fit.r2, s1 * s1 + s2 * s2, 0.015);  // 0.7318
    for (const Driver& d : fit.parameters) EXPECT_EQ(d.share, d.srrc * d.srrc);
    EXPECT_TRUE(fit.constant.empty());
    EXPECT_TRUE(fit.aliased.empty());

    // A negative effect has a negative coefficient.
    std::vector<double> y = data.y;
    for (std::size_t r = 0; r < y.size(); ++r) y[r] -= 6.0 * data.x[r * 3 + 2];
    const DriverFit negative = rank_regression(data.x, data.names, y);
    ASSERT_TRUE(negative.ok());
    EXPECT_EQ(negative.parameters[0].name, "x3");
    EXPECT_LT(negative.parameters[0].srrc, -0.5);
    EXPECT_GT(find_driver(negative, "x1")->srrc, 0.3);
}

TEST(RankRegression, MonotoneTransformsLeaveTheRanksAlone) {
    const LinearData data = linear_data(3000);
    const DriverFit fit = rank_regression(data.x, data.names, data.y);
    ASSERT_TRUE(fit.ok());

    // exp() of the outcome, a cube of one parameter, an affine map of another:
    // the same ranks, so the same numbers, bit for bit.
    std::vector<double> y = data.y, x = data.x;
    for (double& v : y) v = std::exp(v / 4.0);
    for (std::size_t r = 0; r < y.size(); ++r) {
        x[r * 3] = x[r * 3] * x[r * 3] * x[r * 3];
        x[r * 3 + 1] = 1000.0 + 7.0 * x[r * 3 + 1];
    }
    const DriverFit same = rank_regression(x, data.names, y);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same.r2, fit.r2);
    ASSERT_EQ(same.parameters.size(), fit.parameters.size());
    for (std::size_t i = 0; i < fit.parameters.size(); ++i) {
        EXPECT_EQ(same.parameters[i].name, fit.parameters[i].name);
        EXPECT_EQ(same.parameters[i].srrc, fit.parameters[i].srrc);
    }

    // A decreasing transform of the outcome flips every sign, nothing else.
    for (double& v : y) v = -v;
    const DriverFit flipped = rank_regression(x, data.names, y);
    ASSERT_TRUE(flipped.ok());
    EXPECT_NEAR(flipped.r2, fit.r2, 1e-12);
    for (std::size_t i = 0; i < fit.parameters.size(); ++i) {
        EXPECT_EQ(flipped.parameters[i].name, fit.parameters[i].name);
        EXPECT_NEAR(flipped.parameters[i].srrc, -fit.parameters[i].srrc, 1e-12);
    }
}

TEST(RankRegression, TiesGetAverageRanks) {
    // One parameter: the SRRC is Spearman's rho with average ranks. Ranks of x
    // {1, 2.5, 2.5, 4, 5}, of y {1, 3, 2, 4, 5}: deviations {-2, -.5, -.5, 1, 2}
    // and {-2, 0, -1, 1, 2}, so rho = 9.5 / sqrt(9.5 * 10) = sqrt(0.95).
    const DriverFit fit = rank_regression({1, 2, 2, 3, 4}, {"x"}, {1, 3, 2, 4, 5});
    ASSERT_TRUE(fit.ok()) << fit.reason;
    ASSERT_EQ(fit.parameters.size(), 1u);
    EXPECT_NEAR(fit.parameters[0].srrc, std::sqrt(0.95), 1e-14);
    EXPECT_NEAR(fit.r2, 0.95, 1e-14);

    // Ties in the outcome too: y {1, 1, 2, 3, 3} ranks {1.5, 1.5, 3, 4.5, 4.5},
    // deviations {-1.5, -1.5, 0, 1.5, 1.5} (sum of squares 9); with x's
    // deviations the cross products sum to 3 + 0.75 + 0 + 1.5 + 3 = 8.25.
    const DriverFit both = rank_regression({1, 2, 2, 3, 4}, {"x"}, {1, 1, 2, 3, 3});
    ASSERT_TRUE(both.ok());
    EXPECT_NEAR(both.parameters[0].srrc, 8.25 / std::sqrt(9.5 * 9.0), 1e-14);
}

TEST(RankRegression, ConstantColumnsAreDropped) {
    const LinearData data = linear_data(500);
    std::vector<double> x;  // x1, a constant, x2, x3, another constant
    for (std::size_t r = 0; r < 500; ++r) {
        x.insert(x.end(), {data.x[r * 3], 0.25, data.x[r * 3 + 1], data.x[r * 3 + 2], -1.0});
    }
    const std::vector<std::string> names = {"x1", "fixed", "x2", "x3", "also_fixed"};
    const DriverFit fit = rank_regression(x, names, data.y);
    ASSERT_TRUE(fit.ok()) << fit.reason;
    EXPECT_EQ(fit.constant, (std::vector<std::string>{"fixed", "also_fixed"}));
    ASSERT_EQ(fit.parameters.size(), 3u);
    EXPECT_EQ(fit.parameters[0].name, "x1");
    EXPECT_EQ(find_driver(fit, "fixed"), nullptr);
    // The same fit as without those columns.
    const DriverFit without = rank_regression(data.x, data.names, data.y);
    EXPECT_NEAR(fit.r2, without.r2, 1e-12);
    EXPECT_NEAR(fit.parameters[0].srrc, without.parameters[0].srrc, 1e-12);

    // Constant over the replicates used: varying only where the outcome is NaN.
    std::vector<double> y = data.y;
    x = data.x;
    for (std::size_t r = 0; r < 500; ++r) x[r * 3 + 2] = r < 10 ? static_cast<double>(r) : 5.0;
    for (std::size_t r = 0; r < 10; ++r) y[r] = std::numeric_limits<double>::quiet_NaN();
    const DriverFit partly = rank_regression(x, data.names, y);
    ASSERT_TRUE(partly.ok());
    EXPECT_EQ(partly.replicates, 490u);
    EXPECT_EQ(partly.constant, (std::vector<std::string>{"x3"}));
}

TEST(RankRegression, ReplicatesWithANaNAreLeftOut) {
    const LinearData data = linear_data(400);
    std::vector<double> x = data.x, y = data.y;
    x[5 * 3 + 1] = std::numeric_limits<double>::quiet_NaN();
    y[17] = std::numeric_limits<double>::quiet_NaN();
    const DriverFit fit = rank_regression(x, data.names, y);
    ASSERT_TRUE(fit.ok());
    EXPECT_EQ(fit.replicates, 398u);
    // The same as the fit on the other 398 replicates.
    std::vector<double> x_kept, y_kept;
    for (std::size_t r = 0; r < 400; ++r) {
        if (r == 5 || r == 17) continue;
        x_kept.insert(x_kept.end(), data.x.begin() + static_cast<std::ptrdiff_t>(r * 3),
                      data.x.begin() + static_cast<std::ptrdiff_t>(r * 3 + 3));
        y_kept.push_back(data.y[r]);
    }
    const DriverFit kept = rank_regression(x_kept, data.names, y_kept);
    EXPECT_EQ(fit.r2, kept.r2);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(fit.parameters[i].srrc, kept.parameters[i].srrc);
}

TEST(RankRegression, SeveralOutcomesFitLikeOneAtATime) {
    const LinearData data = linear_data(700);
    std::vector<double> other = data.y, gappy = data.y;
    for (std::size_t r = 0; r < other.size(); ++r) other[r] = data.x[r * 3 + 1] - 0.5 * other[r];
    gappy[11] = std::numeric_limits<double>::quiet_NaN();  // other replicates: ranked afresh
    const std::vector<DriverFit> fits = rank_regressions(data.x, data.names, {data.y, other, gappy, data.y});
    ASSERT_EQ(fits.size(), 4u);
    const std::vector<std::vector<double>> outcomes = {data.y, other, gappy, data.y};
    for (std::size_t k = 0; k < 4; ++k) {
        const DriverFit alone = rank_regression(data.x, data.names, outcomes[k]);
        EXPECT_EQ(fits[k].replicates, alone.replicates);
        EXPECT_EQ(fits[k].r2, alone.r2);
        ASSERT_EQ(fits[k].parameters.size(), alone.parameters.size());
        for (std::size_t i = 0; i < alone.parameters.size(); ++i) {
            EXPECT_EQ(fits[k].parameters[i].name, alone.parameters[i].name);
            EXPECT_EQ(fits[k].parameters[i].srrc, alone.parameters[i].srrc);
        }
    }
    EXPECT_EQ(fits[2].replicates, 699u);
    EXPECT_EQ(fits[1].parameters[0].name, "x1");
    EXPECT_LT(fits[1].parameters[0].srrc, 0.0);
}

TEST(RankRegression, TooFewReplicatesOrNothingToFit) {
    // p = 3 uncertain parameters need at least 5 replicates.
    const LinearData data = linear_data(5);
    const std::vector<double> x4(data.x.begin(), data.x.begin() + 12), y4(data.y.begin(), data.y.begin() + 4);
    const DriverFit four = rank_regression(x4, data.names, y4);
    EXPECT_FALSE(four.ok());
    EXPECT_TRUE(four.parameters.empty());
    EXPECT_TRUE(std::isnan(four.r2));
    EXPECT_EQ(four.reason, "too few replicates: 4 replicates for 3 uncertain parameters (a fit needs at least 5)");
    EXPECT_TRUE(rank_regression(data.x, data.names, data.y).ok());

    const DriverFit none = rank_regression({}, {}, {1, 2, 3});
    EXPECT_EQ(none.reason, "no uncertain parameter");
    const DriverFit fixed = rank_regression({1, 1, 1}, {"a"}, {1, 2, 3});
    EXPECT_EQ(fixed.reason, "no uncertain parameter");
    EXPECT_EQ(fixed.constant, (std::vector<std::string>{"a"}));
    const DriverFit flat = rank_regression({1, 2, 3}, {"a"}, {4, 4, 4});
    EXPECT_EQ(flat.reason, "the outcome is the same in every replicate");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const DriverFit empty = rank_regression({1, 2}, {"a"}, {nan, nan});
    EXPECT_EQ(empty.reason, "no replicate has a value");
    EXPECT_EQ(empty.replicates, 0u);
    EXPECT_TRUE(rank_regression({}, {}, {}).reason == "no replicate has a value");

    EXPECT_THROW(rank_regression({1, 2, 3}, {"a", "b"}, {1, 2}), std::invalid_argument);
}

TEST(RankRegression, AliasedColumnsAreLeftOut) {
    // "twice" is an increasing function of x1, so its ranks are x1's: no
    // regression can tell the two apart. One of them is left out.
    const LinearData data = linear_data(1000);
    std::vector<double> x;
    for (std::size_t r = 0; r < 1000; ++r) {
        x.insert(x.end(), {data.x[r * 3], data.x[r * 3 + 1], 2.0 * data.x[r * 3] + 1.0});
    }
    const DriverFit fit = rank_regression(x, {"x1", "x2", "twice"}, data.y);
    ASSERT_TRUE(fit.ok()) << fit.reason;
    ASSERT_EQ(fit.aliased.size(), 1u);
    EXPECT_TRUE(fit.aliased[0] == "x1" || fit.aliased[0] == "twice") << fit.aliased[0];
    ASSERT_EQ(fit.parameters.size(), 2u);
    EXPECT_NE(fit.parameters[0].name, "x2");
    EXPECT_GT(fit.parameters[0].srrc, 0.8);
    EXPECT_TRUE(std::isfinite(fit.r2));
}

// ---------------------------------------------------------------------------
// The summary: a file of 60 replicates in which the cumulative deficit at the
// horizon is 10 a + b and spend in the final year -b + 0.1 c (a, b, c the
// draws), with a fourth parameter fixed; "target" has no parameters.

class Drivers : public ScratchDir {};

RunInfo drivers_info(std::int64_t replicates = 60) {
    RunInfo info = small_info(replicates);
    info.variants = {"baseline", "target"};
    info.levels = {"none", "target"};
    info.compare_to = {"", "baseline"};
    info.parameter_names = {{"a", "b", "c", "fixed"}, {}};
    return info;
}

void write_drivers(const std::string& path, const RunInfo& info) {
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    Numbers numbers(7);
    const std::size_t years = info.years.size();
    for (std::size_t r = 0; r < static_cast<std::size_t>(info.replicates); ++r) {
        const double a = numbers.uniform(), b = numbers.uniform(), c = numbers.uniform();
        auto& draws = block.variants[0].parameters;
        draws[r * 4] = a;
        draws[r * 4 + 1] = b;
        draws[r * 4 + 2] = c;
        draws[r * 4 + 3] = 0.5;
        block.variants[0].metrics[m_cumulative_deficit][r * years + years - 1] = 10 * a + b;
        block.variants[0].metrics[m_spend][r * years + years - 1] = -b + 0.1 * c;
    }
    ResultWriter writer(path, info, false);
    writer.write(block);
    writer.finish();
}

std::string printed(const Summary& summary, SummaryFormat format, bool drivers) {
    std::ostringstream out;
    PrintOptions options;
    options.drivers = drivers;
    print_summary(summary, format, out, options);
    return out.str();
}

TEST_F(Drivers, SummaryRanksTheParametersOfEachVariant) {
    const RunInfo info = drivers_info();
    write_drivers(path("run.h5"), info);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const DriversSummary& drivers = summary.drivers;
    ASSERT_TRUE(drivers.computed);
    EXPECT_EQ(drivers.year, 2026);
    ASSERT_EQ(drivers.variants.size(), 2u);
    EXPECT_EQ(drivers.variants[0].variant, "baseline");

    const DriverFit& deficit = drivers.variants[0].cumulative_deficit;
    ASSERT_TRUE(deficit.ok()) << deficit.reason;
    EXPECT_EQ(deficit.replicates, 60u);
    EXPECT_EQ(deficit.constant, (std::vector<std::string>{"fixed"}));
    ASSERT_EQ(deficit.parameters.size(), 3u);
    EXPECT_EQ(deficit.parameters[0].name, "a");
    EXPECT_GT(deficit.parameters[0].srrc, 0.9);
    EXPECT_EQ(deficit.parameters[1].name, "b");
    EXPECT_GT(deficit.parameters[1].srrc, 0.0);

    const DriverFit& spend = drivers.variants[0].spend;
    ASSERT_TRUE(spend.ok());
    EXPECT_EQ(spend.parameters[0].name, "b");
    EXPECT_LT(spend.parameters[0].srrc, -0.9);
    EXPECT_EQ(spend.parameters[1].name, "c");
    EXPECT_GT(spend.parameters[1].srrc, 0.0);

    // The pure function on the same columns gives the same fit.
    const ResultReader reader(path("run.h5"));
    const std::vector<double> draws = reader.read_parameters("baseline");
    const std::vector<double> values = reader.read_metric("baseline", m_cumulative_deficit);
    std::vector<double> horizon;
    for (std::size_t r = 0; r < 60; ++r) horizon.push_back(values[r * 4 + 3]);
    const DriverFit direct = rank_regression(draws, info.parameter_names[0], horizon);
    EXPECT_EQ(direct.r2, deficit.r2);
    EXPECT_EQ(direct.parameters[0].srrc, deficit.parameters[0].srrc);

    EXPECT_EQ(drivers.variants[1].cumulative_deficit.reason, "no uncertain parameter");
    EXPECT_EQ(drivers.variants[1].spend.reason, "no uncertain parameter");
}

TEST_F(Drivers, TableCsvAndJson) {
    write_drivers(path("run.h5"), drivers_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const DriverFit& deficit = summary.drivers.variants[0].cumulative_deficit;

    const std::string table = printed(summary, SummaryFormat::table, true);
    EXPECT_NE(table.find("== What drives the spread: standardised rank regression coefficients (SRRC) =="),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("baseline: cumulative deficit at the end of 2025-26 (60 replicates, R2 = "), std::string::npos)
        << table;
    EXPECT_NE(table.find("baseline: spend in 2025-26 (60 replicates, R2 = "), std::string::npos) << table;
    EXPECT_NE(table.find("1 - R2"), std::string::npos);
    EXPECT_NE(table.find("left out, the same in every replicate: fixed"), std::string::npos) << table;
    EXPECT_NE(table.find("target: cumulative deficit at the end of 2025-26: no drivers (no uncertain parameter)"),
              std::string::npos)
        << table;
    EXPECT_EQ(table.find("== baseline =="), std::string::npos);  // instead of the per-variant tables
    EXPECT_EQ(printed(summary, SummaryFormat::table, false).find("What drives"), std::string::npos);

    const std::string csv = printed(summary, SummaryFormat::csv, true);
    std::istringstream lines(csv);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "variant,output,year,rank,parameter,srrc,share,r2");
    std::getline(lines, line);
    EXPECT_EQ(line.rfind("baseline,cumulative_deficit,2026,1,a,", 0), 0u) << line;
    std::size_t rows = 1;
    while (std::getline(lines, line)) ++rows;
    EXPECT_EQ(rows, 6u);  // three parameters for each of the two outcomes; none for "target"
    // The numbers read back exactly.
    const std::string srrc_text = csv.substr(csv.find("2026,1,a,") + 9);
    EXPECT_EQ(std::strtod(srrc_text.c_str(), nullptr), deficit.parameters[0].srrc);

    // JSON: always for a Monte Carlo file, with the agreed shape.
    const std::string text = printed(summary, SummaryFormat::json, false);
    EXPECT_EQ(text.find("nan"), std::string::npos);
    EXPECT_EQ(text, printed(summary, SummaryFormat::json, true));
    const Json json = parse_json(text);
    EXPECT_EQ(keys_of(json).back(), "drivers");
    const Json& d = json["drivers"];
    EXPECT_EQ(keys_of(d), (std::vector<std::string>{"method", "variants"}));
    EXPECT_EQ(d["method"], "standardised rank regression coefficients (SRRC)");
    EXPECT_EQ(keys_of(d["variants"]), (std::vector<std::string>{"baseline", "target"}));
    const Json& b = d["variants"]["baseline"];
    EXPECT_EQ(keys_of(b), (std::vector<std::string>{"cumulative_deficit", "spend"}));
    for (const auto& [key, first] : {std::pair{"cumulative_deficit", "a"}, std::pair{"spend", "b"}}) {
        const Json& o = b[key];
        EXPECT_EQ(keys_of(o), (std::vector<std::string>{"year", "replicates", "r2", "parameters"})) << key;
        EXPECT_EQ(o["year"], 2026);
        EXPECT_EQ(o["replicates"], 60);
        EXPECT_GT(o["r2"].get<double>(), 0.0);
        EXPECT_LE(o["r2"].get<double>(), 1.0);
        const Json& p = o["parameters"];
        ASSERT_EQ(p.size(), 3u) << key;
        EXPECT_EQ(p[0]["name"], first);
        for (std::size_t i = 0; i < p.size(); ++i) {
            EXPECT_EQ(keys_of(p[i]), (std::vector<std::string>{"name", "srrc", "share"}));
            const double srrc = p[i]["srrc"].get<double>();
            EXPECT_EQ(p[i]["share"].get<double>(), srrc * srrc);  // doubles read back exactly
            if (i > 0) {
                EXPECT_GE(std::fabs(p[i - 1]["srrc"].get<double>()), std::fabs(srrc));
            }
        }
    }
    EXPECT_EQ(b["cumulative_deficit"]["parameters"][0]["srrc"].get<double>(), deficit.parameters[0].srrc);
    EXPECT_EQ(d["variants"]["target"],
              Json::parse(R"({"cumulative_deficit": null, "spend": null, "reason": "no uncertain parameter"})"));
}

TEST_F(Drivers, TooFewReplicatesGiveNullWithAReason) {
    write_drivers(path("run.h5"), drivers_info(4));  // 3 uncertain parameters need 5
    const Summary summary = summarise(ResultReader(path("run.h5")));
    ASSERT_TRUE(summary.drivers.computed);
    const std::string reason = "too few replicates: 4 replicates for 3 uncertain parameters (a fit needs at least 5)";
    EXPECT_EQ(summary.drivers.variants[0].cumulative_deficit.reason, reason);
    const Json json = parse_json(printed(summary, SummaryFormat::json, false));
    EXPECT_EQ(json["drivers"]["variants"]["baseline"],
              Json({{"cumulative_deficit", nullptr}, {"spend", nullptr}, {"reason", reason}}));
    EXPECT_NE(printed(summary, SummaryFormat::table, true)
                  .find("baseline: cumulative deficit at the end of 2025-26: no drivers (" + reason + ")"),
              std::string::npos);
    EXPECT_EQ(printed(summary, SummaryFormat::csv, true), "variant,output,year,rank,parameter,srrc,share,r2\n");
}

TEST_F(Drivers, DeterministicFileHasNone) {
    RunInfo info = drivers_info(1);
    info.mode = "deterministic";
    write_drivers(path("run.h5"), info);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_FALSE(summary.drivers.computed);
    EXPECT_TRUE(summary.drivers.variants.empty());
    EXPECT_FALSE(summary.drivers.reason.empty());
    EXPECT_EQ(printed(summary, SummaryFormat::json, false).find("\"drivers\""), std::string::npos);
    const Json json = parse_json(printed(summary, SummaryFormat::json, true));
    EXPECT_EQ(keys_of(json).back(), "drivers");
    EXPECT_TRUE(json["drivers"].is_null());
    EXPECT_NE(printed(summary, SummaryFormat::table, true).find("No drivers: a deterministic projection"),
              std::string::npos);
    EXPECT_EQ(printed(summary, SummaryFormat::csv, true), "variant,output,year,rank,parameter,srrc,share,r2\n");
}

TEST_F(Drivers, CsvHoldsOneTable) {
    write_drivers(path("run.h5"), drivers_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    std::ostringstream out;
    PrintOptions options;
    options.drivers = true;
    options.places = true;
    EXPECT_THROW(print_summary(summary, SummaryFormat::csv, out, options), std::invalid_argument);
    EXPECT_NO_THROW(print_summary(summary, SummaryFormat::table, out, options));  // both views, one after the other
}

}  // namespace
}  // namespace ehcpsim
