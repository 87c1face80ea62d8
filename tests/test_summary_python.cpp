// The JSON summary as Python users see it: json and numpy agree with
// summarise() on the file itself. Needs Debian's /usr/bin/python3 with
// python3-h5py and python3-numpy; skipped when they are missing (the JSON's
// shape is checked in C++ in the other test_summary_* files, always).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <sstream>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class Python : public PythonTest {};

// The JSON summary, written where the Python scripts read it.
void write_json_summary(const Summary& summary, const std::string& to) {
    std::ostringstream json;
    print_summary(summary, SummaryFormat::json, json);
    write_text(to, json.str());
}

// summarise() against numpy on the file itself: quantiles bit for bit,
// means to rounding, NaN as null; the JSON has exactly the documented keys.
TEST_F(Python, JsonParsesAndAgreesWithNumpy) {
    require("h5py, numpy");
    RunInfo info = small_info(257);
    info.needs = {"ASD", "Q\"uote\\back\tslash"};  // awkward names must be escaped
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    std::mt19937_64 engine(7);
    for (auto& variant : block.variants) {
        for (auto& values : variant.metrics) {
            for (double& x : values) {
                if (!std::isnan(x)) x = static_cast<double>(engine() >> 11) * 0x1.0p-53 * 1e7 - 2e6;
                if (engine() % 50 == 0) x = std::numeric_limits<double>::quiet_NaN();
            }
        }
    }
    {
        ResultWriter writer(path("run.h5"), info, false);
        writer.write(block);
        writer.finish();
    }
    write_json_summary(summarise(ResultReader(path("run.h5"))), path("summary.json"));

    const std::string script = R"(
import json, math, sys
import h5py
import numpy as np
with open(sys.argv[2]) as stream:
    s = json.load(stream)
assert list(s.keys()) == ["variants", "years", "replicates", "seed", "drivers"], list(s.keys())
assert s["years"] == [2023, 2024, 2025, 2026] and s["replicates"] == 257 and s["seed"] == 18446744073709551557
keys = ["mean", "p5", "p10", "p25", "p50", "p75", "p90", "p95"]
probabilities = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95]
with h5py.File(sys.argv[1], "r") as f:
    placements = list(f["placement"].asstr()[...])
    needs = list(f["need"].asstr()[...])
    phases = list(f["phase"].asstr()[...])
    assert needs[1] == 'Q"uote\\back\tslash'
    assert list(s["variants"].keys()) == ["baseline", "target"]
    checked = 0
    for variant, metrics in s["variants"].items():
        for name in f["variants"][variant].keys():
            if name in ("parameter", "parameters", "expected"):
                continue
            if name in ("capacity_places", "capacity_entry"):
                continue
            dataset = f["variants"][variant][name]
            data = dataset[...]
            categories = {"/placement": placements, "/need": needs, "/phase": phases}
            if data.ndim == 4:  # [replicate, year, placement, phase]: "mss/primary"
                labels = ["%s[%s/%s]" % (name, p, k) for p in placements for k in phases]
                data = data.reshape(data.shape[0], data.shape[1], -1)
            else:
                labels = [name] if data.ndim == 2 else [
                    "%s[%s]" % (name, c) for c in categories[dataset.dims[2][0].name]]
            for c, label in enumerate(labels):
                series = metrics[label]
                assert list(series.keys()) == keys, list(series.keys())
                column = data if data.ndim == 2 else data[:, :, c]
                for y in range(4):
                    x = column[:, y]
                    if np.all(np.isnan(x)):
                        assert all(series[k][y] is None for k in keys), (label, y)
                        continue
                    mean = float(np.nanmean(x))
                    assert math.isclose(series["mean"][y], mean, rel_tol=1e-12, abs_tol=1e-6), (label, y)
                    q = np.nanquantile(x, probabilities)
                    for k, p in enumerate(probabilities):
                        assert series[keys[k + 1]][y] == float(q[k]), (label, y, p, series[keys[k + 1]][y], q[k])
                    checked += 1
assert checked > 100, checked
assert 'new_plans_by_need[Q"uote\\back\tslash]' in s["variants"]["target"]
assert "overflow_by_placement_phase[inmss/secondary]" in s["variants"]["target"]
print("ok")
)";
    EXPECT_EQ(run(script, path("run.h5") + " " + path("summary.json")), "ok\n");
}

// The DBV and exceedance keys parse, follow the existing keys, and carry
// the hand-computed values (test_output_dbv.cpp).
TEST_F(Python, DbvJsonParses) {
    if (!std::filesystem::exists(system_python)) GTEST_SKIP() << "no " << system_python;
    write_dbv(path("run.h5"), dbv_info(), true);
    write_json_summary(summarise(ResultReader(path("run.h5")), SummaryOptions{{30, 2.5e7}}), path("summary.json"));
    const std::string script = R"(
import json, sys
with open(sys.argv[1]) as stream:
    s = json.load(stream)
assert list(s.keys()) == ["variants", "years", "replicates", "seed", "dbv", "exceedance", "drivers"], list(s.keys())
d = s["dbv"]
assert list(d.keys()) == ["horizon", "common_random_numbers", "bounds", "unmatched", "table"], list(d.keys())
assert d["horizon"] == 2026 and d["common_random_numbers"] is True and d["unmatched"] == []
assert list(d["bounds"].keys()) == ["baseline", "upper"]
lower = d["bounds"]["baseline"]
assert list(lower["opportunity"].keys()) == ["target", "stretch"]
t = lower["opportunity"]["target"]
assert t == {"level": "target", "mean": 3.5, "p5": 2.15, "p50": 3.5, "p95": 4.85, "deterministic": 4,
             "variance_reduction": 181}, t
assert abs(lower["opportunity"]["stretch"]["variance_reduction"] - 878.75 / 8.75) < 1e-12
r = lower["range"]
assert r["target"] == "target" and r["stretch"] == "stretch" and r["mean"] == 1.75 and r["deterministic"] == 1.5, r
assert r["variance_reduction"] == 1045
upper = d["bounds"]["upper"]
assert upper["range"] is None and upper["opportunity"]["upper_target"]["variance_reduction"] is None
table = d["table"]
assert list(table.keys()) == ["baseline", "target", "stretch", "upper", "upper_target"]
assert table["baseline"]["compare_to"] is None and table["stretch"]["compare_to"] == "baseline"
for entry in table.values():
    for metric in ("spend", "cumulative_deficit"):
        assert list(entry[metric].keys()) == ["p50", "p5", "p95", "deterministic"]
        assert all(len(v) == 4 for v in entry[metric].values())
assert table["stretch"]["cumulative_deficit"]["deterministic"][3] == 19.5
e = s["exceedance"]
assert e["year"] == 2026 and e["thresholds"] == [30, 25000000], e
assert e["probability"]["baseline"] == [0.25, 0] and e["probability"]["upper"] == [1, 0], e["probability"]
print("ok")
)";
    EXPECT_EQ(run(script, path("summary.json")), "ok\n");
}

// The place-planning JSON parses with the documented keys and the
// hand-computed values of test_output_places.cpp.
TEST_F(Python, PlacesJsonParses) {
    if (!std::filesystem::exists(system_python)) GTEST_SKIP() << "no " << system_python;
    write_places(path("run.h5"), places_info());
    write_json_summary(summarise(ResultReader(path("run.h5"))), path("summary.json"));
    const std::string script = R"(
import json, sys
with open(sys.argv[1]) as stream:
    s = json.load(stream)
assert list(s.keys()) == ["variants", "years", "replicates", "seed", "places", "drivers"], list(s.keys())
p = s["places"]
assert list(p.keys()) == ["baseline", "target", "phased", "uncapped"] and p["uncapped"] == {}, p.keys()
assert list(p["baseline"].keys()) == ["mss"], p["baseline"].keys()
m = p["baseline"]["mss"]
assert list(m.keys()) == ["capacity", "demand", "needed", "p_shortfall", "overflow_mean", "overflow_extra_spend",
                          "first_year_shortfall_likely", "shortfall_likely_years", "placement", "phase",
                          "overflow_to"], list(m.keys())
assert m["placement"] == "mss" and m["phase"] is None
assert m["capacity"] == [None, 100, 100, 110], m["capacity"]
assert list(m["demand"].keys()) == ["mean", "p5", "p10", "p25", "p50", "p75", "p90", "p95"]
assert m["demand"]["mean"] == [94, 99.8, 102.2, 111] and m["demand"]["p50"] == [94, 100, 101, 110]
assert m["needed"] == {"p50": [94, 100, 101, 110], "p80": [97, 102, 104, 113], "p95": [98, 104, 107, 119]}
assert m["p_shortfall"] == [None, 0.4, 0.6, 0.4], m["p_shortfall"]
assert m["overflow_mean"] == [None, 1, 2.4, 2.2]
assert m["overflow_extra_spend"] == [None, 58600, 97200, 99200]
assert m["first_year_shortfall_likely"] == 2025 and m["overflow_to"] == "inmss"
t = p["target"]["mss"]
assert t["first_year_shortfall_likely"] is None and t["overflow_extra_spend"] == [None, 58600, None, 89200]
assert t["capacity"] == [None, None, None, 200] and t["p_shortfall"] == [None, None, None, 0]
assert all(isinstance(x, int) for x in m["needed"]["p80"])
assert list(p["phased"].keys()) == ["mss/secondary", "mss/primary"], p["phased"].keys()
q = p["phased"]["mss/primary"]
assert q["placement"] == "mss" and q["phase"] == "primary" and q["overflow_to"] == "inmss", q
assert q["capacity"] == [None, 40, 40, 45] and q["demand"]["mean"] == [37, 41, 40.8, 47.6], q
assert q["needed"] == {"p50": [37, 41, 40, 47], "p80": [39, 43, 42, 51], "p95": [39, 44, 44, 52]}, q["needed"]
assert q["p_shortfall"] == [None, 0.6, 0.4, 0.6] and q["first_year_shortfall_likely"] == 2024, q
assert q["shortfall_likely_years"] == [2024, 2026] and t["shortfall_likely_years"] == [], q
assert q["overflow_mean"] == [None, 1.4, 1, 2.8] and q["overflow_extra_spend"] == [None, 77600, 41400, 134800], q
assert p["phased"]["mss/secondary"]["phase"] == "secondary"
print("ok")
)";
    EXPECT_EQ(run(script, path("summary.json")), "ok\n");
}

TEST_F(Python, JsonLoadsFromStdin) {
    if (!std::filesystem::exists(system_python)) GTEST_SKIP() << "no " << system_python;
    const RunInfo info = small_info(4);
    write_synthetic(path("run.h5"), info, {{0, 4}});
    write_json_summary(summarise(ResultReader(path("run.h5"))), path("summary.json"));
    const std::string command = std::string(system_python) +
                                " -c 'import json,sys; json.load(sys.stdin)' < " + path("summary.json");
    EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace ehcpsim
