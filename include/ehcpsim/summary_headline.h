// The headline figures of a run, by variant, at the horizon: the median
// cumulative deficit, the median DBV opportunity (D[compare_to] - D[variant],
// replicate by replicate) and the median stock of plans. What `ehcpsim
// compare` sets side by side for two runs (docs/compare.md), from a file or
// from values a re-run computed in memory.
#pragma once

#include <string>
#include <vector>

#include "ehcpsim/output.h"

namespace ehcpsim {

struct HeadlineFigures {
    int horizon_year = 0;
    std::vector<std::string> variants;
    // Per variant (same order), GBP or plans; NaN where there is no value
    // (no opportunity for an unmitigated variant, or when its compare_to is
    // not in the run).
    std::vector<double> deficit, opportunity, stock;
};

// The figures' names and units, in the order figure_values() gives them.
const std::vector<std::string>& headline_figure_names();  // cumulative_deficit, opportunity, total_stock
std::vector<double> figure_values(const HeadlineFigures& figures, std::size_t variant);

// From the per-variant values at the horizon: [variant][replicate].
HeadlineFigures headline_figures(const RunInfo& info, const std::vector<std::vector<double>>& horizon_deficit,
                                 const std::vector<std::vector<double>>& horizon_stock);
HeadlineFigures headline_figures(const ResultReader& reader);

}  // namespace ehcpsim
