// Helpers for the output module's tests: a scratch directory, a small
// synthetic run and results whose every value is known.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "ehcpsim/output.h"
#include "ehcpsim/results.h"

namespace ehcpsim::output_testing {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class ScratchDir : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("ehcpsim_output_" + std::to_string(::getpid()) + "_" + test->test_suite_name() + "_" + test->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    std::vector<std::string> listing() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
        return names;
    }
    fs::path dir_;
};

inline RunInfo small_info(std::int64_t replicates = 10) {
    RunInfo info;
    info.scenario_name = "Synthetic \"test\" scenario";
    info.mode = "monte_carlo";
    info.seed = 18446744073709551557ULL;  // above 2^63: the attribute must be unsigned
    info.replicates = replicates;
    info.engine_version = "0.1.0-test";
    info.years = {2023, 2024, 2025, 2026};
    info.placements = {"mainstream", "mss", "inmss"};
    info.needs = {"ASD", "SEMH"};
    info.phases = {"primary", "secondary"};
    info.variants = {"baseline", "target"};
    info.parameter_names = {{"demand.growth", "cease.rate.primary.mainstream", "funding.known.2024"}, {}};
    info.sources = {{"halton.toml", "[scenario]\nname = \"Synthetic\"\n# £ and ü survive\n"},
                    {"data/stock.csv", "age,need,placement,count\n5,ASD,mss,3\n"},
                    {"data_stock.csv", "a clash with data/stock.csv once '/' becomes '_'\n"}};
    return info;
}

inline Shape shape_of(const RunInfo& info) { return info.shape(); }

// Every field of two run descriptions, each named when it differs: the file
// tests' check that a description survives writing, reading and merging.
inline void expect_same_info(const RunInfo& a, const RunInfo& b) {
    EXPECT_EQ(a.scenario_name, b.scenario_name);
    EXPECT_EQ(a.mode, b.mode);
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.replicates, b.replicates);
    EXPECT_EQ(a.first_replicate, b.first_replicate);
    EXPECT_EQ(a.total_replicates, b.total_replicates);
    EXPECT_EQ(a.engine_version, b.engine_version);
    EXPECT_EQ(a.years, b.years);
    EXPECT_EQ(a.placements, b.placements);
    EXPECT_EQ(a.needs, b.needs);
    EXPECT_EQ(a.phases, b.phases);
    EXPECT_EQ(a.variants, b.variants);
    EXPECT_EQ(a.levels, b.levels);
    EXPECT_EQ(a.compare_to, b.compare_to);
    EXPECT_EQ(a.common_random_numbers, b.common_random_numbers);
    EXPECT_EQ(a.fixed_parameters, b.fixed_parameters);
    EXPECT_EQ(a.phase_detail, b.phase_detail);
    EXPECT_EQ(a.plan_detail, b.plan_detail);
    EXPECT_EQ(a.ages, b.ages);
    ASSERT_EQ(a.adjustments.size(), b.adjustments.size());
    for (std::size_t v = 0; v < a.adjustments.size(); ++v) {
        ASSERT_EQ(a.adjustments[v].size(), b.adjustments[v].size());
        for (std::size_t i = 0; i < a.adjustments[v].size(); ++i) {
            const auto &x = a.adjustments[v][i], &y = b.adjustments[v][i];
            EXPECT_EQ(x.name, y.name);
            EXPECT_EQ(x.kind, y.kind);
            EXPECT_EQ(x.year, y.year);
            EXPECT_TRUE(x.amount == y.amount || (std::isnan(x.amount) && std::isnan(y.amount))) << x.name;
        }
    }
    EXPECT_EQ(a.parameter_names, b.parameter_names);
    EXPECT_EQ(a.specialist, b.specialist);
    ASSERT_EQ(a.sources.size(), b.sources.size());
    for (std::size_t i = 0; i < a.sources.size(); ++i) {
        EXPECT_EQ(a.sources[i].path, b.sources[i].path);
        EXPECT_EQ(a.sources[i].text, b.sources[i].text);
    }
    ASSERT_EQ(a.capacity.size(), b.capacity.size());
    for (std::size_t v = 0; v < a.capacity.size(); ++v) {
        ASSERT_EQ(a.capacity[v].size(), b.capacity[v].size());
        for (std::size_t i = 0; i < a.capacity[v].size(); ++i) {
            EXPECT_EQ(a.capacity[v][i].placement, b.capacity[v][i].placement);
            EXPECT_EQ(a.capacity[v][i].phase, b.capacity[v][i].phase);
            EXPECT_EQ(a.capacity[v][i].overflow, b.capacity[v][i].overflow);
            EXPECT_EQ(a.capacity[v][i].places, b.capacity[v][i].places);
        }
    }
}

// Every value is a sum of dyadic fractions, exact in binary, so Python can
// compute the same numbers. Flows are NaN in the base year.
inline double synthetic_value(std::size_t variant, int metric, std::int64_t replicate, std::size_t year,
                              std::size_t extra) {
    if (metric_catalogue()[static_cast<std::size_t>(metric)].flow && year == 0) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    return static_cast<double>(variant) * 1e6 + metric * 1e4 + static_cast<double>(replicate) +
           static_cast<double>(year) * 0.25 + static_cast<double>(extra) * 0.0625;
}

inline double synthetic_parameter(std::size_t variant, std::int64_t replicate, std::size_t parameter) {
    return static_cast<double>(variant) * 100 + static_cast<double>(replicate) * 0.5 + static_cast<double>(parameter);
}

inline ResultBlock synthetic_block(const RunInfo& info, std::int64_t first, std::int64_t count) {
    const Shape shape = shape_of(info);
    std::vector<std::size_t> parameters;
    for (const auto& names : info.parameter_names) parameters.push_back(names.size());
    ResultBlock block;
    block.allocate(shape, first, count, parameters);
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        for (int m = 0; m < metric_count; ++m) {
            const std::size_t per_replicate = shape.values_per_replicate(m);
            const std::size_t extra = per_replicate / info.years.size();
            auto& values = block.variants[v].metrics[static_cast<std::size_t>(m)];
            for (std::int64_t r = 0; r < count; ++r) {
                for (std::size_t y = 0; y < info.years.size(); ++y) {
                    for (std::size_t e = 0; e < extra; ++e) {
                        values[static_cast<std::size_t>(r) * per_replicate + y * extra + e] =
                            synthetic_value(v, m, first + r, y, e);
                    }
                }
            }
        }
        const std::size_t n = parameters[v];
        for (std::int64_t r = 0; r < count; ++r) {
            for (std::size_t p = 0; p < n; ++p) {
                block.variants[v].parameters[static_cast<std::size_t>(r) * n + p] = synthetic_parameter(v, first + r, p);
            }
        }
    }
    return block;
}

// Writes the whole synthetic run in the given blocks, in the given order.
inline void write_synthetic(const std::string& path, const RunInfo& info,
                            const std::vector<std::pair<std::int64_t, std::int64_t>>& blocks, bool overwrite = false) {
    ResultWriter writer(path, info, overwrite);
    for (const auto& [first, count] : blocks) writer.write(synthetic_block(info, first, count));
    writer.finish();
}

// A DBV-shaped run of 4 replicates: two bounds, "baseline" (with "target"
// and "stretch" compared with it) and "upper" (with "upper_target"). Every
// value is synthetic except the cumulative deficit at the horizon, set to
// the hand-computed cases of dbv_horizon_deficit().
inline RunInfo dbv_info() {
    RunInfo info = small_info(4);
    info.variants = {"baseline", "target", "stretch", "upper", "upper_target"};
    info.levels = {"none", "target", "stretch", "none", "target"};
    info.compare_to = {"", "baseline", "baseline", "", "upper"};
    info.common_random_numbers = true;
    info.parameter_names = {{"demand.growth"}, {"demand.growth"}, {}, {}, {}};
    return info;
}

// [variant][replicate]: baseline - target = {2, 3, 4, 5}, baseline - stretch
// = {3, 5, 6, 7}, target - stretch = {1, 2, 2, 2}, upper - upper_target = 10
// in every replicate (so the variance of the difference is 0).
inline const std::vector<std::vector<double>>& dbv_horizon_deficit() {
    static const std::vector<std::vector<double>> values = {
        {10, 20, 30, 40}, {8, 17, 26, 35}, {7, 15, 24, 33}, {100, 110, 120, 130}, {90, 100, 110, 120}};
    return values;
}

// The expected-value projection's cumulative deficit at the horizon.
inline const std::vector<double>& dbv_expected_horizon() {
    static const std::vector<double> values = {25, 21, 19.5, 115, 105};
    return values;
}

inline ResultBlock dbv_block(const RunInfo& info) {
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    const std::size_t years = info.years.size();
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        auto& deficit = block.variants[v].metrics[m_cumulative_deficit];
        for (std::size_t r = 0; r < static_cast<std::size_t>(info.replicates); ++r) {
            deficit[r * years + years - 1] = dbv_horizon_deficit()[v][r];
        }
    }
    return block;
}

// The expected values: synthetic replicate 0 plus 1000.5, except the
// cumulative deficit at the horizon.
inline ResultBlock dbv_expected(const RunInfo& info) {
    ResultBlock block = synthetic_block(info, 0, 1);
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        for (auto& values : block.variants[v].metrics) {
            for (double& x : values) x += 1000.5;
        }
        block.variants[v].metrics[m_cumulative_deficit].back() = dbv_expected_horizon()[v];
    }
    return block;
}

inline void write_dbv(const std::string& path, const RunInfo& info, bool with_expected) {
    ResultWriter writer(path, info, false);
    if (with_expected) writer.write_expected(dbv_expected(info));
    writer.write(dbv_block(info));
    writer.finish();
}

// ---------------------------------------------------------------------------
// Place planning: 5 replicates, four variants. "baseline" caps mss (none in
// 2023, 100 places in 2024 and 2025, 110 in 2026; overflow to inmss);
// "target" caps mss only from 2026 (200 places) and has no inmss pupils in
// 2025; "phased" caps the secondary ages of mss (60 places from 2024), then
// its primary ages (40, 40, 45 from 2024), both overflowing to inmss, in that
// processing order; "uncapped" caps nothing. Demand, overflow and unit costs
// are the same in every variant (only the capacities and the missing inmss
// pupils differ); every other value is synthetic. The hand-computed
// statistics are in test_output_places.cpp.

constexpr double no_limit = std::numeric_limits<double>::infinity();

inline RunInfo places_info() {
    RunInfo info = small_info(5);
    info.variants = {"baseline", "target", "phased", "uncapped"};
    info.parameter_names = {{}, {}, {}, {}};
    using Entry = RunInfo::CapacityEntry;
    info.capacity = {{Entry{1, -1, 2, {no_limit, 100, 100, 110}}},
                     {Entry{1, -1, 2, {no_limit, no_limit, no_limit, 200}}},
                     {Entry{1, 1, 2, {no_limit, 60, 60, 60}}, Entry{1, 0, 2, {no_limit, 40, 40, 45}}},
                     {}};
    info.specialist = {{1, 2}, {1, 2}, {1, 2}, {}};
    return info;
}

// [year][replicate] demand for mss, overflow out of mss (NaN in the base year).
inline const std::vector<std::vector<double>>& places_demand() {
    static const std::vector<std::vector<double>> values = {
        {90, 92, 94, 96, 98}, {95, 100, 101, 99, 104}, {100, 103, 108, 101, 99}, {105, 111, 120, 109, 110}};
    return values;
}

inline const std::vector<std::vector<double>>& places_overflow() {
    static const std::vector<std::vector<double>> values = {
        std::vector<double>(5, std::numeric_limits<double>::quiet_NaN()), {0, 0, 1, 0, 4}, {0, 3, 8, 1, 0},
        {0, 1, 10, 0, 0}};
    return values;
}

// [year][replicate] demand for mss of primary age; the secondary ages have
// the rest of places_demand().
inline const std::vector<std::vector<double>>& places_primary_demand() {
    static const std::vector<std::vector<double>> values = {
        {35, 36, 37, 38, 39}, {38, 41, 40, 42, 44}, {40, 44, 39, 40, 41}, {45, 47, 52, 44, 50}};
    return values;
}

// [phase][year][replicate] overflow out of mss by phase (NaN in the base year).
inline const std::vector<std::vector<std::vector<double>>>& places_phase_overflow() {
    const std::vector<double> none(5, std::numeric_limits<double>::quiet_NaN());
    static const std::vector<std::vector<std::vector<double>>> values = {
        {none, {0, 1, 0, 2, 4}, {0, 4, 0, 0, 1}, {0, 2, 7, 0, 5}},
        {none, {0, 0, 1, 0, 0}, {0, 0, 9, 1, 0}, {0, 4, 8, 5, 0}}};
    return values;
}

// Unit costs in replicate r: mss 25000 + 1000 r, inmss 60000 + 2000 r^2.
inline double places_unit_cost(std::size_t placement, std::size_t r) {
    const auto x = static_cast<double>(r);
    return placement == 1 ? 25000 + 1000 * x : 60000 + 2000 * x * x;
}

inline ResultBlock places_block(const RunInfo& info) {
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    const std::size_t years = info.years.size();
    const std::size_t placements = info.placements.size();
    const std::size_t phases = info.phases.size();
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        auto& metrics = block.variants[v].metrics;
        for (std::size_t r = 0; r < static_cast<std::size_t>(info.replicates); ++r) {
            for (std::size_t y = 0; y < years; ++y) {
                const std::size_t at = (r * years + y) * placements;
                metrics[m_demand_by_placement][at + 1] = places_demand()[y][r];
                metrics[m_overflow_by_placement][at + 1] = places_overflow()[y][r];
                for (std::size_t k = 0; k < phases; ++k) {
                    const std::size_t cell = (at + 1) * phases + k;  // [r, y, mss, k]
                    const double primary = places_primary_demand()[y][r];
                    metrics[m_demand_by_placement_phase][cell] = k == 0 ? primary : places_demand()[y][r] - primary;
                    metrics[m_overflow_by_placement_phase][cell] = places_phase_overflow()[k][y][r];
                }
                for (std::size_t p : {std::size_t{1}, std::size_t{2}}) {
                    double stock = 100;
                    // No inmss pupils: in replicate 2 in 2026 (baseline), in every replicate in 2025 (target).
                    if (p == 2 && ((v == 0 && r == 2 && y == 3) || (v == 1 && y == 2))) stock = 0;
                    metrics[m_stock_by_placement][at + p] = stock;
                    metrics[m_spend_by_placement][at + p] = stock * places_unit_cost(p, r);
                }
                // SCAP: r + 10 phase + 100 year, except 2024 primary.
                for (std::size_t k = 0; k < phases; ++k) {
                    metrics[m_specialist_demand_by_phase][(r * years + y) * phases + k] =
                        static_cast<double>(r + 10 * k + 100 * y);
                }
                if (y == 1) {
                    const double primary[] = {10, 12, 11, 15, 13};
                    metrics[m_specialist_demand_by_phase][(r * years + y) * phases] = primary[r];
                }
            }
        }
    }
    return block;
}

inline void write_places(const std::string& path, const RunInfo& info) {
    ResultWriter writer(path, info, false);
    writer.write(places_block(info));
    writer.finish();
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

constexpr const char* system_python = "/usr/bin/python3";

inline bool have_python_module(const std::string& module) {
    if (!fs::exists(system_python)) return false;
    const std::string command = std::string(system_python) + " -c 'import " + module + "' >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
}

// Runs a Python script with arguments; returns exit status and output (stdout+stderr).
inline std::pair<int, std::string> run_python(const std::string& script_path, const std::string& arguments,
                                              const std::string& output_path) {
    const std::string command =
        std::string(system_python) + " " + script_path + " " + arguments + " >" + output_path + " 2>&1";
    const int status = std::system(command.c_str());
    return {status, read_file(output_path)};
}

// A scratch directory and Debian's Python: skip when a module is missing, run
// a check script and fail the test with its output when it fails.
class PythonTest : public ScratchDir {
protected:
    void require(const std::string& modules) {
        if (!have_python_module(modules)) GTEST_SKIP() << system_python << " cannot import " << modules;
    }
    std::string run(const std::string& script, const std::string& arguments) {
        write_text(path("check.py"), script);
        const auto [status, output] = run_python(path("check.py"), arguments, path("python.out"));
        EXPECT_EQ(status, 0) << output;
        return output;
    }
};

}  // namespace ehcpsim::output_testing
