// How the ranks of an MPI run agree: a vote before any rank starts, and
// whether every rank succeeded. Without MPI support compiled in, or in a
// world of one process, every vote is the caller's own. Private to src/app.
#pragma once

#include "ehcpsim/app.h"

namespace ehcpsim::app_detail {

// True when every rank says ok; every rank learns it (a collective call:
// every rank must make it).
bool all_ranks_ok(const World& world, bool ok);

// The ranks of an MPI run vote before any of them starts. A rank that fails
// before the vote (an output that exists, a bad scenario, a shard error)
// still takes part, from this guard's destructor as its exception unwinds,
// so no rank is left waiting in a collective for one that has gone.
class StartVote {
public:
    explicit StartVote(const World& world) : world_(world), pending_(world.size > 1) {}
    ~StartVote() {
        if (pending_) all_ranks_ok(world_, false);
    }
    StartVote(const StartVote&) = delete;
    StartVote& operator=(const StartVote&) = delete;
    // True when every rank is ready to run; every rank learns it.
    bool all_ready() {
        pending_ = false;
        return all_ranks_ok(world_, true);
    }

private:
    World world_;
    bool pending_;
};

}  // namespace ehcpsim::app_detail
