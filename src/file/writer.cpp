// The ensemble file, written and read with the HDF5 C API and the
// dimension-scale API of hdf5_hl. Layout: docs/output.md.
#include "ehcpsim/output.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>

namespace ehcpsim {
namespace {

constexpr const char* format_name = "ehcpsim-ensemble";
constexpr int format_version = 1;
// Chunks hold whole replicates ([c, year, extra]) and stay near this size:
// small enough for the default 1 MiB chunk cache to hold a few per dataset,
// large enough for deflate to work well.
constexpr std::size_t target_chunk_bytes = 256 * 1024;
constexpr hsize_t max_chunk_replicates = 4096;
constexpr unsigned deflate_level = 1;  // level 1: most of the gain for a fraction of the time

// ---------------------------------------------------------------------------
// RAII for hid_t handles.

// Closing can write: H5Dclose flushes a dataset's chunk cache and sieve
// buffer, H5Aclose an attribute. A close that fails is never silent: it is
// counted here with HDF5's reason, and the writer checks the count after
// every step. (Serial HDF5 is called by one thread at a time, so a count for
// the process is a count for the writer; a writer's blocks may be written
// from another thread than the one that created it.)
std::atomic<std::uint64_t> failed_closes{0};
std::mutex failed_close_mutex;
std::string failed_close_reason;  // the first since a writer last looked (under failed_close_mutex)
void note_failed_close();

template <herr_t (*Close)(hid_t)>
class Handle {
public:
    Handle() = default;
    explicit Handle(hid_t id) : id_(id) {}
    ~Handle() { reset(); }
    Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }
    void reset() {
        if (id_ >= 0 && Close(id_) < 0) note_failed_close();
        id_ = H5I_INVALID_HID;
    }
    // Close and report whether closing worked (flushing happens here for files).
    bool close() {
        const herr_t status = id_ >= 0 ? Close(id_) : 0;
        id_ = H5I_INVALID_HID;
        return status >= 0;
    }

private:
    hid_t id_ = H5I_INVALID_HID;
};

using FileHandle = Handle<H5Fclose>;
using GroupHandle = Handle<H5Gclose>;
using DatasetHandle = Handle<H5Dclose>;
using SpaceHandle = Handle<H5Sclose>;
using TypeHandle = Handle<H5Tclose>;
using PlistHandle = Handle<H5Pclose>;
using AttrHandle = Handle<H5Aclose>;

// HDF5 prints its error stack to stderr by default; we report our own
// messages instead. The previous setting is restored on leaving the scope so
// that other users of HDF5 in the process are not affected.
//
// Every entry point makes one of these first, so it is also where HDF5's exit
// handler is switched off, before the library initialises. HDF5 1.10 closes
// files still open at exit, and a file whose close already failed (a full
// disk, a file-size limit) makes that handler crash with SIGSEGV after our
// clean error. Our handles close everything they open, and a failed file is
// removed by the writer, so nothing is lost without the handler.
class QuietHdf5 {
public:
    QuietHdf5() {
        static const bool no_atexit = [] {
            H5dont_atexit();
            return true;
        }();
        (void)no_atexit;
        H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
    QuietHdf5(const QuietHdf5&) = delete;
    QuietHdf5& operator=(const QuietHdf5&) = delete;

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

// The innermost entry of HDF5's error stack: the most specific reason
// ("file signature not found", "No space left on device", ...).
herr_t collect_innermost(unsigned, const H5E_error2_t* error, void* data) {
    auto* out = static_cast<std::string*>(data);
    char minor[160] = "";
    H5Eget_msg(error->min_num, nullptr, minor, sizeof minor);
    std::string text = minor;
    if (error->desc != nullptr && error->desc[0] != '\0') {
        text += text.empty() ? "" : ": ";
        text += error->desc;
    }
    if (!text.empty()) *out = text;
    return 0;
}

// HDF5's file-driver messages bury the system's reason in
// "..., errno = 2, error message = 'No such file or directory', ...".
std::string plain_reason(const std::string& reason) {
    const std::string marker = "error message = '";
    const auto start = reason.find(marker);
    if (start == std::string::npos) return reason;
    const auto end = reason.find('\'', start + marker.size());
    return end == std::string::npos ? reason : reason.substr(start + marker.size(), end - start - marker.size());
}

std::string hdf5_reason() {
    std::string reason;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_innermost, &reason);
    H5Eclear2(H5E_DEFAULT);
    return plain_reason(reason);
}

void note_failed_close() {
    const std::string reason = hdf5_reason();
    const std::lock_guard<std::mutex> lock(failed_close_mutex);
    if (failed_close_reason.empty()) failed_close_reason = reason.empty() ? "closing an object failed" : reason;
    ++failed_closes;
}

// Names the file in every message.
class Context {
public:
    explicit Context(std::string path) : path_(std::move(path)) {}
    const std::string& path() const { return path_; }

    [[noreturn]] void fail(const std::string& what) const { throw RuntimeError(path_ + ": " + what); }
    // An HDF5 call failed: say what we were doing and HDF5's innermost reason.
    [[noreturn]] void fail_hdf5(const std::string& what) const {
        const std::string reason = hdf5_reason();
        fail(what + (reason.empty() ? "" : " (HDF5: " + reason + ")"));
    }
    hid_t check(hid_t id, const std::string& what) const {
        if (id < 0) fail_hdf5(what);
        return id;
    }
    void check_status(herr_t status, const std::string& what) const {
        if (status < 0) fail_hdf5(what);
    }

private:
    std::string path_;
};

// ---------------------------------------------------------------------------
// Types and property lists.

TypeHandle string_type(const Context& ctx) {
    TypeHandle type(ctx.check(H5Tcopy(H5T_C_S1), "cannot create a string type"));
    ctx.check_status(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create a string type");
    ctx.check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot create a string type");
    return type;
}

SpaceHandle simple_space(const Context& ctx, const std::vector<hsize_t>& dims) {
    return SpaceHandle(ctx.check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                 "cannot create a dataspace"));
}

SpaceHandle scalar_space(const Context& ctx) {
    return SpaceHandle(ctx.check(H5Screate(H5S_SCALAR), "cannot create a dataspace"));
}

// Object timestamps off, so that identical results give identical files.
PlistHandle untimed(const Context& ctx, hid_t plist_class) {
    PlistHandle plist(ctx.check(H5Pcreate(plist_class), "cannot create a property list"));
    ctx.check_status(H5Pset_obj_track_times(plist.get(), 0), "cannot switch off object timestamps");
    return plist;
}

// File locking where the file system supports it; where it is switched off
// (common on NFS and Lustre, errno 38) carry on rather than fail to open.
PlistHandle file_access(const Context& ctx) {
    PlistHandle fapl(ctx.check(H5Pcreate(H5P_FILE_ACCESS), "cannot create a property list"));
    ctx.check_status(H5Pset_file_locking(fapl.get(), 1, 1), "cannot set file locking");
    return fapl;
}

std::vector<const char*> c_strings(const std::vector<std::string>& values) {
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const auto& value : values) pointers.push_back(value.c_str());
    return pointers;
}

// ---------------------------------------------------------------------------
// Attributes.

void write_attribute(const Context& ctx, hid_t object, const std::string& name, hid_t file_type,
                     hid_t memory_type, const void* value) {
    const std::string what = "cannot write attribute '" + name + "'";
    SpaceHandle space = scalar_space(ctx);
    AttrHandle attr(ctx.check(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), what));
    ctx.check_status(H5Awrite(attr.get(), memory_type, value), what);
}

void write_string_attribute(const Context& ctx, hid_t object, const std::string& name, const std::string& value) {
    TypeHandle type = string_type(ctx);
    const char* pointer = value.c_str();
    write_attribute(ctx, object, name, type.get(), type.get(), &pointer);
}

void write_strings_attribute(const Context& ctx, hid_t object, const std::string& name,
                             const std::vector<std::string>& values) {
    const std::string what = "cannot write attribute '" + name + "'";
    TypeHandle type = string_type(ctx);
    SpaceHandle space = simple_space(ctx, {values.size()});
    AttrHandle attr(ctx.check(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), what));
    const auto pointers = c_strings(values);
    if (!values.empty()) ctx.check_status(H5Awrite(attr.get(), type.get(), pointers.data()), what);
}

// Strings from a dataset or attribute, variable-length or fixed-length.
template <typename ReadFn>
std::vector<std::string> read_strings(const Context& ctx, hid_t file_type, hid_t space, std::size_t count,
                                      const std::string& what, ReadFn read) {
    if (H5Tget_class(file_type) != H5T_STRING) ctx.fail(what + ": not a string");
    std::vector<std::string> values;
    values.reserve(count);
    if (count == 0) return values;
    TypeHandle memory_type(ctx.check(H5Tcopy(file_type), what));
    const htri_t variable = H5Tis_variable_str(file_type);
    ctx.check_status(variable, what);
    if (variable > 0) {
        std::vector<char*> pointers(count, nullptr);
        ctx.check_status(read(memory_type.get(), pointers.data()), what);
        for (char* p : pointers) values.emplace_back(p != nullptr ? p : "");
        // H5Treclaim is declared but not exported by 1.10.8; H5Dvlen_reclaim is its 1.10 name.
        H5Dvlen_reclaim(memory_type.get(), space, H5P_DEFAULT, pointers.data());
    } else {
        const std::size_t size = H5Tget_size(file_type);
        std::vector<char> buffer(size * count);
        ctx.check_status(read(memory_type.get(), buffer.data()), what);
        for (std::size_t i = 0; i < count; ++i) {
            const char* start = buffer.data() + i * size;
            values.emplace_back(start, strnlen(start, size));
        }
    }
    return values;
}

bool has_attribute(const Context& ctx, hid_t object, const std::string& name) {
    const htri_t exists = H5Aexists(object, name.c_str());
    ctx.check_status(exists, "cannot look for attribute '" + name + "'");
    return exists > 0;
}

std::vector<std::string> read_strings_attribute(const Context& ctx, hid_t object, const std::string& name) {
    const std::string what = "cannot read attribute '" + name + "'";
    AttrHandle attr(ctx.check(H5Aopen(object, name.c_str(), H5P_DEFAULT), what));
    TypeHandle type(ctx.check(H5Aget_type(attr.get()), what));
    SpaceHandle space(ctx.check(H5Aget_space(attr.get()), what));
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    ctx.check_status(static_cast<herr_t>(count < 0 ? -1 : 0), what);
    return read_strings(ctx, type.get(), space.get(), static_cast<std::size_t>(count), what,
                        [&](hid_t memory_type, void* buffer) { return H5Aread(attr.get(), memory_type, buffer); });
}

std::string read_string_attribute(const Context& ctx, hid_t object, const std::string& name) {
    auto values = read_strings_attribute(ctx, object, name);
    if (values.size() != 1) ctx.fail("attribute '" + name + "' is not a single string");
    return values.front();
}

template <typename T>
T read_integer_attribute(const Context& ctx, hid_t object, const std::string& name, hid_t memory_type) {
    const std::string what = "cannot read attribute '" + name + "'";
    AttrHandle attr(ctx.check(H5Aopen(object, name.c_str(), H5P_DEFAULT), what));
    TypeHandle type(ctx.check(H5Aget_type(attr.get()), what));
    SpaceHandle space(ctx.check(H5Aget_space(attr.get()), what));
    if (H5Tget_class(type.get()) != H5T_INTEGER || H5Sget_simple_extent_npoints(space.get()) != 1) {
        ctx.fail("attribute '" + name + "' is not a single integer");
    }
    T value{};
    ctx.check_status(H5Aread(attr.get(), memory_type, &value), what);
    return value;
}

// ---------------------------------------------------------------------------
// Datasets.

DatasetHandle create_strings_dataset(const Context& ctx, hid_t location, const std::string& name,
                                     const std::vector<std::string>& values) {
    const std::string what = "cannot create dataset '" + name + "'";
    TypeHandle type = string_type(ctx);
    SpaceHandle space = simple_space(ctx, {values.size()});
    PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
    DatasetHandle dataset(
        ctx.check(H5Dcreate2(location, name.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), what));
    const auto pointers = c_strings(values);
    if (!values.empty()) {
        ctx.check_status(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), what);
    }
    return dataset;
}

void make_scale(const Context& ctx, hid_t dataset, const std::string& name) {
    ctx.check_status(H5DSset_scale(dataset, name.c_str()), "cannot make '" + name + "' a dimension scale");
}

hsize_t chunk_replicates(hsize_t replicates, std::size_t bytes_per_replicate) {
    const hsize_t fit = std::max<hsize_t>(1, target_chunk_bytes / std::max<std::size_t>(1, bytes_per_replicate));
    return std::clamp<hsize_t>(std::min(fit, max_chunk_replicates), 1, std::max<hsize_t>(1, replicates));
}

// A float64 array [replicate, ...] chunked along replicate, shuffled and
// deflated, unwritten values NaN.
DatasetHandle create_replicate_array(const Context& ctx, hid_t location, const std::string& name,
                                     const std::vector<hsize_t>& dims) {
    const std::string what = "cannot create dataset '" + name + "'";
    SpaceHandle space = simple_space(ctx, dims);
    PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
    hsize_t per_replicate = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) per_replicate *= dims[i];
    const bool empty = per_replicate == 0 || dims[0] == 0;
    hsize_t chunk_bytes = 0;
    if (!empty) {  // HDF5 cannot chunk an empty extent; empty arrays stay contiguous
        std::vector<hsize_t> chunk = dims;
        chunk[0] = chunk_replicates(dims[0], per_replicate * sizeof(double));
        chunk_bytes = chunk[0] * per_replicate * sizeof(double);
        ctx.check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what);
        ctx.check_status(H5Pset_shuffle(dcpl.get()), what);
        ctx.check_status(H5Pset_deflate(dcpl.get(), deflate_level), what);
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    ctx.check_status(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), what);
    // Room for a few chunks per dataset, so blocks smaller than a chunk are
    // gathered in memory and each chunk is compressed once.
    PlistHandle dapl(ctx.check(H5Pcreate(H5P_DATASET_ACCESS), what));
    ctx.check_status(H5Pset_chunk_cache(dapl.get(), 521, std::max<hsize_t>(1024 * 1024, 4 * chunk_bytes), 1.0), what);
    return DatasetHandle(ctx.check(
        H5Dcreate2(location, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(), dapl.get()), what));
}

// Attaches the coordinate and labels the dimension with its name (h5py's
// dims[i].label, R's dimension labels); xarray takes the name from the scale.
void attach(const Context& ctx, hid_t dataset, hid_t scale, unsigned dim, const std::string& dimension,
            const std::string& name) {
    const std::string what = "cannot attach dimension " + std::to_string(dim) + " of '" + name + "' to '" + dimension + "'";
    ctx.check_status(H5DSattach_scale(dataset, scale, dim), what);
    ctx.check_status(H5DSset_label(dataset, dim, dimension.c_str()), what);
}

// Scenario files are stored one dataset each, named after the path with '/'
// replaced by '_' ("data/stock.csv" -> "data_stock.csv"); a clash gets "~2",
// "~3", ... in the order the paths are listed. The reader derives the same
// names from the "order" attribute.
std::vector<std::string> source_dataset_names(const std::vector<std::string>& paths) {
    std::vector<std::string> names;
    std::set<std::string> used;
    for (const auto& path : paths) {
        std::string base = path;
        std::replace(base.begin(), base.end(), '/', '_');
        if (base.empty() || base == ".") base = "_" + base;  // "." names the group itself
        std::string name = base;
        for (int k = 2; !used.insert(name).second; ++k) name = base + "~" + std::to_string(k);
        names.push_back(name);
    }
    return names;
}

void check_object_name(const std::string& kind, const std::string& name) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos) {
        throw std::invalid_argument("ehcpsim output: " + kind + " name '" + name +
                                    "' cannot name an HDF5 object");
    }
}

std::vector<hsize_t> metric_dims(const RunInfo& info, const MetricInfo& metric) {
    const auto replicates = static_cast<hsize_t>(info.replicates);
    const hsize_t years = info.years.size();
    switch (metric.extent) {
        case Extent::year: return {replicates, years};
        case Extent::year_placement: return {replicates, years, info.placements.size()};
        case Extent::year_need: return {replicates, years, info.needs.size()};
        case Extent::year_phase: return {replicates, years, info.phases.size()};
        case Extent::year_placement_phase:  // written only when some capacity is per phase
            return {replicates, years, info.placements.size(), info.phase_detail ? info.phases.size() : 0};
    }
    return {replicates, years};
}

// The split by placement and phase is large (placements x phases a year) and
// only needed for per-phase capacity, so it is left out otherwise.
bool omitted(const RunInfo& info, const MetricInfo& metric) {
    return metric.extent == Extent::year_placement_phase && !info.phase_detail;
}

// Metrics added after the first files were written (capacity, overflow, the
// SCAP export and the split by phase): a file without them reads as all NaN.
constexpr int first_optional_metric = m_demand_by_placement;

// The names of an extent's dimensions after year, each also the name of its
// root coordinate.
std::vector<const char*> extra_dimensions(Extent extent) {
    switch (extent) {
        case Extent::year: return {};
        case Extent::year_placement: return {"placement"};
        case Extent::year_need: return {"need"};
        case Extent::year_phase: return {"phase"};
        case Extent::year_placement_phase: return {"placement", "phase"};
    }
    return {};
}

// A capacity entry's name: its placement, and "/<phase>" when it caps one
// phase ("mss", "mss/primary").
std::string capacity_entry_name(const RunInfo& info, const RunInfo::CapacityEntry& entry) {
    std::string name = info.placements[static_cast<std::size_t>(entry.placement)];
    if (entry.phase >= 0) {
        name += '/';
        name += info.phases[static_cast<std::size_t>(entry.phase)];
    }
    return name;
}

std::vector<std::string> names_of(const std::vector<std::string>& placements, const std::vector<int>& indices) {
    std::vector<std::string> names;
    for (int i : indices) names.push_back(i < 0 ? std::string() : placements[static_cast<std::size_t>(i)]);
    return names;
}

// The expected-value projection: one value per year (and category).
std::vector<hsize_t> expected_dims(const RunInfo& info, const MetricInfo& metric) {
    auto dims = metric_dims(info, metric);
    dims.erase(dims.begin());
    return dims;
}

std::size_t product(const std::vector<hsize_t>& dims) {
    std::size_t n = 1;
    for (hsize_t d : dims) n *= static_cast<std::size_t>(d);
    return n;
}

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
    bool acquire(const std::string& target) {
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

    void release() {
        if (fd_ < 0) return;
        ::unlink(path_.c_str());  // while still held: see acquire()
        ::close(fd_);
        fd_ = -1;
    }

private:
    std::string path_;
    int fd_ = -1;
};

// The temporary files (<target>.tmp-<pid>) of earlier writers of this target
// that were killed: while this writer holds the target's lock, no other
// writer of it is alive, so every one but ours is stale.
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

}  // namespace

// ===========================================================================
// Writer

// The root coordinate datasets, opened once to attach as dimension scales.
struct RootScales {
    RootScales(Context& ctx, hid_t root)
        : replicate(open(ctx, root, "replicate")), year(open(ctx, root, "year")),
          placement(open(ctx, root, "placement")), need(open(ctx, root, "need")), phase(open(ctx, root, "phase")) {}
    // The scale of an extra dimension ("placement", "need" or "phase").
    hid_t of(const std::string& dimension) const {
        return dimension == "placement" ? placement.get() : dimension == "need" ? need.get() : phase.get();
    }
    // A metric dataset's extra dimensions (from index `first`) attached to
    // their scales, and its units and description.
    void describe(Context& ctx, hid_t dataset, const MetricInfo& metric, unsigned first, const std::string& name) const {
        for (const char* dimension : extra_dimensions(metric.extent)) attach(ctx, dataset, of(dimension), first++, dimension, name);
        write_string_attribute(ctx, dataset, "units", metric.units);
        write_string_attribute(ctx, dataset, "description", metric.description);
    }
    DatasetHandle replicate, year, placement, need, phase;

private:
    static DatasetHandle open(Context& ctx, hid_t root, const char* name) {
        return DatasetHandle(ctx.check(H5Dopen2(root, name, H5P_DEFAULT), std::string("cannot open '") + name + "'"));
    }
};

struct ResultWriter::Impl {
    Context ctx;       // messages name the target
    std::string target;
    std::string temp;  // written here, renamed to target by finish()
    bool overwrite = false;
    RunInfo info;
    bool temp_created = false;
    bool finished = false;
    bool broken = false;  // a write failed part-way: the file must not be marked complete
    bool expected_written = false;
    TargetLock lock;  // declared before the file: released after it is closed and removed
    // Declared before the objects in it, so destroyed after them.
    FileHandle file;
    GroupHandle variants_group;
    std::vector<GroupHandle> variant_groups;
    std::vector<std::vector<DatasetHandle>> metrics;  // [variant][metric]
    std::vector<DatasetHandle> parameters;            // [variant]; invalid if none
    std::map<std::int64_t, std::int64_t> written;     // first replicate -> count
    std::int64_t written_total = 0;
    std::uint64_t closes_seen = failed_closes.load();  // failed closes counted when last checked

    // A close that failed since the last check lost buffered data (a chunk,
    // a sieve buffer, an attribute): the file can no longer be trusted.
    void check_closes() {
        if (failed_closes.load() == closes_seen) return;
        closes_seen = failed_closes.load();
        broken = true;
        std::string reason;
        {
            const std::lock_guard<std::mutex> lock(failed_close_mutex);
            reason = std::exchange(failed_close_reason, std::string());
        }
        ctx.fail("a write to the file failed (HDF5: " + plain_reason(reason) +
                 "), so the results are incomplete; nothing was written");
    }

    Impl(const std::string& path, const RunInfo& run, bool overwrite_target)
        : ctx(path),
          target(path),
          temp(path + ".tmp-" + std::to_string(::getpid())),
          overwrite(overwrite_target),
          info(run) {}

    ~Impl() {
        QuietHdf5 quiet;
        close_objects();
        file.reset();
        if (temp_created && !finished) {
            std::error_code ignored;
            std::filesystem::remove(temp, ignored);
        }
    }

    void close_objects() {
        parameters.clear();
        metrics.clear();
        variant_groups.clear();
        variants_group.reset();
    }

    void validate() const {
        if (info.replicates < 0) throw std::invalid_argument("ehcpsim output: negative replicate count");
        // (total_replicates 0 has already become replicates: see create())
        if (info.first_replicate < 0 || info.total_replicates < 0 ||
            info.first_replicate > info.total_replicates - info.replicates) {
            throw std::invalid_argument("ehcpsim output: replicates [" + std::to_string(info.first_replicate) + ", " +
                                        std::to_string(info.first_replicate + info.replicates) +
                                        ") do not fit a run of " + std::to_string(info.total_replicates));
        }
        if (info.parameter_names.size() != info.variants.size()) {
            throw std::invalid_argument("ehcpsim output: parameter_names must have one entry per variant");
        }
        const auto per_variant = [&](const std::vector<std::string>& values, const char* what) {
            if (!values.empty() && values.size() != info.variants.size()) {
                throw std::invalid_argument(std::string("ehcpsim output: ") + what +
                                            " must be empty or have one entry per variant");
            }
        };
        per_variant(info.levels, "levels");
        per_variant(info.compare_to, "compare_to");
        validate_capacity();
        for (const auto& level : info.levels) {
            if (level != "none" && level != "target" && level != "stretch") {
                throw std::invalid_argument("ehcpsim output: level '" + level +
                                            "' is not \"none\", \"target\" or \"stretch\"");
            }
        }
        std::set<std::string> seen;
        for (const auto& variant : info.variants) {
            check_object_name("variant", variant);
            if (!seen.insert(variant).second) {
                throw std::invalid_argument("ehcpsim output: variant '" + variant + "' listed twice");
            }
        }
    }

    // Capacity and specialist lists: each empty (nothing capped) or one
    // entry per variant. A capacity entry names a placement, a phase or -1,
    // an overflow placement other than its own or -1, and has one number of
    // places (>= 0, +inf for no limit) per year; no two entries of a variant
    // cap the same placement and phase.
    void validate_capacity() const {
        const std::size_t variants = info.variants.size();
        const int placements = static_cast<int>(info.placements.size());
        const int phases = static_cast<int>(info.phases.size());
        const auto fail = [](const std::string& what) {
            throw std::invalid_argument("ehcpsim output: " + what);
        };
        if (!info.capacity.empty() && info.capacity.size() != variants) {
            fail("capacity must be empty or have one entry per variant");
        }
        if (!info.specialist.empty() && info.specialist.size() != variants) {
            fail("specialist must be empty or have one entry per variant");
        }
        for (std::size_t v = 0; v < info.capacity.size(); ++v) {
            std::set<std::pair<int, int>> seen;
            for (std::size_t i = 0; i < info.capacity[v].size(); ++i) {
                const auto& entry = info.capacity[v][i];
                const std::string what =
                    "capacity entry " + std::to_string(i) + " of variant '" + info.variants[v] + "'";
                if (entry.placement < 0 || entry.placement >= placements) fail(what + " names no placement");
                if (entry.phase < -1 || entry.phase >= phases) fail(what + " names no phase");
                if (entry.overflow < -1 || entry.overflow >= placements || entry.overflow == entry.placement) {
                    fail(what + ": its overflow names no other placement");
                }
                if (entry.places.size() != info.years.size()) fail(what + " must have one number of places per year");
                for (double k : entry.places) {
                    if (std::isnan(k) || k < 0) fail(what + " has negative or NaN places");
                }
                if (!seen.emplace(entry.placement, entry.phase).second) {
                    fail(what + " caps the same placement and phase as an earlier entry");
                }
            }
        }
        for (std::size_t v = 0; v < info.specialist.size(); ++v) {
            for (int p : info.specialist[v]) {
                if (p < 0 || p >= placements) {
                    fail("specialist of variant '" + info.variants[v] + "' names no placement");
                }
            }
        }
    }

    void create() {
        // A whole run (or a caller that knows nothing of shards) gives 0.
        if (info.total_replicates == 0) info.total_replicates = info.replicates;
        validate();
        // Callers that know nothing of ambition levels leave both empty.
        if (info.levels.empty()) info.levels.assign(info.variants.size(), "none");
        if (info.compare_to.empty()) info.compare_to.assign(info.variants.size(), "");
        // Nor of capacity: no entries, nothing capped.
        info.capacity.resize(info.variants.size());
        info.specialist.resize(info.variants.size());
        std::error_code error;
        const std::filesystem::path parent = std::filesystem::path(target).parent_path();
        if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
            throw RuntimeError(target + ": cannot write here: directory " + parent.string() + " does not exist");
        }
        const bool locked = lock.acquire(target);
        if (!overwrite && std::filesystem::exists(std::filesystem::symlink_status(target, error))) {
            throw RuntimeError(target + ": already exists; refusing to overwrite it");
        }
        if (locked) remove_stale_temporaries(target, temp);

        PlistHandle fcpl = untimed(ctx, H5P_FILE_CREATE);  // the root group's timestamps
        PlistHandle fapl = file_access(ctx);
        // H5Fclose fails, rather than quietly leave the file open, if an
        // object in it is still open (one whose own close failed).
        ctx.check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), "cannot set the file close degree");
        temp_created = true;  // (even if H5Fcreate fails: it may have made the file before failing to write it)
        file = FileHandle(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()));
        if (!file.valid()) ctx.fail_hdf5("cannot create the temporary file " + temp);
        const hid_t root = file.get();

        write_root_attributes(root);
        write_coordinates(root);
        write_sources(root);
        create_variants(root);
        ctx.check_status(H5Fflush(root, H5F_SCOPE_LOCAL), "cannot write the file's layout");
        check_closes();
    }

    void write_root_attributes(hid_t root) {
        write_string_attribute(ctx, root, "format", format_name);
        write_attribute(ctx, root, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &format_version);
        write_string_attribute(ctx, root, "scenario_name", info.scenario_name);
        write_string_attribute(ctx, root, "mode", info.mode);
        write_attribute(ctx, root, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &info.seed);
        write_attribute(ctx, root, "replicates", H5T_STD_I64LE, H5T_NATIVE_INT64, &info.replicates);
        write_attribute(ctx, root, "first_replicate", H5T_STD_I64LE, H5T_NATIVE_INT64, &info.first_replicate);
        write_attribute(ctx, root, "total_replicates", H5T_STD_I64LE, H5T_NATIVE_INT64, &info.total_replicates);
        write_string_attribute(ctx, root, "engine_version", info.engine_version);
        const int crn = info.common_random_numbers ? 1 : 0;
        write_attribute(ctx, root, "common_random_numbers", H5T_STD_I32LE, H5T_NATIVE_INT, &crn);
        const int fixed = info.fixed_parameters ? 1 : 0;  // every parameter at its mean (--fixed-parameters)
        write_attribute(ctx, root, "fixed_parameters", H5T_STD_I32LE, H5T_NATIVE_INT, &fixed);
        const int incomplete = 0;  // set to 1 by finish()
        write_attribute(ctx, root, "complete", H5T_STD_I32LE, H5T_NATIVE_INT, &incomplete);
    }

    void write_coordinates(hid_t root) {
        {
            SpaceHandle space = simple_space(ctx, {info.years.size()});
            PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
            DatasetHandle year(ctx.check(
                H5Dcreate2(root, "year", H5T_STD_I32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                "cannot create dataset 'year'"));
            if (!info.years.empty()) {
                ctx.check_status(
                    H5Dwrite(year.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, info.years.data()),
                    "cannot write dataset 'year'");
            }
            make_scale(ctx, year.get(), "year");
        }
        make_scale(ctx, create_strings_dataset(ctx, root, "placement", info.placements).get(), "placement");
        make_scale(ctx, create_strings_dataset(ctx, root, "need", info.needs).get(), "need");
        make_scale(ctx, create_strings_dataset(ctx, root, "phase", info.phases).get(), "phase");
        make_scale(ctx, create_strings_dataset(ctx, root, "variant", info.variants).get(), "variant");

        // The global indices first .. first+R-1 (0 .. R-1 for a whole run),
        // written in slabs so that memory does not grow with R.
        const std::string what = "cannot write dataset 'replicate'";
        const auto replicates = static_cast<hsize_t>(info.replicates);
        SpaceHandle space = simple_space(ctx, {replicates});
        PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
        constexpr hsize_t slab = 65536;
        if (replicates > 0) {
            const hsize_t chunk = std::min(replicates, slab);
            ctx.check_status(H5Pset_chunk(dcpl.get(), 1, &chunk), what);
            ctx.check_status(H5Pset_shuffle(dcpl.get()), what);
            ctx.check_status(H5Pset_deflate(dcpl.get(), deflate_level), what);
        }
        DatasetHandle replicate(ctx.check(
            H5Dcreate2(root, "replicate", H5T_STD_I64LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), what));
        std::vector<std::int64_t> index;
        for (hsize_t first = 0; first < replicates; first += slab) {
            const hsize_t count = std::min(slab, replicates - first);
            index.resize(count);
            for (hsize_t i = 0; i < count; ++i) index[i] = info.first_replicate + static_cast<std::int64_t>(first + i);
            SpaceHandle memory = simple_space(ctx, {count});
            ctx.check_status(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr), what);
            ctx.check_status(
                H5Dwrite(replicate.get(), H5T_NATIVE_INT64, memory.get(), space.get(), H5P_DEFAULT, index.data()), what);
        }
        make_scale(ctx, replicate.get(), "replicate");
    }

    void write_sources(hid_t root) {
        PlistHandle gcpl = untimed(ctx, H5P_GROUP_CREATE);
        GroupHandle group(ctx.check(H5Gcreate2(root, "scenario", H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                                    "cannot create group 'scenario'"));
        std::vector<std::string> paths;
        for (const auto& source : info.sources) paths.push_back(source.path);
        write_strings_attribute(ctx, group.get(), "order", paths);
        const auto names = source_dataset_names(paths);
        TypeHandle type = string_type(ctx);
        for (std::size_t i = 0; i < info.sources.size(); ++i) {
            const std::string what = "cannot store scenario file '" + paths[i] + "'";
            SpaceHandle space = scalar_space(ctx);
            PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
            DatasetHandle dataset(ctx.check(H5Dcreate2(group.get(), names[i].c_str(), type.get(), space.get(),
                                                       H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                                            what));
            const char* text = info.sources[i].text.c_str();
            ctx.check_status(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text), what);
            write_string_attribute(ctx, dataset.get(), "path", paths[i]);
        }
    }

    void create_variants(hid_t root) {
        PlistHandle gcpl = untimed(ctx, H5P_GROUP_CREATE);
        variants_group = GroupHandle(ctx.check(H5Gcreate2(root, "variants", H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                                               "cannot create group 'variants'"));
        const RootScales scales(ctx, root);
        const hid_t replicate = scales.replicate.get();
        const hid_t year = scales.year.get();

        const auto& catalogue = metric_catalogue();
        for (std::size_t v = 0; v < info.variants.size(); ++v) {
            const std::string& variant = info.variants[v];
            GroupHandle group(ctx.check(H5Gcreate2(variants_group.get(), variant.c_str(), H5P_DEFAULT, gcpl.get(),
                                                   H5P_DEFAULT),
                                        "cannot create group 'variants/" + variant + "'"));
            write_string_attribute(ctx, group.get(), "level", info.levels[v]);
            write_string_attribute(ctx, group.get(), "compare_to", info.compare_to[v]);
            write_strings_attribute(ctx, group.get(), "specialist", names_of(info.placements, info.specialist[v]));
            write_capacity(group.get(), v, year);
            std::vector<DatasetHandle> datasets;
            for (const auto& metric : catalogue) {
                if (omitted(info, metric)) {
                    datasets.emplace_back();  // no dataset: write() skips it
                    continue;
                }
                const std::string name = "variants/" + variant + "/" + metric.name;
                DatasetHandle dataset = create_replicate_array(ctx, group.get(), metric.name, metric_dims(info, metric));
                attach(ctx, dataset.get(), replicate, 0, "replicate", name);
                attach(ctx, dataset.get(), year, 1, "year", name);
                scales.describe(ctx, dataset.get(), metric, 2, name);
                datasets.push_back(std::move(dataset));
            }
            metrics.push_back(std::move(datasets));

            DatasetHandle params;
            const auto& names = info.parameter_names[v];
            if (!names.empty()) {  // no parameters: neither 'parameter' nor 'parameters' is written
                DatasetHandle coordinate = create_strings_dataset(ctx, group.get(), "parameter", names);
                make_scale(ctx, coordinate.get(), "parameter");
                const std::string name = "variants/" + variant + "/parameters";
                params = create_replicate_array(ctx, group.get(), "parameters",
                                                {static_cast<hsize_t>(info.replicates), names.size()});
                attach(ctx, params.get(), replicate, 0, "replicate", name);
                attach(ctx, params.get(), coordinate.get(), 1, "parameter", name);
                write_string_attribute(ctx, params.get(), "description",
                                       "Parameter values drawn for each replicate (shared by all variants where "
                                       "the parameter has the same name)");
            }
            parameters.push_back(std::move(params));
            variant_groups.push_back(std::move(group));
        }
    }

    // The capacity table: /variants/<v>/capacity_places [capacity_entry,
    // year] with its coordinate /variants/<v>/capacity_entry, and the
    // group's attributes capacity_placement, capacity_phase ("" for every
    // age) and capacity_overflow ("" for none), one per entry. Small, so
    // contiguous and unfiltered; written (empty) even for a variant with no
    // entry, so every group has the same layout.
    void write_capacity(hid_t group, std::size_t v, hid_t year) {
        const auto& entries = info.capacity[v];
        std::vector<std::string> names, placements, phases, overflow;
        std::vector<double> places;
        for (const auto& entry : entries) {
            names.push_back(capacity_entry_name(info, entry));
            placements.push_back(info.placements[static_cast<std::size_t>(entry.placement)]);
            phases.push_back(entry.phase < 0 ? std::string() : info.phases[static_cast<std::size_t>(entry.phase)]);
            overflow.push_back(entry.overflow < 0 ? std::string()
                                                  : info.placements[static_cast<std::size_t>(entry.overflow)]);
            places.insert(places.end(), entry.places.begin(), entry.places.end());
        }
        write_strings_attribute(ctx, group, "capacity_placement", placements);
        write_strings_attribute(ctx, group, "capacity_phase", phases);
        write_strings_attribute(ctx, group, "capacity_overflow", overflow);
        DatasetHandle coordinate = create_strings_dataset(ctx, group, "capacity_entry", names);
        make_scale(ctx, coordinate.get(), "capacity_entry");

        const std::string name = "variants/" + info.variants[v] + "/capacity_places";
        const std::string what = "cannot write '" + name + "'";
        SpaceHandle space = simple_space(ctx, {entries.size(), info.years.size()});
        PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
        DatasetHandle dataset(ctx.check(
            H5Dcreate2(group, "capacity_places", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
            what));
        attach(ctx, dataset.get(), coordinate.get(), 0, "capacity_entry", name);
        attach(ctx, dataset.get(), year, 1, "year", name);
        write_string_attribute(ctx, dataset.get(), "units", "places");
        write_string_attribute(ctx, dataset.get(), "description",
                               "Places under each capacity entry (a placement, or one phase of it) in the year; "
                               "+inf where it has no limit");
        if (!places.empty()) {
            ctx.check_status(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, places.data()),
                             what);
        }
    }

    void record_range(std::int64_t first, std::int64_t count) {
        auto next = written.lower_bound(first);
        const bool overlaps_next = next != written.end() && next->first < first + count;
        const bool overlaps_previous = next != written.begin() && std::prev(next)->first + std::prev(next)->second > first;
        if (overlaps_next || overlaps_previous) {
            throw std::invalid_argument("ehcpsim output: replicates [" + std::to_string(first) + ", " +
                                        std::to_string(first + count) + ") were already written");
        }
        written.emplace(first, count);
        written_total += count;
    }

    void check_block(const ResultBlock& block) const {
        const auto fail = [](const std::string& what) {
            throw std::invalid_argument("ehcpsim output: result block does not fit the file: " + what);
        };
        // Global indices: a shard holds [first_replicate, first_replicate + replicates).
        const std::int64_t begin = info.first_replicate;
        const std::int64_t end = info.first_replicate + info.replicates;
        if (block.count < 0 || block.first_replicate < begin || block.first_replicate > end - block.count) {
            fail("replicates [" + std::to_string(block.first_replicate) + ", " +
                 std::to_string(block.first_replicate + block.count) + ") outside [" + std::to_string(begin) + ", " +
                 std::to_string(end) + ")");
        }
        if (block.variants.size() != info.variants.size()) fail("wrong number of variants");
        const auto count = static_cast<std::size_t>(block.count);
        for (std::size_t v = 0; v < block.variants.size(); ++v) {
            const VariantBlock& variant = block.variants[v];
            if (variant.metrics.size() != static_cast<std::size_t>(metric_count)) fail("wrong number of metrics");
            for (int m = 0; m < metric_count; ++m) {
                const auto& catalogue_entry = metric_catalogue()[static_cast<std::size_t>(m)];
                auto dims = metric_dims(info, catalogue_entry);
                dims[0] = 1;  // values per replicate
                if (variant.metrics[static_cast<std::size_t>(m)].size() != count * product(dims)) {
                    fail(info.variants[v] + "/" + catalogue_entry.name + " has the wrong number of values");
                }
            }
            if (variant.parameters.size() != count * info.parameter_names[v].size()) {
                fail(info.variants[v] + "/parameters has the wrong number of values");
            }
        }
    }

    // Rows of a block numbered globally; a shard stores them from its first_replicate.
    void write_rows(hid_t dataset, const std::vector<double>& values, std::int64_t first, std::int64_t count,
                    const std::string& name) {
        const std::string what = "cannot write replicates [" + std::to_string(first) + ", " +
                                 std::to_string(first + count) + ") of " + name;
        SpaceHandle file_space(ctx.check(H5Dget_space(dataset), what));
        const int rank = H5Sget_simple_extent_ndims(file_space.get());
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 1)));
        ctx.check_status(H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr), what);
        if (product(dims) == 0) return;
        std::vector<hsize_t> start(dims.size(), 0);
        std::vector<hsize_t> extent = dims;
        start[0] = static_cast<hsize_t>(first - info.first_replicate);
        extent[0] = static_cast<hsize_t>(count);
        ctx.check_status(
            H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr), what);
        // The memory space has the selection's shape: HDF5 then maps whole
        // chunks at once instead of iterating element by element.
        SpaceHandle memory = simple_space(ctx, extent);
        ctx.check_status(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, memory.get(), file_space.get(), H5P_DEFAULT, values.data()),
                         what);
    }

    void write(const ResultBlock& block) {
        if (finished) throw std::logic_error("ehcpsim output: write() after finish()");
        if (broken) ctx.fail("an earlier write failed; no further blocks are accepted");
        check_block(block);
        if (block.count == 0) return;
        record_range(block.first_replicate, block.count);
        broken = true;  // until every dataset has taken the block
        const auto& catalogue = metric_catalogue();
        for (std::size_t v = 0; v < block.variants.size(); ++v) {
            for (std::size_t m = 0; m < catalogue.size(); ++m) {
                if (!metrics[v][m].valid()) continue;  // omitted (see omitted())
                write_rows(metrics[v][m].get(), block.variants[v].metrics[m], block.first_replicate, block.count,
                           "variants/" + info.variants[v] + "/" + catalogue[m].name);
            }
            if (parameters[v].valid()) {
                write_rows(parameters[v].get(), block.variants[v].parameters, block.first_replicate, block.count,
                           "variants/" + info.variants[v] + "/parameters");
            }
        }
        check_closes();
        broken = false;
    }

    // The expected-value projection: small, so contiguous and unfiltered,
    // shaped [year] or [year, extra] with the root scales attached.
    void write_expected(const ResultBlock& block) {
        if (finished) throw std::logic_error("ehcpsim output: write_expected() after finish()");
        if (expected_written) throw std::logic_error("ehcpsim output: write_expected() called twice");
        if (broken) ctx.fail("an earlier write failed; no further blocks are accepted");
        const auto fail = [](const std::string& what) {
            throw std::invalid_argument("ehcpsim output: expected-value block does not fit the file: " + what);
        };
        if (block.first_replicate != 0 || block.count != 1) fail("it must hold one replicate, numbered 0");
        if (block.variants.size() != info.variants.size()) fail("wrong number of variants");
        const auto& catalogue = metric_catalogue();
        for (std::size_t v = 0; v < block.variants.size(); ++v) {
            if (block.variants[v].metrics.size() != catalogue.size()) fail("wrong number of metrics");
            for (std::size_t m = 0; m < catalogue.size(); ++m) {
                if (block.variants[v].metrics[m].size() != product(expected_dims(info, catalogue[m]))) {
                    fail(info.variants[v] + "/" + catalogue[m].name + " has the wrong number of values");
                }
            }
        }
        broken = true;  // until every dataset has been written
        const hid_t root = file.get();
        const RootScales scales(ctx, root);
        const hid_t year = scales.year.get();
        PlistHandle gcpl = untimed(ctx, H5P_GROUP_CREATE);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t v = 0; v < block.variants.size(); ++v) {
            const std::string group_name = "variants/" + info.variants[v] + "/expected";
            GroupHandle group(ctx.check(
                H5Gcreate2(variant_groups[v].get(), "expected", H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                "cannot create group '" + group_name + "'"));
            write_string_attribute(ctx, group.get(), "description",
                                   "Deterministic expected-value projection: every draw replaced by its mean");
            for (std::size_t m = 0; m < catalogue.size(); ++m) {
                const MetricInfo& metric = catalogue[m];
                if (omitted(info, metric)) continue;
                const std::string name = group_name + "/" + metric.name;
                const std::string what = "cannot write '" + name + "'";
                const auto dims = expected_dims(info, metric);
                SpaceHandle space = simple_space(ctx, dims);
                PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
                ctx.check_status(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), what);
                DatasetHandle dataset(ctx.check(H5Dcreate2(group.get(), metric.name.c_str(), H5T_IEEE_F64LE,
                                                           space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                                                what));
                attach(ctx, dataset.get(), year, 0, "year", name);
                scales.describe(ctx, dataset.get(), metric, 1, name);
                if (product(dims) > 0) {
                    ctx.check_status(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                              block.variants[v].metrics[m].data()),
                                     what);
                }
            }
        }
        check_closes();
        broken = false;
        expected_written = true;
    }

    // The finished temporary file becomes the target. Without overwrite it
    // never replaces a file that appeared meanwhile (written by a run that
    // could not see our lock): renameat2(RENAME_NOREPLACE), or where the file
    // system lacks it, link(2) and unlink(2), both atomic against a file at
    // the target. With overwrite, rename(2) replaces the name itself (a
    // symbolic link there is replaced, never written through).
    void publish() {
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

    void finish() {
        if (finished) throw std::logic_error("ehcpsim output: finish() called twice");
        if (broken) ctx.fail("an earlier write failed, so the results are incomplete; nothing was written");
        if (written_total != info.replicates) {
            throw std::logic_error("ehcpsim output: finish() after " + std::to_string(written_total) + " of " +
                                   std::to_string(info.replicates) + " replicates were written");
        }
        {
            const std::string what = "cannot mark the file complete";
            AttrHandle attr(ctx.check(H5Aopen(file.get(), "complete", H5P_DEFAULT), what));
            const int complete = 1;
            ctx.check_status(H5Awrite(attr.get(), H5T_NATIVE_INT, &complete), what);
        }
        close_objects();  // flushes every dataset's chunk cache
        check_closes();
        if (!file.close()) {
            broken = true;
            ctx.fail_hdf5("cannot finish writing the file (disk full?)");
        }
        check_closes();
        // Make the data durable before the rename makes it visible.
        const int fd = ::open(temp.c_str(), O_RDONLY);
        if (fd < 0 || ::fsync(fd) != 0) {
            const std::string reason = std::strerror(errno);
            if (fd >= 0) ::close(fd);
            ctx.fail("cannot flush the file to disk: " + reason);
        }
        ::close(fd);
        publish();
        finished = true;
    }
};

ResultWriter::ResultWriter(const std::string& path, const RunInfo& info, bool overwrite) {
    QuietHdf5 quiet;
    auto impl = std::make_unique<Impl>(path, info, overwrite);
    impl->create();  // on failure impl's destructor closes and removes the temporary file
    impl_ = std::move(impl);
}

ResultWriter::~ResultWriter() = default;  // Impl's destructor removes an unfinished temporary file

void ResultWriter::write(const ResultBlock& block) {
    QuietHdf5 quiet;
    impl_->write(block);
}

void ResultWriter::write_expected(const ResultBlock& block) {
    QuietHdf5 quiet;
    impl_->write_expected(block);
}

void ResultWriter::finish() {
    QuietHdf5 quiet;
    impl_->finish();
}

// ===========================================================================
// Reader

struct ResultReader::Impl {
    Context ctx;
    RunInfo info;
    FileHandle file;

    explicit Impl(const std::string& path) : ctx(path) {}

    ~Impl() {
        QuietHdf5 quiet;
        file.reset();
    }

    std::vector<std::string> read_strings_dataset(hid_t location, const std::string& name) const {
        const std::string what = "cannot read '" + name + "'";
        DatasetHandle dataset(ctx.check(H5Dopen2(location, name.c_str(), H5P_DEFAULT), what));
        TypeHandle type(ctx.check(H5Dget_type(dataset.get()), what));
        SpaceHandle space(ctx.check(H5Dget_space(dataset.get()), what));
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        if (count < 0) ctx.fail_hdf5(what);
        return read_strings(ctx, type.get(), space.get(), static_cast<std::size_t>(count), what,
                            [&](hid_t memory_type, void* buffer) {
                                return H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
                            });
    }

    bool exists(hid_t location, const std::string& name) const {
        const htri_t found = H5Lexists(location, name.c_str(), H5P_DEFAULT);
        ctx.check_status(found, "cannot look for '" + name + "'");
        return found > 0;
    }

    void open() {
        const std::string& path = ctx.path();
        std::error_code error;
        if (!std::filesystem::exists(path, error)) ctx.fail("no such file");
        if (std::filesystem::is_directory(path, error)) ctx.fail("is a directory, not an ehcpsim ensemble file");
        if (H5Fis_hdf5(path.c_str()) <= 0) {
            hdf5_reason();  // clear the stack
            ctx.fail("not an ehcpsim ensemble file (not an HDF5 file, or damaged)");
        }
        PlistHandle fapl = file_access(ctx);
        file = FileHandle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()));
        if (!file.valid()) ctx.fail_hdf5("cannot open the file (damaged or truncated?)");
        const hid_t root = file.get();

        if (!has_attribute(ctx, root, "format") || read_strings_attribute(ctx, root, "format") !=
                                                       std::vector<std::string>{format_name}) {
            ctx.fail("not an ehcpsim ensemble file (no format = \"ehcpsim-ensemble\" attribute)");
        }
        if (!has_attribute(ctx, root, "complete") ||
            read_integer_attribute<int>(ctx, root, "complete", H5T_NATIVE_INT) != 1) {
            ctx.fail("incomplete (interrupted run?): the writer did not finish this file");
        }
        const int version = read_integer_attribute<int>(ctx, root, "format_version", H5T_NATIVE_INT);
        if (version != format_version) {
            ctx.fail("format_version " + std::to_string(version) + " is not supported (this ehcpsim reads " +
                     std::to_string(format_version) + ")");
        }

        info.scenario_name = read_string_attribute(ctx, root, "scenario_name");
        info.mode = read_string_attribute(ctx, root, "mode");
        info.seed = read_integer_attribute<std::uint64_t>(ctx, root, "seed", H5T_NATIVE_UINT64);
        info.replicates = read_integer_attribute<std::int64_t>(ctx, root, "replicates", H5T_NATIVE_INT64);
        if (info.replicates < 0) ctx.fail("damaged: negative attribute 'replicates'");
        // Files written before shards existed hold a whole run.
        info.first_replicate = has_attribute(ctx, root, "first_replicate")
                                   ? read_integer_attribute<std::int64_t>(ctx, root, "first_replicate", H5T_NATIVE_INT64)
                                   : 0;
        info.total_replicates = has_attribute(ctx, root, "total_replicates")
                                    ? read_integer_attribute<std::int64_t>(ctx, root, "total_replicates", H5T_NATIVE_INT64)
                                    : info.replicates;
        if (info.first_replicate < 0 || info.total_replicates < 0 ||
            info.first_replicate > info.total_replicates - info.replicates) {
            ctx.fail("damaged: replicates [" + std::to_string(info.first_replicate) + ", " +
                     std::to_string(info.first_replicate + info.replicates) + ") do not fit a run of " +
                     std::to_string(info.total_replicates) + " (attributes first_replicate, replicates, "
                     "total_replicates)");
        }
        info.engine_version = read_string_attribute(ctx, root, "engine_version");
        // Files written before ambition levels existed have none of these:
        // every variant is then unmitigated, and common random numbers were
        // always on.
        info.common_random_numbers =
            !has_attribute(ctx, root, "common_random_numbers") ||
            read_integer_attribute<int>(ctx, root, "common_random_numbers", H5T_NATIVE_INT) != 0;
        info.fixed_parameters = has_attribute(ctx, root, "fixed_parameters") &&
                                read_integer_attribute<int>(ctx, root, "fixed_parameters", H5T_NATIVE_INT) != 0;

        read_years(root);
        info.placements = read_strings_dataset(root, "placement");
        info.needs = read_strings_dataset(root, "need");
        // Files written before phases were recorded have no /phase.
        if (exists(root, "phase")) info.phases = read_strings_dataset(root, "phase");
        info.variants = read_strings_dataset(root, "variant");
        // The [year, placement, phase] metrics are written only with per-phase capacity.
        info.phase_detail = !info.variants.empty() &&
                            exists(root, "variants/" + info.variants.front() + "/demand_by_placement_phase");
        for (const auto& variant : info.variants) {
            const std::string group = "variants/" + variant;
            if (!exists(root, "variants") || !exists(root, group)) ctx.fail("damaged: no group '" + group + "'");
            info.parameter_names.push_back(exists(root, group + "/parameter")
                                               ? read_strings_dataset(root, group + "/parameter")
                                               : std::vector<std::string>{});
            GroupHandle handle(ctx.check(H5Gopen2(root, group.c_str(), H5P_DEFAULT),
                                         "cannot open group '" + group + "'"));
            info.levels.push_back(has_attribute(ctx, handle.get(), "level")
                                      ? read_string_attribute(ctx, handle.get(), "level")
                                      : std::string("none"));
            info.compare_to.push_back(has_attribute(ctx, handle.get(), "compare_to")
                                          ? read_string_attribute(ctx, handle.get(), "compare_to")
                                          : std::string());
            read_capacity(root, group, handle.get());
        }
        read_sources(root);
    }

    // The capacity table (write_capacity). A file written before it has the
    // earlier layout, capacity [year, placement] and the attribute overflow
    // (one name per placement): each placement capped in some year becomes a
    // whole-placement entry, in placement order. A file written before
    // capacity existed has neither: no entries, no specialist placement.
    void read_capacity(hid_t root, const std::string& group, hid_t handle) {
        const auto index_in = [&](const std::vector<std::string>& names, const char* kind, const std::string& name,
                                  const std::string& attribute) {
            const auto it = std::find(names.begin(), names.end(), name);
            if (it == names.end()) {
                ctx.fail("damaged: attribute '" + attribute + "' of '" + group + "' names no " + kind + " ('" + name +
                         "')");
            }
            return static_cast<int>(it - names.begin());
        };
        const auto placement_index = [&](const std::string& name, const std::string& attribute) {
            return index_in(info.placements, "placement", name, attribute);
        };
        const std::size_t years = info.years.size();
        std::vector<RunInfo::CapacityEntry> entries;
        if (exists(root, group + "/capacity_places")) {
            const auto placements = read_strings_attribute(ctx, handle, "capacity_placement");
            const auto phases = read_strings_attribute(ctx, handle, "capacity_phase");
            const auto overflow = read_strings_attribute(ctx, handle, "capacity_overflow");
            if (phases.size() != placements.size() || overflow.size() != placements.size()) {
                ctx.fail("damaged: the capacity attributes of '" + group + "' differ in length");
            }
            const auto places = read_array(group + "/capacity_places", {placements.size(), years});
            for (std::size_t i = 0; i < placements.size(); ++i) {
                RunInfo::CapacityEntry entry;
                entry.placement = placement_index(placements[i], "capacity_placement");
                if (!phases[i].empty()) entry.phase = index_in(info.phases, "phase", phases[i], "capacity_phase");
                if (!overflow[i].empty()) entry.overflow = placement_index(overflow[i], "capacity_overflow");
                entry.places.assign(places.begin() + static_cast<std::ptrdiff_t>(i * years),
                                    places.begin() + static_cast<std::ptrdiff_t>((i + 1) * years));
                entries.push_back(std::move(entry));
            }
        } else if (exists(root, group + "/capacity")) {
            const std::size_t placements = info.placements.size();
            const auto places = read_array(group + "/capacity", {years, placements});
            std::vector<std::string> overflow(placements);
            if (has_attribute(ctx, handle, "overflow")) {
                overflow = read_strings_attribute(ctx, handle, "overflow");
                if (overflow.size() != placements) {
                    ctx.fail("damaged: attribute 'overflow' of '" + group + "' does not have one entry per placement");
                }
            }
            for (std::size_t p = 0; p < placements; ++p) {
                RunInfo::CapacityEntry entry;
                entry.placement = static_cast<int>(p);
                if (!overflow[p].empty()) entry.overflow = placement_index(overflow[p], "overflow");
                for (std::size_t y = 0; y < years; ++y) entry.places.push_back(places[y * placements + p]);
                if (std::any_of(entry.places.begin(), entry.places.end(), [](double k) { return std::isfinite(k); })) {
                    entries.push_back(std::move(entry));
                }
            }
        }
        info.capacity.push_back(std::move(entries));
        std::vector<int> specialist;
        if (has_attribute(ctx, handle, "specialist")) {
            for (const auto& name : read_strings_attribute(ctx, handle, "specialist")) {
                specialist.push_back(placement_index(name, "specialist"));
            }
        }
        info.specialist.push_back(std::move(specialist));
    }

    void read_years(hid_t root) {
        const std::string what = "cannot read 'year'";
        DatasetHandle dataset(ctx.check(H5Dopen2(root, "year", H5P_DEFAULT), what));
        SpaceHandle space(ctx.check(H5Dget_space(dataset.get()), what));
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        if (count < 0) ctx.fail_hdf5(what);
        info.years.resize(static_cast<std::size_t>(count));
        if (count > 0) {
            ctx.check_status(H5Dread(dataset.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, info.years.data()),
                             what);
        }
        // The projection's calendar years, one after another (the summaries
        // do arithmetic on them: financial years, horizons).
        for (std::size_t y = 0; y < info.years.size(); ++y) {
            if (info.years[y] < 1000 || info.years[y] > 9999 || (y > 0 && info.years[y] != info.years[y - 1] + 1))
                ctx.fail("damaged: 'year' does not hold consecutive calendar years");
        }
    }

    void read_sources(hid_t root) {
        if (!exists(root, "scenario")) return;
        GroupHandle group(ctx.check(H5Gopen2(root, "scenario", H5P_DEFAULT), "cannot open group 'scenario'"));
        const auto paths = read_strings_attribute(ctx, group.get(), "order");
        const auto names = source_dataset_names(paths);
        for (std::size_t i = 0; i < paths.size(); ++i) {
            auto text = read_strings_dataset(group.get(), names[i]);
            if (text.size() != 1) ctx.fail("damaged: scenario file '" + paths[i] + "' is not one string");
            info.sources.push_back(SourceFile{paths[i], std::move(text.front())});
        }
    }

    std::size_t variant_index(const std::string& variant) const {
        const auto it = std::find(info.variants.begin(), info.variants.end(), variant);
        if (it == info.variants.end()) ctx.fail("no variant '" + variant + "'");
        return static_cast<std::size_t>(it - info.variants.begin());
    }

    // Rows outside the file are a caller's bug.
    void check_rows(const std::string& name, std::int64_t first, std::int64_t count) const {
        if (first < 0 || count < 0 || first > info.replicates - count) {
            throw std::invalid_argument(ctx.path() + ": rows [" + std::to_string(first) + ", " +
                                        std::to_string(first + count) + ") of '" + name + "' outside the file's [0, " +
                                        std::to_string(info.replicates) + ")");
        }
    }

    // Rows [first, first + count) along the first dimension of a dataset
    // whose whole shape must be `expected`: a hyperslab, so only the chunks
    // holding those rows are read.
    std::vector<double> read_rows(const std::string& name, const std::vector<hsize_t>& expected, std::int64_t first,
                                  std::int64_t count) const {
        check_rows(name, first, count);
        const std::string what = "cannot read rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                                 ") of '" + name + "'";
        DatasetHandle dataset(ctx.check(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), what));
        SpaceHandle space(ctx.check(H5Dget_space(dataset.get()), what));
        const int rank = H5Sget_simple_extent_ndims(space.get());
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
        if (rank < 0 || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) ctx.fail_hdf5(what);
        if (dims != expected) ctx.fail("damaged: '" + name + "' does not have the shape the file's coordinates give");
        std::vector<hsize_t> start(dims.size(), 0);
        std::vector<hsize_t> extent = dims;
        start[0] = static_cast<hsize_t>(first);
        extent[0] = static_cast<hsize_t>(count);
        std::vector<double> values(product(extent));
        if (values.empty()) return values;
        ctx.check_status(
            H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr), what);
        SpaceHandle memory = simple_space(ctx, extent);  // the selection's shape (see write_rows)
        ctx.check_status(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, values.data()),
                         what);
        return values;
    }

    std::vector<double> read_array(const std::string& name, const std::vector<hsize_t>& expected) const {
        const std::string what = "cannot read '" + name + "'";
        DatasetHandle dataset(ctx.check(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), what));
        SpaceHandle space(ctx.check(H5Dget_space(dataset.get()), what));
        const int rank = H5Sget_simple_extent_ndims(space.get());
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
        if (rank < 0 || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) ctx.fail_hdf5(what);
        if (dims != expected) ctx.fail("damaged: '" + name + "' does not have the shape the file's coordinates give");
        std::vector<double> values(product(dims));
        if (!values.empty()) {
            ctx.check_status(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                             what);
        }
        return values;
    }
};

ResultReader::ResultReader(const std::string& path) : impl_(std::make_unique<Impl>(path)) {
    QuietHdf5 quiet;
    impl_->open();
}

ResultReader::~ResultReader() = default;

const RunInfo& ResultReader::info() const { return impl_->info; }

std::vector<double> ResultReader::read_metric(const std::string& variant, const std::string& metric) const {
    QuietHdf5 quiet;
    impl_->variant_index(variant);
    const int m = metric_index(metric);
    if (m < 0) impl_->ctx.fail("no metric '" + metric + "'");
    const auto dims = metric_dims(impl_->info, metric_catalogue()[static_cast<std::size_t>(m)]);
    const std::string name = "variants/" + variant + "/" + metric;
    if (m >= first_optional_metric && !impl_->exists(impl_->file.get(), name)) {
        return std::vector<double>(product(dims), std::numeric_limits<double>::quiet_NaN());
    }
    return impl_->read_array(name, dims);
}

std::vector<double> ResultReader::read_expected(const std::string& variant, const std::string& metric) const {
    QuietHdf5 quiet;
    impl_->variant_index(variant);
    const int m = metric_index(metric);
    if (m < 0) impl_->ctx.fail("no metric '" + metric + "'");
    const hid_t root = impl_->file.get();
    const std::string group = "variants/" + variant + "/expected";
    if (!impl_->exists(root, group) || !impl_->exists(root, group + "/" + metric)) return {};
    return impl_->read_array(group + "/" + metric,
                             expected_dims(impl_->info, metric_catalogue()[static_cast<std::size_t>(m)]));
}

std::vector<double> ResultReader::read_metric_rows(const std::string& variant, const std::string& metric,
                                                   std::int64_t first, std::int64_t count) const {
    QuietHdf5 quiet;
    impl_->variant_index(variant);
    const int m = metric_index(metric);
    if (m < 0) impl_->ctx.fail("no metric '" + metric + "'");
    const auto dims = metric_dims(impl_->info, metric_catalogue()[static_cast<std::size_t>(m)]);
    const std::string name = "variants/" + variant + "/" + metric;
    if (m >= first_optional_metric && !impl_->exists(impl_->file.get(), name)) {
        impl_->check_rows(name, first, count);
        auto row = dims;
        row[0] = static_cast<hsize_t>(count);
        return std::vector<double>(product(row), std::numeric_limits<double>::quiet_NaN());
    }
    return impl_->read_rows(name, dims, first, count);
}

std::vector<double> ResultReader::read_parameter_rows(const std::string& variant, std::int64_t first,
                                                      std::int64_t count) const {
    QuietHdf5 quiet;
    const std::size_t v = impl_->variant_index(variant);
    const auto& names = impl_->info.parameter_names[v];
    const std::string name = "variants/" + variant + "/parameters";
    if (names.empty()) {
        impl_->check_rows(name, first, count);
        return {};
    }
    return impl_->read_rows(name, {static_cast<hsize_t>(impl_->info.replicates), names.size()}, first, count);
}

std::vector<double> ResultReader::read_parameters(const std::string& variant) const {
    QuietHdf5 quiet;
    const std::size_t v = impl_->variant_index(variant);
    const auto& names = impl_->info.parameter_names[v];
    if (names.empty()) return {};
    return impl_->read_array("variants/" + variant + "/parameters",
                             {static_cast<hsize_t>(impl_->info.replicates), names.size()});
}

}  // namespace ehcpsim
