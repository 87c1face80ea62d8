// Locking, cleaning up after and publishing an ensemble file (target.h).
#include "target.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ehcpsim/error.h"

namespace ehcpsim::file {

bool TargetLock::acquire(const std::string& target) {
    path_ = target + ".lock";
    for (int attempt = 0; attempt < 10; ++attempt) {
        const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == ELOOP)
                throw RuntimeError(path_ + ": is a symbolic link; refusing to use it as the output's lock");
            return false;  // an unwritable directory: H5Fcreate says so next, in its words
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            ::close(fd);
            if (error == EWOULDBLOCK)
                throw RuntimeError(target + ": another ehcpsim run is writing this file (it holds " + path_ +
                                   "); refusing to run beside it");
            ::unlink(path_.c_str());  // no locks here: the file would only be left behind
            return false;
        }
        // The file locked must still be the one at the path: a run that
        // ended unlinks it, and one that opened it just before holds a
        // lock on a file no one else will find.
        struct stat held {}, named {};
        if (::fstat(fd, &held) == 0 && ::lstat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino) {
            fd_ = fd;
            return true;
        }
        ::close(fd);
    }
    return false;
}

void TargetLock::release() {
    if (fd_ < 0) return;
    ::unlink(path_.c_str());  // while still held: see acquire()
    ::close(fd_);
    fd_ = -1;
}

void remove_stale_temporaries(const std::string& target, const std::string& ours) {
    const std::filesystem::path path(target);
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const std::string prefix = path.filename().string() + ".tmp-";
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        if (name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) continue;
        if (entry.path() == std::filesystem::path(ours) || name == std::filesystem::path(ours).filename().string())
            continue;
        std::error_code ignored;
        std::filesystem::remove(entry.path(), ignored);
    }
}

void publish(const std::string& temp, const std::string& target, bool overwrite) {
    const auto refuse_existing = [&] {
        throw RuntimeError(target + ": appeared while the run was going; refusing to overwrite it (results "
                           "discarded)");
    };
    const auto cannot = [&](int error) {
        throw RuntimeError(target + ": cannot move the finished file into place: " + std::strerror(error));
    };
    if (overwrite) {
        if (::rename(temp.c_str(), target.c_str()) != 0) cannot(errno);
        return;
    }
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) return;
    if (errno == EEXIST) refuse_existing();
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) cannot(errno);
    if (::link(temp.c_str(), target.c_str()) == 0) {
        ::unlink(temp.c_str());
        return;
    }
    if (errno == EEXIST) refuse_existing();
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP) cannot(errno);
    // Neither (a file system with no hard links): check, then rename.
    std::error_code error;
    if (std::filesystem::exists(std::filesystem::symlink_status(target, error))) refuse_existing();
    if (::rename(temp.c_str(), target.c_str()) != 0) cannot(errno);
}

}  // namespace ehcpsim::file
