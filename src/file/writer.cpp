// The ensemble file's writer: the layout (layout.h) created whole up front in
// a temporary file beside the target, blocks written as they come, then
// published under the target's name (target.h). Layout: docs/output.md.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

#include "chunks.h"
#include "ehcpsim/output.h"
#include "hdf5.h"
#include "layout.h"
#include "lever_file.h"
#include "target.h"

namespace ehcpsim {
namespace {

using namespace hdf5;
using namespace file;

// The root coordinate datasets, opened once to attach as dimension scales.
struct RootScales {
    RootScales(Context& ctx, hid_t root, bool ages)
        : replicate(open(ctx, root, "replicate")), year(open(ctx, root, "year")),
          placement(open(ctx, root, "placement")), need(open(ctx, root, "need")), phase(open(ctx, root, "phase")),
          age(ages ? open(ctx, root, "age") : DatasetHandle()) {}
    // The scale of an extra dimension ("placement", "need", "phase" or "age").
    hid_t of(const std::string& dimension) const {
        return dimension == "placement" ? placement.get()
               : dimension == "need"    ? need.get()
               : dimension == "age"     ? age.get()
                                        : phase.get();
    }
    // A metric dataset's extra dimensions (from index `first`) attached to
    // their scales, and its units and description.
    void describe(Context& ctx, hid_t dataset, const MetricInfo& metric, unsigned first, const std::string& name) const {
        for (const char* dimension : extra_dimensions(metric.extent)) attach(ctx, dataset, of(dimension), first++, dimension, name);
        write_string_attribute(ctx, dataset, "units", metric.units);
        write_string_attribute(ctx, dataset, "description", metric.description);
    }
    DatasetHandle replicate, year, placement, need, phase, age;  // age only with plan detail

private:
    static DatasetHandle open(Context& ctx, hid_t root, const char* name) {
        return DatasetHandle(ctx.check(H5Dopen2(root, name, H5P_DEFAULT), std::string("cannot open '") + name + "'"));
    }
};

}  // namespace

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
    // Rows of chunks waiting for the rest (dataset d = v * (metric_count + 1)
    // + m, the parameters at m = metric_count); made by create().
    std::unique_ptr<ChunkStage> stage;
    std::mutex claim_mutex;                           // prepare() may run on another thread than write()
    std::map<std::int64_t, std::int64_t> written;     // first replicate -> count (claimed by prepare())
    std::int64_t written_total = 0;
    std::uint64_t closes_seen = failed_close_count();  // failed closes counted when last checked

    // A close that failed since the last check lost buffered data (a chunk,
    // a sieve buffer, an attribute): the file can no longer be trusted.
    void check_closes() {
        if (failed_close_count() == closes_seen) return;
        closes_seen = failed_close_count();
        broken = true;
        const std::string reason = take_failed_close_reason();
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

    void create() {
        // A whole run (or a caller that knows nothing of shards) gives 0.
        if (info.total_replicates == 0) info.total_replicates = info.replicates;
        check_layout(info);
        // Callers that know nothing of ambition levels or capacity leave them empty.
        info = with_defaults(std::move(info));
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
        make_stage();
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
        if (info.plan_detail) {  // the ages of stock_by_placement_age_need; absent otherwise (files as before)
            SpaceHandle space = simple_space(ctx, {info.ages.size()});
            PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
            DatasetHandle age(ctx.check(
                H5Dcreate2(root, "age", H5T_STD_I32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                "cannot create dataset 'age'"));
            if (!info.ages.empty()) {
                ctx.check_status(H5Dwrite(age.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, info.ages.data()),
                                 "cannot write dataset 'age'");
            }
            make_scale(ctx, age.get(), "age");
        }
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
        const RootScales scales(ctx, root, info.plan_detail);
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
            // Labels only where the scenario gives one: an unlabelled run's file is as before.
            if (v < info.variant_labels.size() && !info.variant_labels[v].empty())
                write_string_attribute(ctx, group.get(), "label", info.variant_labels[v]);
            write_strings_attribute(ctx, group.get(), "specialist", names_of(info.placements, info.specialist[v]));
            write_capacity(group.get(), v, year);
            write_adjustments(group.get(), v);
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
                if (v < info.parameter_labels.size() && info.parameter_labels[v].size() == names.size() &&
                    std::any_of(info.parameter_labels[v].begin(), info.parameter_labels[v].end(),
                                [](const std::string& label) { return !label.empty(); }))
                    write_strings_attribute(ctx, coordinate.get(), "labels", info.parameter_labels[v]);
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
    // The named funding adjustments, only for a variant that has some (a
    // file without them is as before): attributes adjustment_name,
    // adjustment_kind, adjustment_year and adjustment_amount (NaN = drawn:
    // the parameter money.adjustments.<name>.amount).
    void write_adjustments(hid_t group, std::size_t v) {
        if (v >= info.adjustments.size() || info.adjustments[v].empty()) return;
        std::vector<std::string> names, kinds;
        std::vector<double> years, amounts;
        for (const auto& a : info.adjustments[v]) {
            names.push_back(a.name);
            kinds.push_back(a.kind);
            years.push_back(a.year);
            amounts.push_back(a.amount);
        }
        write_strings_attribute(ctx, group, "adjustment_name", names);
        write_strings_attribute(ctx, group, "adjustment_kind", kinds);
        write_doubles_attribute(ctx, group, "adjustment_year", years);
        write_doubles_attribute(ctx, group, "adjustment_amount", amounts);
    }

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

    static std::size_t dataset_index(std::size_t v, std::size_t m) { return v * (metric_count + 1) + m; }

    // The chunk geometry of every replicate array, as create_replicate_array() chunks it.
    void make_stage() {
        const auto& catalogue = metric_catalogue();
        std::vector<ChunkGeometry> geometry(info.variants.size() * (metric_count + 1));
        const auto set = [&](std::size_t d, const std::vector<hsize_t>& dims) {
            std::size_t per_row = 1;
            for (std::size_t i = 1; i < dims.size(); ++i) per_row *= static_cast<std::size_t>(dims[i]);
            if (per_row == 0 || dims[0] == 0) return;  // empty arrays are contiguous: nothing to write
            geometry[d] = ChunkGeometry{chunk_replicates(dims[0], per_row * sizeof(double)), per_row, dims[0], dims.size()};
        };
        for (std::size_t v = 0; v < info.variants.size(); ++v) {
            for (std::size_t m = 0; m < catalogue.size(); ++m) {
                if (metrics[v][m].valid()) set(dataset_index(v, m), metric_dims(info, catalogue[m]));
            }
            if (parameters[v].valid()) {
                set(dataset_index(v, metric_count),
                    {static_cast<hsize_t>(info.replicates), info.parameter_names[v].size()});
            }
        }
        stage = std::make_unique<ChunkStage>(std::move(geometry));
    }

    hid_t dataset_of(std::size_t d) const {
        const std::size_t v = d / (metric_count + 1), m = d % (metric_count + 1);
        return m == metric_count ? parameters[v].get() : metrics[v][m].get();
    }

    std::string dataset_name(std::size_t d) const {
        const std::size_t v = d / (metric_count + 1), m = d % (metric_count + 1);
        return "variants/" + info.variants[v] + "/" +
               (m == metric_count ? std::string("parameters") : metric_catalogue()[m].name);
    }

    ResultWriter::PreparedBlock prepare(const ResultBlock& block, const ResultWriter::ParallelFor& parallel) {
        check_block(block);
        ResultWriter::PreparedBlock prepared;
        prepared.first_replicate = block.first_replicate;
        prepared.count = block.count;
        if (block.count == 0) return prepared;
        {
            std::lock_guard<std::mutex> lock(claim_mutex);
            record_range(block.first_replicate, block.count);
        }
        const auto first = static_cast<hsize_t>(block.first_replicate - info.first_replicate);
        const auto count = static_cast<hsize_t>(block.count);
        std::vector<WholeChunk> whole;
        for (std::size_t v = 0; v < block.variants.size(); ++v) {
            for (std::size_t m = 0; m < metric_catalogue().size(); ++m) {
                stage->add(dataset_index(v, m), first, count, block.variants[v].metrics[m].data(), whole);
            }
            stage->add(dataset_index(v, metric_count), first, count, block.variants[v].parameters.data(), whole);
        }
        prepared.chunks.resize(whole.size());
        const auto compress = [&](std::size_t i) {
            prepared.chunks[i] = ResultWriter::CompressedChunk{whole[i].dataset, whole[i].first_row,
                                                               compress_chunk(whole[i].values, whole[i].count)};
            whole[i].owned = {};  // gathered rows freed as soon as they are compressed
        };
        if (parallel) {
            parallel(whole.size(), compress);
        } else {
            for (std::size_t i = 0; i < whole.size(); ++i) compress(i);
        }
        return prepared;
    }

    void write(ResultWriter::PreparedBlock&& block) {
        if (finished) throw std::logic_error("ehcpsim output: write() after finish()");
        if (broken) ctx.fail("an earlier write failed; no further blocks are accepted");
        broken = true;  // until every chunk is written
        for (const ResultWriter::CompressedChunk& chunk : block.chunks) {
            if (chunk.dataset >= info.variants.size() * (metric_count + 1) || !stage->geometry(chunk.dataset).chunked())
                throw std::invalid_argument("ehcpsim output: a compressed chunk of no dataset");
            const ChunkGeometry& g = stage->geometry(chunk.dataset);
            std::vector<hsize_t> offset(g.rank, 0);
            offset[0] = chunk.first_row;
            if (H5Dwrite_chunk(dataset_of(chunk.dataset), H5P_DEFAULT, 0, offset.data(), chunk.bytes.size(),
                               chunk.bytes.data()) < 0)  // the message is built only when it is needed
                ctx.check_status(-1, "cannot write replicates [" + std::to_string(block.first_replicate) + ", " +
                                         std::to_string(block.first_replicate + block.count) + ") of " +
                                         dataset_name(chunk.dataset));
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
        const RootScales scales(ctx, root, info.plan_detail);
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

    void finish() {
        if (finished) throw std::logic_error("ehcpsim output: finish() called twice");
        if (broken) ctx.fail("an earlier write failed, so the results are incomplete; nothing was written");
        if (written_total != info.replicates || stage->waiting_chunks() != 0) {
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
        publish(temp, target, overwrite);
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
    if (impl_->finished) throw std::logic_error("ehcpsim output: write() after finish()");
    if (impl_->broken) impl_->ctx.fail("an earlier write failed; no further blocks are accepted");
    impl_->write(impl_->prepare(block, {}));
}

ResultWriter::PreparedBlock ResultWriter::prepare(const ResultBlock& block, const ParallelFor& parallel) {
    return impl_->prepare(block, parallel);
}

void ResultWriter::write(PreparedBlock&& block) {
    QuietHdf5 quiet;
    impl_->write(std::move(block));
}

void ResultWriter::write_expected(const ResultBlock& block) {
    QuietHdf5 quiet;
    impl_->write_expected(block);
}

void ResultWriter::write_lever_subsets(const std::vector<LeverSubsets>& subsets) {
    QuietHdf5 quiet;
    Impl& impl = *impl_;
    if (impl.finished) throw std::logic_error("ehcpsim output: write_lever_subsets() after finish()");
    if (impl.broken) impl.ctx.fail("an earlier write failed; no further blocks are accepted");
    impl.broken = true;  // until every dataset has been written
    const RootScales scales(impl.ctx, impl.file.get(), impl.info.plan_detail);
    for (const LeverSubsets& entry : subsets) {
        const auto v = std::find(impl.info.variants.begin(), impl.info.variants.end(), entry.variant);
        if (v == impl.info.variants.end() ||
            entry.deficit.size() != static_cast<std::size_t>(impl.info.replicates) * entry.subsets())
            throw std::invalid_argument("ehcpsim output: lever worth of '" + entry.variant + "' does not fit the file");
        write_lever_subsets_group(impl.ctx, impl.variant_groups[static_cast<std::size_t>(v - impl.info.variants.begin())].get(),
                                  scales.replicate.get(), entry, impl.info.replicates);
    }
    impl.check_closes();
    impl.broken = false;
}

void ResultWriter::finish() {
    QuietHdf5 quiet;
    impl_->finish();
}

}  // namespace ehcpsim
