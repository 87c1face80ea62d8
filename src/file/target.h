// Where a finished ensemble file goes: an advisory lock on the target while
// it is written, the temporary files of killed writers cleaned up, and the
// finished temporary file published under the target's name without
// replacing a file that appeared meanwhile. Internal to the file stage.
#pragma once

#include <string>

namespace ehcpsim::file {

// An advisory lock on "<target>.lock", held while a writer writes the
// target, so that two runs to one output cannot both go on (with or without a
// checkpoint). The lock file is removed when the writer ends (a run killed
// with SIGKILL leaves it behind, unlocked: harmless, and taken over by the
// next run). Where the file system has no locks (some NFS, Lustre mounts) the
// writer goes on without one; publishing without replacing (publish()) still
// keeps a finished file from being replaced.
class TargetLock {
public:
    TargetLock() = default;
    TargetLock(const TargetLock&) = delete;
    TargetLock& operator=(const TargetLock&) = delete;
    ~TargetLock() { release(); }

    // False when the file system gives no locks (the caller goes on without).
    bool acquire(const std::string& target);
    void release();

private:
    std::string path_;
    int fd_ = -1;
};

// The temporary files (<target>.tmp-<pid>) of earlier writers of this target
// that were killed: while this writer holds the target's lock, no other
// writer of it is alive, so every one but ours is stale.
void remove_stale_temporaries(const std::string& target, const std::string& ours);

// The finished temporary file `temp` becomes `target`. Without overwrite it
// never replaces a file that appeared meanwhile (written by a run that
// could not see our lock): renameat2(RENAME_NOREPLACE), or where the file
// system lacks it, link(2) and unlink(2), both atomic against a file at
// the target. With overwrite, rename(2) replaces the name itself (a
// symbolic link there is replaced, never written through). RuntimeError
// when it cannot.
void publish(const std::string& temp, const std::string& target, bool overwrite);

}  // namespace ehcpsim::file
