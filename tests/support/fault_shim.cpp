// A preloaded shim (LD_PRELOAD) for the fault-injection tests: it makes the
// Nth write to a file whose path contains EHCPSIM_FAULT_MATCH (default
// ".tmp-", the writer's temporary file) fail once with EIO or ENOSPC, and lets
// every other write through. The failure is made at the system-call boundary,
// below HDF5, so HDF5's own cache flushes (at H5Dclose, H5Fflush, eviction)
// meet it exactly as they would meet a failing disk.
//   EHCPSIM_FAULT_AT=N           fail the Nth matching write (1-based; 0: none)
//   EHCPSIM_FAULT_EVERY=K        also fail every Kth one (a disk whose free space comes and goes)
//   EHCPSIM_FAULT_ERRNO=ENOSPC   the error to give (default EIO)
//   EHCPSIM_FAULT_COUNT_FILE=F   write the number of matching writes to F at exit, and on a
//                                second line the marks below
//   EHCPSIM_FAULT_MARK=S         mark where a phase of the run ends: each time a write to a
//                                file whose path contains S (".ckpt": the checkpoint) follows
//                                matching writes, note how many matching writes came before it
//   EHCPSIM_FAULT_APPEAR=P       just before a rename(2), renameat2(2) or link(2) onto P,
//                                make P (holding "another run"): another writer's file
//                                appearing between a check and the rename
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <mutex>

namespace {

std::atomic<long> writes{0};

long fault_at() {
    static const long at = [] {
        const char* text = std::getenv("EHCPSIM_FAULT_AT");
        return text ? std::atol(text) : 0L;
    }();
    return at;
}

long fault_every() {
    static const long every = [] {
        const char* text = std::getenv("EHCPSIM_FAULT_EVERY");
        return text ? std::atol(text) : 0L;
    }();
    return every;
}

int fault_errno() {
    const char* text = std::getenv("EHCPSIM_FAULT_ERRNO");
    return text && std::strcmp(text, "ENOSPC") == 0 ? ENOSPC : EIO;
}

// The path `fd` is open on (into `path`), or "" when it cannot be told. No
// allocation: write(2) may be called from a signal handler.
void path_of(int fd, char (&path)[4096]) {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = ::readlink(link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
}

bool contains(const char* path, const char* variable, const char* otherwise) {
    const char* text = std::getenv(variable);
    const char* wanted = text && *text ? text : otherwise;
    return wanted && *path && std::strstr(path, wanted) != nullptr;
}

// The count of matching writes at each mark (EHCPSIM_FAULT_MARK), the first 64.
std::mutex marks_lock;
long marks[64];
std::size_t n_marks = 0;

// True when this write is the one to fail.
bool fail_now(int fd) {
    char path[4096];
    path_of(fd, path);
    if (!contains(path, "EHCPSIM_FAULT_MATCH", ".tmp-")) {
        if (contains(path, "EHCPSIM_FAULT_MARK", nullptr)) {
            const long seen = writes.load();
            const std::lock_guard<std::mutex> hold(marks_lock);
            if (seen > 0 && (n_marks == 0 || marks[n_marks - 1] != seen) && n_marks < std::size(marks))
                marks[n_marks++] = seen;
        }
        return false;
    }
    const long n = ++writes;
    return n == fault_at() || (fault_every() > 0 && n % fault_every() == 0);
}

template <class F>
F next(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

struct Report {
    ~Report() {
        const char* file = std::getenv("EHCPSIM_FAULT_COUNT_FILE");
        if (!file) return;
        if (FILE* out = std::fopen(file, "w")) {
            std::fprintf(out, "%ld\n", writes.load());
            const std::lock_guard<std::mutex> hold(marks_lock);
            for (std::size_t i = 0; i < n_marks; ++i) std::fprintf(out, i ? " %ld" : "%ld", marks[i]);
            std::fprintf(out, "\n");
            std::fclose(out);
        }
    }
} report;

}  // namespace

extern "C" {

ssize_t write(int fd, const void* data, size_t bytes) {
    static const auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
    if (fail_now(fd)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd, data, bytes);
}

ssize_t pwrite(int fd, const void* data, size_t bytes, off_t offset) {
    static const auto real = next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
    if (fail_now(fd)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd, data, bytes, offset);
}

ssize_t pwrite64(int fd, const void* data, size_t bytes, off64_t offset) {
    static const auto real = next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
    if (fail_now(fd)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd, data, bytes, offset);
}

// Another run's file appears at `path` if it is the one named.
static void appear(const char* path) {
    const char* named = std::getenv("EHCPSIM_FAULT_APPEAR");
    if (!named || !path || std::strcmp(named, path) != 0) return;
    if (FILE* out = std::fopen(path, "wx")) {
        std::fputs("another run", out);
        std::fclose(out);
    }
}

int rename(const char* from, const char* to) {
    static const auto real = next<int (*)(const char*, const char*)>("rename");
    appear(to);
    return real(from, to);
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
    static const auto real = next<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
    appear(to);
    return real(from_dir, from, to_dir, to, flags);
}

int link(const char* from, const char* to) {
    static const auto real = next<int (*)(const char*, const char*)>("link");
    appear(to);
    return real(from, to);
}

}  // extern "C"
