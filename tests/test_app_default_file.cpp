// What a default run writes: the results by age (results.h, AgeMetricId)
// are in-memory only, recorded when a caller asks (the backtest's
// forecaster), so a run's file holds exactly the catalogue's datasets.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <set>
#include <string>

#include "app_test_support.h"
#include "ehcpsim/output.h"

namespace ehcpsim {
namespace {

using testing::TempDir;

std::set<std::string> links_of(const std::string& file, const std::string& group) {
    std::set<std::string> names;
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT_GE(f, 0) << file;
    if (f < 0) return names;
    const hid_t g = H5Gopen2(f, group.c_str(), H5P_DEFAULT);
    EXPECT_GE(g, 0) << group;
    if (g >= 0) {
        H5Literate(
            g, H5_INDEX_NAME, H5_ITER_INC, nullptr,
            [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
                static_cast<std::set<std::string>*>(data)->insert(name);
                return 0;
            },
            &names);
        H5Gclose(g);
    }
    H5Fclose(f);
    return names;
}

// Fails if a default run wrote anything by age (a dataset named after an
// age metric, or any dataset the catalogue does not list).
TEST(AppDefaultFile, ADefaultRunWritesNoResultsByAge) {
    TempDir dir;
    const RunRequest request = testing::small_run(dir / "run.h5", 10);
    const testing::AppOutcome r = testing::run_request(request);
    ASSERT_EQ(r.code, 0) << r.err;
    const RunInfo info = ResultReader(request.output).info();
    ASSERT_FALSE(info.variants.empty());
    // Beside the metrics a variant's group holds its parameters, capacity
    // entries and expected-value projection.
    std::set<std::string> allowed = {"parameter", "parameters", "capacity_entry", "capacity_places", "expected"};
    for (const MetricInfo& m : metric_catalogue()) allowed.insert(m.name);
    for (const std::string& variant : info.variants) {
        for (const std::string& group : {"variants/" + variant, "variants/" + variant + "/expected"}) {
            const std::set<std::string> names = links_of(request.output, group);
            EXPECT_TRUE(names.count("total_stock")) << group;
            for (const std::string& name : names) {
                EXPECT_TRUE(allowed.count(name)) << group << "/" << name << " is not in the catalogue";
                EXPECT_EQ(name.find("age"), name == "aged_out" ? 0u : std::string::npos) << group << "/" << name;
            }
        }
    }
}

}  // namespace
}  // namespace ehcpsim
