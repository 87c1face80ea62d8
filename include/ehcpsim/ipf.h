// Margins to cells, for calibrate's base stock: iterative proportional
// fitting of a three-way table (age x need x placement) to margins along each
// dimension, from a seed cross-table, then integer counts that keep the total
// exactly and every margin at its rounded target. A margin's groups may be
// sets of indices (an age band), and every margin covers every index (an
// unpublished part is one "rest" group), so all margins share one total.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ehcpsim::calibrate {

struct Table3 {
    std::size_t n0 = 0, n1 = 0, n2 = 0;  // age, need, placement
    std::vector<double> cells;           // (i0 * n1 + i1) * n2 + i2
    std::size_t at(std::size_t i0, std::size_t i1, std::size_t i2) const { return (i0 * n1 + i1) * n2 + i2; }
};

// One margin along dimension `dim` (0, 1 or 2): each group is a set of
// indices of that dimension with its target; groups partition the indices
// and the targets sum to the table's total.
struct Margin {
    int dim = 0;
    std::vector<std::vector<std::size_t>> groups;
    std::vector<double> targets;
};

struct IpfOutcome {
    Table3 table;
    int iterations = 0;
    double max_relative_gap = 0.0;  // max over groups of |fit - target| / max(target, 1)
    bool converged = false;
};

// Raking: each sweep scales every group of every margin to its target.
// Stops when the largest gap is under `tolerance` (relative, or absolute
// below 1) or after `max_sweeps`.
IpfOutcome ipf(const Table3& seed, const std::vector<Margin>& margins, double tolerance = 1e-10,
               int max_sweeps = 5000);

// Integer cells: the targets of each margin rounded to integers summing to
// `total` (largest remainder), the cells rounded to `total` (largest
// remainder), then units moved along one dimension at a time from a group
// above its integer target to one below, at fixed other indices, so the other
// margins do not move; the cell moved into is the one furthest below its real
// value. Every margin ends at its integer targets when a move is possible.
std::vector<std::int64_t> integerise(const Table3& fitted, const std::vector<Margin>& margins, std::int64_t total);

// Largest-remainder rounding of non-negative values to integers summing to `total`.
std::vector<std::int64_t> round_to_total(const std::vector<double>& values, std::int64_t total);

}  // namespace ehcpsim::calibrate
