// The ensemble file's layout (layout.h).
#include "layout.h"

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>

namespace ehcpsim::file {

using namespace hdf5;

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
    }
    return {replicates, years};
}

bool omitted(const RunInfo& info, const MetricInfo& metric) {
    return metric.extent == Extent::year_placement_phase && !info.phase_detail;
}

std::vector<const char*> extra_dimensions(Extent extent) {
    switch (extent) {
        case Extent::year: return {};
        case Extent::year_placement: return {"placement"};
        case Extent::year_need: return {"need"};
        case Extent::year_phase: return {"phase"};
        case Extent::year_placement_phase: return {"placement", "phase"};
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
