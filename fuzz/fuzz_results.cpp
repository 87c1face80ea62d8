// libFuzzer target over the results-file reader and the summaries computed
// from it. Raw bytes would mostly exercise HDF5's own decoder (a library we
// do not build or instrument); instead an input is a list of edits made
// through the HDF5 API to a valid ensemble file (fuzz_support.h): attributes
// written with another type, shape or value, or removed; datasets removed,
// replaced by others of any shape and type, or given other values (NaN, inf,
// huge). The file is then opened with ResultReader and summarised, and the
// summary printed in every format and view. Any outcome is fine except a
// crash, a sanitizer report or an exception other than RuntimeError (what
// the CLI turns into exit 3).
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fuzzer/FuzzedDataProvider.h>
#include <sstream>
#include <string>
#include <vector>

#include "ehcpsim/error.h"
#include "ehcpsim/output.h"
#include "ehcpsim/summary.h"
#include "fuzz_support.h"

namespace {

using namespace ehcpsim;

std::string scratch(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("ehcpsim-fuzz-" + std::to_string(getpid()) + "-" + name))
        .string();
}

// The valid files edits start from: a Monte Carlo run and a deterministic one.
const std::vector<std::string>& bases() {
    static const std::vector<std::string> paths = [] {
        std::vector<std::string> made;
        for (const bool deterministic : {false, true}) {
            RunInfo info = fuzzing::small_run(deterministic ? 1 : 8);
            if (deterministic) info.mode = "deterministic";
            const std::string path = scratch(deterministic ? "base-deterministic.h5" : "base.h5");
            ResultWriter writer(path, info, true);
            writer.write(fuzzing::made_up_block(info, 0, info.replicates));
            if (deterministic) writer.write_expected(fuzzing::made_up_block(info, 0, 1));
            writer.finish();
            made.push_back(path);
        }
        std::atexit([] {  // libFuzzer ends with exit(): leave nothing in the temporary directory
            std::error_code ignored;
            for (const char* name : {"base.h5", "base-deterministic.h5", "edited.h5"})
                std::filesystem::remove(scratch(name), ignored);
        });
        return made;
    }();
    return paths;
}

const std::vector<std::string> objects = {
    "/", "/variants", "/variants/baseline", "/variants/target", "/scenario", "/scenario/fuzz.toml"};
const std::vector<std::string> datasets = {
    "/year", "/placement", "/need", "/phase", "/variant", "/replicate",
    "/variants/baseline/total_stock", "/variants/baseline/specialist_demand_by_phase", "/variants/baseline/spend", "/variants/baseline/cumulative_deficit",
    "/variants/target/cumulative_deficit", "/variants/baseline/parameters", "/variants/baseline/parameter",
    "/variants/target/parameters", "/variants/baseline/capacity_places", "/variants/baseline/capacity_entry",
    "/variants/baseline/demand_by_placement", "/variants/baseline/expected/spend", "/scenario/fuzz.toml"};
const std::vector<std::string> attributes = {
    "format", "format_version", "complete", "scenario_name", "mode", "seed", "replicates", "first_replicate",
    "total_replicates", "engine_version", "common_random_numbers", "level", "compare_to", "specialist",
    "capacity_placement", "capacity_phase", "capacity_overflow", "overflow", "order", "units", "path"};
const std::vector<std::string> words = {"", "baseline", "target", "none", "stretch", "mss", "inmss", "mainstream",
                                        "primary", "ehcpsim-ensemble", "monte_carlo", "deterministic", "x/y", "."};

template <class T>
const T& pick(FuzzedDataProvider& in, const std::vector<T>& from) {
    return from[in.ConsumeIntegralInRange<std::size_t>(0, from.size() - 1)];
}

double some_double(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 5)) {
        case 0: return std::numeric_limits<double>::quiet_NaN();
        case 1: return std::numeric_limits<double>::infinity();
        case 2: return -1e308;
        case 3: return static_cast<double>(in.ConsumeIntegralInRange<std::int64_t>(-3, 10));
        default: return in.ConsumeFloatingPoint<double>();
    }
}

std::string some_string(FuzzedDataProvider& in) {
    return in.ConsumeBool() ? pick(in, words) : in.ConsumeRandomLengthString(24);
}

hid_t string_type() {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    return type;
}

// Writes `count` values of a kind chosen by the input with the dataspace
// `space` through `write` (an attribute or a dataset).
template <class Create, class Write>
void write_values(FuzzedDataProvider& in, hid_t space, std::size_t count, Create create, Write write) {
    const int kind = in.ConsumeIntegralInRange(0, 4);
    if (kind == 0 || kind == 1) {  // strings
        const hid_t type = string_type();
        std::vector<std::string> text;
        for (std::size_t i = 0; i < count; ++i) text.push_back(some_string(in));
        std::vector<const char*> pointers;
        for (const auto& t : text) pointers.push_back(t.c_str());
        const hid_t id = create(type, space);
        if (id >= 0 && count > 0) write(id, type, pointers.data());
        H5Tclose(type);
        return;
    }
    if (kind == 2) {  // 64-bit integers
        std::vector<std::int64_t> values;
        for (std::size_t i = 0; i < count; ++i) values.push_back(in.ConsumeIntegral<std::int64_t>());
        const hid_t id = create(H5T_STD_I64LE, space);
        if (id >= 0 && count > 0) write(id, H5T_NATIVE_INT64, values.data());
        return;
    }
    if (kind == 3) {  // 32-bit integers
        std::vector<int> values;
        for (std::size_t i = 0; i < count; ++i) values.push_back(in.ConsumeIntegralInRange(-2, 4096));
        const hid_t id = create(H5T_STD_I32LE, space);
        if (id >= 0 && count > 0) write(id, H5T_NATIVE_INT, values.data());
        return;
    }
    std::vector<double> values;
    for (std::size_t i = 0; i < count; ++i) values.push_back(some_double(in));
    const hid_t id = create(H5T_IEEE_F64LE, space);
    if (id >= 0 && count > 0) write(id, H5T_NATIVE_DOUBLE, values.data());
}

hid_t some_space(FuzzedDataProvider& in, std::size_t& count) {
    if (in.ConsumeIntegralInRange(0, 3) == 0) {
        count = 1;
        return H5Screate(H5S_SCALAR);
    }
    const int rank = in.ConsumeIntegralInRange(1, 4);
    std::vector<hsize_t> dims;
    count = 1;
    for (int i = 0; i < rank; ++i) {
        dims.push_back(in.ConsumeIntegralInRange<hsize_t>(0, 9));
        count *= dims.back();
    }
    return H5Screate_simple(rank, dims.data(), nullptr);
}

void edit(FuzzedDataProvider& in, hid_t file) {
    switch (in.ConsumeIntegralInRange(0, 4)) {
        case 0: {  // an attribute written anew, with any type and shape
            const hid_t object = H5Oopen(file, pick(in, objects).c_str(), H5P_DEFAULT);
            if (object < 0) return;
            const std::string name = pick(in, attributes);
            if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
            std::size_t count = 0;
            const hid_t space = some_space(in, count);
            hid_t attribute = -1;
            write_values(
                in, space, count,
                [&](hid_t type, hid_t s) { return attribute = H5Acreate2(object, name.c_str(), type, s, H5P_DEFAULT, H5P_DEFAULT); },
                [&](hid_t id, hid_t type, const void* values) { H5Awrite(id, type, values); });
            if (attribute >= 0) H5Aclose(attribute);
            H5Sclose(space);
            H5Oclose(object);
            return;
        }
        case 1: {  // an attribute removed
            const hid_t object = H5Oopen(file, pick(in, objects).c_str(), H5P_DEFAULT);
            if (object < 0) return;
            const std::string name = pick(in, attributes);
            if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
            H5Oclose(object);
            return;
        }
        case 2: {  // an object removed
            const std::string path = in.ConsumeBool() ? pick(in, datasets) : pick(in, objects);
            if (path != "/" && H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0) H5Ldelete(file, path.c_str(), H5P_DEFAULT);
            return;
        }
        case 3: {  // a dataset replaced by one of any type and shape
            const std::string path = pick(in, datasets);
            if (H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0) H5Ldelete(file, path.c_str(), H5P_DEFAULT);
            std::size_t count = 0;
            const hid_t space = some_space(in, count);
            hid_t dataset = -1;
            write_values(
                in, space, count,
                [&](hid_t type, hid_t s) {
                    return dataset = H5Dcreate2(file, path.c_str(), type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                },
                [&](hid_t id, hid_t type, const void* values) { H5Dwrite(id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values); });
            if (dataset >= 0) H5Dclose(dataset);
            H5Sclose(space);
            return;
        }
        default: {  // new values in a numeric dataset, keeping its shape
            const hid_t dataset = H5Dopen2(file, pick(in, datasets).c_str(), H5P_DEFAULT);
            if (dataset < 0) return;
            const hid_t type = H5Dget_type(dataset);
            const hid_t space = H5Dget_space(dataset);
            const hssize_t count = H5Sget_simple_extent_npoints(space);
            if (H5Tget_class(type) == H5T_FLOAT && count > 0 && count < 100000) {
                std::vector<double> values(static_cast<std::size_t>(count));
                for (double& v : values) v = some_double(in);
                H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
            } else if (H5Tget_class(type) == H5T_INTEGER && count > 0 && count < 100000) {
                std::vector<std::int64_t> values(static_cast<std::size_t>(count));
                for (auto& v : values) v = in.ConsumeIntegral<std::int64_t>();
                H5Dwrite(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
            }
            H5Sclose(space);
            H5Tclose(type);
            H5Dclose(dataset);
            return;
        }
    }
}

void read_back(const std::string& path) {
    const ResultReader reader(path);
    SummaryOptions options;
    options.exceedance_thresholds = {0.0, 3e7};
    const Summary summary = summarise(reader, options);
    std::ostringstream out;
    for (const SummaryFormat format : {SummaryFormat::table, SummaryFormat::json}) {
        print_summary(summary, format, out, PrintOptions{true, true, false, false, true});
    }
    print_summary(summary, SummaryFormat::csv, out);
    for (int view = 0; view < 5; ++view) {
        PrintOptions one;
        (view == 0 ? one.dbv : view == 1 ? one.places : view == 2 ? one.scap : view == 3 ? one.dsg : one.drivers) = true;
        SummaryOptions none;
        print_summary(summarise(reader, none), SummaryFormat::csv, out, one);
    }
    const RunInfo& info = reader.info();
    for (const std::string& variant : info.variants) {
        if (info.replicates > 0) reader.read_metric_rows(variant, m_spend, info.replicates - 1, 1);
        reader.read_parameter_rows(variant, 0, info.replicates);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    bases();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::string path = scratch("edited.h5");
    std::filesystem::copy_file(bases()[in.ConsumeBool() ? 1 : 0], path,
                               std::filesystem::copy_options::overwrite_existing);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0) __builtin_trap();
    for (int edits = 0; edits < 8 && in.remaining_bytes() > 0; ++edits) edit(in, file);
    H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    try {
        read_back(path);
    } catch (const RuntimeError&) {
    }
    std::filesystem::remove(path);
    return 0;
}
