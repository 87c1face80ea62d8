// Iterative proportional fitting and integer rounding of the base stock (ipf.h).
#include "ehcpsim/ipf.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace ehcpsim::calibrate {

namespace {

std::array<std::size_t, 3> sizes(const Table3& t) { return {t.n0, t.n1, t.n2}; }

// Calls f(cell index, other1, other2) for every cell whose index along `dim` is `i`.
template <typename F>
void for_slice(const Table3& t, int dim, std::size_t i, F&& f) {
    if (dim == 0) {
        for (std::size_t b = 0; b < t.n1; ++b)
            for (std::size_t c = 0; c < t.n2; ++c) f(t.at(i, b, c));
    } else if (dim == 1) {
        for (std::size_t a = 0; a < t.n0; ++a)
            for (std::size_t c = 0; c < t.n2; ++c) f(t.at(a, i, c));
    } else {
        for (std::size_t a = 0; a < t.n0; ++a)
            for (std::size_t b = 0; b < t.n1; ++b) f(t.at(a, b, i));
    }
}

template <typename Cells>
double group_sum(const Table3& t, const Cells& cells, int dim, const std::vector<std::size_t>& group) {
    double s = 0.0;
    for (std::size_t i : group) for_slice(t, dim, i, [&](std::size_t x) { s += static_cast<double>(cells[x]); });
    return s;
}

double gap_of(const Table3& t, const std::vector<Margin>& margins) {
    double worst = 0.0;
    for (const Margin& m : margins)
        for (std::size_t g = 0; g < m.groups.size(); ++g) {
            const double fit = group_sum(t, t.cells, m.dim, m.groups[g]);
            worst = std::max(worst, std::abs(fit - m.targets[g]) / std::max(m.targets[g], 1.0));
        }
    return worst;
}

}  // namespace

IpfOutcome ipf(const Table3& seed, const std::vector<Margin>& margins, double tolerance, int max_sweeps) {
    IpfOutcome out;
    out.table = seed;
    Table3& t = out.table;
    for (int sweep = 0; sweep < max_sweeps; ++sweep) {
        for (const Margin& m : margins)
            for (std::size_t g = 0; g < m.groups.size(); ++g) {
                const double fit = group_sum(t, t.cells, m.dim, m.groups[g]);
                const double factor = fit > 0.0 ? m.targets[g] / fit : 0.0;
                for (std::size_t i : m.groups[g]) for_slice(t, m.dim, i, [&](std::size_t x) { t.cells[x] *= factor; });
            }
        out.iterations = sweep + 1;
        out.max_relative_gap = gap_of(t, margins);
        if (out.max_relative_gap < tolerance) {
            out.converged = true;
            break;
        }
    }
    return out;
}

std::vector<std::int64_t> round_to_total(const std::vector<double>& values, std::int64_t total) {
    std::vector<std::int64_t> out(values.size());
    std::vector<std::pair<double, std::size_t>> remainders;
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = std::max(0.0, values[i]);
        out[i] = static_cast<std::int64_t>(std::floor(v));
        sum += out[i];
        remainders.push_back({v - std::floor(v), i});
    }
    // Largest remainders first; ties by index, so the result is deterministic.
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t r = 0; sum < total && !remainders.empty(); r = (r + 1) % remainders.size()) {
        ++out[remainders[r].second];
        ++sum;
    }
    // Values summing above `total` (never from a fit, but cheap to handle):
    // take units back, smallest remainders first.
    while (sum > total) {
        bool took = false;
        for (std::size_t r = remainders.size(); r-- > 0 && sum > total;) {
            std::int64_t& cell = out[remainders[r].second];
            if (cell > 0) {
                --cell;
                --sum;
                took = true;
            }
        }
        if (!took) break;
    }
    return out;
}

std::vector<std::int64_t> integerise(const Table3& fitted, const std::vector<Margin>& margins, std::int64_t total) {
    std::vector<std::int64_t> cells = round_to_total(fitted.cells, total);
    const auto n = sizes(fitted);
    for (int pass = 0; pass < 4; ++pass) {
        bool moved_any = false;
        for (const Margin& m : margins) {
            const std::vector<std::int64_t> goal = round_to_total(m.targets, total);
            // The group of each index along the margin's dimension.
            std::vector<std::size_t> group_of(n[static_cast<std::size_t>(m.dim)], 0);
            for (std::size_t g = 0; g < m.groups.size(); ++g)
                for (std::size_t i : m.groups[g]) group_of[i] = g;
            for (;;) {
                std::vector<std::int64_t> have(m.groups.size(), 0);
                for (std::size_t g = 0; g < m.groups.size(); ++g)
                    have[g] = static_cast<std::int64_t>(group_sum(fitted, cells, m.dim, m.groups[g]));
                // The best single move: out of a cell of a group above its goal
                // into the cell at the same other indices of a group below it,
                // maximising how far the receiving cell is below its real value
                // plus how far the giving cell is above its own.
                double best = -1e300;
                std::size_t from = 0, into = 0;
                bool found = false;
                const int d = m.dim;
                const std::size_t o1n = n[static_cast<std::size_t>((d + 1) % 3)];
                const std::size_t o2n = n[static_cast<std::size_t>((d + 2) % 3)];
                const auto index = [&](std::size_t i, std::size_t o1, std::size_t o2) {
                    std::array<std::size_t, 3> idx{};
                    idx[static_cast<std::size_t>(d)] = i;
                    idx[static_cast<std::size_t>((d + 1) % 3)] = o1;
                    idx[static_cast<std::size_t>((d + 2) % 3)] = o2;
                    return fitted.at(idx[0], idx[1], idx[2]);
                };
                for (std::size_t i = 0; i < n[static_cast<std::size_t>(d)]; ++i) {
                    if (have[group_of[i]] <= goal[group_of[i]]) continue;
                    for (std::size_t j = 0; j < n[static_cast<std::size_t>(d)]; ++j) {
                        if (have[group_of[j]] >= goal[group_of[j]]) continue;
                        for (std::size_t o1 = 0; o1 < o1n; ++o1)
                            for (std::size_t o2 = 0; o2 < o2n; ++o2) {
                                const std::size_t a = index(i, o1, o2), b = index(j, o1, o2);
                                if (cells[a] <= 0) continue;
                                const double score = (fitted.cells[b] - static_cast<double>(cells[b])) +
                                                     (static_cast<double>(cells[a]) - fitted.cells[a]);
                                if (score > best) {
                                    best = score;
                                    from = a;
                                    into = b;
                                    found = true;
                                }
                            }
                    }
                }
                if (!found) break;
                --cells[from];
                ++cells[into];
                moved_any = true;
            }
        }
        if (!moved_any) break;
    }
    return cells;
}

}  // namespace ehcpsim::calibrate
