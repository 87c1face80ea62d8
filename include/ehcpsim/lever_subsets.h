// Each lever's worth (issue 16, item 3), as a run records it: for a
// mitigated variant with k levers, the cumulative deficit at the horizon of
// every one of the 2^k subsets of its levers, replicate by replicate, each
// subset run under the same keyed streams and parameter draws as the variant
// (common random numbers). Subset s has lever j in force when bit j of s is
// set (levers in the scenario's order), so subset 2^k - 1 is the variant
// itself, bit for bit, and subset 0 the variant with no lever in force.
// Plain data shared by the runner (which computes it), the file stage (which
// stores it, docs/output.md "Lever worth") and the summary (which turns it
// into standalone worths and Shapley shares, summary_levers.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ehcpsim {

// At most this many levers in one variant: 2^k projections per replicate.
inline constexpr int max_worth_levers = 10;

struct LeverSubsets {
    std::string variant;
    std::vector<std::string> levers;  // k names, in the scenario's order
    // [replicate][subset], 2^k values per replicate: GBP, the cumulative
    // deficit at the horizon with the levers of the subset in force.
    std::vector<double> deficit;

    std::size_t subsets() const { return std::size_t{1} << levers.size(); }
};

}  // namespace ehcpsim
