// HDF5 for the ensemble file: RAII handles for hid_t, HDF5's error stack
// turned into our messages (every one names the file), and the typed
// attribute, string and dimension-scale calls the writer and reader share.
// Internal to the file stage (src/file); nothing here knows the layout.
#pragma once

#include <hdf5.h>
#include <hdf5_hl.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "ehcpsim/error.h"

namespace ehcpsim::hdf5 {

// Closing can write: H5Dclose flushes a dataset's chunk cache and sieve
// buffer, H5Aclose an attribute. A close that fails is never silent: it is
// counted here with HDF5's reason, and the writer checks the count after
// every step. (Serial HDF5 is called by one thread at a time, so a count for
// the process is a count for the writer; a writer's blocks may be written
// from another thread than the one that created it.)
void note_failed_close();
std::uint64_t failed_close_count();
// The reason of the first failed close since the last call, and forget it.
std::string take_failed_close_reason();

// ---------------------------------------------------------------------------
// RAII for hid_t handles.

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
    QuietHdf5();
    ~QuietHdf5();
    QuietHdf5(const QuietHdf5&) = delete;
    QuietHdf5& operator=(const QuietHdf5&) = delete;

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

// HDF5's file-driver messages bury the system's reason in
// "..., errno = 2, error message = 'No such file or directory', ...".
std::string plain_reason(const std::string& reason);

// The innermost reason on HDF5's error stack, which it clears.
std::string hdf5_reason();

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

TypeHandle string_type(const Context& ctx);

SpaceHandle simple_space(const Context& ctx, const std::vector<hsize_t>& dims);

SpaceHandle scalar_space(const Context& ctx);

// Object timestamps off, so that identical results give identical files.
PlistHandle untimed(const Context& ctx, hid_t plist_class);

// File locking where the file system supports it; where it is switched off
// (common on NFS and Lustre, errno 38) carry on rather than fail to open.
PlistHandle file_access(const Context& ctx);

std::vector<const char*> c_strings(const std::vector<std::string>& values);

// ---------------------------------------------------------------------------
// Attributes.

void write_attribute(const Context& ctx, hid_t object, const std::string& name, hid_t file_type,
                     hid_t memory_type, const void* value);

void write_string_attribute(const Context& ctx, hid_t object, const std::string& name, const std::string& value);

void write_strings_attribute(const Context& ctx, hid_t object, const std::string& name,
                             const std::vector<std::string>& values);

// A one-dimensional float64 attribute (and reading it back, any count).
void write_doubles_attribute(const Context& ctx, hid_t object, const std::string& name,
                             const std::vector<double>& values);
std::vector<double> read_doubles_attribute(const Context& ctx, hid_t object, const std::string& name);

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

bool has_attribute(const Context& ctx, hid_t object, const std::string& name);

std::vector<std::string> read_strings_attribute(const Context& ctx, hid_t object, const std::string& name);

std::string read_string_attribute(const Context& ctx, hid_t object, const std::string& name);

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
// Datasets and dimension scales.

DatasetHandle create_strings_dataset(const Context& ctx, hid_t location, const std::string& name,
                                     const std::vector<std::string>& values);

void make_scale(const Context& ctx, hid_t dataset, const std::string& name);

// Attaches the coordinate and labels the dimension with its name (h5py's
// dims[i].label, R's dimension labels); xarray takes the name from the scale.
void attach(const Context& ctx, hid_t dataset, hid_t scale, unsigned dim, const std::string& dimension,
            const std::string& name);

}  // namespace ehcpsim::hdf5
