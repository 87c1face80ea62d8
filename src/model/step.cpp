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
    void issue(const Count* eligible, const Model& m, const Rates& r, int t, Count* issued, Count& requests,
               Count& assessments) const {
        for (int ph = 0; ph < m.phases; ++ph) {
            const int first = m.phase_first_age[ph], ages = m.phase_last_age[ph] - first + 1;
            std::fill(issued + first, issued + first + ages, Count{0});
            Count pool = 0;
            for (int i = 0; i < ages; ++i) pool += eligible[first + i];
            const auto sub = static_cast<std::uint64_t>(ph);
            const Count asked = draw(Process::request, sub, pool, r.request[static_cast<std::size_t>(t) * m.ages + first]);
            const Count assessed = draw(Process::assess, sub, asked, r.assess);
            const Count agreed = draw(Process::issue, sub, assessed, r.issue[static_cast<std::size_t>(t) * m.phases + ph]);
            requests += asked;
            assessments += assessed;
            if (agreed <= 0) continue;
            by_group(base(Process::issue, 256 + sub), 0, eligible + first, ages, pool, agreed,
                     [&](int i, Count y) { issued[first + i] = y; });
        }
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
               Count& assessments) const {
        for (int a = 0; a < m.ages; ++a) {
            const double asked = eligible[a] * r.request[static_cast<std::size_t>(t) * m.ages + a];
            const double assessed = asked * r.assess;
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
    ops.issue(eligible.data(), m, r, t, issued.data(), f.requests, f.assessments);
    auto join = [&](int a, int n, int p, Count x) {
        s.stock[m.cell(p, a, n)] += x;
        if (track) s.arrivals[m.cell(p, a, n)] += x;
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

bool stop_requested(const RandomDraws& d) { return d.stopped(); }
bool stop_requested(const ExpectedDraws&) { return false; }

template <class Count, class Draws>
bool project_impl(const Model& m, const Rates& r, const Draws& draws, VariantBlock& out, const Shape& shape,
                  std::int64_t slot, State<Count>& state, YearFlows<Count>& flows) {
    Recorder rec(out, shape, slot);
    reset_state(m, state);
    seed_pipeline(m, r, draws, state);
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
        if (stop_requested(draws)) return false;
        step_year(m, r, t, draws, state, flows);
        acc = account(m, r, t, state, acc.cumulative_deficit);
        record_accounts(rec, t, acc);
        record_flows(rec, t, flows);
        // Without capacity the stock after the step is the demand.
        if (demand_detail && flows.demand_by_placement.empty()) record_demand(m, state, flows);
        record_demand_metrics(rec, t, m, flows, acc);
    }
    return !stop_requested(draws);  // a year cut short by a stop is not a finished year
}

}  // namespace

bool project(const Model& m, const Rates& r, const RandomDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot, Workspace<std::int64_t>& work) {
    return project_impl<std::int64_t>(m, r, d, out, shape, slot, work.state, work.flows);
}
bool project(const Model& m, const Rates& r, const ExpectedDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot, Workspace<double>& work) {
    return project_impl<double>(m, r, d, out, shape, slot, work.state, work.flows);
}
bool project(const Model& m, const Rates& r, const RandomDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot) {
    Workspace<std::int64_t> work;
    return project(m, r, d, out, shape, slot, work);
}
bool project(const Model& m, const Rates& r, const ExpectedDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot) {
    Workspace<double> work;
    return project(m, r, d, out, shape, slot, work);
}

}  // namespace ehcpsim
