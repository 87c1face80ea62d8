// A deliberate data race inside a tbb::parallel_for body, shaped like the
// runner's loop (per-thread scratch from enumerable_thread_specific, results
// written by slot, the same hand-over annotations). scripts/sanitize.sh
// thread runs it with the same suppressions as the real tests and fails
// unless ThreadSanitizer reports it: the proof that neither the suppressions
// of TBB's internals nor the annotations hide a race between loop bodies.
#include <cstdio>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include "ehcpsim/tsan_handover.h"

int main() {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 2);
    tbb::enumerable_thread_specific<std::vector<double>> scratch;
    std::vector<double> out(100000, 0.0);
    long shared_total = 0;  // the bug: every worker adds to it unguarded
    ehcpsim::TsanHandOver::publish();
    tbb::parallel_for(tbb::blocked_range<long>(0, static_cast<long>(out.size())),
                      [&](const tbb::blocked_range<long>& range) {
                          ehcpsim::TsanHandOver::body_begins();
                          std::vector<double>& work = scratch.local();
                          work.resize(1);
                          for (long slot = range.begin(); slot != range.end(); ++slot) {
                              work[0] = static_cast<double>(slot);
                              out[static_cast<std::size_t>(slot)] = work[0] * 2.0;
                              shared_total += slot;
                          }
                          ehcpsim::TsanHandOver::body_ends();
                      });
    ehcpsim::TsanHandOver::collect();
    std::printf("%ld\n", shared_total);
    return 0;
}
