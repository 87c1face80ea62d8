// The run's blocks into the results file and the checkpoint (file_sink.h).
#include "ehcpsim/file_sink.h"

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

void FileSink::write(const ResultBlock& block) {
    if (checkpoint_) checkpoint_->append(block);  // first: it is what outlives an interruption
    writer_.write(block);
}

void FileSink::stopped() {
    if (checkpoint_) checkpoint_->sync();
}

}  // namespace ehcpsim
