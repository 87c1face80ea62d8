// Checkpoint files: an identity header, then one raw record per finished
// block, appended with plain POSIX I/O (no stdio buffering, so a record is in
// the kernel's hands as soon as append() returns and survives the process
// being killed; fdatasync every few seconds covers the machine going down).
// Layout in docs/output.md.
#include "ehcpsim/checkpoint.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "checkpoint_format.h"

namespace ehcpsim {
namespace {

using namespace checkpoint_format;

// Flush to disk at most this often (a killed process loses nothing that
// write() accepted; this bounds what a crash of the machine can take).
constexpr double sync_interval_seconds = 5.0;

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

// write() and read() until done: a signal (SIGINT is caught without
// SA_RESTART) can cut either short.
bool write_all(int fd, const void* data, std::size_t bytes) {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::write(fd, p, bytes);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        bytes -= static_cast<std::size_t>(n);
    }
    return true;
}

// Reads up to `bytes` at `offset`; returns how many were read (fewer at the
// end of the file), or -1 on an error.
std::int64_t read_at(int fd, void* data, std::size_t bytes, std::uint64_t offset) {
    auto* p = static_cast<char*>(data);
    std::size_t done = 0;
    while (done < bytes) {
        const ssize_t n = ::pread(fd, p + done, bytes - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return static_cast<std::int64_t>(done);
}

int sync_fd(int fd) {
    int status;
    do status = ::fdatasync(fd);
    while (status != 0 && errno == EINTR);
    return status;
}

// An open checkpoint file, with its advisory lock.
class File {
public:
    // Never through a symbolic link: replacing or cutting a checkpoint must
    // not write to whatever the link points to.
    File(const std::string& path, int flags) : fd_(::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, 0644)) {
        if (fd_ < 0 && errno == ELOOP)
            throw RuntimeError(path + ": the checkpoint is a symbolic link; refusing to write through it (move the "
                                      "file it points to into its place, or --overwrite replaces the link itself)");
        if (fd_ < 0) throw RuntimeError(system_error(path + ": cannot open the checkpoint"));
        // Two runs writing the same target would append to one checkpoint.
        // Where the file system has no locks (some NFS, Lustre mounts), run on.
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            ::close(fd_);
            throw RuntimeError(path + ": another ehcpsim run is using this checkpoint (the same output file); "
                                      "refusing to run beside it");
        }
    }
    ~File() {
        if (fd_ >= 0) ::close(fd_);  // releases the lock
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    int fd() const { return fd_; }
    std::uint64_t size() const {
        struct stat st {};
        return ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    }

private:
    int fd_;
};

}  // namespace

std::string checkpoint_path(const std::string& target) { return target + ".ckpt"; }

CheckpointExists::CheckpointExists(const std::string& path, std::int64_t saved_replicates)
    : RuntimeError(path + ": a checkpoint of an interrupted run is there, holding " +
                   std::to_string(saved_replicates) + " finished replicate(s); refusing to replace it"),
      saved_(saved_replicates) {}

double checkpoint_bytes(const RunInfo& info, std::int64_t replicates) {
    double per_replicate = 0.0;
    for (std::uint64_t n : record_layout(info)) per_replicate += static_cast<double>(n) * sizeof(double);
    const double header = static_cast<double>(fixed_header + encode_run(with_defaults(info)).size() + crc_bytes);
    // Blocks of at least a few hundred replicates: the record overhead is small.
    return header + per_replicate * static_cast<double>(replicates) +
           static_cast<double>(record_header + crc_bytes) * static_cast<double>(replicates) / 64.0;
}

struct Checkpoint::Impl {
    std::string path;
    std::unique_ptr<File> file;
    RunInfo run;                    // with_defaults(): what a header holds and is compared with
    std::vector<char> header_body;  // encode_run(run)
    std::vector<std::uint64_t> layout;  // record_layout(run)
    Shape shape;
    std::vector<std::size_t> parameters_per_variant;
    std::uint64_t values_per_replicate = 0;  // all variants, metrics and parameters
    std::vector<Range> saved;
    std::vector<std::uint64_t> offsets;  // of each saved record's header
    std::int64_t saved_replicates = 0;
    std::uint64_t end = 0;  // end of the last whole record: where the next one goes
    std::uint64_t dropped = 0;
    bool removed = false;
    bool dirty = false;
    std::chrono::steady_clock::time_point last_sync = std::chrono::steady_clock::now();

    Impl(std::string where, const RunInfo& info)
        : path(std::move(where)), run(with_defaults(info)), header_body(encode_run(run)), layout(record_layout(run)),
          shape(run.shape()), parameters_per_variant(run.parameters_per_variant()) {
        for (std::uint64_t n : layout) values_per_replicate += n;
    }

    int fd() const { return file->fd(); }

    // What is at the start of the file.
    enum class Header { valid, empty, foreign };
    struct ReadHeader {
        Header kind = Header::empty;
        RunInfo run;
        std::uint64_t end = 0;  // where the records start
        std::string problem;    // for a foreign file
    };

    ReadHeader read_header() const {
        ReadHeader result;
        const std::uint64_t size = file->size();
        char fixed[fixed_header];
        const std::int64_t got = read_at(fd(), fixed, sizeof fixed, 0);
        if (got < 0) throw RuntimeError(system_error(path + ": cannot read the checkpoint"));
        // Nothing, or the start of our magic: a run stopped before its header
        // was whole. Nothing was saved, so nothing is lost by starting over.
        const auto prefix = static_cast<std::size_t>(std::min<std::int64_t>(got, sizeof magic));
        if (std::memcmp(fixed, magic, prefix) != 0) {
            result.kind = Header::foreign;
            result.problem = "not an ehcpsim checkpoint";
            return result;
        }
        if (static_cast<std::size_t>(got) < sizeof fixed) return result;  // empty
        std::uint32_t version = 0, order = 0;
        std::uint64_t body_length = 0;
        std::memcpy(&version, fixed + 8, 4);
        std::memcpy(&order, fixed + 12, 4);
        std::memcpy(&body_length, fixed + 16, 8);
        if (order != byte_order_mark) {
            result.kind = Header::foreign;
            result.problem = "written on a machine of the other byte order";
            return result;
        }
        if (version != checkpoint_format::version) {
            result.kind = Header::foreign;
            result.problem = "checkpoint format version " + std::to_string(version) + " (this engine reads version " +
                             std::to_string(checkpoint_format::version) + ")";
            return result;
        }
        // A header cut short is a run stopped while writing it (it is
        // written whole, then synced, before any record): nothing was saved.
        // But a file longer than a header of this run whose header does not
        // check out may hold finished records behind a damaged header: it is
        // never taken for empty (refused unless the caller asked to replace it).
        const std::uint64_t own_header = fixed_header + header_body.size() + crc_bytes;
        const auto damaged = [&] {
            result.kind = Header::foreign;
            result.problem = "its header is damaged (it may still hold finished replicates)";
            return result;
        };
        if (body_length > size || fixed_header + body_length + crc_bytes > size) {  // cut short
            if (size <= own_header) return result;
            return damaged();
        }
        std::vector<char> body(static_cast<std::size_t>(body_length));
        std::uint32_t stored = 0;
        if (read_at(fd(), body.data(), body.size(), fixed_header) != static_cast<std::int64_t>(body.size()) ||
            read_at(fd(), &stored, sizeof stored, fixed_header + body_length) != sizeof stored)
            throw RuntimeError(system_error(path + ": cannot read the checkpoint"));
        if (crc(0, body.data(), body.size()) != stored) return damaged();
        try {
            result.run = decode_run(body);
        } catch (const std::length_error&) {
            result.kind = Header::foreign;
            result.problem = "its header does not parse";
            return result;
        }
        result.kind = Header::valid;
        result.end = fixed_header + body_length + crc_bytes;
        return result;
    }

    // The records from `from` on that check out: each whole, its CRC right,
    // its replicates inside the run `id` and not saved twice. Stops at the
    // first that does not (a torn or damaged tail).
    struct Scan {
        std::vector<Range> saved;
        std::vector<std::uint64_t> offsets;
        std::int64_t replicates = 0;
        std::uint64_t end = 0, dropped = 0;
    };
    Scan scan_records(const RunInfo& id, std::uint64_t from) const {
        Scan scan;
        std::uint64_t per_replicate = 0;
        for (std::uint64_t n : record_layout(id)) per_replicate += n;
        const std::uint64_t size = file->size();
        const std::int64_t lo = id.first_replicate, hi = id.first_replicate + id.replicates;
        std::vector<Range> ranges;  // sorted copy, to find overlaps
        std::vector<char> buffer(std::size_t{1} << 20);
        std::uint64_t at = from;
        while (at + record_header + crc_bytes <= size) {
            RecordHeader h;
            if (read_at(fd(), &h, sizeof h, at) != static_cast<std::int64_t>(sizeof h))
                throw RuntimeError(system_error(path + ": cannot read the checkpoint"));
            if (h.magic != record_magic || h.reserved != 0 || h.count <= 0 || h.first < lo || h.first > hi - h.count ||
                h.payload_bytes != static_cast<std::uint64_t>(h.count) * per_replicate * sizeof(double) ||
                h.payload_bytes > size - at - record_header - crc_bytes)
                break;
            const auto place = std::lower_bound(ranges.begin(), ranges.end(), h.first,
                                                [](const Range& r, std::int64_t first) { return r.first < first; });
            if ((place != ranges.end() && place->first < h.first + h.count) ||
                (place != ranges.begin() && std::prev(place)->first + std::prev(place)->count > h.first))
                break;
            std::uint32_t running = crc(0, &h, sizeof h);
            std::uint64_t left = h.payload_bytes, offset = at + record_header;
            bool readable = true;
            while (left > 0) {
                const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
                if (read_at(fd(), buffer.data(), chunk, offset) != static_cast<std::int64_t>(chunk)) {
                    readable = false;
                    break;
                }
                running = crc(running, buffer.data(), chunk);
                left -= chunk;
                offset += chunk;
            }
            std::uint32_t stored = 0;
            if (!readable || read_at(fd(), &stored, sizeof stored, offset) != sizeof stored || stored != running) break;
            ranges.insert(place, Range{h.first, h.count});
            scan.saved.push_back(Range{h.first, h.count});
            scan.offsets.push_back(at);
            scan.replicates += h.count;
            at = offset + crc_bytes;
        }
        scan.end = at;
        scan.dropped = size - at;
        return scan;
    }

    void keep(Scan scan) {
        saved = std::move(scan.saved);
        offsets = std::move(scan.offsets);
        saved_replicates = scan.replicates;
        end = scan.end;
        dropped = scan.dropped;
    }

    // A new file from its header, replacing whatever is there.
    void write_header() {
        if (::ftruncate(fd(), 0) != 0) throw RuntimeError(system_error(path + ": cannot write the checkpoint"));
        const std::vector<char>& body = header_body;
        std::vector<char> bytes(fixed_header);
        const std::uint64_t length = body.size();
        std::memcpy(bytes.data(), magic, sizeof magic);
        std::memcpy(bytes.data() + 8, &checkpoint_format::version, 4);
        std::memcpy(bytes.data() + 12, &byte_order_mark, 4);
        std::memcpy(bytes.data() + 16, &length, 8);
        bytes.insert(bytes.end(), body.begin(), body.end());
        const std::uint32_t sum = crc(0, body.data(), body.size());
        const auto* p = reinterpret_cast<const char*>(&sum);
        bytes.insert(bytes.end(), p, p + sizeof sum);
        if (::lseek(fd(), 0, SEEK_SET) != 0 || !write_all(fd(), bytes.data(), bytes.size()) || sync_fd(fd()) != 0)
            throw RuntimeError(system_error(path + ": cannot write the checkpoint"));
        end = bytes.size();
        saved.clear();
        offsets.clear();
        saved_replicates = 0;
    }

    void append(const ResultBlock& block) {
        if (removed) throw std::logic_error("ehcpsim checkpoint: append() after remove()");
        if (block.count <= 0) return;
        if (block.variants.size() != parameters_per_variant.size())
            throw std::invalid_argument("ehcpsim checkpoint: block has the wrong number of variants");
        for (const Range& r : saved) {
            if (r.first < block.first_replicate + block.count && block.first_replicate < r.first + r.count)
                throw std::invalid_argument("ehcpsim checkpoint: replicates [" +
                                            std::to_string(block.first_replicate) + ", " +
                                            std::to_string(block.first_replicate + block.count) + ") already saved");
        }
        const auto count = static_cast<std::uint64_t>(block.count);
        std::size_t k = 0;
        for (const VariantBlock& v : block.variants) {
            for (const auto& values : v.metrics) {
                if (values.size() != count * layout[k++])
                    throw std::invalid_argument("ehcpsim checkpoint: block does not fit the run's layout");
            }
            if (v.parameters.size() != count * layout[k++])
                throw std::invalid_argument("ehcpsim checkpoint: block does not fit the run's layout");
        }
        RecordHeader h;
        h.first = block.first_replicate;
        h.count = block.count;
        h.payload_bytes = count * values_per_replicate * sizeof(double);
        std::uint32_t running = crc(0, &h, sizeof h);
        bool ok = ::lseek(fd(), static_cast<off_t>(end), SEEK_SET) == static_cast<off_t>(end) &&
                  write_all(fd(), &h, sizeof h);
        for (const VariantBlock& v : block.variants) {
            const auto put = [&](const std::vector<double>& values) {
                if (!ok || values.empty()) return;
                const std::size_t bytes = values.size() * sizeof(double);
                running = crc(running, values.data(), bytes);
                ok = write_all(fd(), values.data(), bytes);
            };
            for (const auto& values : v.metrics) put(values);
            put(v.parameters);
        }
        ok = ok && write_all(fd(), &running, sizeof running);
        if (!ok) {
            const std::string reason = system_error(path + ": cannot append to the checkpoint");
            // Cut the partial record off so later records are not stranded after it.
            [[maybe_unused]] const int ignored = ::ftruncate(fd(), static_cast<off_t>(end));
            throw RuntimeError(reason);
        }
        saved.push_back(Range{block.first_replicate, block.count});
        offsets.push_back(end);
        saved_replicates += block.count;
        end += record_header + h.payload_bytes + crc_bytes;
        dirty = true;
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - last_sync).count() >= sync_interval_seconds) sync();
    }

    void sync() {
        if (removed || !dirty) return;
        if (sync_fd(fd()) != 0) throw RuntimeError(system_error(path + ": cannot flush the checkpoint to disk"));
        dirty = false;
        last_sync = std::chrono::steady_clock::now();
    }

    ResultBlock read(std::size_t index) const {
        if (index >= saved.size())
            throw std::out_of_range("ehcpsim checkpoint: no saved block " + std::to_string(index));
        const Range& r = saved[index];
        ResultBlock block;
        block.allocate(shape, r.first, r.count, parameters_per_variant);
        const std::string what = path + ": cannot read the checkpoint";
        std::uint64_t at = offsets[index];
        RecordHeader h;
        if (read_at(fd(), &h, sizeof h, at) != static_cast<std::int64_t>(sizeof h))
            throw RuntimeError(system_error(what));
        std::uint32_t running = crc(0, &h, sizeof h);
        at += sizeof h;
        const auto get = [&](std::vector<double>& values) {
            const std::size_t bytes = values.size() * sizeof(double);
            if (read_at(fd(), values.data(), bytes, at) != static_cast<std::int64_t>(bytes))
                throw RuntimeError(what + " (it was cut short while in use)");
            running = crc(running, values.data(), bytes);
            at += bytes;
        };
        for (VariantBlock& v : block.variants) {
            for (auto& values : v.metrics) get(values);
            get(v.parameters);
        }
        std::uint32_t stored = 0;
        if (read_at(fd(), &stored, sizeof stored, at) != sizeof stored || stored != running ||
            h.first != r.first || h.count != r.count)
            throw RuntimeError(path + ": the checkpoint changed while it was being read back; nothing was written");
        return block;
    }
};

Checkpoint::Checkpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Checkpoint::Checkpoint(Checkpoint&&) noexcept = default;
Checkpoint& Checkpoint::operator=(Checkpoint&&) noexcept = default;

Checkpoint::~Checkpoint() {
    if (impl_ && !impl_->removed && impl_->dirty) sync_fd(impl_->fd());  // best effort: errors have no one to go to
}

Checkpoint Checkpoint::start(const std::string& path, const RunInfo& info, bool replace) {
    auto impl = std::make_unique<Impl>(path, info);
    struct stat link {};
    if (replace && ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode) && ::unlink(path.c_str()) != 0)
        throw RuntimeError(system_error(path + ": cannot remove the symbolic link to replace it"));
    impl->file = std::make_unique<File>(path, O_RDWR | O_CREAT);
    if (!replace) {
        const Impl::ReadHeader header = impl->read_header();
        if (header.kind == Impl::Header::foreign)
            throw RuntimeError(path + ": " + header.problem + "; refusing to replace it (--overwrite discards it)");
        if (header.kind == Impl::Header::valid) {
            // Whatever run it belongs to, count what it holds.
            const std::int64_t held = impl->scan_records(header.run, header.end).replicates;
            if (held > 0) throw CheckpointExists(path, held);
        }
    }
    impl->write_header();
    return Checkpoint(std::move(impl));
}

std::optional<Checkpoint> Checkpoint::resume(const std::string& path, const RunInfo& info) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return std::nullopt;
    auto impl = std::make_unique<Impl>(path, info);
    impl->file = std::make_unique<File>(path, O_RDWR);
    const Impl::ReadHeader header = impl->read_header();
    switch (header.kind) {
        case Impl::Header::foreign:
            throw RuntimeError(path + ": " + header.problem + "; refusing to resume from it");
        case Impl::Header::empty:
            impl->dropped = impl->file->size();
            impl->write_header();
            break;
        case Impl::Header::valid: {
            if (const auto d = first_difference(header.run, impl->run, RunMatch::same_shard)) {
                const std::string values = d->note.empty()
                                               ? "checkpoint: " + d->first + "; this run: " + d->second
                                               : d->note;
                throw RuntimeError(path + ": checkpoint was written by a different " + d->what + " (" + values +
                                   "); refusing to resume from it (delete it to start afresh)");
            }
            impl->keep(impl->scan_records(impl->run, header.end));
            if (impl->dropped > 0 && ::ftruncate(impl->fd(), static_cast<off_t>(impl->end)) != 0)
                throw RuntimeError(system_error(path + ": cannot cut the damaged end off the checkpoint"));
            break;
        }
    }
    return Checkpoint(std::move(impl));
}

const std::string& Checkpoint::path() const { return impl_->path; }
const std::vector<Checkpoint::Range>& Checkpoint::saved() const { return impl_->saved; }
std::int64_t Checkpoint::saved_replicates() const { return impl_->saved_replicates; }
std::uint64_t Checkpoint::dropped_bytes() const { return impl_->dropped; }
ResultBlock Checkpoint::read(std::size_t index) const { return impl_->read(index); }
void Checkpoint::append(const ResultBlock& block) { impl_->append(block); }
void Checkpoint::sync() { impl_->sync(); }

void Checkpoint::remove() {
    if (impl_->removed) return;
    std::error_code error;
    std::filesystem::remove(impl_->path, error);
    if (error) throw RuntimeError(impl_->path + ": cannot remove the checkpoint: " + error.message());
    impl_->removed = true;
    impl_->file.reset();
}

}  // namespace ehcpsim
