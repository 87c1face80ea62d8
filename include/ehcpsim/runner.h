// Runs an ensemble: every replicate of every variant, in parallel over
// replicates with oneTBB, handed block by block to a BlockSink. Parallelism
// lives here and nowhere else. A replicate's numbers depend only on
// (scenario, seed, replicate index), so the output is the same whatever the
// thread count or the block size. The runner knows no file and no
// checkpoint: what becomes of a block is the sink's business (the app's
// HDF5 writer and checkpoint, or memory in a test).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ehcpsim/lever_subsets.h"
#include "ehcpsim/model.h"
#include "ehcpsim/results.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/step.h"

namespace ehcpsim {

struct RunOptions {
    std::uint64_t seed = 1;
    std::int64_t replicates = 1000;  // the whole run's replicates
    // A shard runs only replicates [shard_first, shard_first + shard_count)
    // of the run (shard_count < 0: all); its file holds just those.
    std::int64_t shard_first = 0;
    std::int64_t shard_count = -1;
    int threads = 0;                 // 0 = every core oneTBB sees
    bool deterministic = false;      // expected-value projection, one "replicate"
    std::int64_t block_size = 0;     // replicates per written block; 0 = automatic
    std::vector<std::string> variants;  // subset to run; empty = all
    // Common random numbers: every variant of a replicate shares parameter
    // draws and streams. Off (--no-crn) only to show what CRN buys: each
    // variant then gets streams of its own.
    bool common_random_numbers = true;
    // Every parameter at its mean in every replicate (--fixed-parameters): the
    // spread left is the engine's own noise (MODEL.md section 7). The demand
    // shocks e(t) are still drawn: they are the year-to-year process, not a
    // parameter.
    bool fixed_parameters = false;
    // Record the results by age too (results.h, AgeMetricId) into each
    // block's VariantBlock::by_age, for a caller that reads the blocks (the
    // backtest's forecaster). Off by default: no file stage writes them, so
    // `ehcpsim run` leaves it off and its files are the same either way.
    bool record_by_age = false;
    // Record stock_by_placement_age_need (the whole stock each census): the
    // DSG plan's age x need tables and the SCAP return read it. Off by
    // default: it is large (placements x ages x needs values a year).
    bool record_plan_detail = false;
    // Called on the calling thread after each block: (replicates done, total).
    std::function<void(std::int64_t, std::int64_t)> progress;
    // Set (by a signal handler, say) to stop: checked before each replicate
    // and between blocks, then run() throws Interrupted (the unfinished
    // block is dropped) and the writer removes its temporary file.
    const std::atomic<bool>* cancel = nullptr;
};

// Where the runner's blocks go. Its calls never overlap, except prepare():
// expected() first, on the calling thread; then, on one writing thread that
// works while the next block is computed, replay() once and write() for each
// computed block in the order the blocks were computed; prepare() of a block
// on the calling thread before its write(), possibly while replay() or the
// previous block's write() runs; stopped() on the calling thread when the
// run is interrupted, after the last call has returned.
class BlockSink {
public:
    virtual ~BlockSink() = default;
    // The deterministic expected-value projection (a block of one replicate).
    virtual void expected(const ResultBlock& block) = 0;
    // The blocks an earlier run finished (a resumed run), handed on before
    // the first computed block while that block is computed. Returns false
    // when it saw stop() and gave up part-way.
    virtual bool replay(const std::function<bool()>& stop) {
        (void)stop;
        return true;
    }
    virtual void write(const ResultBlock& block) = 0;
    // Called for each computed block before write(), on the calling thread
    // inside the run's worker threads (a oneTBB arena of --threads), while
    // write() may be busy with the previous block: work a sink can spread
    // over the workers goes here (the file's compression), so that
    // write()'s one thread is not the limit. Nothing by default.
    virtual void prepare(const ResultBlock& block) { (void)block; }
    // The run is interrupted: keep what is finished (a checkpoint syncs).
    virtual void stopped() {}
};

struct RunStats {
    double seconds = 0.0;
    std::int64_t replicate_years = 0;  // replicates x variants x simulated years
    std::uint64_t uniforms = 0;        // 64-bit random outputs drawn (when counted)
    std::int64_t resumed_replicates = 0;  // finished by an earlier run, not computed
};

class Runner {
public:
    // Compiles every selected variant; throws ScenarioError for an unknown
    // variant name.
    Runner(const ScenarioSet& scenario, RunOptions options, std::string engine_version);

    const RunInfo& info() const { return info_; }
    const std::vector<Model>& models() const { return models_; }
    // [labels] names no variant draws ("file:line:col: labels.NAME: ..."),
    // for the caller to warn about: a label changes no number, and a template
    // (calibrate's) may label parameters its scenario does not keep. Checked
    // only when every variant is compiled.
    const std::vector<std::string>& label_warnings() const { return label_warnings_; }
    const Shape& shape() const { return shape_; }
    const RunOptions& options() const { return options_; }

    // Computes every block of this run's replicates except those in
    // `finished` (an earlier run's, replayed by the sink; they need not fall
    // on this run's block boundaries) and hands each to the sink in
    // replicate order. count_uniforms adds the per-stream draw counters up
    // (benchmarks). Throws Interrupted when options().cancel is set, after
    // sink.stopped(); a failure of the sink is rethrown.
    RunStats run(BlockSink& sink, const std::vector<ReplicateRange>& finished = {},
                 bool count_uniforms = false) const;

    // What the run will cost, roughly, before it starts: the results
    // (uncompressed, an upper bound: deflate typically halves it), peak memory
    // and time. Time is the measured 45 us per replicate-year of the Halton
    // scenario scaled by cells, plus 30 ns for each pupil the expected-value
    // projection handles one by one (moves, transfers in); treat it as an
    // order of magnitude.
    struct Estimate {
        double file_bytes = 0.0;
        double memory_bytes = 0.0;
        double seconds = 0.0;
    };
    Estimate estimate(int threads) const;
    // Expected moves plus transfers in per simulated year (the pupils drawn
    // one by one), averaged over the years, at the largest variant (from
    // compute_expected()).
    double pupils_per_year() const;

    // One block without a writer (tests, benchmarks).
    ResultBlock compute_block(std::int64_t first, std::int64_t count, std::uint64_t* uniforms = nullptr) const;
    // The deterministic expected-value projection of every variant, as a
    // block of one replicate (written beside every ensemble).
    ResultBlock compute_expected() const;

    // Each lever's worth (lever_subsets.h): for every variant with at least
    // one lever, the cumulative deficit at the horizon of each subset of its
    // levers, for this run's replicates, in the model's order. Every subset
    // draws the parameters, shocks and streams compute_block() draws for the
    // variant (only Model::levers differs), so the all-levers subset is the
    // variant's own cumulative deficit, bit for bit. Monte Carlo with common
    // random numbers only (std::logic_error otherwise: the app refuses the
    // flag first); a variant with more than max_worth_levers levers is a
    // ScenarioError naming it. Parallel over replicates in an arena of
    // options().threads; options().cancel stops it (Interrupted).
    std::vector<LeverSubsets> lever_subsets() const;
    // The refusal lever_subsets() starts with, on its own, so a command can
    // refuse before the run: a ScenarioError naming every variant with more
    // than max_worth_levers levers.
    void check_lever_worth() const;

private:
    // The draws every variant of a replicate shares under common random
    // numbers: the distinct parameters (shared_parameters_ order) and the shocks.
    void shared_draws(std::uint64_t replicate, std::vector<double>& shared, std::vector<double>& shocks) const;
    // Variant v's parameter values from the shared draws.
    void variant_values(std::size_t v, const std::vector<double>& shared, std::vector<double>& values) const;
    // Parameters with the same name and distribution in several variants are
    // drawn once per replicate: the table of distinct ones, and for each
    // variant's parameter its row in the table.
    struct SharedParameter {
        Distribution dist;
        std::uint64_t key;
    };
    std::vector<SharedParameter> shared_parameters_;
    std::uint64_t variant_seed(std::size_t variant) const;
    // options_.cancel is set: a stop was requested.
    bool stop_requested() const;
    void project_expected(const Model& m, VariantBlock& out, std::int64_t slot, std::vector<double>& values,
                          std::vector<double>& shocks, Rates& rates, Workspace<double>& work) const;
    std::vector<std::vector<std::size_t>> shared_index_;  // [variant][parameter]

    RunOptions options_;
    std::vector<Model> models_;
    // The variant whose draw_shocks serves every variant: the first with rate
    // variation (its multipliers' normals are drawn too), else the first.
    std::size_t shock_model_ = 0;  // index into models_
    RunInfo info_;
    std::vector<std::string> label_warnings_;
    Shape shape_;
};

}  // namespace ehcpsim
