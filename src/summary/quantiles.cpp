// Type-7 quantiles (numpy's default "linear" method) by selection rather than
// a full sort, and the moments the views share.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <iterator>

#include "common.h"

namespace ehcpsim {
namespace summary_detail {
namespace {

// Where quantile p of n sorted values falls: between x[below] and x[below+1]
// at fraction t (numpy's "linear" method: h = (n - 1) p).
struct Position {
    std::size_t below;
    double t;
    bool last;  // at or beyond the last value: the answer is x[n-1]
};

Position position(std::size_t n, double p) {
    assert(n > 0);
    p = std::clamp(p, 0.0, 1.0);
    const double h = static_cast<double>(n - 1) * p;
    const double below = std::floor(h);
    if (below >= static_cast<double>(n - 1)) return {n - 1, 0.0, true};
    return {static_cast<std::size_t>(below), h - below, false};
}

// numpy's _lerp, bit for bit: interpolating from the nearer end keeps the
// result exact at t = 1 and monotone in t.
double interpolate(double a, double b, double t) {
    const double difference = b - a;
    return t >= 0.5 ? b - difference * (1.0 - t) : a + difference * t;
}

// Puts the k-th smallest value at values[k] for every k in [first, last)
// (ascending, all within [lo, hi)). Splitting at the middle index and
// recursing into each side costs about n log2(number of indices), against
// n log2(n) for a full sort.
void select_order_statistics(std::vector<double>& values, std::size_t lo, std::size_t hi, const std::size_t* first,
                             const std::size_t* last) {
    if (first == last) return;
    const std::size_t* middle = first + (last - first) / 2;
    std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(lo),
                     values.begin() + static_cast<std::ptrdiff_t>(*middle),
                     values.begin() + static_cast<std::ptrdiff_t>(hi));
    select_order_statistics(values, lo, *middle, first, middle);
    select_order_statistics(values, *middle + 1, hi, middle + 1, last);
}

}  // namespace

std::vector<double> quantiles_of(std::vector<double>& values, const std::vector<double>& probabilities) {
    const std::size_t n = values.size();
    if (n == 0) return std::vector<double>(probabilities.size(), nan_value);
    std::vector<std::size_t> needed;
    for (double p : probabilities) {
        const Position at = position(n, p);
        needed.push_back(at.below);
        if (!at.last) needed.push_back(at.below + 1);
    }
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    select_order_statistics(values, 0, n, needed.data(), needed.data() + needed.size());
    std::vector<double> result;
    result.reserve(probabilities.size());
    for (double p : probabilities) {
        const Position at = position(n, p);
        result.push_back(at.last ? values[at.below] : interpolate(values[at.below], values[at.below + 1], at.t));
    }
    return result;
}

double mean_of(const std::vector<double>& values) {
    if (values.empty()) return nan_value;
    double sum = 0.0;
    for (double x : values) sum += x;
    return sum / static_cast<double>(values.size());
}

double squared_deviations(const std::vector<double>& values) {
    const double mean = mean_of(values);
    double sum = 0.0;
    for (double x : values) sum += (x - mean) * (x - mean);
    return sum;
}

}  // namespace summary_detail

using namespace summary_detail;

double quantile_sorted(const std::vector<double>& sorted, double p) {
    const std::vector<double>* values = &sorted;
    std::vector<double> without_nan;
    if (std::any_of(sorted.begin(), sorted.end(), [](double x) { return std::isnan(x); })) {
        std::copy_if(sorted.begin(), sorted.end(), std::back_inserter(without_nan), [](double x) { return !std::isnan(x); });
        values = &without_nan;
    }
    if (values->empty()) return nan_value;
    const Position at = position(values->size(), p);
    return at.last ? (*values)[at.below] : interpolate((*values)[at.below], (*values)[at.below + 1], at.t);
}

}  // namespace ehcpsim
