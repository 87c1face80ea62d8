// Each lever's worth (issue 16, item 3; docs/output.md "Lever worth"): from
// the subsets a run with --lever-worth stored (lever_subsets.h), each lever's
// standalone opportunity and its Shapley share of the variant's opportunity,
// as distributions over replicates. Plain tables, so an export (the
// workbook) can write them as they are.
//
// With D(S) the cumulative deficit at the horizon with the levers of S in
// force (all under the variant's draws), lever j's Shapley share in a
// replicate is the average over the k! orders of adding the levers of its
// marginal opportunity D(S) - D(S + j), computed exactly from the 2^k
// subsets: phi_j = sum over S not holding j of |S|! (k - |S| - 1)! / k! x
// (D(S) - D(S + j)). The shares add up, replicate by replicate, to D(none) -
// D(all), the levers' opportunity (to the rounding of doubles). A lever that
// changes nothing gets exactly zero; two levers that are interchangeable get
// the same share. The variant's opportunity D(compare_to) - D(all) is that
// plus D(compare_to) - D(none), which is zero when the variant differs from
// the variant it is compared with only in its level (the DBV set); any other
// difference is reported as its own row, `(other)`.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "ehcpsim/lever_subsets.h"
#include "ehcpsim/output.h"
#include "ehcpsim/workbook.h"

namespace ehcpsim {

// Mean and the 10th/50th/90th percentiles (type 7) over replicates; NaN
// when there are none.
struct WorthSpread {
    double mean = std::numeric_limits<double>::quiet_NaN();
    double p10 = std::numeric_limits<double>::quiet_NaN();
    double p50 = std::numeric_limits<double>::quiet_NaN();
    double p90 = std::numeric_limits<double>::quiet_NaN();
};

struct LeverWorthRow {
    std::string lever;     // the mitigation's name; "(other)" for the non-lever difference
    WorthSpread alone;     // GBP: D(none) - D(only this lever); NaN for "other"
    WorthSpread shapley;   // GBP: the lever's Shapley share
    // Per cent of the variant's opportunity: mean = 100 x mean(share) /
    // mean(opportunity), so the rows' means add up to 100; the percentiles
    // are of 100 x share / opportunity replicate by replicate (replicates
    // with a zero opportunity left out), and do not add up.
    WorthSpread percent;
};

struct VariantLeverWorth {
    std::string variant;
    std::string compare_to;        // "" when the file does not hold it (then the opportunity is D(none) - D(all))
    WorthSpread opportunity;       // GBP: D(compare_to) - D(all), or D(none) - D(all)
    std::vector<LeverWorthRow> levers;  // scenario order; "(other)" last when any replicate has one
    // Largest |sum of shares - (D(none) - D(all))| over replicates, GBP.
    double largest_residual = 0.0;
};

// The exact Shapley shares of one replicate: deficit holds 2^k values
// (subset order, lever_subsets.h); returns k shares. Exposed for tests.
std::vector<double> shapley_shares(const double* deficit, std::size_t levers);

// Every variant with stored subsets, in the file's order; empty when the
// run had no --lever-worth.
std::vector<VariantLeverWorth> lever_worth(const ResultReader& reader);

// The table (money in GBP m) or long CSV of lever_worth().
void print_lever_worth_table(const std::vector<VariantLeverWorth>& worth, std::ostream& out);
void print_lever_worth_csv(const std::vector<VariantLeverWorth>& worth, std::ostream& out);

// The workbook's sheet of lever_worth() (workbook.h): the CSV's numbers,
// one row per variant and lever, in pounds; variants shown by their labels.
Table lever_worth_sheet(const std::vector<VariantLeverWorth>& worth, const RunInfo& info);

}  // namespace ehcpsim
