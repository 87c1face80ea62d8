// Each lever's worth in the ensemble file (docs/output.md, "Lever worth"):
// /variants/<variant>/lever_worth/lever (k names) and
// /variants/<variant>/lever_worth/subset_cumulative_deficit [replicate,
// subset] (GBP). Written only by `run --lever-worth`, so a file without them
// is the same bytes as before. Internal to the file stage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ehcpsim/lever_subsets.h"
#include "hdf5.h"

namespace ehcpsim::file {

inline constexpr const char* lever_worth_group = "lever_worth";

// Into the open group of `subsets.variant`; `replicate_scale` is the root's
// replicate coordinate, attached to the first dimension.
void write_lever_subsets_group(const hdf5::Context& ctx, hid_t variant_group, hid_t replicate_scale,
                         const LeverSubsets& subsets, std::int64_t replicates);
// Variant `variant`'s, or an empty `levers` when the file has none for it.
// A group that is there but the wrong shape: RuntimeError naming the file.
LeverSubsets read_lever_subsets(const hdf5::Context& ctx, hid_t file, const std::string& variant,
                                std::int64_t replicates);

}  // namespace ehcpsim::file
