// The ensemble file's layout (docs/output.md): its format name and version,
// the shapes of the metric datasets, which are optional or omitted, how the
// scenario's files are named inside it, and the chunked replicate arrays.
// Shared by the writer and the reader; internal to the file stage.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ehcpsim/results.h"
#include "hdf5.h"

namespace ehcpsim::file {

using hdf5::Context;
using hdf5::DatasetHandle;

inline constexpr const char* format_name = "ehcpsim-ensemble";
inline constexpr int format_version = 1;
// Chunks hold whole replicates ([c, year, extra]) and stay near this size:
// small enough for the default 1 MiB chunk cache to hold a few per dataset,
// large enough for deflate to work well.
inline constexpr std::size_t target_chunk_bytes = 256 * 1024;
inline constexpr hsize_t max_chunk_replicates = 4096;
inline constexpr unsigned deflate_level = 1;  // level 1: most of the gain for a fraction of the time

// Metrics added after the first files were written (capacity, overflow, the
// SCAP export and the split by phase): a file without them reads as all NaN.
inline constexpr int first_optional_metric = m_demand_by_placement;

// Scenario files are stored one dataset each, named after the path with '/'
// replaced by '_' ("data/stock.csv" -> "data_stock.csv"); a clash gets "~2",
// "~3", ... in the order the paths are listed. The reader derives the same
// names from the "order" attribute.
std::vector<std::string> source_dataset_names(const std::vector<std::string>& paths);

void check_object_name(const std::string& kind, const std::string& name);

std::vector<hsize_t> metric_dims(const RunInfo& info, const MetricInfo& metric);

// The split by placement and phase is large (placements x phases a year) and
// only needed for per-phase capacity, so it is left out otherwise.
bool omitted(const RunInfo& info, const MetricInfo& metric);

// The names of an extent's dimensions after year, each also the name of its
// root coordinate.
std::vector<const char*> extra_dimensions(Extent extent);

std::vector<std::string> names_of(const std::vector<std::string>& placements, const std::vector<int>& indices);

// The expected-value projection: one value per year (and category).
std::vector<hsize_t> expected_dims(const RunInfo& info, const MetricInfo& metric);

std::size_t product(const std::vector<hsize_t>& dims);

hsize_t chunk_replicates(hsize_t replicates, std::size_t bytes_per_replicate);

// A float64 array [replicate, ...] chunked along replicate, shuffled and
// deflated, unwritten values NaN.
DatasetHandle create_replicate_array(const Context& ctx, hid_t location, const std::string& name,
                                     const std::vector<hsize_t>& dims);

// What a RunInfo must be for the writer to lay it out (a caller's bug
// otherwise: std::invalid_argument): replicates that fit the run, one entry
// per variant in each per-variant list given, known levels, distinct variant
// names that can name an HDF5 group, capacity entries that name placements,
// phases and an overflow placement, with one number of places (>= 0) a year.
void check_layout(const RunInfo& info);

}  // namespace ehcpsim::file
