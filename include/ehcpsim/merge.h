// Merging shards: the files of a run split into contiguous replicate ranges
// (Slurm array tasks, MPI ranks) become one ensemble file, identical dataset
// by dataset to the file a single process would have written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ehcpsim/results.h"

namespace ehcpsim {

struct MergeReport {
    std::int64_t replicates = 0;
    std::size_t shards = 0;
};

// Checks before writing anything that the shards come from the same run
// (scenario text and CSVs, seed, mode, engine version, variants, common
// random numbers, total replicate count) and together cover every replicate
// exactly once; reports missing ranges, overlaps and mismatches by file name
// (RuntimeError). Then copies them in replicate order, a block of replicates
// at a time, to `output` (written to a temporary file and renamed into place;
// overwrite=false refuses an existing file).
MergeReport merge_shards(const std::vector<std::string>& shards, const std::string& output, bool overwrite);

// The contiguous replicate range of shard k (0-based) of n over `total`
// replicates: [floor(k * total / n), floor((k + 1) * total / n)).
ReplicateRange shard_range(std::int64_t total, std::int64_t k, std::int64_t n);

}  // namespace ehcpsim
