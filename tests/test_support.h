// Helpers shared by the model and CLI tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ehcpsim/results.h"

namespace ehcpsim::testing {

inline std::string source_path(const std::string& relative) { return std::string(EHCPSIM_SOURCE_DIR) + "/" + relative; }
inline std::string small_scenario() { return source_path("tests/scenarios/small/small.toml"); }

// Value of a [replicate, year(, extra)] metric inside a block.
inline double value(const VariantBlock& block, const Shape& shape, int metric, std::int64_t slot, int year,
                    int extra = 0) {
    const std::size_t per_rep = shape.values_per_replicate(metric);
    const std::size_t width = per_rep / static_cast<std::size_t>(shape.years);
    return block.metrics[metric][static_cast<std::size_t>(slot) * per_rep + static_cast<std::size_t>(year) * width +
                                 static_cast<std::size_t>(extra)];
}

}  // namespace ehcpsim::testing
