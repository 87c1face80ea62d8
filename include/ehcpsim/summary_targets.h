// Confidence where members ask for it (issue 16, item 4; docs/output.md,
// "Exceedance by year" and "Targets"): P(cumulative deficit > X) and
// P(in-year deficit > X) in every year, and P(meeting a target) for a key
// figure the user names, each the fraction of replicates (NaNs left out).
// Plain tables, so an export (the workbook, the report) can use them as
// they are.
#pragma once

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ehcpsim/output.h"

namespace ehcpsim {

struct ExceedanceByYear {
    std::vector<int> years;
    std::vector<double> thresholds;  // X, pounds, as given
    std::vector<std::string> variants;
    // [variant][threshold][year]: P(D(t) > X) and P(in-year deficit(t) > X),
    // strictly above; NaN where the year has no value (none in the base year
    // for a flow; the deficits have one).
    std::vector<std::vector<std::vector<double>>> cumulative, in_year;
};
ExceedanceByYear exceedance_by_year(const ResultReader& reader, const std::vector<double>& thresholds);
void print_exceedance_by_year_table(const ExceedanceByYear& e, std::ostream& out);
void print_exceedance_by_year_csv(const ExceedanceByYear& e, std::ostream& out);

// A target: FIGURE:YEAR OP VALUE, OP one of <=, <, >=, >. FIGURE is a
// [year] metric of the file (cumulative_deficit, in_year_deficit, spend,
// total_stock, new_plans, ...), METRIC.CATEGORY for a metric by placement or
// need (stock_by_placement.inmss), stock.PLACEMENT (the stock of plans in a
// placement), or share.PLACEMENT / share_PLACEMENT (its share of all plans,
// 0..1; VALUE may be given as a percentage, 45%). Names of metrics and
// categories match whatever their case. VALUE is an amount for money
// (40m, 500k, 2.5bn, £1.2m) and a number otherwise.
struct Target {
    std::string text;    // as given
    std::string figure;  // as given, before the colon
    int year = 0;
    enum class Comparison { at_most, below, at_least, above } comparison = Comparison::at_most;
    double value = 0.0;
    // Resolved against the file:
    int metric = -1;         // MetricId
    int category = 0;        // placement or need (0 for a [year] metric)
    bool share = false;      // stock_by_placement[category] / total_stock
    std::size_t year_index = 0;
};
// What is wrong with a target, in words naming it: "--target 'x': ...".
class TargetError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};
// Parses and resolves `text` against the file's run; TargetError naming the
// part that is wrong (the character where it starts), and what is allowed.
Target parse_target(std::string_view text, const RunInfo& info);

struct TargetProbability {
    Target target;
    // Per variant of the file (its order): the fraction of replicates that
    // meet the target (NaN when none has a value), and the figure's median.
    std::vector<double> probability, median;
};
std::vector<TargetProbability> target_probabilities(const ResultReader& reader, const std::vector<Target>& targets);
void print_targets_table(const std::vector<TargetProbability>& targets, const RunInfo& info, std::ostream& out);
void print_targets_csv(const std::vector<TargetProbability>& targets, const RunInfo& info, std::ostream& out);

}  // namespace ehcpsim
