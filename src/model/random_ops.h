// The year step's random operations (Monte Carlo mode): every count drawn by
// inversion at a uniform keyed to (seed, replicate, process, year, sub-key,
// index), so that variants share their draws (MODEL.md section 7). Internal
// to the model library: step.cpp instantiates the step with these or with
// ExpectedOps (expected_ops.h), which has the same operations in expectation.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ehcpsim/rng.h"
#include "ehcpsim/sampler.h"
#include "ehcpsim/step.h"

namespace ehcpsim::step_detail {

// Each process of the year step has its own stream per (year, sub-key), so a
// variant that draws more or fewer numbers in one process (a lower request
// rate, say) leaves every other process's numbers untouched.
class RandomOps {
public:
    using Count = std::int64_t;
    RandomOps(const RandomDraws& draws, int year, State<Count>& state)
        : draws_(draws), key_(draws.seed, draws.replicate), year_(year), buffer_(state.scratch_cells),
          counts_(state.scratch_counts), placement_counts_(state.scratch_placements),
          weights_(state.scratch_weights) {}

    Stream stream(Process process, std::uint64_t sub = 0) const { return Stream(key_, process, year_, sub); }
    void used(const Stream& stream) const {
        if (draws_.uniforms_used) *draws_.uniforms_used += stream.draws();
    }
    // Counter-based uniforms (uniform_at) drawn, for the same count.
    void counted(std::uint64_t n) const {
        if (draws_.uniforms_used) *draws_.uniforms_used += n;
    }

    // Step 1 for one cease group (contiguous cells sharing one probability):
    // each cell's ceases Bin(cells[i], p) by inversion at the cell's own
    // uniform, so a cell holding the same pupils in two variants loses the
    // same number of them (MODEL.md section 7).
    Count cease(Count* cells, std::size_t n, double p, std::uint64_t group) const {
        if (p <= 0.0) return 0;
        Stream s = stream(Process::cease, group);
        const std::uint64_t base = s.next_u64();
        used(s);
        // Most cells hold a few pupils: their CDFs are tabulated once per
        // group (the same inversion, without recomputing q^c per cell).
        constexpr int table_counts = 16;
        double cdf[table_counts + 1][table_counts + 1];
        bool built[table_counts + 1] = {};
        const bool tabulate = p < 0.5;
        const double r = p / (1.0 - p);
        double none[table_counts + 1];  // (1 - p)^c
        none[0] = 1.0;
        if (tabulate)
            for (int c = 1; c <= table_counts; ++c) none[c] = none[c - 1] * (1.0 - p);
        Count total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const Count c = cells[i];
            if (c <= 0) continue;
            const double u = uniform_at(base, i);
            counted(1);
            Count k;
            if (tabulate && c <= table_counts) {
                double* row = cdf[c];
                if (!built[c]) {
                    double f = none[c], sum = f;
                    row[0] = sum;
                    for (Count x = 1; x <= c; ++x) {
                        f *= r * static_cast<double>(c - x + 1) / static_cast<double>(x);
                        row[x] = sum += f;
                    }
                    row[c] = 1.0;
                    built[c] = true;
                }
                k = 0;
                while (k < c && row[k] < u) ++k;
            } else {
                k = binomial_quantile(u, c, p);
            }
            cells[i] -= k;
            total += k;
        }
        return total;
    }

    // The base of the counter-based uniforms of one (process, sub-key).
    std::uint64_t base(Process process, std::uint64_t sub) const {
        Stream s = stream(process, sub);
        const std::uint64_t value = s.next_u64();
        used(s);
        return value;
    }

    // Step 3 for row k of one age: `count` pupils each move to row.to[j] with
    // row.prob[j] or stay. Counts by destination as conditional binomials in
    // the row's order, each by inversion at its own uniform.
    void move(std::uint64_t base, std::size_t k, Count count, const Rates::MoveRow& row, Count* moved) const {
        const std::size_t size = row.to.size();
        std::fill(moved, moved + size, Count{0});
        double rest = 1.0;
        for (std::size_t j = 0; j < size && count > 0 && rest > 0.0; ++j) {
            const double p = std::min(1.0, row.prob[j] / rest);
            moved[j] = binomial_quantile(uniform_at(base, (k << 8) + j), count, p);
            counted(1);
            count -= moved[j];
            rest -= row.prob[j];
        }
    }

    // A diversion of `count` arrivals bound for one placement: how many go to
    // each lever's destination, as conditional binomials by inversion at
    // uniforms of their own (indices index..index + levers).
    void divert(std::uint64_t base, std::uint64_t index, Count count, const Rates::DivertRow& row, Count* out) const {
        double rest = 1.0, previous = 0.0;
        for (std::size_t l = 0; l < row.to.size(); ++l) {
            const double share = row.upto[l] - previous;
            previous = row.upto[l];
            out[l] = count > 0 && rest > 0.0
                         ? binomial_quantile(uniform_at(base, index + l), count, std::min(1.0, share / rest))
                         : Count{0};
            count -= out[l];
            rest -= share;
        }
        counted(row.to.size());
    }

    // Of `x` pupils taken without replacement from groups of sizes[0..k)
    // (`total` in all), how many come from each: a chain of hypergeometric
    // draws in group order, each by inversion at uniform (code << 8) + i of
    // base b; take(i, y) is told each non-zero count (and may shrink
    // sizes[i], which is read first).
    template <class Take>
    void by_group(std::uint64_t b, std::uint64_t code, const Count* sizes, int k, Count total, Count x,
                  Take&& take) const {
        for (int i = 0; i < k && x > 0; ++i) {
            const Count size = sizes[i];
            if (size <= 0) continue;
            Count y = x;
            if (total > size) {
                y = hypergeometric_quantile(uniform_at(b, (code << 8) + static_cast<std::uint64_t>(i)), size,
                                            total - size, x);
                counted(1);
            }
            total -= size;
            x -= y;
            if (y > 0) take(i, y);
        }
    }

    // Step 4's requests, assessments and issued plans from eligible[a]
    // residents without a plan. The ages of a phase share their rates, so
    // each phase is one pool: requests Bin(E, r), assessments Bin(R, a),
    // issued Bin(S, i), each by inversion at its own uniform, and the issued
    // plans' ages drawn from the eligible residents' (hypergeometric chain):
    // the same law as age by age, with counts large enough for two variants'
    // draws to differ by little more than their rates do (MODEL.md 7).
    // requests_by_age (optional, asked for results by age): the requests'
    // ages, the issued plans' ages and the rest's drawn from the eligible
    // residents left (a hypergeometric chain at a stream of its own, so
    // nothing else drawn changes): the requests are then a uniform draw of
    // the eligible residents and the issued plans a uniform draw of them.
    void issue(const Count* eligible, const Model& m, const Rates& r, int t, Count* issued, Count& requests,
               Count& assessments, Count* requests_by_age = nullptr) const {
        for (int ph = 0; ph < m.phases; ++ph) {
            const int first = m.phase_first_age[ph], ages = m.phase_last_age[ph] - first + 1;
            std::fill(issued + first, issued + first + ages, Count{0});
            Count pool = 0;
            for (int i = 0; i < ages; ++i) pool += eligible[first + i];
            const auto sub = static_cast<std::uint64_t>(ph);
            const Count asked = draw(Process::request, sub, pool, r.request[static_cast<std::size_t>(t) * m.ages + first]);
            const Count assessed = draw(Process::assess, sub, asked, r.assess[static_cast<std::size_t>(t)]);
            const Count agreed = draw(Process::issue, sub, assessed, r.issue[static_cast<std::size_t>(t) * m.phases + ph]);
            requests += asked;
            assessments += assessed;
            if (agreed > 0)
                by_group(base(Process::issue, 256 + sub), 0, eligible + first, ages, pool, agreed,
                         [&](int i, Count y) { issued[first + i] = y; });
            if (requests_by_age) request_ages(eligible + first, issued + first, ages, pool - agreed, asked - agreed,
                                              sub, requests_by_age + first);
        }
    }

    // The ages of `rest` requests that were not issued, drawn without
    // replacement from the residents left (eligible less issued, `left` in
    // all), added to the issued plans' ages.
    void request_ages(const Count* eligible, const Count* issued, int ages, Count left, Count rest, std::uint64_t sub,
                      Count* out) const {
        std::vector<Count>& remaining = counts_;
        remaining.resize(static_cast<std::size_t>(ages));
        for (int i = 0; i < ages; ++i) {
            remaining[static_cast<std::size_t>(i)] = eligible[i] - issued[i];
            out[i] = issued[i];
        }
        if (rest <= 0) return;
        by_group(base(Process::request, 256 + sub), 0, remaining.data(), ages, left, rest,
                 [&](int i, Count y) { out[i] += y; });
    }

    Count draw(Process process, std::uint64_t sub, Count n, double p) const {
        if (n <= 0 || p <= 0.0) return 0;
        Stream s = stream(process, sub);
        const Count x = binomial_quantile(s.uniform(), n, p);
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

    // Step 4: the plans issued this year (issued[a] at age a), as counts per
    // cell, each count by inversion at a uniform of its own keyed to (year,
    // pool, need, placement, ...), the same in every variant (MODEL.md
    // section 7). First the late plans of each age, Bin(issued[a], lag).
    // Then one pool per (group, phase): the plans joining now at the ages of
    // a phase (group 0), or joining next year at them (group 1, labelled now
    // with the mixes of the age they join at). All plans of a pool share
    // their mixes, so the pool is split at once: its needs as a chain of
    // conditional binomials in the fixed need order, the thinning by
    // need-scoped levers Bin(count, thin), the placements as a chain in the
    // fixed placement order, and a diversion of each (need, placement) count
    // as thinnings with uniforms of their own; then each resulting count
    // takes its ages from the pool by a chain of hypergeometric draws (the
    // exact law of labelling the pool's pupils independently). A count moves
    // monotonically with its probability at a fixed uniform, so two variants
    // whose pools or mixes differ a little get counts that differ a little
    // (quantile coupling); labels drawn pupil by pupil, or pools age by age
    // (a few pupils each), re-draw every pupil one variant has and the other
    // has not.
    template <class Now, class Late>
    void new_plans(const Count* issued, const Model& m, const Rates& r, int t, Now&& now, Late&& late) const {
        const int A = m.ages;
        std::vector<Count>& joining = counts_;  // [group * A + age]
        joining.assign(2 * static_cast<std::size_t>(A), Count{0});
        // The late plans: Bin(issued, lag) per phase, their ages drawn from
        // the issued plans' (a late plan of the oldest age leaves with its cohort).
        for (int ph = 0; ph < m.phases; ++ph) {
            const int first = m.phase_first_age[ph], ages = m.phase_last_age[ph] - first + 1;
            Count total = 0;
            for (int i = 0; i < ages; ++i) {
                total += issued[first + i];
                joining[static_cast<std::size_t>(first + i)] = issued[first + i];
            }
            if (total <= 0 || !(r.lag > 0.0)) continue;
            const std::uint64_t b = base(Process::need, (std::uint64_t{1} << 16) + static_cast<std::uint64_t>(ph));
            const Count late_count = binomial_quantile(uniform_at(b, 0), total, r.lag);
            counted(1);
            by_group(b, 1, issued + first, ages, total, late_count, [&](int i, Count y) {
                joining[static_cast<std::size_t>(first + i)] -= y;
                if (first + i + 1 < A) joining[static_cast<std::size_t>(A + first + i + 1)] += y;
            });
        }
        for (int group = 0; group < 2; ++group)
            for (int ph = 0; ph < m.phases; ++ph) {
                const int first = m.phase_first_age[ph], ages = m.phase_last_age[ph] - first + 1;
                Count* pool = &joining[static_cast<std::size_t>(group) * A + static_cast<std::size_t>(first)];
                const std::uint64_t sub = 1 + static_cast<std::uint64_t>(group * m.phases + ph);
                if (group == 0)
                    split(pool, first, ages, ph, m, r, t, sub, now);
                else
                    split(pool, first, ages, ph, m, r, t, sub, late);
            }
    }

    // One pool: pool[i] plans joining at age first + i (i < ages), all with
    // the mixes of phase `phase`; the pool is emptied as it is split. The
    // placement is drawn first, from the pool's placement mix over all needs,
    // then the needs given the placement: the same law as need then
    // placement, but the count that costs (the placement's) is one draw over
    // the whole pool, so two variants' counts differ by little more than
    // their pools do; drawn per need, each of a dozen small counts would
    // round on its own and the sum would carry the noise of independent
    // labels.
    template <class Add>
    void split(Count* pool, int first, int ages, int phase, const Model& m, const Rates& r, int t, std::uint64_t sub,
               Add&& add) const {
        Count count = 0;
        for (int i = 0; i < ages; ++i) count += pool[i];
        if (count <= 0) return;
        const std::uint64_t b = base(Process::need, sub);
        const int N = m.needs, P = m.placements;
        const double* need_mix = &r.need_mix[static_cast<std::size_t>(phase) * N];
        const double* placement_mix = &r.placement_mix[static_cast<std::size_t>(phase) * N * P];
        const int set = r.divert_set[static_cast<std::size_t>(t)];
        // Gives `x` plans of need n, placement p the ages of the pool (a chain
        // of hypergeometric draws over the ages at uniforms `code`), and adds
        // them (or only takes them from the pool: thinned plans).
        auto place = [&](std::uint64_t code, int n, int p, Count x, bool keep) {
            by_group(b, code, pool, ages, count, x, [&](int i, Count y) {
                pool[i] -= y;
                if (keep) add(first + i, n, p, y);
            });
            count -= x;
        };
        std::vector<double>& joint = weights_;  // [p * N + n]: need_mix[n] x placement_mix[n][p]
        joint.resize(static_cast<std::size_t>(P) * N + static_cast<std::size_t>(P));
        double* marginal = &joint[static_cast<std::size_t>(P) * N];
        // Need-scoped "fewer plans" levers thin the pool first, by one count
        // over the whole pool at the share they remove (the same law as
        // labelling each plan and then thinning its need); the kept plans are
        // then split with the thinned needs' weights reduced.
        const double* thin = &r.thin[(static_cast<std::size_t>(t) * m.phases + phase) * N];
        double all = 0.0, kept = 0.0;
        for (int p = 0; p < P; ++p) {
            marginal[p] = 0.0;
            for (int n = 0; n < N; ++n) {
                const double w = need_mix[n] * placement_mix[static_cast<std::size_t>(n) * P + p];
                all += w;
                joint[static_cast<std::size_t>(p) * N + n] = w * (1.0 - thin[n]);
                marginal[p] += w * (1.0 - thin[n]);
            }
            kept += marginal[p];
        }
        if (kept < all) {
            const Count thinned = all > 0.0 && kept > 0.0
                                      ? binomial_quantile(uniform_at(b, std::uint64_t{1} << 24), count, 1.0 - kept / all)
                                      : count;
            counted(1);
            place(1024 - 128, 0, 0, thinned, false);  // not issued: only their ages leave the pool
        }
        Count left = count;
        double rest = kept;
        int last_p = P - 1;
        while (last_p > 0 && !(marginal[last_p] > 0.0)) --last_p;
        for (int p = 0; p <= last_p && left > 0; ++p) {
            const Count in_p = chained(b, 1 + static_cast<std::uint64_t>(p), left, marginal[p], rest, p == last_p);
            left -= in_p;
            if (in_p <= 0) continue;
            Count need_left = in_p;
            double need_rest = marginal[p];
            int last_n = N - 1;
            while (last_n > 0 && !(joint[static_cast<std::size_t>(p) * N + last_n] > 0.0)) --last_n;
            for (int n = 0; n <= last_n && need_left > 0; ++n) {
                const std::uint64_t cell = static_cast<std::uint64_t>(p) * N + static_cast<std::uint64_t>(n);
                Count c = chained(b, 256 + cell, need_left, joint[cell], need_rest, n == last_n);
                need_left -= c;
                if (c <= 0) continue;
                // The ages' uniforms of each count: (code << 8) + age, code =
                // 1024 + 128 cell + slot (1 + l diverted by lever l, 127 kept);
                // the thinned plans' code is 1024 - 128.
                const std::uint64_t code = 1024 + 128 * cell;
                if (set >= 0) {
                    const Rates::DivertRow& d =
                        r.diverts[static_cast<std::size_t>(set)][(static_cast<std::size_t>(phase) * N + n) * P + p];
                    if (d.total > 0.0) {
                        placement_counts_.resize(d.to.size());
                        divert(b, (std::uint64_t{1} << 32) + (cell << 7), c, d, placement_counts_.data());
                        for (std::size_t l = 0; l < d.to.size(); ++l)
                            if (placement_counts_[l] > 0) {
                                place(code + 1 + l, n, d.to[l], placement_counts_[l], true);
                                c -= placement_counts_[l];
                            }
                    }
                }
                if (c > 0) place(code + 127, n, p, c, true);
            }
        }
    }

    // One link of a chain of conditional binomials over a fixed category
    // order: of `left` still unplaced, Bin(left, share / rest) by inversion
    // at uniform `index` (the last category, or one holding all the mass
    // left, takes the rest); `rest` is
    // reduced by `share`.
    Count chained(std::uint64_t b, std::uint64_t index, Count left, double share, double& rest, bool last) const {
        Count x;
        if (share <= 0.0 && !last) {
            x = 0;
        } else if (last || rest <= share * (1.0 + 1e-9)) {  // the rest (rounding never loses a pupil)
            x = left;
        } else {
            x = binomial_quantile(uniform_at(b, index), left, share / rest);
            counted(1);
        }
        rest -= share;
        return x;
    }

    // The base year's pipeline joining at age a: its expected count, rounded
    // without bias, each plan labelled with the base year's mixes.
    template <class Add>
    void pipeline(double expected, int a, const Model& m, const Rates& r, Add&& add) const {
        if (!(expected > 0.0)) return;
        Stream s = stream(Process::pipeline, static_cast<std::uint64_t>(a));
        const double whole = std::floor(expected);
        Count count = static_cast<Count>(whole);
        if (s.uniform() < expected - whole) ++count;
        const std::uint64_t b = s.next_u64();
        used(s);
        for (Count i = 0; i < count; ++i) {
            if ((i & 0xfff) == 0xfff && draws_.stopped()) break;  // the runner drops this replicate
            int n = 0, p = 0;
            if (label(m, r, 0, m.phase_of_age[a], b, 5 * static_cast<std::uint64_t>(i) + 1, true, n, p))
                add(n, p, Count{1});
        }
    }

    // Need (inversion over the phase's need mix), thinning by need-scoped
    // levers (when `thinning`), placement (inversion over the need's
    // placement mix), then a diversion: uniforms at..at+3. False = thinned.
    bool label(const Model& m, const Rates& r, int t, int phase, std::uint64_t b, std::uint64_t at, bool thinning,
               int& n, int& p) const {
        counted(1);  // the need; thinning, placement and diversion counted when drawn
        const int N = m.needs, P = m.placements;
        n = invert(&r.need_cdf[static_cast<std::size_t>(phase) * N], N, uniform_at(b, at));
        if (thinning) {
            const double thinned = r.thin[(static_cast<std::size_t>(t) * m.phases + phase) * N + n];
            if (thinned > 0.0) counted(1);
            if (thinned > 0.0 && uniform_at(b, at + 1) < thinned) return false;
        }
        const std::size_t row = (static_cast<std::size_t>(phase) * N + n) * P;
        counted(1);
        p = invert(&r.placement_cdf[row], P, uniform_at(b, at + 2));
        const int set = r.divert_set[static_cast<std::size_t>(t)];
        if (set >= 0) {
            const Rates::DivertRow& d = r.diverts[static_cast<std::size_t>(set)][row + static_cast<std::size_t>(p)];
            if (d.total > 0.0) {
                const double u = uniform_at(b, at + 3);
                counted(1);
                if (u < d.total) {
                    std::size_t j = 0;
                    while (j + 1 < d.to.size() && u >= d.upto[j]) ++j;
                    p = d.to[j];
                }
            }
        }
        return true;
    }

    // The first category whose cumulative share exceeds u (fixed order).
    static int invert(const double* cdf, int k, double u) {
        int i = 0;
        while (i + 1 < k && u >= cdf[i]) ++i;
        return i;
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

    // Step 5: T ~ Poisson(lambda) by inversion, each pupil placed by age,
    // need and placement at its own uniforms (indices 5i..5i+4). Transfers
    // in keep their own need mix: no need-scoped lever thins them; a
    // diversion of placement applies to them as arrivals (MODEL.md 11).
    template <class Add>
    Count transfers(double lambda, int t, const Rates& rates, const Model& model, Add&& add) const {
        if (lambda <= 0.0) return 0;
        Stream count_stream = stream(Process::transfer_count);
        const Count total = poisson_quantile(count_stream.uniform(), lambda);
        used(count_stream);
        if (total == 0) return 0;
        const std::uint64_t b = base(Process::transfer_cell, 0);
        const std::vector<double>& ages = rates.transfer_age_cdf[static_cast<std::size_t>(t)];
        for (Count i = 0; i < total; ++i) {
            if ((i & 0xfff) == 0xfff && draws_.stopped()) break;  // the runner drops this replicate
            const std::uint64_t at = 5 * static_cast<std::uint64_t>(i);
            const int a = invert(ages.data(), model.ages, uniform_at(b, at));
            counted(1);
            int n = 0, p = 0;
            label(model, rates, t, model.phase_of_age[a], b, at + 1, false, n, p);
            add(a, n, p, Count{1});
        }
        return total;
    }

private:
    const RandomDraws& draws_;
    ReplicateKey key_;
    int year_;
    // Scratch owned by the replicate's State, so the step allocates nothing.
    std::vector<Count>& buffer_;
    std::vector<Count>& counts_;
    std::vector<Count>& placement_counts_;
    std::vector<double>& weights_;
};

}  // namespace ehcpsim::step_detail
