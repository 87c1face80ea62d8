// The sink a run's blocks go to when they are kept in a file: the results
// file, and before it the checkpoint when there is one (the checkpoint is
// what outlives an interruption). A resumed run's saved blocks are read back
// from the checkpoint and written. Where the runner meets the file stage,
// so that neither knows the other.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "ehcpsim/checkpoint.h"
#include "ehcpsim/output.h"
#include "ehcpsim/runner.h"

namespace ehcpsim {

class FileSink final : public BlockSink {
public:
    // `checkpoint` may be null (no checkpoint); both must outlive the sink.
    FileSink(ResultWriter& writer, Checkpoint* checkpoint) : writer_(writer), checkpoint_(checkpoint) {}
    // The replicates the checkpoint already holds: not to be computed again
    // (Runner::run's `finished`).
    std::vector<ReplicateRange> finished() const;

    void expected(const ResultBlock& block) override;
    bool replay(const std::function<bool()>& stop) override;
    // Compresses the block's whole chunks on the run's worker threads
    // (ResultWriter::prepare); write() then only writes them.
    void prepare(const ResultBlock& block) override;
    void write(const ResultBlock& block) override;
    void stopped() override;

private:
    ResultWriter& writer_;
    Checkpoint* checkpoint_;
    std::mutex prepared_mutex_;  // prepare() and write() run on different threads
    std::map<std::int64_t, ResultWriter::PreparedBlock> prepared_;  // first replicate -> its prepared block
};

}  // namespace ehcpsim
