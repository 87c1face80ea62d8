// Capacity, overflow and specialist placements in the file; the place-planning
// summary and the SCAP export against hand-computed values (places_info() in
// output_test_support.h).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

class Places : public ScratchDir {};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string printed(const Summary& summary, SummaryFormat format, PrintOptions options = {}) {
    std::ostringstream out;
    print_summary(summary, format, out, options);
    return out.str();
}

PrintOptions places_option() {
    PrintOptions options;
    options.places = true;
    return options;
}

PrintOptions scap_option() {
    PrintOptions options;
    options.scap = true;
    return options;
}

// Equal, or both NaN.
void expect_series(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(want[i])) {
            EXPECT_TRUE(std::isnan(got[i])) << what << "[" << i << "] = " << got[i];
        } else {
            EXPECT_DOUBLE_EQ(got[i], want[i]) << what << "[" << i << "]";
        }
    }
}

// ---------------------------------------------------------------------------
// The file.

TEST_F(Places, CapacityOverflowSpecialistAndPhasesRoundTrip) {
    const RunInfo info = places_info();
    write_places(path("run.h5"), info);
    const ResultReader reader(path("run.h5"));
    const RunInfo& got = reader.info();
    EXPECT_EQ(got.phases, info.phases);
    ASSERT_EQ(got.capacity.size(), 3u);
    EXPECT_EQ(got.capacity[0], info.capacity[0]);
    EXPECT_EQ(got.capacity[1], info.capacity[1]);
    EXPECT_EQ(got.capacity[2], std::vector<double>(12, no_limit));  // left empty by the caller
    EXPECT_EQ(got.overflow, (std::vector<std::vector<int>>{{-1, 2, -1}, {-1, 2, -1}, {-1, -1, -1}}));
    EXPECT_EQ(got.specialist, (std::vector<std::vector<int>>{{1, 2}, {1, 2}, {}}));
    // The new metrics read back as written.
    const ResultBlock block = places_block(info);
    for (int m : {m_demand_by_placement, m_overflow_by_placement, m_specialist_demand_by_phase}) {
        const auto values = reader.read_metric("target", metric_catalogue()[static_cast<std::size_t>(m)].name);
        const auto& want = block.variants[1].metrics[static_cast<std::size_t>(m)];
        ASSERT_EQ(values.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_TRUE(values[i] == want[i] || (std::isnan(values[i]) && std::isnan(want[i]))) << m << " " << i;
        }
    }
    EXPECT_EQ(reader.read_metric("baseline", "specialist_demand_by_phase").size(), 5u * 4 * 2);
}

TEST_F(Places, WriterRefusesCapacityThatDoesNotFit) {
    const auto refused = [&](const RunInfo& info, const std::string& name) {
        EXPECT_THROW(ResultWriter(path(name), info, false), std::invalid_argument) << name;
    };
    RunInfo info = places_info();
    info.capacity.pop_back();  // not one per variant
    refused(info, "a.h5");
    info = places_info();
    info.capacity[0].pop_back();
    refused(info, "b.h5");
    info = places_info();
    info.capacity[0][4] = nan;
    refused(info, "c.h5");
    info = places_info();
    info.capacity[0][4] = -1;
    refused(info, "d.h5");
    info = places_info();
    info.overflow[0][1] = 1;  // into itself
    refused(info, "e.h5");
    info = places_info();
    info.overflow[0][1] = 3;
    refused(info, "f.h5");
    info = places_info();
    info.overflow[1] = {-1, 2};
    refused(info, "g.h5");
    info = places_info();
    info.specialist[0] = {1, 7};
    refused(info, "h.h5");
    EXPECT_TRUE(listing().empty());
}

// A file from before capacity and phases: no /phase, no capacity dataset,
// no overflow or specialist attribute, none of the three new metrics.
void strip_new_data(const std::string& file, const RunInfo& info, bool expected) {
    const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(id, 0);
    for (const auto& variant : info.variants) {
        const std::string group = "variants/" + variant;
        for (const char* name : {"demand_by_placement", "overflow_by_placement", "specialist_demand_by_phase",
                                 "capacity"}) {
            EXPECT_GE(H5Ldelete(id, (group + "/" + name).c_str(), H5P_DEFAULT), 0) << name;
            if (expected && std::string(name) != "capacity") {
                EXPECT_GE(H5Ldelete(id, (group + "/expected/" + name).c_str(), H5P_DEFAULT), 0) << name;
            }
        }
        EXPECT_GE(H5Adelete_by_name(id, group.c_str(), "overflow", H5P_DEFAULT), 0);
        EXPECT_GE(H5Adelete_by_name(id, group.c_str(), "specialist", H5P_DEFAULT), 0);
    }
    EXPECT_GE(H5Ldelete(id, "phase", H5P_DEFAULT), 0);
    H5Fclose(id);
}

TEST_F(Places, FileWithoutTheNewDataStillReadsAndSummarises) {
    const RunInfo info = places_info();
    {
        ResultWriter writer(path("run.h5"), info, false);
        ResultBlock expected = places_block(info);
        expected.count = 1;
        for (auto& variant : expected.variants) {
            for (std::size_t m = 0; m < variant.metrics.size(); ++m) {
                variant.metrics[m].resize(variant.metrics[m].size() / 5);
            }
        }
        writer.write_expected(expected);
        writer.write(places_block(info));
        writer.finish();
    }
    strip_new_data(path("run.h5"), info, true);
    const ResultReader reader(path("run.h5"));
    const RunInfo& got = reader.info();
    EXPECT_TRUE(got.phases.empty());
    ASSERT_EQ(got.capacity.size(), 3u);
    for (const auto& places : got.capacity) EXPECT_EQ(places, std::vector<double>(12, no_limit));
    EXPECT_EQ(got.overflow, std::vector<std::vector<int>>(3, {-1, -1, -1}));
    EXPECT_EQ(got.specialist, std::vector<std::vector<int>>(3));
    const auto demand = reader.read_metric("baseline", "demand_by_placement");
    ASSERT_EQ(demand.size(), 5u * 4 * 3);
    EXPECT_TRUE(std::all_of(demand.begin(), demand.end(), [](double x) { return std::isnan(x); }));
    EXPECT_TRUE(reader.read_metric("baseline", "specialist_demand_by_phase").empty());
    EXPECT_TRUE(reader.read_expected("baseline", "demand_by_placement").empty());

    const Summary summary = summarise(reader);
    EXPECT_FALSE(summary.has_capacity());
    ASSERT_EQ(summary.places.size(), 3u);
    for (const auto& variant : summary.places) EXPECT_TRUE(variant.placements.empty());
    EXPECT_TRUE(summary.scap.empty());
    const std::string json = printed(summary, SummaryFormat::json);
    EXPECT_EQ(json.find("\"places\""), std::string::npos);
    EXPECT_NE(json.find("\"demand_by_placement[mss]\": {\"mean\": [null, null, null, null]"), std::string::npos);
    EXPECT_NE(printed(summary, SummaryFormat::json, places_option()).find("\"places\": {\n    \"baseline\": {},"),
              std::string::npos);
    EXPECT_NE(printed(summary, SummaryFormat::table, places_option()).find("No variant has a capped placement."),
              std::string::npos);
    EXPECT_EQ(lines_of(printed(summary, SummaryFormat::csv, places_option())).size(), 1u);
    EXPECT_EQ(printed(summary, SummaryFormat::csv, scap_option()), "variant,year,phase,mean,p50,p80,p95\n");
    EXPECT_FALSE(printed(summary, SummaryFormat::table).empty());
}

TEST_F(Places, CoreMetricsAreStillRequired) {
    write_synthetic(path("run.h5"), small_info(2), {{0, 2}});
    {
        const hid_t id = H5Fopen(path("run.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(id, 0);
        EXPECT_GE(H5Ldelete(id, "variants/target/spend", H5P_DEFAULT), 0);
        H5Fclose(id);
    }
    EXPECT_THROW(ResultReader(path("run.h5")).read_metric("target", "spend"), RuntimeError);
}

// ---------------------------------------------------------------------------
// The statistics.

TEST(PlacesNeeded, RoundsUpToWholePlaces) {
    EXPECT_EQ(places_needed(101.6), 102.0);
    EXPECT_EQ(places_needed(104.0), 104.0);
    EXPECT_EQ(places_needed(104.00000000000001), 104.0);  // rounding noise of the interpolation
    EXPECT_EQ(places_needed(103.99999999999999), 104.0);
    EXPECT_EQ(places_needed(104.000001), 105.0);
    EXPECT_EQ(places_needed(0.0), 0.0);
    EXPECT_EQ(places_needed(0.2), 1.0);
    EXPECT_TRUE(std::isnan(places_needed(nan)));
}

TEST_F(Places, HandComputedStatistics) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_TRUE(summary.has_capacity());
    ASSERT_EQ(summary.places.size(), 3u);
    EXPECT_EQ(summary.places[0].variant, "baseline");
    EXPECT_EQ(summary.places[2].variant, "uncapped");
    EXPECT_TRUE(summary.places[2].placements.empty());
    ASSERT_EQ(summary.places[0].placements.size(), 1u);  // inmss takes the overflow but is not capped

    const PlacePlanning& mss = summary.places[0].placements[0];
    EXPECT_EQ(mss.placement, "mss");
    EXPECT_EQ(mss.overflow_to, "inmss");
    expect_series(mss.capacity, {no_limit, 100, 100, 110}, "capacity");
    // Demand per year over 5 replicates, sorted: {90, 92, 94, 96, 98},
    // {95, 99, 100, 101, 104}, {99, 100, 101, 103, 108}, {105, 109, 110, 111, 120}.
    // Type 7 with n = 5: h = 4p; p5 -> h 0.2, p10 -> 0.4, p25 -> 1, p75 -> 3,
    // p80 -> 3.2, p90 -> 3.6, p95 -> 3.8.
    expect_series(mss.demand_mean, {94, 99.8, 102.2, 111}, "mean");
    ASSERT_EQ(mss.demand.size(), summary_probabilities.size());
    expect_series(mss.demand[0], {90.4, 95.8, 99.2, 105.8}, "p5");
    expect_series(mss.demand[1], {90.8, 96.6, 99.4, 106.6}, "p10");
    expect_series(mss.demand[2], {92, 99, 100, 109}, "p25");
    expect_series(mss.demand[3], {94, 100, 101, 110}, "p50");
    expect_series(mss.demand[4], {96, 101, 103, 111}, "p75");
    expect_series(mss.demand[5], {97.2, 102.8, 106, 116.4}, "p90");
    expect_series(mss.demand[6], {97.6, 103.4, 107, 118.2}, "p95");
    // Needed places: p50, p80 (96.4, 101.6, 104, 112.8) and p95, rounded up.
    ASSERT_EQ(mss.needed.size(), 3u);
    EXPECT_EQ(mss.needed[0], (std::vector<double>{94, 100, 101, 110}));
    EXPECT_EQ(mss.needed[1], (std::vector<double>{97, 102, 104, 113}));
    EXPECT_EQ(mss.needed[2], (std::vector<double>{98, 104, 107, 119}));
    // Strictly above capacity: 2024 {101, 104}; 2025 {101, 103, 108}; 2026
    // {111, 120} (110 = capacity is not a shortfall). No limit in 2023.
    expect_series(mss.p_shortfall, {nan, 0.4, 0.6, 0.4}, "p_shortfall");
    EXPECT_EQ(mss.first_year_shortfall_likely, 2025);
    expect_series(mss.overflow_mean, {nan, 1.0, 2.4, 2.2}, "overflow_mean");
    // Extra cost a pupil: d_r = u_inmss - u_mss = 35000, 36000, 41000, 50000,
    // 63000 (r = 0..4). 2024: (1 x 41000 + 4 x 63000) / 5; 2025: (3 x 36000 +
    // 8 x 41000 + 50000) / 5; 2026: replicate 2 has no inmss pupils, so its
    // inmss unit cost is the mean over the others, (60000 + 62000 + 78000 +
    // 92000) / 4 = 73000: (36000 + 10 x (73000 - 27000)) / 5.
    expect_series(mss.overflow_extra_spend, {nan, 58600, 97200, 99200}, "overflow_extra_spend");

    const PlacePlanning& late = summary.places[1].placements.at(0);
    expect_series(late.capacity, {no_limit, no_limit, no_limit, 200}, "capacity");
    expect_series(late.p_shortfall, {nan, nan, nan, 0}, "p_shortfall");
    EXPECT_FALSE(late.first_year_shortfall_likely.has_value());
    expect_series(late.demand_mean, mss.demand_mean, "mean");  // demand does not depend on capacity
    // 2025: no inmss pupil in any replicate, so no unit cost: unknown. 2026:
    // every replicate has its own, (36000 + 10 x 41000) / 5.
    expect_series(late.overflow_extra_spend, {nan, 58600, nan, 89200}, "overflow_extra_spend");
}

TEST_F(Places, NoOverflowMeansNoExtraSpend) {
    RunInfo info = places_info();
    ResultBlock block = places_block(info);
    for (double& x : block.variants[1].metrics[m_overflow_by_placement]) {
        if (!std::isnan(x)) x = 0;
    }
    info.overflow[1] = {-1, -1, -1};  // capped, nowhere to overflow
    {
        ResultWriter writer(path("run.h5"), info, false);
        writer.write(block);
        writer.finish();
    }
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const PlacePlanning& plan = summary.places[1].placements.at(0);
    EXPECT_EQ(plan.overflow_to, "");
    expect_series(plan.overflow_mean, {nan, 0, 0, 0}, "overflow_mean");
    expect_series(plan.overflow_extra_spend, {nan, 0, 0, 0}, "overflow_extra_spend");
    const std::string json = printed(summary, SummaryFormat::json);
    EXPECT_NE(json.find("\"overflow_to\": null"), std::string::npos);
}

TEST_F(Places, ScapRowsAreWholePlaces) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    ASSERT_EQ(summary.scap.size(), 3u * 4 * 2);
    const ScapRow& row = summary.scap[2];  // baseline, 2024, primary
    EXPECT_EQ(row.variant, "baseline");
    EXPECT_EQ(row.year, 2024);
    EXPECT_EQ(row.phase, "primary");
    // {10, 11, 12, 13, 15}: mean 12.2; p50 12; p80 13.4 -> 14; p95 14.6 -> 15.
    EXPECT_DOUBLE_EQ(row.mean, 12.2);
    EXPECT_EQ(row.p50, 12);
    EXPECT_EQ(row.p80, 14);
    EXPECT_EQ(row.p95, 15);

    const auto lines = lines_of(printed(summary, SummaryFormat::csv, scap_option()));
    ASSERT_EQ(lines.size(), 1u + 3 * 4 * 2);
    EXPECT_EQ(lines[0], "variant,year,phase,mean,p50,p80,p95");
    // r + 10 phase + 100 year over r = 0..4: mean +2, p50 +2, p80 3.2 -> 4, p95 3.8 -> 4.
    EXPECT_EQ(lines[1], "baseline,2023,primary,2,2,4,4");
    EXPECT_EQ(lines[2], "baseline,2023,secondary,12,12,14,14");
    EXPECT_EQ(lines[3], "baseline,2024,primary,12.2,12,14,15");
    EXPECT_EQ(lines[4], "baseline,2024,secondary,112,112,114,114");
    EXPECT_EQ(lines[24], "uncapped,2026,secondary,312,312,314,314");
}

// ---------------------------------------------------------------------------
// Printing.

TEST_F(Places, CsvIsLongWithOneRowPerVariantPlacementAndYear) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const auto lines = lines_of(printed(summary, SummaryFormat::csv, places_option()));
    ASSERT_EQ(lines.size(), 1u + 2 * 4);  // baseline and target cap mss
    EXPECT_EQ(lines[0],
              "variant,placement,overflow_to,year,capacity,demand_mean,demand_p5,demand_p10,demand_p25,demand_p50,"
              "demand_p75,demand_p90,demand_p95,needed_p50,needed_p80,needed_p95,p_shortfall,overflow_mean,"
              "overflow_extra_spend,first_year_shortfall_likely");
    EXPECT_EQ(lines[1], "baseline,mss,inmss,2023,,94,90.4,90.8,92,94,96,97.2,97.6,94,97,98,,,,2025");
    EXPECT_EQ(lines[2].rfind("baseline,mss,inmss,2024,100,99.8,95.8,", 0), 0u) << lines[2];
    EXPECT_NE(lines[2].find(",100,102,104,0.4,1,58600,2025"), std::string::npos) << lines[2];
    EXPECT_EQ(lines[8].rfind("target,mss,inmss,2026,200,111,", 0), 0u) << lines[8];
    EXPECT_NE(lines[8].find(",0,2.2,89200,"), std::string::npos) << lines[8];
    EXPECT_EQ(lines[8].back(), ',');  // never likely: empty
}

TEST_F(Places, TableIsReadable) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const std::string table = printed(summary, SummaryFormat::table, places_option());
    for (const auto& line : lines_of(table)) {
        std::size_t width = 0;
        for (char c : line) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        EXPECT_LE(width, 120u) << line;
    }
    for (const char* text : {"Place planning", "baseline: mss (overflow to inmss); shortfall likely (P > 50%) from 2025",
                             "target: mss (overflow to inmss); shortfall likely (P > 50%) from no year", "capacity",
                             "none", "places for 80%", "P(demand > capacity)", "0.600", "[96, 103]",
                             "extra spend: mean £m", "0.06"}) {
        EXPECT_NE(table.find(text), std::string::npos) << text;
    }
    EXPECT_EQ(table.find("uncapped:"), std::string::npos);
    EXPECT_EQ(table.find("== baseline =="), std::string::npos);  // instead of the per-variant tables
    // With --dbv as well: both views.
    PrintOptions both = places_option();
    both.dbv = true;
    const std::string combined = printed(summary, SummaryFormat::table, both);
    EXPECT_NE(combined.find("DBV headline"), std::string::npos);
    EXPECT_LT(combined.find("DBV headline"), combined.find("Place planning"));
    // Without --places, the usual tables.
    EXPECT_EQ(printed(summary, SummaryFormat::table).find("Place planning"), std::string::npos);
}

TEST_F(Places, TableWrapsManyYears) {
    RunInfo info = small_info(3);
    info.years.clear();
    for (int y = 2020; y < 2036; ++y) info.years.push_back(y);
    info.capacity = {std::vector<double>(16 * 3, 1000), {}};
    info.overflow = {{-1, 2, -1}, {}};
    write_synthetic(path("run.h5"), info, {{0, 3}});
    const std::string table = printed(summarise(ResultReader(path("run.h5"))), SummaryFormat::table, places_option());
    for (const auto& line : lines_of(table)) EXPECT_LE(line.size(), 125u) << line;  // £ is two bytes
    EXPECT_NE(table.find("2035"), std::string::npos);
    EXPECT_NE(table.find("baseline: mainstream"), std::string::npos);
}

TEST_F(Places, JsonHasPlacesWhenCappedOrAsked) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const std::string json = printed(summary, SummaryFormat::json);
    EXPECT_NE(json.find(",\n  \"places\": {\n    \"baseline\": {\n      \"mss\": {\"capacity\": [null, 100, 100, 110],"),
              std::string::npos)
        << json.substr(json.find("\"places\""), 600);
    EXPECT_NE(json.find("\"needed\": {\"p50\": [94, 100, 101, 110], \"p80\": [97, 102, 104, 113], \"p95\": [98, 104, "
                        "107, 119]}"),
              std::string::npos);
    EXPECT_NE(json.find("\"p_shortfall\": [null, 0.4, 0.6, 0.4], \"overflow_mean\": [null, 1, 2.4, 2.2], "
                        "\"overflow_extra_spend\": [null, 58600, 97200, 99200]"),
              std::string::npos);
    EXPECT_NE(json.find("\"first_year_shortfall_likely\": 2025, \"overflow_to\": \"inmss\"}"), std::string::npos);
    EXPECT_NE(json.find("\"first_year_shortfall_likely\": null"), std::string::npos);
    EXPECT_NE(json.find("\"uncapped\": {}"), std::string::npos);
    EXPECT_EQ(json.find("inf"), std::string::npos);
    EXPECT_EQ(json.find("nan"), std::string::npos);

    // Nothing capped: no "places" unless asked for.
    write_synthetic(path("plain.h5"), small_info(3), {{0, 3}});
    const Summary plain = summarise(ResultReader(path("plain.h5")));
    EXPECT_EQ(printed(plain, SummaryFormat::json).find("\"places\""), std::string::npos);
    EXPECT_NE(printed(plain, SummaryFormat::json, places_option())
                  .find("\"places\": {\n    \"baseline\": {},\n    \"target\": {}\n  }\n}"),
              std::string::npos);
}

TEST_F(Places, CsvHoldsOneTableAndScapIsCsvOnly) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")), SummaryOptions{{30}});
    std::ostringstream out;
    PrintOptions options = places_option();
    EXPECT_THROW(print_summary(summary, SummaryFormat::csv, out, options), std::invalid_argument);  // + exceedance
    const Summary no_exceedance = summarise(ResultReader(path("run.h5")));
    options.scap = true;
    EXPECT_THROW(print_summary(no_exceedance, SummaryFormat::csv, out, options), std::invalid_argument);
    options = places_option();
    options.dbv = true;
    EXPECT_THROW(print_summary(no_exceedance, SummaryFormat::csv, out, options), std::invalid_argument);
    EXPECT_THROW(print_summary(no_exceedance, SummaryFormat::table, out, scap_option()), std::invalid_argument);
    EXPECT_THROW(print_summary(no_exceedance, SummaryFormat::json, out, scap_option()), std::invalid_argument);
    EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace ehcpsim
