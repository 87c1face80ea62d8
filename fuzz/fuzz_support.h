// Shared by the fuzz targets over the files ehcpsim reads back: a small run
// and blocks of made-up results for it, to build the valid files a fuzzer
// starts from.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ehcpsim/output.h"
#include "ehcpsim/results.h"

namespace ehcpsim::fuzzing {

inline RunInfo small_run(std::int64_t replicates = 8) {
    RunInfo info;
    info.scenario_name = "fuzz";
    info.mode = "monte_carlo";
    info.seed = 7;
    info.replicates = replicates;
    info.engine_version = "fuzz";
    info.years = {2023, 2024, 2025};
    info.placements = {"mainstream", "mss", "inmss"};
    info.needs = {"ASD", "SEMH"};
    info.phases = {"primary", "secondary"};
    info.variants = {"baseline", "target"};
    info.levels = {"none", "target"};
    info.compare_to = {"", "baseline"};
    info.parameter_names = {{"demand.growth", "cease.rate"}, {"demand.growth", "cease.rate"}};
    info.capacity = {{RunInfo::CapacityEntry{1, -1, 2, {50.0, 55.0, 60.0}}}, {}};
    info.specialist = {{1, 2}, {1, 2}};
    info.sources = {{"fuzz.toml", "[scenario]\nname = \"fuzz\"\n"}};
    return info;
}

inline ResultBlock made_up_block(const RunInfo& info, std::int64_t first, std::int64_t count) {
    const Shape shape{static_cast<int>(info.years.size()), static_cast<int>(info.placements.size()),
                      static_cast<int>(info.needs.size()), static_cast<int>(info.phases.size()), info.phase_detail};
    std::vector<std::size_t> parameters;
    for (const auto& names : info.parameter_names) parameters.push_back(names.size());
    ResultBlock block;
    block.allocate(shape, first, count, parameters);
    double x = static_cast<double>(first) + 1.0;
    for (VariantBlock& variant : block.variants) {
        for (int m = 0; m < metric_count; ++m) {
            const bool flow = metric_catalogue()[static_cast<std::size_t>(m)].flow;
            auto& values = variant.metrics[static_cast<std::size_t>(m)];
            const std::size_t per_year = shape.values_per_replicate(m) / info.years.size();
            for (std::size_t i = 0; i < values.size(); ++i) {
                const std::size_t year = (i / per_year) % info.years.size();
                values[i] = flow && year == 0 ? std::numeric_limits<double>::quiet_NaN() : (x += 1.5) * 1000.0;
            }
        }
        for (double& p : variant.parameters) p = (x += 0.25);
    }
    return block;
}

}  // namespace ehcpsim::fuzzing
