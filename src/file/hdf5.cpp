// HDF5 handles, messages and shared calls (hdf5.h).
#include "hdf5.h"

#include <atomic>
#include <mutex>

namespace ehcpsim::hdf5 {
namespace {

std::atomic<std::uint64_t> failed_closes{0};
std::mutex failed_close_mutex;
std::string failed_close_reason;  // the first since a writer last looked (under failed_close_mutex)

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

}  // namespace

std::uint64_t failed_close_count() { return failed_closes.load(); }

std::string take_failed_close_reason() {
    const std::lock_guard<std::mutex> lock(failed_close_mutex);
    return std::exchange(failed_close_reason, std::string());
}

QuietHdf5::QuietHdf5() {
    static const bool no_atexit = [] {
        H5dont_atexit();
        return true;
    }();
    (void)no_atexit;
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietHdf5::~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

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

PlistHandle untimed(const Context& ctx, hid_t plist_class) {
    PlistHandle plist(ctx.check(H5Pcreate(plist_class), "cannot create a property list"));
    ctx.check_status(H5Pset_obj_track_times(plist.get(), 0), "cannot switch off object timestamps");
    return plist;
}

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

void write_doubles_attribute(const Context& ctx, hid_t object, const std::string& name,
                             const std::vector<double>& values) {
    const std::string what = "cannot write attribute '" + name + "'";
    SpaceHandle space = simple_space(ctx, {values.size()});
    AttrHandle attr(
        ctx.check(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), what));
    if (!values.empty()) ctx.check_status(H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, values.data()), what);
}

std::vector<double> read_doubles_attribute(const Context& ctx, hid_t object, const std::string& name) {
    const std::string what = "cannot read attribute '" + name + "'";
    AttrHandle attr(ctx.check(H5Aopen(object, name.c_str(), H5P_DEFAULT), what));
    SpaceHandle space(ctx.check(H5Aget_space(attr.get()), what));
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    ctx.check_status(static_cast<herr_t>(count < 0 ? -1 : 0), what);
    std::vector<double> values(static_cast<std::size_t>(count));
    if (!values.empty()) ctx.check_status(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()), what);
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

void attach(const Context& ctx, hid_t dataset, hid_t scale, unsigned dim, const std::string& dimension,
            const std::string& name) {
    const std::string what = "cannot attach dimension " + std::to_string(dim) + " of '" + name + "' to '" + dimension + "'";
    ctx.check_status(H5DSattach_scale(dataset, scale, dim), what);
    ctx.check_status(H5DSset_label(dataset, dim, dimension.c_str()), what);
}

}  // namespace ehcpsim::hdf5
