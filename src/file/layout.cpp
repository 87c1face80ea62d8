// The ensemble file's layout (layout.h).
#include "layout.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

namespace ehcpsim::file {

using namespace hdf5;

namespace {

// Capacity and specialist lists: each empty (nothing capped) or one
// entry per variant. A capacity entry names a placement, a phase or -1,
// an overflow placement other than its own or -1, and has one number of
// places (>= 0, +inf for no limit) per year; no two entries of a variant
// cap the same placement and phase.
void check_capacity(const RunInfo& info) {
    const std::size_t variants = info.variants.size();
    const int placements = static_cast<int>(info.placements.size());
    const int phases = static_cast<int>(info.phases.size());
    const auto fail = [](const std::string& what) {
        throw std::invalid_argument("ehcpsim output: " + what);
    };
    if (!info.capacity.empty() && info.capacity.size() != variants) {
        fail("capacity must be empty or have one entry per variant");
    }
    if (!info.specialist.empty() && info.specialist.size() != variants) {
        fail("specialist must be empty or have one entry per variant");
    }
    for (std::size_t v = 0; v < info.capacity.size(); ++v) {
        std::set<std::pair<int, int>> seen;
        for (std::size_t i = 0; i < info.capacity[v].size(); ++i) {
            const auto& entry = info.capacity[v][i];
            const std::string what =
                "capacity entry " + std::to_string(i) + " of variant '" + info.variants[v] + "'";
            if (entry.placement < 0 || entry.placement >= placements) fail(what + " names no placement");
            if (entry.phase < -1 || entry.phase >= phases) fail(what + " names no phase");
            if (entry.overflow < -1 || entry.overflow >= placements || entry.overflow == entry.placement) {
                fail(what + ": its overflow names no other placement");
            }
            if (entry.places.size() != info.years.size()) fail(what + " must have one number of places per year");
            for (double k : entry.places) {
                if (std::isnan(k) || k < 0) fail(what + " has negative or NaN places");
            }
            if (!seen.emplace(entry.placement, entry.phase).second) {
                fail(what + " caps the same placement and phase as an earlier entry");
            }
        }
    }
    for (std::size_t v = 0; v < info.specialist.size(); ++v) {
        for (int p : info.specialist[v]) {
            if (p < 0 || p >= placements) {
                fail("specialist of variant '" + info.variants[v] + "' names no placement");
            }
        }
    }
}

}  // namespace

void check_layout(const RunInfo& info) {
    if (info.replicates < 0) throw std::invalid_argument("ehcpsim output: negative replicate count");
    // (total_replicates 0 has already become replicates: see create())
    if (info.first_replicate < 0 || info.total_replicates < 0 ||
        info.first_replicate > info.total_replicates - info.replicates) {
        throw std::invalid_argument("ehcpsim output: replicates [" + std::to_string(info.first_replicate) + ", " +
                                    std::to_string(info.first_replicate + info.replicates) +
                                    ") do not fit a run of " + std::to_string(info.total_replicates));
    }
    if (info.parameter_names.size() != info.variants.size()) {
        throw std::invalid_argument("ehcpsim output: parameter_names must have one entry per variant");
    }
    const auto per_variant = [&](const std::vector<std::string>& values, const char* what) {
        if (!values.empty() && values.size() != info.variants.size()) {
            throw std::invalid_argument(std::string("ehcpsim output: ") + what +
                                        " must be empty or have one entry per variant");
        }
    };
    per_variant(info.levels, "levels");
    per_variant(info.compare_to, "compare_to");
    check_capacity(info);
    for (const auto& level : info.levels) {
        if (level != "none" && level != "target" && level != "stretch") {
            throw std::invalid_argument("ehcpsim output: level '" + level +
                                        "' is not \"none\", \"target\" or \"stretch\"");
        }
    }
    std::set<std::string> seen;
    for (const auto& variant : info.variants) {
        check_object_name("variant", variant);
        if (!seen.insert(variant).second) {
            throw std::invalid_argument("ehcpsim output: variant '" + variant + "' listed twice");
        }
    }
}

std::vector<std::string> source_dataset_names(const std::vector<std::string>& paths) {
    std::vector<std::string> names;
    std::set<std::string> used;
    for (const auto& path : paths) {
        std::string base = path;
        std::replace(base.begin(), base.end(), '/', '_');
        if (base.empty() || base == ".") base = "_" + base;  // "." names the group itself
        std::string name = base;
        for (int k = 2; !used.insert(name).second; ++k) name = base + "~" + std::to_string(k);
        names.push_back(name);
    }
    return names;
}

void check_object_name(const std::string& kind, const std::string& name) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos) {
        throw std::invalid_argument("ehcpsim output: " + kind + " name '" + name +
                                    "' cannot name an HDF5 object");
    }
}

std::vector<hsize_t> metric_dims(const RunInfo& info, const MetricInfo& metric) {
    const auto replicates = static_cast<hsize_t>(info.replicates);
    const hsize_t years = info.years.size();
    switch (metric.extent) {
        case Extent::year: return {replicates, years};
        case Extent::year_placement: return {replicates, years, info.placements.size()};
        case Extent::year_need: return {replicates, years, info.needs.size()};
        case Extent::year_phase: return {replicates, years, info.phases.size()};
        case Extent::year_placement_phase:  // written only when some capacity is per phase
            return {replicates, years, info.placements.size(), info.phase_detail ? info.phases.size() : 0};
        case Extent::year_placement_age_need:  // written only with plan detail
            return {replicates, years, info.placements.size(), info.plan_detail ? info.ages.size() : 0,
                    info.needs.size()};
    }
    return {replicates, years};
}

bool omitted(const RunInfo& info, const MetricInfo& metric) {
    return (metric.extent == Extent::year_placement_phase && !info.phase_detail) ||
           (metric.extent == Extent::year_placement_age_need && !info.plan_detail);
}

std::vector<const char*> extra_dimensions(Extent extent) {
    switch (extent) {
        case Extent::year: return {};
        case Extent::year_placement: return {"placement"};
        case Extent::year_need: return {"need"};
        case Extent::year_phase: return {"phase"};
        case Extent::year_placement_phase: return {"placement", "phase"};
        case Extent::year_placement_age_need: return {"placement", "age", "need"};
    }
    return {};
}

std::vector<std::string> names_of(const std::vector<std::string>& placements, const std::vector<int>& indices) {
    std::vector<std::string> names;
    for (int i : indices) names.push_back(i < 0 ? std::string() : placements[static_cast<std::size_t>(i)]);
    return names;
}

std::vector<hsize_t> expected_dims(const RunInfo& info, const MetricInfo& metric) {
    auto dims = metric_dims(info, metric);
    dims.erase(dims.begin());
    return dims;
}

std::size_t product(const std::vector<hsize_t>& dims) {
    std::size_t n = 1;
    for (hsize_t d : dims) n *= static_cast<std::size_t>(d);
    return n;
}

hsize_t chunk_replicates(hsize_t replicates, std::size_t bytes_per_replicate) {
    const hsize_t fit = std::max<hsize_t>(1, target_chunk_bytes / std::max<std::size_t>(1, bytes_per_replicate));
    return std::clamp<hsize_t>(std::min(fit, max_chunk_replicates), 1, std::max<hsize_t>(1, replicates));
}

DatasetHandle create_replicate_array(const Context& ctx, hid_t location, const std::string& name,
                                     const std::vector<hsize_t>& dims) {
    const std::string what = "cannot create dataset '" + name + "'";
    SpaceHandle space = simple_space(ctx, dims);
    PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
    hsize_t per_replicate = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) per_replicate *= dims[i];
    const bool empty = per_replicate == 0 || dims[0] == 0;
    hsize_t chunk_bytes = 0;
    if (!empty) {  // HDF5 cannot chunk an empty extent; empty arrays stay contiguous
        std::vector<hsize_t> chunk = dims;
        chunk[0] = chunk_replicates(dims[0], per_replicate * sizeof(double));
        chunk_bytes = chunk[0] * per_replicate * sizeof(double);
        ctx.check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what);
        ctx.check_status(H5Pset_shuffle(dcpl.get()), what);
        ctx.check_status(H5Pset_deflate(dcpl.get(), deflate_level), what);
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    ctx.check_status(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), what);
    // Room for a few chunks per dataset, so blocks smaller than a chunk are
    // gathered in memory and each chunk is compressed once.
    PlistHandle dapl(ctx.check(H5Pcreate(H5P_DATASET_ACCESS), what));
    ctx.check_status(H5Pset_chunk_cache(dapl.get(), 521, std::max<hsize_t>(1024 * 1024, 4 * chunk_bytes), 1.0), what);
    return DatasetHandle(ctx.check(
        H5Dcreate2(location, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(), dapl.get()), what));
}

}  // namespace ehcpsim::file
