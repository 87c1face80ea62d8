// The run's blocks into the results file and the checkpoint (file_sink.h).
#include "ehcpsim/file_sink.h"

#include <tbb/parallel_for.h>

#include "ehcpsim/tsan_handover.h"

namespace ehcpsim {

std::vector<ReplicateRange> FileSink::finished() const {
    return checkpoint_ ? checkpoint_->saved() : std::vector<ReplicateRange>{};
}

void FileSink::expected(const ResultBlock& block) { writer_.write_expected(block); }

bool FileSink::replay(const std::function<bool()>& stop) {
    for (std::size_t i = 0; checkpoint_ && i < checkpoint_->saved().size(); ++i) {
        if (stop()) return false;
        writer_.write(checkpoint_->read(i));
    }
    return true;
}

void FileSink::prepare(const ResultBlock& block) {
    // The current arena is the run's: its threads, no more. The hand-over to
    // TBB is annotated for ThreadSanitizer as the runner's is (tsan_handover.h).
    ResultWriter::PreparedBlock prepared = writer_.prepare(block, [](std::size_t count, const std::function<void(std::size_t)>& body) {
        // The loop body exists before publish(): TBB reads it by reference.
        const auto loop = [&](std::size_t i) {
            TsanHandOver::body_begins();
            body(i);
            TsanHandOver::body_ends();
        };
        TsanHandOver::publish();
        tbb::parallel_for(std::size_t{0}, count, loop);
        TsanHandOver::collect();
    });
    const std::lock_guard<std::mutex> lock(prepared_mutex_);
    prepared_[block.first_replicate] = std::move(prepared);
}

void FileSink::write(const ResultBlock& block) {
    if (checkpoint_) checkpoint_->append(block);  // first: it is what outlives an interruption
    std::unique_lock<std::mutex> lock(prepared_mutex_);
    const auto found = prepared_.find(block.first_replicate);
    if (found == prepared_.end()) {
        lock.unlock();
        writer_.write(block);
        return;
    }
    ResultWriter::PreparedBlock prepared = std::move(found->second);
    prepared_.erase(found);
    lock.unlock();
    writer_.write(std::move(prepared));
}

void FileSink::stopped() {
    if (checkpoint_) checkpoint_->sync();
}

}  // namespace ehcpsim
