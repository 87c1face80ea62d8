// Capacity entries (whole placements or one phase), overflow and specialist
// placements in the file; the place-planning summary and the SCAP export
// against hand-computed values (places_info() in output_test_support.h).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "ehcpsim/summary.h"
#include "json_test_support.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;
using namespace json_testing;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

class Places : public ScratchDir {};

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

void expect_entries(const std::vector<RunInfo::CapacityEntry>& got, const std::vector<RunInfo::CapacityEntry>& want,
                    const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].placement, want[i].placement) << what << " entry " << i;
        EXPECT_EQ(got[i].phase, want[i].phase) << what << " entry " << i;
        EXPECT_EQ(got[i].overflow, want[i].overflow) << what << " entry " << i;
        EXPECT_EQ(got[i].places, want[i].places) << what << " entry " << i;
    }
}

// A list of strings: a string attribute of an object, or a string dataset.
std::vector<std::string> strings_of(hid_t id, hid_t type, hid_t space, bool attribute) {
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    std::vector<char*> pointers(static_cast<std::size_t>(std::max<hssize_t>(n, 0)), nullptr);
    std::vector<std::string> values;
    if (n <= 0) return values;
    const herr_t status = attribute ? H5Aread(id, type, pointers.data())
                                    : H5Dread(id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data());
    EXPECT_GE(status, 0);
    for (char* p : pointers) values.emplace_back(p != nullptr ? p : "");
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data());
    return values;
}

hid_t vlen_string_type() {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    return type;
}

std::vector<std::string> attribute_strings(hid_t file, const std::string& object, const std::string& name) {
    const hid_t attr = H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(attr, 0) << object << " " << name;
    if (attr < 0) return {};
    const hid_t type = vlen_string_type();
    const hid_t space = H5Aget_space(attr);
    auto values = strings_of(attr, type, space, true);
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(attr);
    return values;
}

std::vector<std::string> dataset_strings(hid_t file, const std::string& name) {
    const hid_t dataset = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    EXPECT_GE(dataset, 0) << name;
    if (dataset < 0) return {};
    const hid_t type = vlen_string_type();
    const hid_t space = H5Dget_space(dataset);
    auto values = strings_of(dataset, type, space, false);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(dataset);
    return values;
}

std::vector<double> dataset_values(hid_t file, const std::string& name, std::vector<hsize_t>* dims) {
    const hid_t dataset = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    EXPECT_GE(dataset, 0) << name;
    if (dataset < 0) return {};
    const hid_t space = H5Dget_space(dataset);
    dims->assign(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)), 0);
    H5Sget_simple_extent_dims(space, dims->data(), nullptr);
    std::vector<double> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    if (!values.empty()) H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Sclose(space);
    H5Dclose(dataset);
    return values;
}

TEST_F(Places, CapacityEntriesSpecialistAndPhasesRoundTrip) {
    const RunInfo info = places_info();
    write_places(path("run.h5"), info);
    const ResultReader reader(path("run.h5"));
    const RunInfo& got = reader.info();
    EXPECT_EQ(got.phases, info.phases);
    ASSERT_EQ(got.capacity.size(), 4u);
    for (std::size_t v = 0; v < 3; ++v) expect_entries(got.capacity[v], info.capacity[v], info.variants[v]);
    EXPECT_TRUE(got.capacity[3].empty());  // no entries
    EXPECT_EQ(got.specialist, (std::vector<std::vector<int>>{{1, 2}, {1, 2}, {1, 2}, {}}));
    // The new metrics read back as written, the split by phase included.
    const ResultBlock block = places_block(info);
    for (int m : {m_demand_by_placement, m_overflow_by_placement, m_specialist_demand_by_phase,
                  m_demand_by_placement_phase, m_overflow_by_placement_phase}) {
        const auto values = reader.read_metric("target", MetricId(m));
        const auto& want = block.variants[1].metrics[static_cast<std::size_t>(m)];
        ASSERT_EQ(values.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_TRUE(values[i] == want[i] || (std::isnan(values[i]) && std::isnan(want[i]))) << m << " " << i;
        }
    }
    EXPECT_EQ(reader.read_metric("baseline", m_specialist_demand_by_phase).size(), 5u * 4 * 2);
    EXPECT_EQ(reader.read_metric("phased", m_demand_by_placement_phase).size(), 5u * 4 * 3 * 2);

    // The table as stored.
    const hid_t file = H5Fopen(path("run.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    EXPECT_EQ(dataset_strings(file, "variants/phased/capacity_entry"),
              (std::vector<std::string>{"mss/secondary", "mss/primary"}));
    EXPECT_EQ(attribute_strings(file, "variants/phased", "capacity_placement"),
              (std::vector<std::string>{"mss", "mss"}));
    EXPECT_EQ(attribute_strings(file, "variants/phased", "capacity_phase"),
              (std::vector<std::string>{"secondary", "primary"}));
    EXPECT_EQ(attribute_strings(file, "variants/phased", "capacity_overflow"),
              (std::vector<std::string>{"inmss", "inmss"}));
    EXPECT_EQ(dataset_strings(file, "variants/baseline/capacity_entry"), std::vector<std::string>{"mss"});
    EXPECT_EQ(attribute_strings(file, "variants/baseline", "capacity_phase"), std::vector<std::string>{""});
    std::vector<hsize_t> dims;
    EXPECT_EQ(dataset_values(file, "variants/phased/capacity_places", &dims),
              (std::vector<double>{no_limit, 60, 60, 60, no_limit, 40, 40, 45}));
    EXPECT_EQ(dims, (std::vector<hsize_t>{2, 4}));
    EXPECT_TRUE(dataset_values(file, "variants/uncapped/capacity_places", &dims).empty());
    EXPECT_EQ(dims, (std::vector<hsize_t>{0, 4}));
    EXPECT_TRUE(dataset_strings(file, "variants/uncapped/capacity_entry").empty());
    EXPECT_TRUE(attribute_strings(file, "variants/uncapped", "capacity_overflow").empty());
    dataset_values(file, "variants/phased/demand_by_placement_phase", &dims);
    EXPECT_EQ(dims, (std::vector<hsize_t>{5, 4, 3, 2}));
    H5Fclose(file);
}

TEST_F(Places, ExpectedSplitByPhaseIsThreeDimensional) {
    const RunInfo info = places_info();
    {
        ResultWriter writer(path("run.h5"), info, false);
        ResultBlock expected = synthetic_block(info, 0, 1);
        writer.write_expected(expected);
        writer.write(places_block(info));
        writer.finish();
    }
    const ResultReader reader(path("run.h5"));
    const auto values = reader.read_expected("phased", m_overflow_by_placement_phase);
    ASSERT_EQ(values.size(), 4u * 3 * 2);
    // [year, placement, phase]: synthetic replicate 0 of variant 2, extra = placement x 2 + phase.
    const int m = m_overflow_by_placement_phase;
    EXPECT_TRUE(std::isnan(values[0]));  // a flow
    EXPECT_EQ(values[(1 * 3 + 2) * 2 + 1], synthetic_value(2, m, 0, 1, 5));
    EXPECT_EQ(values[(3 * 3 + 1) * 2 + 0], synthetic_value(2, m, 0, 3, 2));
}

TEST_F(Places, WriterRefusesCapacityThatDoesNotFit) {
    const auto refused = [&](const RunInfo& info, const std::string& name) {
        EXPECT_THROW(ResultWriter(path(name), info, false), std::invalid_argument) << name;
    };
    RunInfo info = places_info();
    info.capacity.pop_back();  // not one per variant
    refused(info, "a.h5");
    info = places_info();
    info.capacity[0][0].places.pop_back();
    refused(info, "b.h5");
    info = places_info();
    info.capacity[0][0].places[2] = nan;
    refused(info, "c.h5");
    info = places_info();
    info.capacity[2][1].places[2] = -1;
    refused(info, "d.h5");
    info = places_info();
    info.capacity[0][0].overflow = 1;  // into itself
    refused(info, "e.h5");
    info = places_info();
    info.capacity[0][0].overflow = 3;
    refused(info, "f.h5");
    info = places_info();
    info.capacity[0][0].placement = 3;
    refused(info, "g.h5");
    info = places_info();
    info.capacity[2][0].phase = 2;  // two phases
    refused(info, "h.h5");
    info = places_info();
    info.capacity[2][0].phase = -2;
    refused(info, "i.h5");
    info = places_info();
    info.capacity[2][0].phase = 0;  // mss/primary twice
    refused(info, "j.h5");
    info = places_info();
    info.specialist[0] = {1, 7};
    refused(info, "k.h5");
    EXPECT_TRUE(listing().empty());
    // A whole placement and one phase of it are different entries.
    info = places_info();
    info.capacity[2].push_back({1, -1, 2, {no_limit, 100, 100, 100}});
    write_places(path("ok.h5"), info);
    expect_entries(ResultReader(path("ok.h5")).info().capacity[2], info.capacity[2], "phased");
}

// Removes what files from before capacity entries lacked: the capacity
// table and its attributes, and the split by phase (also from expected).
void strip_capacity_table(hid_t id, const RunInfo& info, bool expected) {
    for (const auto& variant : info.variants) {
        const std::string group = "variants/" + variant;
        for (const char* name : {"demand_by_placement_phase", "overflow_by_placement_phase", "capacity_places",
                                 "capacity_entry"}) {
            EXPECT_GE(H5Ldelete(id, (group + "/" + name).c_str(), H5P_DEFAULT), 0) << name;
            if (expected && std::string(name).rfind("capacity", 0) != 0) {
                EXPECT_GE(H5Ldelete(id, (group + "/expected/" + name).c_str(), H5P_DEFAULT), 0) << name;
            }
        }
        for (const char* name : {"capacity_placement", "capacity_phase", "capacity_overflow"}) {
            EXPECT_GE(H5Adelete_by_name(id, group.c_str(), name, H5P_DEFAULT), 0) << name;
        }
    }
}

// A file from before capacity and phases: no /phase, no capacity, no
// specialist attribute, none of the new metrics.
void strip_new_data(const std::string& file, const RunInfo& info, bool expected) {
    const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(id, 0);
    strip_capacity_table(id, info, expected);
    for (const auto& variant : info.variants) {
        const std::string group = "variants/" + variant;
        for (const char* name : {"demand_by_placement", "overflow_by_placement", "specialist_demand_by_phase"}) {
            EXPECT_GE(H5Ldelete(id, (group + "/" + name).c_str(), H5P_DEFAULT), 0) << name;
            if (expected) {
                EXPECT_GE(H5Ldelete(id, (group + "/expected/" + name).c_str(), H5P_DEFAULT), 0) << name;
            }
        }
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
    EXPECT_EQ(got.capacity.size(), 4u);
    for (const auto& entries : got.capacity) EXPECT_TRUE(entries.empty());
    EXPECT_EQ(got.specialist, std::vector<std::vector<int>>(4));
    const auto demand = reader.read_metric("baseline", m_demand_by_placement);
    ASSERT_EQ(demand.size(), 5u * 4 * 3);
    EXPECT_TRUE(std::all_of(demand.begin(), demand.end(), [](double x) { return std::isnan(x); }));
    EXPECT_TRUE(reader.read_metric("baseline", m_specialist_demand_by_phase).empty());
    EXPECT_TRUE(reader.read_metric("baseline", m_demand_by_placement_phase).empty());  // no phases
    EXPECT_TRUE(reader.read_expected("baseline", m_demand_by_placement).empty());

    const Summary summary = summarise(reader);
    EXPECT_FALSE(has_capacity(summary.info));
    ASSERT_EQ(summary.places.size(), 4u);
    for (const auto& variant : summary.places) EXPECT_TRUE(variant.entries.empty());
    EXPECT_TRUE(summary.scap.empty());
    const std::string text = printed(summary, SummaryFormat::json);
    const Json json = parse_json(text);
    EXPECT_FALSE(json.contains("places"));
    EXPECT_EQ(text.find("demand_by_placement_phase"), std::string::npos);
    EXPECT_EQ(json["variants"]["baseline"]["demand_by_placement[mss]"]["mean"],
              Json({nullptr, nullptr, nullptr, nullptr}));
    EXPECT_EQ(parse_json(printed(summary, SummaryFormat::json, places_option()))["places"]["baseline"], Json::object());
    EXPECT_NE(printed(summary, SummaryFormat::table, places_option()).find("No variant has a capacity limit."),
              std::string::npos);
    EXPECT_EQ(lines_of(printed(summary, SummaryFormat::csv, places_option())).size(), 1u);
    EXPECT_EQ(printed(summary, SummaryFormat::csv, scap_option()), "variant,year,phase,mean,p50,p80,p95\n");
    EXPECT_FALSE(printed(summary, SummaryFormat::table).empty());
}

// The layout before capacity entries: /variants/<v>/capacity [year,
// placement] (+inf = no limit) and the group attribute overflow, one name
// per placement ("" for none); no split by phase.
void write_legacy_capacity(const std::string& file, const RunInfo& info,
                           const std::vector<std::vector<double>>& capacity,
                           const std::vector<std::vector<std::string>>& overflow) {
    const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(id, 0);
    strip_capacity_table(id, info, false);
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::string group = "variants/" + info.variants[v];
        const hsize_t dims[2] = {info.years.size(), info.placements.size()};
        const hid_t space = H5Screate_simple(2, dims, nullptr);
        const hid_t dataset = H5Dcreate2(id, (group + "/capacity").c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                         H5P_DEFAULT, H5P_DEFAULT);
        ASSERT_GE(dataset, 0);
        EXPECT_GE(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, capacity[v].data()), 0);
        H5Dclose(dataset);
        H5Sclose(space);
        const hsize_t n = overflow[v].size();
        const hid_t names = H5Screate_simple(1, &n, nullptr);
        const hid_t type = vlen_string_type();
        const hid_t group_id = H5Gopen2(id, group.c_str(), H5P_DEFAULT);
        const hid_t attr = H5Acreate2(group_id, "overflow", type, names, H5P_DEFAULT, H5P_DEFAULT);
        std::vector<const char*> pointers;
        for (const auto& name : overflow[v]) pointers.push_back(name.c_str());
        EXPECT_GE(H5Awrite(attr, type, pointers.data()), 0);
        H5Aclose(attr);
        H5Gclose(group_id);
        H5Tclose(type);
        H5Sclose(names);
    }
    H5Fclose(id);
}

TEST_F(Places, EarlierCapacityLayoutReadsAsWholePlacementEntries) {
    const RunInfo info = places_info();
    write_places(path("run.h5"), info);
    const auto capacity = [&](std::vector<double> mss, std::vector<double> inmss) {
        std::vector<double> places(4 * 3, no_limit);
        for (std::size_t y = 0; y < 4; ++y) {
            places[y * 3 + 1] = mss[y];
            places[y * 3 + 2] = inmss[y];
        }
        return places;
    };
    const std::vector<double> none(4, no_limit);
    write_legacy_capacity(path("run.h5"), info,
                          {capacity({no_limit, 100, 100, 110}, {no_limit, 500, 500, 500}),
                           capacity({no_limit, no_limit, no_limit, 200}, none), capacity(none, none),
                           capacity(none, none)},
                          // target: inmss overflows to mss but is never capped, so it is no entry.
                          {{"", "inmss", ""}, {"", "inmss", "mss"}, {"", "", ""}, {"", "", ""}});
    const ResultReader reader(path("run.h5"));
    const RunInfo& got = reader.info();
    ASSERT_EQ(got.capacity.size(), 4u);
    expect_entries(got.capacity[0],
                   {{1, -1, 2, {no_limit, 100, 100, 110}}, {2, -1, -1, {no_limit, 500, 500, 500}}}, "baseline");
    expect_entries(got.capacity[1], info.capacity[1], "target");
    EXPECT_TRUE(got.capacity[2].empty());
    EXPECT_TRUE(got.capacity[3].empty());
    EXPECT_EQ(got.specialist[0], (std::vector<int>{1, 2}));
    // No split by phase in the file: the metric is left out and reads as empty.
    EXPECT_FALSE(got.phase_detail);
    EXPECT_TRUE(reader.read_metric("baseline", m_demand_by_placement_phase).empty());

    // The summary is the one before capacity entries: same numbers for mss.
    const Summary summary = summarise(reader);
    ASSERT_EQ(summary.places[0].entries.size(), 2u);
    const PlacePlanning& mss = summary.places[0].entries[0];
    EXPECT_EQ(mss.name, "mss");
    EXPECT_EQ(mss.phase, "");
    expect_series(mss.p_shortfall, {nan, 0.4, 0.6, 0.4}, "p_shortfall");
    expect_series(mss.overflow_extra_spend, {nan, 58600, 97200, 99200}, "overflow_extra_spend");
    EXPECT_EQ(summary.places[0].entries[1].name, "inmss");
    EXPECT_EQ(summary.places[0].entries[1].overflow_to, "");
    EXPECT_EQ(summary.places[1].entries.size(), 1u);
    EXPECT_TRUE(summary.places[2].entries.empty());
}

TEST_F(Places, CoreMetricsAreStillRequired) {
    write_synthetic(path("run.h5"), small_info(2), {{0, 2}});
    {
        const hid_t id = H5Fopen(path("run.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(id, 0);
        EXPECT_GE(H5Ldelete(id, "variants/target/spend", H5P_DEFAULT), 0);
        H5Fclose(id);
    }
    EXPECT_THROW(ResultReader(path("run.h5")).read_metric("target", m_spend), RuntimeError);
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
    EXPECT_TRUE(has_capacity(summary.info));
    ASSERT_EQ(summary.places.size(), 4u);
    EXPECT_EQ(summary.places[0].variant, "baseline");
    EXPECT_EQ(summary.places[3].variant, "uncapped");
    EXPECT_TRUE(summary.places[3].entries.empty());
    ASSERT_EQ(summary.places[0].entries.size(), 1u);  // inmss takes the overflow but is not capped

    const PlacePlanning& mss = summary.places[0].entries[0];
    EXPECT_EQ(mss.name, "mss");
    EXPECT_EQ(mss.placement, "mss");
    EXPECT_EQ(mss.phase, "");
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

    const PlacePlanning& late = summary.places[1].entries.at(0);
    expect_series(late.capacity, {no_limit, no_limit, no_limit, 200}, "capacity");
    expect_series(late.p_shortfall, {nan, nan, nan, 0}, "p_shortfall");
    EXPECT_FALSE(late.first_year_shortfall_likely.has_value());
    expect_series(late.demand_mean, mss.demand_mean, "mean");  // demand does not depend on capacity
    // 2025: no inmss pupil in any replicate, so no unit cost: unknown. 2026:
    // every replicate has its own, (36000 + 10 x 41000) / 5.
    expect_series(late.overflow_extra_spend, {nan, 58600, nan, 89200}, "overflow_extra_spend");

    // "phased": one table per entry, in processing order (secondary first).
    ASSERT_EQ(summary.places[2].entries.size(), 2u);
    const PlacePlanning& secondary = summary.places[2].entries[0];
    EXPECT_EQ(secondary.name, "mss/secondary");
    EXPECT_EQ(secondary.placement, "mss");
    EXPECT_EQ(secondary.phase, "secondary");
    // Secondary demand = mss demand - primary demand: {55, 56, 57, 58, 59},
    // {57, 59, 61, 57, 60}, {60, 59, 69, 61, 58}, {60, 64, 68, 65, 60};
    // strictly above 60: 2024 {61}, 2025 {61, 69}, 2026 {64, 68, 65}.
    expect_series(secondary.demand_mean, {57, 58.8, 61.4, 63.4}, "secondary mean");
    expect_series(secondary.p_shortfall, {nan, 0.2, 0.4, 0.6}, "secondary p_shortfall");
    EXPECT_EQ(secondary.first_year_shortfall_likely, 2026);
    expect_series(secondary.overflow_mean, {nan, 0.2, 2, 3.4}, "secondary overflow_mean");

    const PlacePlanning& primary = summary.places[2].entries[1];
    EXPECT_EQ(primary.name, "mss/primary");
    EXPECT_EQ(primary.placement, "mss");
    EXPECT_EQ(primary.phase, "primary");
    EXPECT_EQ(primary.overflow_to, "inmss");
    expect_series(primary.capacity, {no_limit, 40, 40, 45}, "primary capacity");
    // Primary demand (demand_by_placement_phase[mss, primary]), sorted:
    // {35, 36, 37, 38, 39}, {38, 40, 41, 42, 44}, {39, 40, 40, 41, 44},
    // {44, 45, 47, 50, 52}.
    expect_series(primary.demand_mean, {37, 41, 40.8, 47.6}, "primary mean");
    expect_series(primary.demand[0], {35.2, 38.4, 39.2, 44.2}, "primary p5");
    expect_series(primary.demand[1], {35.4, 38.8, 39.4, 44.4}, "primary p10");
    expect_series(primary.demand[2], {36, 40, 40, 45}, "primary p25");
    expect_series(primary.demand[3], {37, 41, 40, 47}, "primary p50");
    expect_series(primary.demand[4], {38, 42, 41, 50}, "primary p75");
    expect_series(primary.demand[5], {38.6, 43.2, 42.8, 51.2}, "primary p90");
    expect_series(primary.demand[6], {38.8, 43.6, 43.4, 51.6}, "primary p95");
    // p80: 38.2, 42.4, 41.6, 50.4, rounded up.
    EXPECT_EQ(primary.needed[0], (std::vector<double>{37, 41, 40, 47}));
    EXPECT_EQ(primary.needed[1], (std::vector<double>{39, 43, 42, 51}));
    EXPECT_EQ(primary.needed[2], (std::vector<double>{39, 44, 44, 52}));
    // Strictly above 40: 2024 {41, 42, 44}; 2025 {41, 44}. Above 45: 2026
    // {47, 50, 52}.
    expect_series(primary.p_shortfall, {nan, 0.6, 0.4, 0.6}, "primary p_shortfall");
    EXPECT_EQ(primary.first_year_shortfall_likely, 2024);
    // overflow_by_placement_phase[mss, primary]: {0, 1, 0, 2, 4}, {0, 4, 0,
    // 0, 1}, {0, 2, 7, 0, 5}; extra cost a pupil d_r as above (the
    // placements' unit costs): 2024 (36000 + 2 x 50000 + 4 x 63000) / 5;
    // 2025 (4 x 36000 + 63000) / 5; 2026 (2 x 36000 + 7 x 41000 + 5 x 63000) / 5.
    expect_series(primary.overflow_mean, {nan, 1.4, 1, 2.8}, "primary overflow_mean");
    expect_series(primary.overflow_extra_spend, {nan, 77600, 41400, 134800}, "primary overflow_extra_spend");
}

TEST_F(Places, EntriesWithoutALimitInAnyYearAreNotPlanned) {
    RunInfo info = places_info();
    info.capacity[3] = {{1, 0, 2, std::vector<double>(4, no_limit)}};  // places from after the horizon
    write_places(path("run.h5"), info);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_EQ(summary.info.capacity[3].size(), 1u);
    EXPECT_TRUE(summary.places[3].entries.empty());
}

TEST_F(Places, NoOverflowMeansNoExtraSpend) {
    RunInfo info = places_info();
    ResultBlock block = places_block(info);
    for (double& x : block.variants[1].metrics[m_overflow_by_placement]) {
        if (!std::isnan(x)) x = 0;
    }
    info.capacity[1][0].overflow = -1;  // capped, nowhere to overflow
    {
        ResultWriter writer(path("run.h5"), info, false);
        writer.write(block);
        writer.finish();
    }
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const PlacePlanning& plan = summary.places[1].entries.at(0);
    EXPECT_EQ(plan.overflow_to, "");
    expect_series(plan.overflow_mean, {nan, 0, 0, 0}, "overflow_mean");
    expect_series(plan.overflow_extra_spend, {nan, 0, 0, 0}, "overflow_extra_spend");
    const Json json = parse_json(printed(summary, SummaryFormat::json));
    EXPECT_TRUE(json["places"]["target"].front()["overflow_to"].is_null()) << json["places"].dump(2);
}

TEST_F(Places, ScapRowsAreWholePlaces) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    ASSERT_EQ(summary.scap.size(), 4u * 4 * 2);
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
    ASSERT_EQ(lines.size(), 1u + 4 * 4 * 2);
    EXPECT_EQ(lines[0], "variant,year,phase,mean,p50,p80,p95");
    // r + 10 phase + 100 year over r = 0..4: mean +2, p50 +2, p80 3.2 -> 4, p95 3.8 -> 4.
    EXPECT_EQ(lines[1], "baseline,2023,primary,2,2,4,4");
    EXPECT_EQ(lines[2], "baseline,2023,secondary,12,12,14,14");
    EXPECT_EQ(lines[3], "baseline,2024,primary,12.2,12,14,15");
    EXPECT_EQ(lines[4], "baseline,2024,secondary,112,112,114,114");
    // "uncapped" counts no placement as specialist: no specialist demand to
    // report, so its rows are empty (they used to print the stored zeros, or
    // here the synthetic values, as if they were a demand).
    EXPECT_EQ(lines[32], "uncapped,2026,secondary,,,,");
    EXPECT_TRUE(std::isnan(summary.scap.back().mean));
}

// ---------------------------------------------------------------------------
// Printing.

TEST_F(Places, CsvIsLongWithOneRowPerVariantEntryAndYear) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const auto lines = lines_of(printed(summary, SummaryFormat::csv, places_option()));
    ASSERT_EQ(lines.size(), 1u + 4 * 4);  // baseline and target cap mss, phased its two phases
    EXPECT_EQ(lines[0],
              "variant,placement,phase,overflow_to,year,capacity,demand_mean,demand_p5,demand_p10,demand_p25,"
              "demand_p50,demand_p75,demand_p90,demand_p95,needed_p50,needed_p80,needed_p95,p_shortfall,"
              "overflow_mean,overflow_extra_spend,first_year_shortfall_likely");
    EXPECT_EQ(lines[1], "baseline,mss,,inmss,2023,,94,90.4,90.8,92,94,96,97.2,97.6,94,97,98,,,,2025");
    EXPECT_EQ(lines[2].rfind("baseline,mss,,inmss,2024,100,99.8,95.8,", 0), 0u) << lines[2];
    EXPECT_NE(lines[2].find(",100,102,104,0.4,1,58600,2025"), std::string::npos) << lines[2];
    EXPECT_EQ(lines[8].rfind("target,mss,,inmss,2026,200,111,", 0), 0u) << lines[8];
    EXPECT_NE(lines[8].find(",0,2.2,89200,"), std::string::npos) << lines[8];
    EXPECT_EQ(lines[8].back(), ',');  // never likely: empty
    EXPECT_EQ(lines[9].rfind("phased,mss,secondary,inmss,2023,,57,", 0), 0u) << lines[9];
    EXPECT_EQ(lines[13], "phased,mss,primary,inmss,2023,,37,35.2,35.4,36,37,38,38.6,38.8,37,39,39,,,,2024");
    EXPECT_EQ(lines[14].rfind("phased,mss,primary,inmss,2024,40,41,", 0), 0u) << lines[14];
    EXPECT_NE(lines[14].find(",41,43,44,0.6,1.4,77600,2024"), std::string::npos) << lines[14];
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
    for (const char* text : {"Place planning", "baseline: mss (overflow to inmss); shortfall likely (P > 50%) in 2025 only",
                             "target: mss (overflow to inmss); no year with a likely shortfall (P > 50%)", "capacity",
                             "none", "places for 80%", "P(demand > capacity)", "0.600", "[96, 103]",
                             "extra spend: mean £m", "0.06",
                             "phased: mss/secondary (overflow to inmss); shortfall likely (P > 50%) in 2026 only",
                             "phased: mss/primary (overflow to inmss); shortfall likely (P > 50%) in 2024 and 2026"}) {
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
    EXPECT_LT(table.find("phased: mss/secondary"), table.find("phased: mss/primary"));  // processing order
    // Without --places, the usual tables.
    EXPECT_EQ(printed(summary, SummaryFormat::table).find("Place planning"), std::string::npos);
}

// The heading names the years of a likely shortfall, never "from" the first
// of them: baseline's P is 0.4, 0.6, 0.4 (the old heading said "from 2025",
// as if it lasted), primary's 0.6, 0.4, 0.6; with 90 places in 2024 and 2025
// (P = 1) and 200 in 2026 (P = 0), a range.
TEST_F(Places, HeadingSaysTheYearsOfALikelyShortfall) {
    RunInfo info = places_info();
    info.capacity[1] = {RunInfo::CapacityEntry{1, -1, 2, {no_limit, 90, 90, 200}}};
    write_places(path("run.h5"), info);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    EXPECT_EQ(summary.places[0].entries.at(0).shortfall_likely_years, (std::vector<int>{2025}));
    EXPECT_EQ(summary.places[1].entries.at(0).shortfall_likely_years, (std::vector<int>{2024, 2025}));
    EXPECT_EQ(summary.places[2].entries.at(1).shortfall_likely_years, (std::vector<int>{2024, 2026}));
    const std::string table = printed(summary, SummaryFormat::table, places_option());
    EXPECT_NE(table.find("baseline: mss (overflow to inmss); shortfall likely (P > 50%) in 2025 only\n"),
              std::string::npos);
    EXPECT_NE(table.find("target: mss (overflow to inmss); shortfall likely (P > 50%) in 2024-2025\n"),
              std::string::npos);
    EXPECT_NE(table.find("phased: mss/primary (overflow to inmss); shortfall likely (P > 50%) in 2024 and 2026\n"),
              std::string::npos);
    EXPECT_EQ(table.find(" from "), std::string::npos);
    EXPECT_EQ(table.find("no year"), std::string::npos);  // every entry here has a likely year

    // None likely: said as such, not "from no year".
    info.capacity[1] = {RunInfo::CapacityEntry{1, -1, 2, {no_limit, 1000, 1000, 1000}}};
    write_places(path("none.h5"), info);
    const std::string none =
        printed(summarise(ResultReader(path("none.h5"))), SummaryFormat::table, places_option());
    EXPECT_NE(none.find("target: mss (overflow to inmss); no year with a likely shortfall (P > 50%)\n"),
              std::string::npos);
    EXPECT_EQ(none.find("from no year"), std::string::npos);
}

TEST_F(Places, TableWrapsManyYears) {
    RunInfo info = small_info(3);
    info.years.clear();
    for (int y = 2020; y < 2036; ++y) info.years.push_back(y);
    info.capacity = {{{0, -1, 2, std::vector<double>(16, 1000)}}, {}};
    write_synthetic(path("run.h5"), info, {{0, 3}});
    const std::string table = printed(summarise(ResultReader(path("run.h5"))), SummaryFormat::table, places_option());
    for (const auto& line : lines_of(table)) EXPECT_LE(line.size(), 125u) << line;  // £ is two bytes
    EXPECT_NE(table.find("2035"), std::string::npos);
    EXPECT_NE(table.find("baseline: mainstream"), std::string::npos);
}

TEST_F(Places, JsonHasPlacesWhenCappedOrAsked) {
    write_places(path("run.h5"), places_info());
    const Summary summary = summarise(ResultReader(path("run.h5")));
    const std::string text = printed(summary, SummaryFormat::json);
    const Json json = parse_json(text);
    EXPECT_EQ(keys_of(json), (std::vector<std::string>{"variants", "years", "replicates", "seed", "places", "drivers"}));
    const Json& places = json["places"];
    EXPECT_EQ(keys_of(places), (std::vector<std::string>{"baseline", "target", "phased", "uncapped"}));
    const Json& mss = places["baseline"]["mss"];
    EXPECT_EQ(keys_of(mss), (std::vector<std::string>{"capacity", "demand", "needed", "p_shortfall", "overflow_mean",
                                                      "overflow_extra_spend", "first_year_shortfall_likely",
                                                      "shortfall_likely_years", "placement", "phase", "overflow_to"}));
    EXPECT_EQ(mss["capacity"], Json::parse("[null, 100, 100, 110]"));
    EXPECT_EQ(keys_of(mss["demand"]), (std::vector<std::string>{"mean", "p5", "p10", "p25", "p50", "p75", "p90", "p95"}));
    EXPECT_EQ(mss["needed"], Json::parse(R"({"p50": [94, 100, 101, 110], "p80": [97, 102, 104, 113],
                                            "p95": [98, 104, 107, 119]})"));
    EXPECT_EQ(mss["p_shortfall"], Json::parse("[null, 0.4, 0.6, 0.4]"));
    EXPECT_EQ(mss["overflow_mean"], Json::parse("[null, 1, 2.4, 2.2]"));
    EXPECT_EQ(mss["overflow_extra_spend"], Json::parse("[null, 58600, 97200, 99200]"));
    EXPECT_EQ(mss["first_year_shortfall_likely"], 2025);
    EXPECT_EQ(mss["shortfall_likely_years"], Json({2025}));
    EXPECT_EQ(mss["placement"], "mss");
    EXPECT_TRUE(mss["phase"].is_null());
    EXPECT_EQ(mss["overflow_to"], "inmss");
    const Json& phased = places["phased"];
    EXPECT_EQ(keys_of(phased), (std::vector<std::string>{"mss/secondary", "mss/primary"}));  // processing order
    EXPECT_EQ(phased["mss/secondary"]["capacity"], Json::parse("[null, 60, 60, 60]"));
    EXPECT_EQ(phased["mss/primary"]["capacity"], Json::parse("[null, 40, 40, 45]"));
    EXPECT_EQ(phased["mss/primary"]["first_year_shortfall_likely"], 2024);
    EXPECT_EQ(phased["mss/primary"]["shortfall_likely_years"], Json({2024, 2026}));
    EXPECT_EQ(phased["mss/primary"]["phase"], "primary");
    EXPECT_EQ(phased["mss/primary"]["overflow_to"], "inmss");
    EXPECT_TRUE(places["target"]["mss"]["first_year_shortfall_likely"].is_null()) << places["target"].dump(2);
    EXPECT_EQ(places["target"]["mss"]["shortfall_likely_years"], Json::array());
    EXPECT_EQ(places["uncapped"], Json::object());
    EXPECT_EQ(text.find("inf"), std::string::npos);
    EXPECT_EQ(text.find("nan"), std::string::npos);

    // Nothing capped: no "places" unless asked for.
    write_synthetic(path("plain.h5"), small_info(3), {{0, 3}});
    const Summary plain = summarise(ResultReader(path("plain.h5")));
    EXPECT_EQ(printed(plain, SummaryFormat::json).find("\"places\""), std::string::npos);
    EXPECT_EQ(parse_json(printed(plain, SummaryFormat::json, places_option()))["places"],
              Json({{"baseline", Json::object()}, {"target", Json::object()}}));
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
