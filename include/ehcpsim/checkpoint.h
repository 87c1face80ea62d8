// Checkpoints: the completed blocks of a long run, kept beside its target so
// that a run stopped part-way (Ctrl-C, a killed job, a full disk) can be
// finished later with the same numbers. Format and guarantees in
// docs/output.md ("Resuming an interrupted run").
//
// A replicate's numbers depend only on (scenario, seed, replicate index), so
// a checkpoint holds nothing but the finished blocks' results: a header
// describing the run (its RunInfo: engine version, the scenario's text, every
// setting that determines the numbers) and then one record per block, appended raw with a
// CRC-32, never rewritten. A record cut short or damaged (a process killed
// mid-write, a machine that lost power) fails its CRC; it and everything
// after it are dropped and recomputed.
//
// One thread at a time calls a Checkpoint's members (the runner's writing
// thread appends; the calling thread syncs or removes once it has waited for
// that thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ehcpsim/error.h"
#include "ehcpsim/results.h"

namespace ehcpsim {

// Where the checkpoint of a run writing `target` lives: "<target>.ckpt".
std::string checkpoint_path(const std::string& target);

// A fresh run found a checkpoint holding completed replicates at its path:
// it is not replaced unless the caller asks (the command line: --resume to
// finish that run, --overwrite to discard it).
class CheckpointExists : public RuntimeError {
public:
    CheckpointExists(const std::string& path, std::int64_t saved_replicates);
    std::int64_t saved_replicates() const { return saved_; }

private:
    std::int64_t saved_;
};

class Checkpoint {
public:
    using Range = ReplicateRange;  // global replicate indices

    // Starts an empty checkpoint for the run `info` at `path`. A file there
    // holding completed replicates is refused (CheckpointExists) unless
    // `replace`; one holding none (a run killed before its first block) is
    // replaced. RuntimeError if another process is using it (an advisory
    // lock, where the file system supports one) or it cannot be written.
    static Checkpoint start(const std::string& path, const RunInfo& info, bool replace);

    // Opens the checkpoint at `path` to finish the run `info`; nullopt if
    // there is no file there. Refuses (RuntimeError, naming the first
    // setting that differs: first_difference(), RunMatch::same_shard) a
    // checkpoint of another run or another shard of it, and a file that is
    // not an ehcpsim checkpoint. Keeps the
    // records that check out and cuts off the rest (see dropped_bytes()).
    static std::optional<Checkpoint> resume(const std::string& path, const RunInfo& info);

    Checkpoint(Checkpoint&&) noexcept;
    Checkpoint& operator=(Checkpoint&&) noexcept;
    ~Checkpoint();  // flushes to disk (best effort) unless removed, and releases the lock

    const std::string& path() const;
    // The saved blocks, in file order, and the replicates they hold.
    const std::vector<Range>& saved() const;
    std::int64_t saved_replicates() const;
    // Bytes cut off the end when resuming: a torn or damaged last record.
    std::uint64_t dropped_bytes() const;
    // Saved block `index` (of saved()), read back and checked again.
    ResultBlock read(std::size_t index) const;

    // Appends a finished block (its replicates must not be saved already:
    // std::invalid_argument). Flushes to disk when the last flush is more
    // than a few seconds old. On a write failure the file is cut back to its
    // last whole record and RuntimeError is thrown.
    void append(const ResultBlock& block);
    // Flushes everything appended to disk now.
    void sync();
    // Deletes the file (the run it served has finished).
    void remove();

private:
    struct Impl;
    explicit Checkpoint(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Bytes a checkpoint of `replicates` replicates takes (results stored raw).
double checkpoint_bytes(const RunInfo& info, std::int64_t replicates);

}  // namespace ehcpsim
