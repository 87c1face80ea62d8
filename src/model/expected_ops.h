// The year step's operations in deterministic mode: the same interface as
// RandomOps (random_ops.h) with every draw replaced by its expectation, over
// real-valued counts. Internal to the model library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ehcpsim/step.h"

namespace ehcpsim::step_detail {

// The same operations with every draw replaced by its expectation.
class ExpectedOps {
public:
    using Count = double;
    ExpectedOps(const ExpectedDraws&, int, State<Count>&) {}

    Count cease(Count* cells, std::size_t n, double p, std::uint64_t) const {
        Count ceased = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double c = cells[i] * p;
            cells[i] -= c;
            ceased += c;
        }
        return ceased;
    }
    struct NoStream {};
    NoStream stream(Process, std::uint64_t = 0) const { return {}; }
    void used(const NoStream&) const {}
    std::uint64_t base(Process, std::uint64_t) const { return 0; }
    void move(std::uint64_t, std::size_t, Count count, const Rates::MoveRow& row, Count* moved) const {
        for (std::size_t k = 0; k < row.to.size(); ++k) moved[k] = count * row.prob[k];
    }
    void divert(std::uint64_t, std::uint64_t, Count count, const Rates::DivertRow& row, Count* out) const {
        double previous = 0.0;
        for (std::size_t l = 0; l < row.to.size(); ++l) {
            out[l] = count * (row.upto[l] - previous);
            previous = row.upto[l];
        }
    }
    void issue(const Count* eligible, const Model& m, const Rates& r, int t, Count* issued, Count& requests,
               Count& assessments, Count* requests_by_age = nullptr) const {
        for (int a = 0; a < m.ages; ++a) {
            const double asked = eligible[a] * r.request[static_cast<std::size_t>(t) * m.ages + a];
            if (requests_by_age) requests_by_age[a] = asked;
            const double assessed = asked * r.assess[static_cast<std::size_t>(t)];
            issued[a] = assessed * r.issue[static_cast<std::size_t>(t) * m.phases + m.phase_of_age[a]];
            requests += asked;
            assessments += assessed;
        }
    }
    Count residents_without_plan(double population, Count with_plan, int) const {
        return std::max(0.0, population - with_plan);
    }
    // `count` plans of one phase spread by need (thinned when `thinning`),
    // placement and diversion, as in RandomOps::label.
    template <class Add>
    static void spread(Count count, const Model& m, const Rates& r, int t, int phase, bool thinning, Add&& add) {
        if (!(count > 0.0)) return;
        const int N = m.needs, P = m.placements;
        const int set = r.divert_set[static_cast<std::size_t>(t)];
        for (int n = 0; n < N; ++n) {
            double by_need = count * r.need_mix[static_cast<std::size_t>(phase) * N + n];
            if (thinning) by_need *= 1.0 - r.thin[(static_cast<std::size_t>(t) * m.phases + phase) * N + n];
            if (by_need == 0.0) continue;
            const std::size_t row = (static_cast<std::size_t>(phase) * N + n) * P;
            for (int p = 0; p < P; ++p) {
                const double x = by_need * r.placement_mix[row + static_cast<std::size_t>(p)];
                if (x == 0.0) continue;
                if (set < 0) {
                    add(n, p, x);
                    continue;
                }
                const Rates::DivertRow& d = r.diverts[static_cast<std::size_t>(set)][row + static_cast<std::size_t>(p)];
                add(n, p, x * (1.0 - d.total));
                double previous = 0.0;
                for (std::size_t l = 0; l < d.to.size(); ++l) {
                    add(n, d.to[l], x * (d.upto[l] - previous));
                    previous = d.upto[l];
                }
            }
        }
    }
    template <class Now, class Late>
    void new_plans(const Count* issued, const Model& m, const Rates& r, int t, Now&& now, Late&& late) const {
        for (int a = 0; a < m.ages; ++a) {
            if (!(issued[a] > 0.0)) continue;
            spread(issued[a] * (1.0 - r.lag), m, r, t, m.phase_of_age[a], true,
                   [&](int n, int p, Count x) { now(a, n, p, x); });
            if (a + 1 < m.ages)
                spread(issued[a] * r.lag, m, r, t, m.phase_of_age[a + 1], true,
                       [&](int n, int p, Count x) { late(a + 1, n, p, x); });
        }
    }
    template <class Add>
    void pipeline(double expected, int a, const Model& m, const Rates& r, Add&& add) const {
        spread(expected, m, r, 0, m.phase_of_age[a], true, add);
    }
    // In expectation the overflow takes each arrival cell's share.
    template <class Move>
    void overflow(const Count* arrivals, std::size_t cells, Count move, std::uint64_t, Move&& apply) const {
        Count arrived = 0.0;
        for (std::size_t i = 0; i < cells; ++i) arrived += arrivals[i];
        const double share = move / arrived;
        for (std::size_t i = 0; i < cells; ++i)
            if (arrivals[i] > 0.0) apply(i, arrivals[i] * share);
    }
    // In expectation each group gives its share.
    void split(std::uint64_t, const Count* counts, std::size_t k, Count draw, Count* out) const {
        Count total = 0.0;
        for (std::size_t i = 0; i < k; ++i) total += counts[i];
        for (std::size_t i = 0; i < k; ++i) out[i] = total > 0.0 ? counts[i] * (draw / total) : 0.0;
    }

    template <class Add>
    Count transfers(double lambda, int t, const Rates& rates, const Model& model, Add&& add) const {
        if (lambda <= 0.0) return 0.0;
        for (int a = 0; a < model.ages; ++a) {
            const double by_age = lambda * rates.transfer_age_mix[t][a];
            if (by_age == 0.0) continue;
            spread(by_age, model, rates, t, model.phase_of_age[a], false, [&](int n, int p, Count x) { add(a, n, p, x); });
        }
        return lambda;
    }
};

}  // namespace ehcpsim::step_detail
