#include "ehcpsim/step.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ehcpsim/rng.h"
#include "ehcpsim/sampler.h"

namespace ehcpsim {
namespace {

// Each process of the year step has its own stream per (year, sub-key), so a
// variant that draws more or fewer numbers in one process (a lower request
// rate, say) leaves every other process's numbers untouched.
class RandomOps {
public:
    using Count = std::int64_t;
    RandomOps(const RandomDraws& draws, int year, State<Count>& state)
        : draws_(draws), key_(draws.seed, draws.replicate), year_(year), buffer_(state.scratch_cells),
          counts_(state.scratch_counts), need_counts_(state.scratch_needs), placement_counts_(state.scratch_placements),
          weights_(state.scratch_weights) {}

    Stream stream(Process process, std::uint64_t sub = 0) const { return Stream(key_, process, year_, sub); }
    void used(const Stream& stream) const {
        if (draws_.uniforms_used) *draws_.uniforms_used += stream.draws();
    }

    // Step 1 for one cease group: contiguous cells sharing one probability.
    // Independent Bin(cells[i], p) per cell has the same joint law as: the
    // group's total K ~ Bin(N, p), then a uniformly random K-subset of the N
    // plans. Drawing it that way costs one binomial plus about K uniforms,
    // whatever the number of cells: the events, not the cells, set the cost.
    Count cease(Count* cells, std::size_t n, double p, std::uint64_t group) const {
        if (p <= 0.0) return 0;
        Count total = 0;
        for (std::size_t i = 0; i < n; ++i) total += cells[i];
        if (total == 0) return 0;
        Stream s = stream(Process::cease, group);
        const Count k = binomial(s, total, p);
        if (k == total) {
            std::fill(cells, cells + n, Count{0});
        } else if (k > 0 && k <= max_chosen) {
            remove_random_units(s, cells, n, total, k);
        } else if (k > 0) {
            buffer_.resize(n);
            multivariate_hypergeometric(s, cells, n, k, buffer_.data());
            for (std::size_t i = 0; i < n; ++i) cells[i] -= buffer_[i];
        }
        used(s);
        return k;
    }

    // Removes k distinct plans chosen uniformly from the `total` laid end to
    // end across the cells: Floyd's sampling of k positions, then one
    // cumulative walk over the cells.
    static void remove_random_units(Stream& s, Count* cells, [[maybe_unused]] std::size_t n, Count total, Count k) {
        std::array<Count, max_chosen> chosen;
        std::size_t size = 0;
        for (Count j = total - k; j < total; ++j) {
            const Count t = uniform_below(s, j + 1);
            const bool seen = std::find(chosen.begin(), chosen.begin() + size, t) != chosen.begin() + size;
            chosen[size++] = seen ? j : t;
        }
        std::sort(chosen.begin(), chosen.begin() + size);
        std::size_t i = 0;
        Count start = 0, removed = 0;
        for (std::size_t c = 0; c < size; ++c) {
            while (chosen[c] >= start + cells[i]) {
                start += cells[i];
                cells[i] -= removed;
                removed = 0;
                ++i;
            }
            ++removed;
        }
        assert(i < n);
        cells[i] -= removed;
    }

    // Uniform integer in [0, m): Lemire's multiply-shift on 64 random bits
    // (bias below m / 2^64, far under anything a run can detect).
    static Count uniform_below(Stream& s, Count m) {
        const unsigned __int128 product = static_cast<unsigned __int128>(s.next_u64()) * static_cast<std::uint64_t>(m);
        return static_cast<Count>(product >> 64);
    }
    static constexpr Count max_chosen = 64;

    // Step 3 for one cell: `count` pupils each move to row.to[k] with
    // row.prob[k] or stay; moved[k] receives how many went to row.to[k].
    // Multinomial(count; q_1..q_k, stay) drawn as the number of movers
    // M ~ Bin(count, Q), Q = sum q, then each mover's destination with
    // probability q_k / Q: stayers cost nothing, movers one uniform each.
    void move(Stream& s, Count count, const Rates::MoveRow& row, Count* moved) const {
        const std::size_t k = row.to.size();
        std::fill(moved, moved + k, Count{0});
        const Count movers = row.total >= 1.0 ? count : binomial(s, count, row.total);
        if (movers == 0) return;
        if (k == 1) {
            moved[0] = movers;
            return;
        }
        Stream local = s;  // a local copy keeps the generator's state in registers
        for (Count i = 0; i < movers; ++i) {
            double u = local.uniform() * row.total;
            std::size_t j = 0;
            while (j + 1 < k && u >= row.prob[j]) u -= row.prob[j++];
            ++moved[j];
        }
        s = local;
    }

    Count binomial_draw(Process process, std::uint64_t sub, Count n, double p) const {
        if (n <= 0 || p <= 0.0) return 0;
        Stream s = stream(process, sub);
        const Count x = binomial(s, n, p);
        used(s);
        return x;
    }

    // Population estimates may be fractional; rounding them would bias the
    // mean away from the expected-value projection, so the fraction becomes
    // one more resident with that probability (unbiased rounding).
    Count residents_without_plan(double population, Count with_plan, int age) const {
        const double e = population - static_cast<double>(with_plan);
        if (e <= 0.0) return 0;
        const double whole = std::floor(e);
        Count count = static_cast<Count>(whole);
        if (e > whole) {
            Stream s = stream(Process::population_rounding, static_cast<std::uint64_t>(age));
            if (s.uniform() < e - whole) ++count;
            used(s);
        }
        return count;
    }

    // Needs and placements of `count` new plans at one age: the joint alias
    // table per plan while few (one uniform each), conditional binomials
    // (needs, then placements within each need) when many.
    template <class Add>
    void assign(Count count, int age, const Rates& rates, int t, int phase, int needs, int placements,
                Add&& add) const {
        if (count <= 0) return;
        const auto set = static_cast<std::size_t>(rates.mix_set[t]);
        Stream need_stream = stream(Process::need, static_cast<std::uint64_t>(age));
        if (count <= 4 * needs) {
            const AliasTable& joint = rates.new_plan_alias[set][phase];
            for (Count i = 0; i < count; ++i) {
                const int cell = joint.sample(need_stream);
                add(cell / placements, cell % placements, Count{1});
            }
            used(need_stream);
        } else {
            Stream placement_stream = stream(Process::placement, static_cast<std::uint64_t>(age));
            need_counts_.resize(needs);
            placement_counts_.resize(placements);
            multinomial(need_stream, count, &rates.need_mix[set][static_cast<std::size_t>(phase) * needs], needs,
                        need_counts_.data());
            for (int n = 0; n < needs; ++n) {
                if (need_counts_[n] == 0) continue;
                multinomial(placement_stream, need_counts_[n],
                            &rates.placement_mix[set][(static_cast<std::size_t>(phase) * needs + n) * placements],
                            placements, placement_counts_.data());
                for (int p = 0; p < placements; ++p)
                    if (placement_counts_[p] > 0) add(n, p, placement_counts_[p]);
            }
            used(need_stream);
            used(placement_stream);
        }
    }

    // Step 6: `move` of this year's arrivals chosen at random without
    // replacement (multivariate hypergeometric over the arrival cells).
    template <class Move>
    void overflow(const Count* arrivals, std::size_t cells, Count move, std::uint64_t placement, Move&& apply) const {
        Stream s = stream(Process::capacity, placement);
        buffer_.resize(cells);
        multivariate_hypergeometric(s, arrivals, cells, move, buffer_.data());
        used(s);
        for (std::size_t i = 0; i < cells; ++i)
            if (buffer_[i] > 0) apply(i, buffer_[i]);
    }

    // Which of `draw` pupils, taken at random without replacement from the
    // groups counts[0..k), came from each group: the first-choice labels of
    // pupils who cease, move or overflow (MODEL.md section 11). Its own
    // capacity stream per use, so the labels never shift another draw.
    void split(std::uint64_t sub, const Count* counts, std::size_t k, Count draw, Count* out) const {
        Stream s = stream(Process::capacity, sub);
        multivariate_hypergeometric(s, counts, k, draw, out);
        used(s);
    }

    // Step 5: T ~ Poisson(lambda), each placed by age, need and placement.
    template <class Add>
    Count transfers(double lambda, int t, const Rates& rates, const Model& model, Add&& add) const {
        if (lambda <= 0.0) return 0;
        Stream count_stream = stream(Process::transfer_count);
        const Count total = poisson(count_stream, lambda);
        used(count_stream);
        if (total == 0) return 0;
        Stream cell_stream = stream(Process::transfer_cell);
        for (Count i = 0; i < total; ++i) {
            const int a = rates.transfer_age_alias[t].sample(cell_stream);
            const int cell = rates.new_plan_alias[static_cast<std::size_t>(rates.mix_set[t])][model.phase_of_age[a]]
                                 .sample(cell_stream);
            add(a, cell / model.placements, cell % model.placements, Count{1});
        }
        used(cell_stream);
        return total;
    }

private:
    const RandomDraws& draws_;
    ReplicateKey key_;
    int year_;
    // Scratch owned by the replicate's State, so the step allocates nothing.
    std::vector<Count>& buffer_;
    std::vector<Count>& counts_;
    std::vector<Count>& need_counts_;
    std::vector<Count>& placement_counts_;
    std::vector<double>& weights_;
};

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
    void move(NoStream&, Count count, const Rates::MoveRow& row, Count* moved) const {
        for (std::size_t k = 0; k < row.to.size(); ++k) moved[k] = count * row.prob[k];
    }
    Count binomial_draw(Process, std::uint64_t, Count n, double p) const { return n > 0.0 ? n * p : 0.0; }
    Count residents_without_plan(double population, Count with_plan, int) const {
        return std::max(0.0, population - with_plan);
    }
    template <class Add>
    void assign(Count count, int, const Rates& rates, int t, int phase, int needs, int placements, Add&& add) const {
        if (count <= 0.0) return;
        const auto set = static_cast<std::size_t>(rates.mix_set[t]);
        for (int n = 0; n < needs; ++n) {
            const double by_need = count * rates.need_mix[set][static_cast<std::size_t>(phase) * needs + n];
            for (int p = 0; p < placements; ++p)
                add(n, p,
                    by_need * rates.placement_mix[set][(static_cast<std::size_t>(phase) * needs + n) * placements + p]);
        }
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
            const int phase = model.phase_of_age[a];
            assign(by_age, a, rates, t, phase, model.needs, model.placements,
                   [&](int n, int p, Count x) { add(a, n, p, x); });
        }
        return lambda;
    }
};

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

// Demand by placement and the specialist demand by phase, from the stock as
// it stands (before any capacity step), with each pupil overflowed in an
// earlier year counted at its first-choice placement instead of where it is:
// unconstrained demand (MODEL.md section 11).
template <class Count>
void record_demand(const Model& m, const State<Count>& s, YearFlows<Count>& f) {
    const std::vector<Count>& stock = s.stock;
    f.demand_by_placement.assign(m.placements, Count{0});
    f.specialist_demand_by_phase.assign(m.phases, Count{0});
    f.demand_by_placement_phase.assign(static_cast<std::size_t>(m.placements) * m.phases, Count{0});
    for (int p = 0; p < m.placements; ++p) {
        const bool specialist = std::find(m.specialist.begin(), m.specialist.end(), p) != m.specialist.end();
        for (int ph = 0; ph < m.phases; ++ph) {
            Count total = 0;
            const std::size_t end = m.cell(p, m.phase_last_age[ph] + 1, 0);
            for (std::size_t i = m.cell(p, m.phase_first_age[ph], 0); i < end; ++i) total += stock[i];
            f.demand_by_placement[p] += total;
            f.demand_by_placement_phase[static_cast<std::size_t>(p) * m.phases + ph] = total;
            if (specialist) f.specialist_demand_by_phase[ph] += total;
        }
    }
    if (s.first_choice.size() != m.cells() * static_cast<std::size_t>(m.placements)) return;
    const auto is_specialist = [&](int p) {
        return std::find(m.specialist.begin(), m.specialist.end(), p) != m.specialist.end();
    };
    for (int first = 0; first < m.placements; ++first) {
        if (!(s.first_choice_total[first] > Count{0})) continue;
        const Count* labelled = &s.first_choice[static_cast<std::size_t>(first) * m.cells()];
        for (int q = 0; q < m.placements; ++q)
            for (int ph = 0; ph < m.phases; ++ph) {
                Count total = 0;
                const std::size_t end = m.cell(q, m.phase_last_age[ph] + 1, 0);
                for (std::size_t i = m.cell(q, m.phase_first_age[ph], 0); i < end; ++i) total += labelled[i];
                if (!(total > Count{0})) continue;
                f.demand_by_placement[q] -= total;
                f.demand_by_placement[first] += total;
                f.demand_by_placement_phase[static_cast<std::size_t>(q) * m.phases + ph] -= total;
                f.demand_by_placement_phase[static_cast<std::size_t>(first) * m.phases + ph] += total;
                if (is_specialist(q)) f.specialist_demand_by_phase[ph] -= total;
                if (is_specialist(first)) f.specialist_demand_by_phase[ph] += total;
            }
    }
}

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
    f.demand_by_placement.clear();
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

    // 1. Cease, by the age before ageing: one group per (phase, placement),
    //    whose cells are contiguous in the placement-major layout.
    for (int p = 0; p < P; ++p)
        for (int ph = 0; ph < Ph; ++ph) {
            const std::size_t begin = m.cell(p, m.phase_first_age[ph], 0);
            const std::size_t end = m.cell(p, m.phase_last_age[ph] + 1, 0);
            const double prob = r.cease[(static_cast<std::size_t>(t) * Ph + ph) * P + p];
            f.ceased += ops.cease(&s.stock[begin], end - begin, prob, static_cast<std::uint64_t>(ph * P + p));
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
    for (int a = 1; a < A; ++a) {
        const auto& rows = m.move_rows[a];
        if (rows.empty()) continue;
        before.resize(rows.size());
        for (std::size_t k = 0; k < rows.size(); ++k) before[k] = s.stock[m.cell(rows[k].from, a, rows[k].need)];
        auto stream = ops.stream(Process::move, static_cast<std::uint64_t>(a));
        for (std::size_t k = 0; k < rows.size(); ++k) {
            if (before[k] <= Count{0}) continue;
            const int n = rows[k].need, from = rows[k].from;
            const Rates::MoveRow& row = moves[(static_cast<std::size_t>(a) * N + n) * P + from];
            if (row.empty()) continue;
            ops.move(stream, before[k], row, moved.data());
            if (labels) {
                Count movers = 0;
                for (std::size_t j = 0; j < row.to.size(); ++j) movers += moved[j];
                const std::size_t cell = m.cell(from, a, n);
                drop_labels(ops, m, s, cell, before[k], movers, label_key(LabelDraw::move, cell));
            }
            for (std::size_t j = 0; j < row.to.size(); ++j) {
                if (moved[j] == Count{0}) continue;
                s.stock[m.cell(from, a, n)] -= moved[j];
                s.stock[m.cell(row.to[j], a, n)] += moved[j];
                if (track) s.arrivals[m.cell(row.to[j], a, n)] += moved[j];
                f.moves += moved[j];
            }
        }
        ops.used(stream);
    }

    // 4. Requests, assessments and new plans, age by age.
    std::vector<Count>& lagged_now = s.scratch_lagged;
    lagged_now.assign(A, Count{0});
    for (int a = 0; a < A; ++a) {
        Count with_plan = 0;
        for (int p = 0; p < P; ++p) {
            const Count* cells = &s.stock[m.cell(p, a, 0)];
            for (int n = 0; n < N; ++n) with_plan += cells[n];
        }
        const Count eligible = ops.residents_without_plan(m.population[t][a], with_plan, a);
        const auto sub = static_cast<std::uint64_t>(a);
        const Count requests = ops.binomial_draw(Process::request, sub, eligible, r.request[static_cast<std::size_t>(t) * A + a]);
        const Count assessments = ops.binomial_draw(Process::assess, sub, requests, r.assess);
        const Count issued =
            ops.binomial_draw(Process::issue, sub, assessments, r.issue[static_cast<std::size_t>(t) * Ph + m.phase_of_age[a]]);
        const Count late = ops.binomial_draw(Process::lag, sub, issued, r.lag);
        lagged_now[a] = late;
        const Count joining = issued - late + (a > 0 ? s.lagged[a - 1] : Count{0});
        f.requests += requests;
        f.assessments += assessments;
        f.new_plans += joining;
        ops.assign(joining, a, r, t, m.phase_of_age[a], N, P, [&](int n, int p, Count x) {
            s.stock[m.cell(p, a, n)] += x;
            if (track) s.arrivals[m.cell(p, a, n)] += x;
            f.new_by_need[n] += x;
            f.new_by_placement[p] += x;
        });
    }
    // Plans issued late at the oldest age would join beyond it: they leave
    // with their cohort, never having entered the stock.
    s.lagged.swap(lagged_now);

    // 5. Transfers in from other authorities.
    f.transfers_in = ops.transfers(r.transfers[t], t, r, m, [&](int a, int n, int p, Count x) {
        s.stock[m.cell(p, a, n)] += x;
        if (track) s.arrivals[m.cell(p, a, n)] += x;
    });

    // 6. Capacity. Demand is the stock before any capacity step.
    if (!m.capacity.empty() || !m.specialist.empty()) record_demand(m, s, f);
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
    state.lagged.assign(model.ages, Count{0});
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

template <class Count>
YearAccounts account(const Model& m, const Rates& r, int t, const State<Count>& s, double previous_cumulative) {
    const int P = m.placements;
    YearAccounts acc;
    acc.stock_by_placement.resize(P);
    acc.spend_by_placement.resize(P);
    const std::size_t per_placement = static_cast<std::size_t>(m.ages) * m.needs;
    for (int p = 0; p < P; ++p) {
        Count total = 0;
        const Count* cells = &s.stock[m.cell(p, 0, 0)];
        for (std::size_t i = 0; i < per_placement; ++i) total += cells[i];
        const double stock = static_cast<double>(total);
        acc.stock_by_placement[p] = stock;
        acc.total_stock += stock;
        acc.spend_by_placement[p] = stock * r.unit_cost[static_cast<std::size_t>(t) * P + p];
        acc.spend += acc.spend_by_placement[p];
        acc.transport += stock * r.transport_per_plan[static_cast<std::size_t>(t) * P + p];
    }
    acc.spend += r.other_spend[t] + r.mitigation_cost_on_block[t];
    acc.mitigation_cost = r.mitigation_cost[t];
    acc.funding = r.funding[t];
    acc.in_year_deficit = acc.spend - acc.funding;
    // D(y0) is given and already includes the base year's spend.
    acc.cumulative_deficit = t == 0 ? r.opening_deficit : previous_cumulative + acc.in_year_deficit;
    return acc;
}
template YearAccounts account(const Model&, const Rates&, int, const State<std::int64_t>&, double);
template YearAccounts account(const Model&, const Rates&, int, const State<double>&, double);

namespace {

class Recorder {
public:
    Recorder(VariantBlock& out, const Shape& shape, std::int64_t slot) : out_(out), shape_(shape), slot_(slot) {}

    void scalar(int metric, int t, double value) { at(metric, t)[0] = value; }
    template <class Vec>
    void vector(int metric, int t, const Vec& values) {
        if (shape_.values_per_replicate(metric) == 0) return;  // a metric this run leaves out
        double* dst = at(metric, t);
        for (std::size_t k = 0; k < values.size(); ++k) dst[k] = static_cast<double>(values[k]);
    }
    void missing(int metric, int t, std::size_t width) {
        if (width == 0) return;
        double* dst = at(metric, t);
        std::fill(dst, dst + width, std::numeric_limits<double>::quiet_NaN());
    }

private:
    double* at(int metric, int t) {
        const std::size_t per_rep = shape_.values_per_replicate(metric);
        const std::size_t width = per_rep / static_cast<std::size_t>(shape_.years);
        return out_.metrics[metric].data() + static_cast<std::size_t>(slot_) * per_rep + static_cast<std::size_t>(t) * width;
    }
    VariantBlock& out_;
    const Shape& shape_;
    std::int64_t slot_;
};

void record_accounts(Recorder& rec, int t, const YearAccounts& acc) {
    rec.scalar(m_total_stock, t, acc.total_stock);
    rec.vector(m_stock_by_placement, t, acc.stock_by_placement);
    rec.scalar(m_spend, t, acc.spend);
    rec.vector(m_spend_by_placement, t, acc.spend_by_placement);
    rec.scalar(m_funding, t, acc.funding);
    rec.scalar(m_in_year_deficit, t, acc.in_year_deficit);
    rec.scalar(m_cumulative_deficit, t, acc.cumulative_deficit);
    rec.scalar(m_transport_cost, t, acc.transport);
    rec.scalar(m_mitigation_cost, t, acc.mitigation_cost);
}

template <class Count>
void record_flows(Recorder& rec, int t, const YearFlows<Count>& f) {
    rec.scalar(m_requests, t, static_cast<double>(f.requests));
    rec.scalar(m_assessments, t, static_cast<double>(f.assessments));
    rec.scalar(m_new_plans, t, static_cast<double>(f.new_plans));
    rec.vector(m_new_plans_by_placement, t, f.new_by_placement);
    rec.vector(m_new_plans_by_need, t, f.new_by_need);
    rec.scalar(m_transfers_in, t, static_cast<double>(f.transfers_in));
    rec.scalar(m_ceased, t, static_cast<double>(f.ceased));
    rec.scalar(m_aged_out, t, static_cast<double>(f.aged_out));
    rec.scalar(m_moves, t, static_cast<double>(f.moves));
    rec.vector(m_overflow_by_placement, t, f.overflow_by_placement);
    rec.vector(m_overflow_by_placement_phase, t, f.overflow_by_placement_phase);
}

// Demand and specialist demand: from the flows when the step computed them
// (capacity or specialist placements present), else demand is the stock.
template <class Count>
void record_demand_metrics(Recorder& rec, int t, const Model& m, const YearFlows<Count>& f, const YearAccounts& acc) {
    if (f.demand_by_placement.empty()) {
        rec.vector(m_demand_by_placement, t, acc.stock_by_placement);
        rec.vector(m_specialist_demand_by_phase, t, std::vector<double>(static_cast<std::size_t>(m.phases), 0.0));
    } else {
        rec.vector(m_demand_by_placement, t, f.demand_by_placement);
        rec.vector(m_specialist_demand_by_phase, t, f.specialist_demand_by_phase);
        rec.vector(m_demand_by_placement_phase, t, f.demand_by_placement_phase);
    }
}

template <class Count, class Draws>
void project_impl(const Model& m, const Rates& r, const Draws& draws, VariantBlock& out, const Shape& shape,
                  std::int64_t slot, State<Count>& state, YearFlows<Count>& flows) {
    Recorder rec(out, shape, slot);
    reset_state(m, state);
    YearAccounts acc = account(m, r, 0, state, 0.0);
    record_accounts(rec, 0, acc);
    // Demand is worked out cell by cell only when something reads it: the
    // model's capacity or specialist placements, or a run-wide split by phase
    // (another variant caps a phase). Otherwise demand is the stock.
    const bool demand_detail = !m.capacity.empty() || !m.specialist.empty() || shape.phase_detail;
    flows.demand_by_placement.clear();
    if (demand_detail) record_demand(m, state, flows);
    record_demand_metrics(rec, 0, m, flows, acc);
    for (int metric = 0; metric < metric_count; ++metric)
        if (metric_catalogue()[metric].flow)
            rec.missing(metric, 0, shape.values_per_replicate(metric) / static_cast<std::size_t>(shape.years));
    for (int t = 1; t <= m.horizon; ++t) {
        step_year(m, r, t, draws, state, flows);
        acc = account(m, r, t, state, acc.cumulative_deficit);
        record_accounts(rec, t, acc);
        record_flows(rec, t, flows);
        // Without capacity the stock after the step is the demand.
        if (demand_detail && flows.demand_by_placement.empty()) record_demand(m, state, flows);
        record_demand_metrics(rec, t, m, flows, acc);
    }
}

}  // namespace

void project(const Model& m, const Rates& r, const RandomDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot, Workspace<std::int64_t>& work) {
    project_impl<std::int64_t>(m, r, d, out, shape, slot, work.state, work.flows);
}
void project(const Model& m, const Rates& r, const ExpectedDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot, Workspace<double>& work) {
    project_impl<double>(m, r, d, out, shape, slot, work.state, work.flows);
}
void project(const Model& m, const Rates& r, const RandomDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot) {
    Workspace<std::int64_t> work;
    project(m, r, d, out, shape, slot, work);
}
void project(const Model& m, const Rates& r, const ExpectedDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot) {
    Workspace<double> work;
    project(m, r, d, out, shape, slot, work);
}

}  // namespace ehcpsim
