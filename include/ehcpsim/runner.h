// Runs an ensemble: every replicate of every variant, in parallel over
// replicates with oneTBB, streamed to a ResultWriter block by block.
// Parallelism lives here and nowhere else. A replicate's numbers depend only
// on (scenario, seed, replicate index), so the output is the same whatever
// the thread count or the block size.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ehcpsim/checkpoint.h"
#include "ehcpsim/model.h"
#include "ehcpsim/output.h"
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
    // Called on the calling thread after each block: (replicates done, total).
    std::function<void(std::int64_t, std::int64_t)> progress;
    // Set (by a signal handler, say) to stop: checked before each replicate
    // and between blocks, then run() throws Interrupted (the unfinished
    // block is dropped) and the writer removes its temporary file.
    const std::atomic<bool>* cancel = nullptr;
};

struct RunStats {
    double seconds = 0.0;
    std::int64_t replicate_years = 0;  // replicates x variants x simulated years
    std::uint64_t uniforms = 0;        // 64-bit random outputs drawn (when counted)
    std::int64_t resumed_replicates = 0;  // read back from a checkpoint, not computed
};

class Runner {
public:
    // Compiles every selected variant; throws ScenarioError for an unknown
    // variant name.
    Runner(const ScenarioSet& scenario, RunOptions options, std::string engine_version);

    const RunInfo& info() const { return info_; }
    const std::vector<Model>& models() const { return models_; }
    const Shape& shape() const { return shape_; }

    // Computes every block and hands it to the writer in replicate order.
    // count_uniforms adds the per-stream draw counters up (benchmarks).
    RunStats run(ResultWriter& writer, bool count_uniforms = false) const;
    // The same, keeping a checkpoint: the blocks it already holds are read
    // back and written first (none are computed again), and every block
    // computed is appended to it before it is written. The checkpoint must
    // have been started or resumed for this runner's info(). On an
    // interruption or a failure it holds every block finished so far.
    RunStats run(ResultWriter& writer, Checkpoint& checkpoint, bool count_uniforms = false) const;

    // What the run will cost, roughly, before it starts: the file (results
    // uncompressed, an upper bound: deflate typically halves it), peak memory
    // and time. Time is the measured 45 us per replicate-year of the Halton
    // scenario scaled by cells, plus 30 ns for each pupil the expected-value
    // projection handles one by one (moves, transfers in); treat it as an
    // order of magnitude.
    struct Estimate {
        double file_bytes = 0.0;
        double checkpoint_bytes = 0.0;  // a checkpoint of the whole run (results raw), removed at the end
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

private:
    // Parameters with the same name and distribution in several variants are
    // drawn once per replicate: the table of distinct ones, and for each
    // variant's parameter its row in the table.
    struct SharedParameter {
        Distribution dist;
        std::uint64_t key;
    };
    std::vector<SharedParameter> shared_parameters_;
    std::uint64_t variant_seed(std::size_t variant) const;
    void project_expected(const Model& m, VariantBlock& out, std::int64_t slot, std::vector<double>& values,
                          std::vector<double>& shocks, Rates& rates, Workspace<double>& work) const;
    std::vector<std::vector<std::size_t>> shared_index_;  // [variant][parameter]
    RunStats run_blocks(ResultWriter& writer, Checkpoint* checkpoint, bool count_uniforms) const;

    RunOptions options_;
    std::vector<Model> models_;
    RunInfo info_;
    Shape shape_;
};

}  // namespace ehcpsim
