// Summaries of an ensemble file: per variant, metric and year the mean and
// quantiles, as a terminal table, CSV or JSON. Quantiles are exact order
// statistics with linear interpolation between them (numpy's default,
// "type 7"): q(p) = x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)])
// with h = (n - 1) p on the sorted values.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "ehcpsim/output.h"

namespace ehcpsim {

inline const std::vector<double> summary_probabilities = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};

// Type-7 quantile of values already sorted ascending; NaNs, wherever they
// stand, are ignored; all-NaN or empty gives NaN. The interpolation is
// numpy's (from the nearer neighbour when h - floor(h) >= 0.5), so results
// match numpy.quantile bit for bit.
double quantile_sorted(const std::vector<double>& sorted, double p);

struct SeriesSummary {  // one metric (and one placement/need) over years
    std::string label;   // metric name, or "stock_by_placement[mss]"
    std::vector<double> mean;
    std::vector<std::vector<double>> quantiles;  // [probability][year]
};

struct VariantSummary {
    std::string variant;
    std::vector<SeriesSummary> series;
};

struct Summary {
    RunInfo info;
    std::vector<VariantSummary> variants;
};

Summary summarise(const ResultReader& reader);

enum class SummaryFormat { table, csv, json };
void print_summary(const Summary& summary, SummaryFormat format, std::ostream& out);

}  // namespace ehcpsim
