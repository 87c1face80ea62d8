// The year step (MODEL.md section 4, steps 1-6): one template over the
// count type and the operations (random_ops.h, expected_ops.h), from year
// t - 1 to t over one replicate's state, reporting the year's flows.
#include "ehcpsim/step.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "expected_ops.h"
#include "random_ops.h"

namespace ehcpsim {
namespace {

using step_detail::ExpectedOps;
using step_detail::RandomOps;

template <class Ops>
struct OpsFor;
template <>
struct OpsFor<RandomDraws> {
    using type = RandomOps;
};
template <>
struct OpsFor<ExpectedDraws> {
    using type = ExpectedOps;
};

// Sub-keys of the capacity stream for the first-choice labels, apart from
// those of the capacity entries (placement + 256 x (phase + 1)).
enum class LabelDraw : std::uint64_t { cease = 1, move = 2, overflow = 3 };
std::uint64_t label_key(LabelDraw kind, std::uint64_t cell, std::uint64_t entry = 0) {
    return (static_cast<std::uint64_t>(kind) << 56) | (entry << 32) | cell;
}

template <class Count>
bool any_first_choice(const State<Count>& s) {
    for (Count x : s.first_choice_total)
        if (x > Count{0}) return true;
    return false;
}

// `taken` of the `pool` pupils of `cell` leave it by a process of their own
// (cease, or a move on ageing): those of them who were overflowed in an
// earlier year stop counting as demand for their first choice. Which ones
// they are is drawn without replacement (in expectation: their share).
template <class Ops, class Count>
void drop_labels(const Ops& ops, const Model& m, State<Count>& s, std::size_t cell, Count pool, Count taken,
                 std::uint64_t key) {
    if (!(taken > Count{0}) || !(s.labelled[cell] > Count{0})) return;
    const std::size_t cells = m.cells();
    const auto P = static_cast<std::size_t>(m.placements);
    Count labelled = 0;
    for (std::size_t l = 0; l < P; ++l)
        if (s.first_choice_total[l] > Count{0}) labelled += s.first_choice[l * cells + cell];
    if (!(labelled > Count{0})) return;
    s.scratch_first.resize(P + 1);
    s.scratch_split.resize(P + 1);
    for (std::size_t l = 0; l < P; ++l)
        s.scratch_first[l] = s.first_choice_total[l] > Count{0} ? s.first_choice[l * cells + cell] : Count{0};
    s.scratch_first[P] = std::max(Count{0}, pool - labelled);  // never overflowed
    ops.split(key, s.scratch_first.data(), P + 1, std::min(taken, labelled + s.scratch_first[P]),
              s.scratch_split.data());
    for (std::size_t l = 0; l < P; ++l) {
        const Count x = s.scratch_split[l];
        if (!(x > Count{0})) continue;
        s.first_choice[l * cells + cell] -= x;
        s.first_choice_total[l] -= x;
        s.labelled[cell] -= x;
    }
}

template <class Count, class Draws>
void step_impl(const Model& m, const Rates& r, int t, const Draws& draws, State<Count>& s, YearFlows<Count>& f) {
    using Ops = typename OpsFor<Draws>::type;
    const Ops ops(draws, m.year_of(t), s);
    const int A = m.ages, N = m.needs, P = m.placements, Ph = m.phases;
    f.requests = f.assessments = f.new_plans = f.transfers_in = f.ceased = f.aged_out = f.moves = Count{0};
    f.new_by_placement.assign(P, Count{0});
    f.new_by_need.assign(N, Count{0});
    f.overflow_by_placement.assign(P, Count{0});
    f.overflow_by_placement_phase.assign(static_cast<std::size_t>(P) * Ph, Count{0});
    // Arrivals are tracked per cell only when some placement is capped.
    const bool track = !m.capacity.empty();
    if (track) s.arrivals.assign(m.cells(), Count{0});
    const std::size_t C = m.cells();
    if (track && s.first_choice.size() != C * static_cast<std::size_t>(P)) {
        s.first_choice.assign(C * static_cast<std::size_t>(P), Count{0});
        s.first_choice_total.assign(P, Count{0});
        s.labelled.assign(C, Count{0});
    }
    // Pupils overflowed in earlier years and still counted at their first
    // choice: followed through this year's cease, ageing and moves.
    const bool labels = track && any_first_choice(s);
    if (labels) s.scratch_stock.assign(s.stock.begin(), s.stock.end());
    // Flows by age, only when the caller asked (YearFlows::new_by_age sized).
    const bool by_age = !f.new_by_age.empty();
    if (by_age) {
        f.new_by_age.assign(static_cast<std::size_t>(A), Count{0});
        f.requests_by_age.assign(static_cast<std::size_t>(A), Count{0});
        f.ceased_by_age.assign(static_cast<std::size_t>(A), Count{0});
        for (int p = 0; p < P; ++p)
            for (int a = 0; a < A; ++a) {
                const Count* cells = &s.stock[m.cell(p, a, 0)];
                for (int n = 0; n < N; ++n) f.ceased_by_age[static_cast<std::size_t>(a)] += cells[n];
            }
    }

    // 1. Cease, by the age before ageing: one group per (phase, placement),
    //    whose cells are contiguous in the placement-major layout.
    for (int p = 0; p < P; ++p)
        for (int ph = 0; ph < Ph; ++ph) {
            const std::size_t begin = m.cell(p, m.phase_first_age[ph], 0);
            const std::size_t end = m.cell(p, m.phase_last_age[ph] + 1, 0);
            const double prob = r.cease[(static_cast<std::size_t>(t) * Ph + ph) * P + p];
            f.ceased += ops.cease(&s.stock[begin], end - begin, prob, static_cast<std::uint64_t>(ph * P + p));
        }
    if (by_age)  // the stock before step 1 less the stock after it
        for (int p = 0; p < P; ++p)
            for (int a = 0; a < A; ++a) {
                const Count* cells = &s.stock[m.cell(p, a, 0)];
                for (int n = 0; n < N; ++n) f.ceased_by_age[static_cast<std::size_t>(a)] -= cells[n];
            }
    if (labels)
        for (std::size_t i = 0; i < C; ++i)
            drop_labels(ops, m, s, i, s.scratch_stock[i], s.scratch_stock[i] - s.stock[i], label_key(LabelDraw::cease, i));

    // 2. Age: everyone moves up a year; the oldest leave.
    for (int p = 0; p < P; ++p) {
        Count* block = &s.stock[m.cell(p, 0, 0)];
        for (int n = 0; n < N; ++n) f.aged_out += block[static_cast<std::size_t>(A - 1) * N + n];
        std::memmove(block + N, block, sizeof(Count) * static_cast<std::size_t>(A - 1) * N);
        std::fill(block, block + N, Count{0});
    }
    if (labels) {
        for (int p = 0; p < P; ++p) {
            Count* block = &s.labelled[m.cell(p, 0, 0)];
            std::memmove(block + N, block, sizeof(Count) * static_cast<std::size_t>(A - 1) * N);
            std::fill(block, block + N, Count{0});
        }
        for (int l = 0; l < P; ++l) {
            if (!(s.first_choice_total[l] > Count{0})) continue;
            for (int p = 0; p < P; ++p) {
                Count* block = &s.first_choice[static_cast<std::size_t>(l) * C + m.cell(p, 0, 0)];
                for (int n = 0; n < N; ++n) s.first_choice_total[l] -= block[static_cast<std::size_t>(A - 1) * N + n];
                std::memmove(block + N, block, sizeof(Count) * static_cast<std::size_t>(A - 1) * N);
                std::fill(block, block + N, Count{0});
            }
        }
    }

    // 3. Move placement on ageing, from the counts as they stood after
    //    ageing (a pupil moved into q is not moved again from q this year).
    // Only the rows some rule touches are visited (Model::move_rows).
    std::vector<Count>& before = s.scratch_before;
    std::vector<Count>& moved = s.scratch_moved;
    moved.resize(P);
    const std::vector<Rates::MoveRow>& moves = r.moves[static_cast<std::size_t>(r.move_set[t])];
    const int divert_set = r.divert_set[static_cast<std::size_t>(t)];
    std::vector<Count>& diverted = s.scratch_counts;
    for (int a = 1; a < A; ++a) {
        const auto& rows = m.move_rows[a];
        if (rows.empty()) continue;
        before.resize(rows.size());
        for (std::size_t k = 0; k < rows.size(); ++k) before[k] = s.stock[m.cell(rows[k].from, a, rows[k].need)];
        const std::uint64_t base = ops.base(Process::move, static_cast<std::uint64_t>(a));
        const std::uint64_t divert_base = divert_set >= 0 ? ops.base(Process::divert_move, static_cast<std::uint64_t>(a)) : 0;
        const int ph = m.phase_of_age[a];
        for (std::size_t k = 0; k < rows.size(); ++k) {
            if (before[k] <= Count{0}) continue;
            const int n = rows[k].need, from = rows[k].from;
            const Rates::MoveRow& row = moves[(static_cast<std::size_t>(a) * N + n) * P + from];
            if (row.empty()) continue;
            ops.move(base, k, before[k], row, moved.data());
            Count left = 0;  // pupils who actually leave the cell (a diversion may keep some)
            for (std::size_t j = 0; j < row.to.size(); ++j) {
                if (moved[j] == Count{0}) continue;
                int to = row.to[j];
                Count count = moved[j];
                // Movers bound for `to` are arrivals there: a diversion sends
                // its share elsewhere (or keeps them where they were, when
                // the lever's destination is the placement they come from).
                if (divert_set >= 0) {
                    const Rates::DivertRow& d = r.diverts[static_cast<std::size_t>(divert_set)]
                                                         [(static_cast<std::size_t>(ph) * N + n) * P + to];
                    if (d.total > 0.0) {
                        diverted.resize(d.to.size());
                        ops.divert(divert_base, ((static_cast<std::uint64_t>(k) << 8) + j) << 8, count, d,
                                   diverted.data());
                        for (std::size_t l = 0; l < d.to.size(); ++l) {
                            if (diverted[l] == Count{0}) continue;
                            count -= diverted[l];
                            if (d.to[l] == from) continue;  // stays
                            s.stock[m.cell(from, a, n)] -= diverted[l];
                            s.stock[m.cell(d.to[l], a, n)] += diverted[l];
                            if (track) s.arrivals[m.cell(d.to[l], a, n)] += diverted[l];
                            f.moves += diverted[l];
                            left += diverted[l];
                        }
                    }
                }
                if (count == Count{0}) continue;
                s.stock[m.cell(from, a, n)] -= count;
                s.stock[m.cell(to, a, n)] += count;
                if (track) s.arrivals[m.cell(to, a, n)] += count;
                f.moves += count;
                left += count;
            }
            // The first-choice labels of the pupils who left (MODEL.md 11).
            if (labels) {
                const std::size_t cell = m.cell(from, a, n);
                drop_labels(ops, m, s, cell, before[k], left, label_key(LabelDraw::move, cell));
            }
        }
    }

    // 4. Requests, assessments and issued plans, age by age; then the new
    //    plans of all ages split into cells at once (RandomOps::new_plans).
    //    Plans issued late are labelled now and kept in the pipeline, by the
    //    cell they join next year; last year's pipeline joins now.
    std::vector<Count>& issued = s.scratch_issued;
    std::vector<Count>& eligible = s.scratch_eligible;
    issued.assign(static_cast<std::size_t>(A), Count{0});
    eligible.assign(static_cast<std::size_t>(A), Count{0});
    for (int a = 0; a < A; ++a) {
        Count with_plan = 0;
        for (int p = 0; p < P; ++p) {
            const Count* cells = &s.stock[m.cell(p, a, 0)];
            for (int n = 0; n < N; ++n) with_plan += cells[n];
        }
        eligible[static_cast<std::size_t>(a)] = ops.residents_without_plan(m.population[t][a], with_plan, a);
    }
    ops.issue(eligible.data(), m, r, t, issued.data(), f.requests, f.assessments,
              by_age ? f.requests_by_age.data() : nullptr);
    auto join = [&](int a, int n, int p, Count x) {
        s.stock[m.cell(p, a, n)] += x;
        if (track) s.arrivals[m.cell(p, a, n)] += x;
        if (by_age) f.new_by_age[static_cast<std::size_t>(a)] += x;
        f.new_by_need[n] += x;
        f.new_by_placement[p] += x;
        f.new_plans += x;
    };
    auto& pipeline_next = s.scratch_pipeline;
    pipeline_next.clear();
    ops.new_plans(issued.data(), m, r, t, join,
                  [&](int a, int n, int p, Count x) { pipeline_next.push_back({a, n, p, x}); });
    for (const auto& late : s.pipeline) join(late.age, late.need, late.placement, late.count);
    s.pipeline.swap(pipeline_next);

    // 5. Transfers in from other authorities.
    f.transfers_in = ops.transfers(r.transfers[t], t, r, m, [&](int a, int n, int p, Count x) {
        s.stock[m.cell(p, a, n)] += x;
        if (track) s.arrivals[m.cell(p, a, n)] += x;
    });

    // 6. Capacity. Demand is the stock before any capacity step.
    if (!m.capacity.empty()) measure_demand(m, s, f.demand);
    if (!track) return;
    bool received = false;  // s.received zeroed this year
    for (const Model::CapacityStep& cap : m.capacity) {
        const double places = cap.places[static_cast<std::size_t>(t)];
        if (!std::isfinite(places)) continue;
        // The capped cells: the whole placement, or the ages of one phase.
        const std::size_t cells = cap.end_cell - cap.first_cell;
        Count* stock = &s.stock[m.cell(cap.placement, 0, 0) + cap.first_cell];
        Count* arrivals = &s.arrivals[m.cell(cap.placement, 0, 0) + cap.first_cell];
        Count in_place = 0, arrived = 0;
        for (std::size_t i = 0; i < cells; ++i) {
            in_place += stock[i];
            arrived += arrivals[i];
        }
        // Settled pupils keep their place: only this year's arrivals move on,
        // so the stock can stay above capacity when the excess is larger.
        const Count excess = in_place - static_cast<Count>(places);
        const Count move = std::min(excess, arrived);
        if (!(move > Count{0})) continue;  // nothing overflows: no random numbers drawn
        Count* target = &s.stock[m.cell(cap.overflow, 0, 0) + cap.first_cell];
        Count* target_arrivals = &s.arrivals[m.cell(cap.overflow, 0, 0) + cap.first_cell];
        // One stream per capacity entry: the placement for a whole-placement
        // cap, placement + 256 (phase + 1) for a phase's.
        const auto key = static_cast<std::uint64_t>(cap.placement) +
                         (cap.phase < 0 ? 0 : 256 * static_cast<std::uint64_t>(cap.phase + 1));
        Count* by_phase = &f.overflow_by_placement_phase[static_cast<std::size_t>(cap.placement) * Ph];
        const std::size_t from_base = m.cell(cap.placement, 0, 0) + cap.first_cell;
        const std::size_t to_base = m.cell(cap.overflow, 0, 0) + cap.first_cell;
        if (!received) {
            s.received.assign(C * static_cast<std::size_t>(P), Count{0});
            received = true;
        }
        ops.overflow(arrivals, cells, move, key, [&](std::size_t i, Count x) {
            // Their first choice: this placement, or, for pupils it received
            // as overflow this year, the placement they were first meant for.
            const std::size_t from = from_base + i, to = to_base + i;
            Count from_elsewhere = 0;
            if (s.labelled[from] > Count{0})
                for (int l = 0; l < P; ++l) from_elsewhere += s.received[static_cast<std::size_t>(l) * C + from];
            Count own = x;
            if (from_elsewhere > Count{0}) {
                s.scratch_first.resize(static_cast<std::size_t>(P) + 1);
                s.scratch_split.resize(static_cast<std::size_t>(P) + 1);
                for (int l = 0; l < P; ++l) s.scratch_first[l] = s.received[static_cast<std::size_t>(l) * C + from];
                s.scratch_first[P] = std::max(Count{0}, arrivals[i] - from_elsewhere);
                ops.split(label_key(LabelDraw::overflow, from, key), s.scratch_first.data(),
                          static_cast<std::size_t>(P) + 1, x, s.scratch_split.data());
                own = s.scratch_split[P];
                for (int l = 0; l < P; ++l) {
                    const Count y = s.scratch_split[l];
                    if (!(y > Count{0})) continue;
                    const auto base = static_cast<std::size_t>(l) * C;
                    s.first_choice[base + from] -= y;
                    s.received[base + from] -= y;
                    s.labelled[from] -= y;
                    if (l == cap.overflow) {  // back at its first choice (no cycle allows it today)
                        s.first_choice_total[l] -= y;
                    } else {
                        s.first_choice[base + to] += y;
                        s.received[base + to] += y;
                        s.labelled[to] += y;
                    }
                }
            }
            if (own > Count{0}) {
                const auto base = static_cast<std::size_t>(cap.placement) * C;
                s.first_choice[base + to] += own;
                s.received[base + to] += own;
                s.first_choice_total[cap.placement] += own;
                s.labelled[to] += own;
            }
            stock[i] -= x;
            arrivals[i] -= x;
            target[i] += x;           // same age and need, next placement
            target_arrivals[i] += x;  // an arrival at the next placement's step
            by_phase[m.phase_of_age[(cap.first_cell + i) / static_cast<std::size_t>(N)]] += x;
        });
        f.overflow_by_placement[cap.placement] += move;
    }
}

}  // namespace

void step_year(const Model& m, const Rates& r, int t, const RandomDraws& d, State<std::int64_t>& s,
               YearFlows<std::int64_t>& f) {
    step_impl(m, r, t, d, s, f);
}
void step_year(const Model& m, const Rates& r, int t, const ExpectedDraws& d, State<double>& s,
               YearFlows<double>& f) {
    step_impl(m, r, t, d, s, f);
}

template <class Count>
void reset_state(const Model& model, State<Count>& state) {
    state.stock.assign(model.base_stock.begin(), model.base_stock.end());
    state.pipeline.clear();
    state.cumulative_deficit = 0.0;
    if (model.capacity.empty()) {
        state.first_choice.clear();
        state.first_choice_total.clear();
        state.labelled.clear();
    } else {
        // Whole counts: a block whose total is 0 is all zeros, so a state that
        // never overflowed (the usual case) need not be cleared again.
        const std::size_t size = model.cells() * static_cast<std::size_t>(model.placements);
        const bool clear = std::is_integral_v<Count> && state.first_choice.size() == size &&
                           std::all_of(state.first_choice_total.begin(), state.first_choice_total.end(),
                                       [](Count x) { return x == Count{0}; });
        if (!clear) {
            state.first_choice.assign(size, Count{0});
            state.first_choice_total.assign(model.placements, Count{0});
            state.labelled.assign(model.cells(), Count{0});
        }
    }
}

namespace {
template <class Count, class Draws>
void seed_pipeline_impl(const Model& m, const Rates& r, const Draws& draws, State<Count>& s) {
    using Ops = typename OpsFor<Draws>::type;
    const Ops ops(draws, m.year_of(1), s);
    s.pipeline.clear();
    for (int a = 1; a < m.ages; ++a)
        ops.pipeline(r.pipeline[static_cast<std::size_t>(a)], a, m, r,
                     [&](int n, int p, Count x) { s.pipeline.push_back({a, n, p, x}); });
}
}  // namespace

void seed_pipeline(const Model& m, const Rates& r, const RandomDraws& d, State<std::int64_t>& s) {
    seed_pipeline_impl(m, r, d, s);
}
void seed_pipeline(const Model& m, const Rates& r, const ExpectedDraws& d, State<double>& s) {
    seed_pipeline_impl(m, r, d, s);
}
template void reset_state(const Model&, State<std::int64_t>&);
template void reset_state(const Model&, State<double>&);

template <class Count>
State<Count> initial_state(const Model& model) {
    State<Count> state;
    reset_state(model, state);
    return state;
}
template State<std::int64_t> initial_state(const Model&);
template State<double> initial_state(const Model&);
}  // namespace ehcpsim
