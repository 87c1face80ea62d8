// The ensemble file's reader: the run's description (RunInfo) from the
// file's attributes and coordinates, files of earlier layouts included, and
// metrics whole or a block of replicates at a time. Layout: docs/output.md.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <utility>

#include "ehcpsim/output.h"
#include "hdf5.h"
#include "layout.h"
#include "lever_file.h"

namespace ehcpsim {

using namespace hdf5;
using namespace file;

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
        // The whole stock by placement, age and need is written only when asked (run --plan-detail).
        info.plan_detail = !info.variants.empty() &&
                           exists(root, "variants/" + info.variants.front() + "/stock_by_placement_age_need") &&
                           exists(root, "age");
        if (info.plan_detail) read_ages(root);
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
            // Labels (absent in files before them, and where the scenario gave none).
            info.variant_labels.push_back(has_attribute(ctx, handle.get(), "label")
                                              ? read_string_attribute(ctx, handle.get(), "label")
                                              : std::string());
            std::vector<std::string> labels(info.parameter_names.back().size());
            if (!labels.empty()) {
                DatasetHandle coordinate(ctx.check(H5Dopen2(root, (group + "/parameter").c_str(), H5P_DEFAULT),
                                                   "cannot open '" + group + "/parameter'"));
                if (has_attribute(ctx, coordinate.get(), "labels")) {
                    std::vector<std::string> stored = read_strings_attribute(ctx, coordinate.get(), "labels");
                    if (stored.size() != labels.size())
                        ctx.fail("damaged: attribute 'labels' of '" + group + "/parameter' has " +
                                 std::to_string(stored.size()) + " labels for " + std::to_string(labels.size()) +
                                 " parameters");
                    labels = std::move(stored);
                }
            }
            info.parameter_labels.push_back(std::move(labels));
            read_capacity(root, group, handle.get());
        }
        const auto blank = [](const std::string& label) { return label.empty(); };
        const bool labelled =
            !std::all_of(info.variant_labels.begin(), info.variant_labels.end(), blank) ||
            std::any_of(info.parameter_labels.begin(), info.parameter_labels.end(),
                        [&](const auto& labels) { return !std::all_of(labels.begin(), labels.end(), blank); });
        if (!labelled) {  // as the runner describes an unlabelled run
            info.variant_labels.clear();
            info.parameter_labels.clear();
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
        std::vector<RunInfo::Adjustment> adjustments;
        if (has_attribute(ctx, handle, "adjustment_name")) {
            const auto names = read_strings_attribute(ctx, handle, "adjustment_name");
            const auto kinds = read_strings_attribute(ctx, handle, "adjustment_kind");
            const auto years = read_doubles_attribute(ctx, handle, "adjustment_year");
            const auto amounts = read_doubles_attribute(ctx, handle, "adjustment_amount");
            if (kinds.size() != names.size() || years.size() != names.size() || amounts.size() != names.size())
                ctx.fail("damaged: the adjustment_* attributes of '" + group + "' differ in length");
            for (std::size_t i = 0; i < names.size(); ++i)
                adjustments.push_back({names[i], kinds[i], static_cast<int>(years[i]), amounts[i]});
        }
        info.adjustments.push_back(std::move(adjustments));
    }

    void read_ages(hid_t root) {
        const std::string what = "cannot read 'age'";
        DatasetHandle dataset(ctx.check(H5Dopen2(root, "age", H5P_DEFAULT), what));
        SpaceHandle space(ctx.check(H5Dget_space(dataset.get()), what));
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        if (count < 0) ctx.fail_hdf5(what);
        info.ages.resize(static_cast<std::size_t>(count));
        if (count > 0) {
            ctx.check_status(H5Dread(dataset.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, info.ages.data()),
                             what);
        }
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
            info.sources.push_back(SourceText{paths[i], std::move(text.front())});
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

    // A dataset of doubles whose whole shape must be `expected` (the file's
    // coordinates give it), opened with its dataspace.
    struct Shaped {
        DatasetHandle dataset;
        SpaceHandle space;
    };
    Shaped open_shaped(const std::string& name, const std::vector<hsize_t>& expected, const std::string& what) const {
        Shaped shaped{DatasetHandle(ctx.check(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), what)), {}};
        shaped.space = SpaceHandle(ctx.check(H5Dget_space(shaped.dataset.get()), what));
        const int rank = H5Sget_simple_extent_ndims(shaped.space.get());
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
        if (rank < 0 || H5Sget_simple_extent_dims(shaped.space.get(), dims.data(), nullptr) < 0) ctx.fail_hdf5(what);
        if (dims != expected) ctx.fail("damaged: '" + name + "' does not have the shape the file's coordinates give");
        return shaped;
    }

    // Rows [first, first + count) along the first dimension of a dataset
    // whose whole shape must be `expected`: a hyperslab, so only the chunks
    // holding those rows are read.
    std::vector<double> read_rows(const std::string& name, const std::vector<hsize_t>& expected, std::int64_t first,
                                  std::int64_t count) const {
        check_rows(name, first, count);
        const std::string what = "cannot read rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                                 ") of '" + name + "'";
        const Shaped shaped = open_shaped(name, expected, what);
        std::vector<hsize_t> start(expected.size(), 0);
        std::vector<hsize_t> extent = expected;
        start[0] = static_cast<hsize_t>(first);
        extent[0] = static_cast<hsize_t>(count);
        std::vector<double> values(product(extent));
        if (values.empty()) return values;
        ctx.check_status(
            H5Sselect_hyperslab(shaped.space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr), what);
        SpaceHandle memory = simple_space(ctx, extent);  // the selection's shape (see write_rows)
        ctx.check_status(H5Dread(shaped.dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), shaped.space.get(), H5P_DEFAULT,
                                 values.data()),
                         what);
        return values;
    }

    // The box [start, start + extent) of a dataset whose whole shape must be
    // `expected`, in row-major order.
    std::vector<double> read_box(const std::string& name, const std::vector<hsize_t>& expected,
                                 const std::vector<hsize_t>& start, const std::vector<hsize_t>& extent) const {
        const std::string what = "cannot read '" + name + "'";
        for (std::size_t d = 0; d < expected.size(); ++d) {
            if (start[d] > expected[d] || extent[d] > expected[d] - start[d]) {
                throw std::invalid_argument(ctx.path() + ": a box outside '" + name + "'");
            }
        }
        const Shaped shaped = open_shaped(name, expected, what);
        std::vector<double> values(product(extent));
        if (values.empty()) return values;
        ctx.check_status(
            H5Sselect_hyperslab(shaped.space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr), what);
        SpaceHandle memory = simple_space(ctx, extent);
        ctx.check_status(H5Dread(shaped.dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), shaped.space.get(), H5P_DEFAULT,
                                 values.data()),
                         what);
        return values;
    }

    std::vector<double> read_array(const std::string& name, const std::vector<hsize_t>& expected) const {
        const std::string what = "cannot read '" + name + "'";
        const Shaped shaped = open_shaped(name, expected, what);
        std::vector<double> values(product(expected));
        if (!values.empty()) {
            ctx.check_status(
                H5Dread(shaped.dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), what);
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

namespace {

// A MetricId outside the catalogue is a caller's bug.
const MetricInfo& catalogue_entry(MetricId metric) {
    if (metric < 0 || metric >= metric_count)
        throw std::invalid_argument("ehcpsim output: no metric " + std::to_string(static_cast<int>(metric)));
    return metric_catalogue()[static_cast<std::size_t>(metric)];
}

}  // namespace

// Whole datasets are every row of them.
std::vector<double> ResultReader::read_metric(const std::string& variant, MetricId metric) const {
    return read_metric_rows(variant, metric, 0, impl_->info.replicates);
}

std::vector<double> ResultReader::read_expected(const std::string& variant, MetricId metric) const {
    QuietHdf5 quiet;
    impl_->variant_index(variant);
    const MetricInfo& entry = catalogue_entry(metric);
    const hid_t root = impl_->file.get();
    const std::string group = "variants/" + variant + "/expected";
    if (!impl_->exists(root, group) || !impl_->exists(root, group + "/" + entry.name)) return {};
    return impl_->read_array(group + "/" + entry.name, expected_dims(impl_->info, entry));
}

std::vector<LeverSubsets> ResultReader::read_lever_subsets() const {
    QuietHdf5 quiet;
    std::vector<LeverSubsets> all;
    for (const std::string& variant : impl_->info.variants) {
        LeverSubsets subsets = file::read_lever_subsets(impl_->ctx, impl_->file.get(), variant, impl_->info.replicates);
        if (!subsets.levers.empty()) all.push_back(std::move(subsets));
    }
    return all;
}

std::vector<double> ResultReader::read_metric_rows(const std::string& variant, MetricId metric, std::int64_t first,
                                                   std::int64_t count) const {
    QuietHdf5 quiet;
    impl_->variant_index(variant);
    const MetricInfo& entry = catalogue_entry(metric);
    const auto dims = metric_dims(impl_->info, entry);
    const std::string name = "variants/" + variant + "/" + entry.name;
    if (metric >= first_optional_metric && !impl_->exists(impl_->file.get(), name)) {
        impl_->check_rows(name, first, count);
        auto row = dims;
        row[0] = static_cast<hsize_t>(count);
        return std::vector<double>(product(row), std::numeric_limits<double>::quiet_NaN());
    }
    return impl_->read_rows(name, dims, first, count);
}

std::vector<double> ResultReader::read_metric_columns(const std::string& variant, MetricId metric,
                                                      std::size_t first_year, std::size_t years,
                                                      std::size_t first_category, std::size_t categories) const {
    QuietHdf5 quiet;
    impl_->variant_index(variant);
    const MetricInfo& entry = catalogue_entry(metric);
    const auto dims = metric_dims(impl_->info, entry);
    const std::string name = "variants/" + variant + "/" + entry.name;
    std::vector<hsize_t> start(dims.size(), 0), extent = dims;
    start[1] = first_year;
    extent[1] = years;
    if (dims.size() > 2) {
        start[2] = first_category;
        extent[2] = categories;
    }
    if (metric >= first_optional_metric && !impl_->exists(impl_->file.get(), name)) {
        return std::vector<double>(product(extent), std::numeric_limits<double>::quiet_NaN());
    }
    return impl_->read_box(name, dims, start, extent);
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
    return read_parameter_rows(variant, 0, impl_->info.replicates);
}

}  // namespace ehcpsim

