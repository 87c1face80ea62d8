// The series view of a summary: per variant, metric (and category) and year,
// the mean and type-7 quantiles over replicates. Quantiles are exact order
// statistics with linear interpolation between them (numpy's default,
// "type 7"): q(p) = x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)])
// with h = (n - 1) p on the sorted values. Part of summary.h.
#pragma once

#include <string>
#include <vector>

namespace ehcpsim {

inline const std::vector<double> summary_probabilities = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};

// Type-7 quantile of values already sorted ascending; NaNs, wherever they
// stand, are ignored; all-NaN or empty gives NaN. The interpolation is
// numpy's (from the nearer neighbour when h - floor(h) >= 0.5), so results
// match numpy.quantile bit for bit.
double quantile_sorted(const std::vector<double>& sorted, double p);

struct SeriesSummary {  // one metric (and one category) over years
    std::string label;   // metric name, "stock_by_placement[mss]" or "demand_by_placement_phase[mss/primary]"
    int metric = -1;       // index in metric_catalogue()
    std::string category;  // "" for a metric by year only, else "mss" or "mss/primary"
    std::vector<double> mean;
    std::vector<std::vector<double>> quantiles;  // [probability][year]
};

struct VariantSummary {
    std::string variant;
    std::vector<SeriesSummary> series;
    // The spend not driven by the stock: spend minus the sum of
    // spend_by_placement, replicate by replicate (the other High Needs spend
    // and the mitigation costs charged to the block), so that spend adds up
    // on screen. Shown in the terminal table only (label "spend_other");
    // empty when the file lacks either metric.
    SeriesSummary other_spend;
};

}  // namespace ehcpsim
