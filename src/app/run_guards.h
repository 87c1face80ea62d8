// What `run` checks and settles before it starts: which shard this process
// runs, whether the run is sane for this machine, where a run without -o
// writes, and the stale files of runs that were killed. Private to src/app.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>

#include "ehcpsim/app.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/scenario.h"

namespace ehcpsim::app_detail {

// Which contiguous slice of the replicates this process runs: 0-based shard
// k of n (n = 0: all of them), from --shard K/N, a Slurm array task, or the
// MPI rank.
struct ShardChoice {
    std::int64_t k = 0, n = 0;
    bool mpi = false;
};
ShardChoice choose_shard(const RunRequest& request, const World& world);

// `-o` must name a file this run may replace: not a directory, and not one
// of the run's own inputs (compared by file identity, so another spelling or
// a link of the same file is caught).
void check_output_target(const RunRequest& request, const ScenarioSet& scenario);

// Runs that could not sensibly finish on this machine are refused before
// they start (UsageError, with the estimate) unless the user insists
// (--force). `checkpoint_bytes` > 0 is what the run adds to its checkpoint.
void refuse_absurd_runs(const Runner::Estimate& estimate, int threads, double checkpoint_bytes);
// A checkpoint that will not fit beside the target: a warning before the
// run starts, not a failure when the disk fills.
void warn_if_checkpoint_will_not_fit(double checkpoint_bytes, const std::filesystem::path& target, std::ostream& err);

// A run without -o writes $TMPDIR/ehcpsim-run-<pid>.h5, summarises it and
// removes it; on the way it removes such files of earlier runs whose process
// is gone (killed runs leave theirs behind).
std::filesystem::path temporary_output();
// The writer's <target>.tmp-<pid> files of earlier runs of this target that
// were killed, whose process is gone.
void remove_stale_temporaries(const std::filesystem::path& target);

}  // namespace ehcpsim::app_detail
