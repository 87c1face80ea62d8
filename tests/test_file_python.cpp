// The file as Python users see it: xarray (h5netcdf) with named dimensions
// and h5py (the JSON summary: tests/test_summary_python.cpp). Needs Debian's /usr/bin/python3
// with python3-xarray, python3-h5netcdf, python3-h5py and python3-numpy;
// skipped when they are missing.
#include <gtest/gtest.h>

#include <cstdlib>

#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class Python : public PythonTest {};

// The synthetic values again, for Python (see output_test_support.h).
const char* python_synthetic = R"(
import math
FLOWS = {"requests", "assessments", "new_plans", "new_plans_by_placement", "new_plans_by_need",
         "transfers_in", "ceased", "aged_out", "moves", "overflow_by_placement", "overflow_by_placement_phase"}
def synthetic(variant, metric_index, name, replicate, year, extra):
    if name in FLOWS and year == 0:
        return math.nan
    return variant * 1e6 + metric_index * 1e4 + replicate + year * 0.25 + extra * 0.0625
)";

// The variant groups still open cleanly with the expected-value subgroup in
// them, and the subgroup opens on its own with named dimensions (a
// dbv_info() file). Run in the same Python as the test above: importing
// xarray takes most of a second.
const char* python_check_expected = R"(
def check_expected(path):
    root = xr.open_dataset(path, engine="h5netcdf")
    assert root.attrs["common_random_numbers"] == 1, root.attrs
    levels = {"baseline": ("none", ""), "target": ("target", "baseline"), "stretch": ("stretch", "baseline"),
              "upper": ("none", ""), "upper_target": ("target", "upper")}
    horizon = {"baseline": 25, "target": 21, "stretch": 19.5, "upper": 115, "upper_target": 105}
    for v, variant in enumerate(root["variant"].values):
        ds = xr.open_dataset(path, engine="h5netcdf", group="variants/" + variant)
        assert not [d for d in ds.dims if str(d).startswith("phony_dim")], ds.dims
        assert (ds.attrs["level"], ds.attrs["compare_to"]) == levels[variant], ds.attrs
        assert "expected" not in ds.variables, list(ds.variables)
        assert ds["stock_by_placement"].dims == ("replicate", "year", "placement")
        assert sorted(ds.data_vars) == sorted(names + ["capacity_places"] + (["parameters"] if v < 2 else [])), \
            sorted(ds.data_vars)
        assert ds["capacity_places"].dims == ("capacity_entry", "year") and ds.sizes["capacity_entry"] == 0
        e = xr.open_dataset(path, engine="h5netcdf", group="variants/" + variant + "/expected")
        e = e.assign_coords(year=root["year"], placement=root["placement"], need=root["need"], phase=root["phase"])
        assert not [d for d in e.dims if str(d).startswith("phony_dim")], e.dims
        assert dict(e.sizes) == {"year": 4, "placement": 3, "need": 2, "phase": 2}, dict(e.sizes)
        assert e["specialist_demand_by_phase"].dims == ("year", "phase")
        assert e["demand_by_placement_phase"].dims == ("year", "placement", "phase")
        assert e["overflow_by_placement_phase"].sel(year=2025, placement="inmss", phase="secondary").item() == \
            synthetic(v, names.index("overflow_by_placement_phase"), "overflow_by_placement_phase", 0, 2, 5) + 1000.5
        assert sorted(e.data_vars) == sorted(names), sorted(e.data_vars)
        assert e["spend"].dims == ("year",) and e["spend"].attrs["units"] == "GBP"
        assert e["stock_by_placement"].dims == ("year", "placement")
        assert e["new_plans_by_need"].dims == ("year", "need")
        assert e["cumulative_deficit"].sel(year=2026).item() == horizon[variant]
        for m, name in enumerate(names):
            values = e[name].values.reshape(4, -1)  # [year, extra], extra flattened as in the file
            for y in range(4):
                for c in range(values.shape[1]):
                    if name == "cumulative_deficit" and y == 3:
                        continue
                    got = float(values[y, c])
                    want = synthetic(v, m, name, 0, y, c) + 1000.5
                    assert (math.isnan(got) and math.isnan(want)) or got == want, (variant, name, y, c, got, want)
)";

TEST_F(Python, XarrayReadsNamedDimensions) {
    require("xarray, h5netcdf");
    RunInfo info = small_info(10);
    // baseline: mss from 2025 (100, 120 places) overflowing to inmss, then the
    // secondary ages of inmss (50 from 2024) with no overflow placement.
    info.capacity = {{{1, -1, 2, {no_limit, no_limit, 100, 120}}, {2, 1, -1, {no_limit, 50, 50, 50}}}, {}};
    info.specialist = {{1, 2}, {}};
    write_synthetic(path("run.h5"), info, {{5, 5}, {0, 5}});
    write_dbv(path("dbv.h5"), dbv_info(), true);
    const std::string script = std::string(python_synthetic) + R"(
import sys
import numpy as np
import xarray as xr
path = sys.argv[1]
root = xr.open_dataset(path, engine="h5netcdf")
assert list(root["year"].values) == [2023, 2024, 2025, 2026], root["year"].values
assert list(root["placement"].values) == ["mainstream", "mss", "inmss"], root["placement"].values
assert list(root["need"].values) == ["ASD", "SEMH"]
assert list(root["phase"].values) == ["primary", "secondary"], root["phase"].values
assert list(root["variant"].values) == ["baseline", "target"]
assert list(root["replicate"].values) == list(range(10))
assert root.attrs["format"] == "ehcpsim-ensemble", root.attrs
assert root.attrs["complete"] == 1 and root.attrs["format_version"] == 1
assert int(root.attrs["seed"]) == 18446744073709551557, root.attrs["seed"]
names = ["total_stock", "stock_by_placement", "requests", "assessments", "new_plans", "new_plans_by_placement",
         "new_plans_by_need", "transfers_in", "ceased", "aged_out", "moves", "spend", "spend_by_placement",
         "funding", "in_year_deficit", "cumulative_deficit", "transport_cost", "mitigation_cost",
         "demand_by_placement", "overflow_by_placement", "specialist_demand_by_phase", "demand_by_placement_phase",
         "overflow_by_placement_phase"]
for v, variant in enumerate(["baseline", "target"]):
    ds = xr.open_dataset(path, engine="h5netcdf", group="variants/" + variant)
    phony = [d for d in ds.dims if str(d).startswith("phony_dim")]
    assert not phony, ds.dims
    assert ds["total_stock"].dims == ("replicate", "year"), ds["total_stock"].dims
    assert ds["stock_by_placement"].dims == ("replicate", "year", "placement")
    assert ds["new_plans_by_need"].dims == ("replicate", "year", "need")
    assert ds["specialist_demand_by_phase"].dims == ("replicate", "year", "phase")
    assert ds["demand_by_placement"].dims == ("replicate", "year", "placement")
    assert ds["demand_by_placement_phase"].dims == ("replicate", "year", "placement", "phase")
    assert ds["overflow_by_placement_phase"].dims == ("replicate", "year", "placement", "phase")
    assert ds["spend"].attrs["units"] == "GBP" and ds["total_stock"].attrs["units"] == "plans"
    assert ds["spend"].attrs["description"]
    assert dict(ds.sizes) == {"replicate": 10, "year": 4, "placement": 3, "need": 2, "phase": 2,
                              "capacity_entry": 2 if v == 0 else 0,
                              **({"parameter": 3} if v == 0 else {})}, dict(ds.sizes)
    assert "overflow" not in ds.attrs and "capacity" not in ds.variables
    k = ds["capacity_places"]
    assert k.dims == ("capacity_entry", "year") and k.attrs["units"] == "places", (k.dims, k.attrs)
    if v == 0:
        assert list(ds["capacity_entry"].values) == ["mss", "inmss/secondary"], ds["capacity_entry"].values
        assert list(k.sel(capacity_entry="mss").values) == [math.inf, math.inf, 100, 120], k.values
        assert list(k.sel(capacity_entry="inmss/secondary").values) == [math.inf, 50, 50, 50], k.values
        assert list(ds.attrs["capacity_placement"]) == ["mss", "inmss"], ds.attrs["capacity_placement"]
        assert list(ds.attrs["capacity_phase"]) == ["", "secondary"], ds.attrs["capacity_phase"]
        assert list(ds.attrs["capacity_overflow"]) == ["inmss", ""], ds.attrs["capacity_overflow"]
        assert list(ds.attrs["specialist"]) == ["mss", "inmss"], ds.attrs["specialist"]
    else:
        assert k.shape == (0, 4) and len(ds["capacity_entry"]) == 0, k.shape
        for name in ("capacity_placement", "capacity_phase", "capacity_overflow", "specialist"):
            assert len(ds.attrs[name]) == 0, (name, ds.attrs[name])
    if v == 0:
        assert ds["parameters"].dims == ("replicate", "parameter")
        assert list(ds["parameter"].values) == ["demand.growth", "cease.rate.primary.mainstream",
                                                "funding.known.2024"]
        assert ds["parameters"].values[7, 2] == 7 * 0.5 + 2
    else:
        assert "parameters" not in ds and "parameter" not in ds.dims
    # Coordinates from the root, as docs/output.md shows.
    ds = ds.assign_coords(year=root["year"], placement=root["placement"], need=root["need"], phase=root["phase"],
                          replicate=root["replicate"])
    if v == 0:
        assert ds["capacity_places"].sel(year=2025, capacity_entry="mss").item() == 100
    for m, name in enumerate(names):
        values = ds[name].values.reshape(10, 4, -1)  # [replicate, year, extra], extra flattened as in the file
        for r in (0, 3, 9):
            for y in range(4):
                for e in range(values.shape[2]):
                    got = float(values[r, y, e])
                    want = synthetic(v, m, name, r, y, e)
                    assert (math.isnan(got) and math.isnan(want)) or got == want, (variant, name, r, y, e, got, want)
    x = ds["stock_by_placement"].sel(year=2025, placement="mss", replicate=4).item()
    assert x == v * 1e6 + 1e4 + 4 + 2 * 0.25 + 0.0625, x
    x = ds["demand_by_placement_phase"].sel(year=2024, placement="inmss", phase="primary", replicate=3).item()
    assert x == v * 1e6 + 21e4 + 3 + 0.25 + 4 * 0.0625, x
)" + python_check_expected + R"(
check_expected(sys.argv[2])
print("ok")
)";
    EXPECT_EQ(run(script, path("run.h5") + " " + path("dbv.h5")), "ok\n");
}

TEST_F(Python, H5pySeesTheDocumentedLayout) {
    require("h5py");
    const RunInfo info = small_info(6000);
    write_synthetic(path("run.h5"), info, {{0, 3000}, {3000, 3000}});
    const std::string script = R"(
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    a = f.attrs
    assert a["format"] == "ehcpsim-ensemble" and a["format_version"] == 1 and a["complete"] == 1
    assert a["seed"].dtype == np.uint64 and a["seed"] == 18446744073709551557
    assert a["replicates"].dtype == np.int64 and a["replicates"] == 6000
    assert a["scenario_name"] == 'Synthetic "test" scenario' and a["mode"] == "monte_carlo"
    assert a["engine_version"] == "0.1.0-test"
    assert f["year"].dtype == np.int32 and f["replicate"].dtype == np.int64
    assert f["replicate"][-1] == 5999
    d = f["variants/baseline/stock_by_placement"]
    assert d.dtype == np.float64 and d.shape == (6000, 4, 3)
    assert d.chunks[1:] == (4, 3) and 1 < d.chunks[0] <= 4096, d.chunks
    assert d.compression == "gzip" and d.shuffle, (d.compression, d.shuffle)
    assert [dim[0].name for dim in d.dims] == ["/replicate", "/year", "/placement"]
    assert [dim.label for dim in d.dims] == ["replicate", "year", "placement"], [dim.label for dim in d.dims]
    d = f["variants/baseline/specialist_demand_by_phase"]
    assert d.shape == (6000, 4, 2) and [dim[0].name for dim in d.dims] == ["/replicate", "/year", "/phase"]
    assert [dim.label for dim in d.dims] == ["replicate", "year", "phase"]
    d = f["variants/baseline/overflow_by_placement_phase"]
    assert d.shape == (6000, 4, 3, 2) and d.chunks[1:] == (4, 3, 2), (d.shape, d.chunks)
    assert [dim[0].name for dim in d.dims] == ["/replicate", "/year", "/placement", "/phase"]
    assert [dim.label for dim in d.dims] == ["replicate", "year", "placement", "phase"]
    k = f["variants/baseline/capacity_places"]
    assert k.shape == (0, 4) and k.dtype == np.float64, k.shape
    assert [dim[0].name for dim in k.dims] == ["/variants/baseline/capacity_entry", "/year"]
    assert [dim.label for dim in k.dims] == ["capacity_entry", "year"]
    assert f["variants/baseline/capacity_entry"].shape == (0,)
    assert "capacity" not in f["variants/baseline"] and "overflow" not in f["variants/baseline"].attrs
    assert len(f["variants/baseline"].attrs["capacity_overflow"]) == 0
    p = f["variants/baseline/parameters"]
    assert [dim[0].name for dim in p.dims] == ["/replicate", "/variants/baseline/parameter"]
    assert "parameters" not in f["variants/target"]
    s = f["scenario"]
    order = list(s.attrs["order"])
    assert order == ["halton.toml", "data/stock.csv", "data_stock.csv"], order
    assert sorted(s.keys()) == ["data_stock.csv", "data_stock.csv~2", "halton.toml"], list(s.keys())
    assert s["halton.toml"].asstr()[()].startswith("[scenario]")
    assert "£ and ü" in s["halton.toml"].asstr()[()]
    assert s["data_stock.csv"].attrs["path"] == "data/stock.csv"
    assert s["data_stock.csv~2"].attrs["path"] == "data_stock.csv"
print("ok")
)";
    EXPECT_EQ(run(script, path("run.h5")), "ok\n");
}

}  // namespace
}  // namespace ehcpsim
