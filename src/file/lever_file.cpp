// Each lever's worth in the ensemble file: lever_file.h.
#include "lever_file.h"

namespace ehcpsim::file {

using namespace hdf5;

void write_lever_subsets_group(const Context& ctx, hid_t variant_group, hid_t replicate_scale, const LeverSubsets& subsets,
                         std::int64_t replicates) {
    const std::string group_name = "variants/" + subsets.variant + "/" + lever_worth_group;
    PlistHandle gcpl = untimed(ctx, H5P_GROUP_CREATE);
    GroupHandle group(ctx.check(H5Gcreate2(variant_group, lever_worth_group, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                                "cannot create group '" + group_name + "'"));
    write_string_attribute(ctx, group.get(), "description",
                           "Each lever's worth: the cumulative deficit at the horizon of every subset of the "
                           "variant's levers, under the variant's own draws (common random numbers); subset s has "
                           "lever j in force when bit j of s is set");
    create_strings_dataset(ctx, group.get(), "lever", subsets.levers);
    const std::string name = group_name + "/subset_cumulative_deficit";
    const std::string what = "cannot write '" + name + "'";
    SpaceHandle space = simple_space(ctx, {static_cast<hsize_t>(replicates), static_cast<hsize_t>(subsets.subsets())});
    PlistHandle dcpl = untimed(ctx, H5P_DATASET_CREATE);
    DatasetHandle dataset(ctx.check(H5Dcreate2(group.get(), "subset_cumulative_deficit", H5T_IEEE_F64LE, space.get(),
                                               H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                                    what));
    if (!subsets.deficit.empty())
        ctx.check_status(
            H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, subsets.deficit.data()), what);
    attach(ctx, dataset.get(), replicate_scale, 0, "replicate", name);
    ctx.check_status(H5DSset_label(dataset.get(), 1, "subset"), what);
    write_string_attribute(ctx, dataset.get(), "units", "GBP");
    write_string_attribute(ctx, dataset.get(), "description",
                           "Cumulative deficit at the horizon with the levers of the subset in force");
}

LeverSubsets read_lever_subsets(const Context& ctx, hid_t file, const std::string& variant, std::int64_t replicates) {
    LeverSubsets subsets;
    subsets.variant = variant;
    const std::string group_name = "variants/" + variant + "/" + lever_worth_group;
    const htri_t found = H5Lexists(file, group_name.c_str(), H5P_DEFAULT);
    ctx.check_status(found, "cannot look for '" + group_name + "'");
    if (found == 0) return subsets;
    const std::string lever_name = group_name + "/lever";
    {
        const std::string what = "cannot read '" + lever_name + "'";
        DatasetHandle dataset(ctx.check(H5Dopen2(file, lever_name.c_str(), H5P_DEFAULT), what));
        TypeHandle type(ctx.check(H5Dget_type(dataset.get()), what));
        SpaceHandle space(ctx.check(H5Dget_space(dataset.get()), what));
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        if (count < 0) ctx.fail_hdf5(what);
        subsets.levers = read_strings(ctx, type.get(), space.get(), static_cast<std::size_t>(count), what,
                                      [&](hid_t memory_type, void* buffer) {
                                          return H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                                         buffer);
                                      });
    }
    if (subsets.levers.empty() || subsets.levers.size() > static_cast<std::size_t>(max_worth_levers))
        ctx.fail("'" + lever_name + "' holds " + std::to_string(subsets.levers.size()) + " levers; expected 1 to " +
                 std::to_string(max_worth_levers));
    const std::string name = group_name + "/subset_cumulative_deficit";
    const std::string what = "cannot read '" + name + "'";
    DatasetHandle dataset(ctx.check(H5Dopen2(file, name.c_str(), H5P_DEFAULT), what));
    SpaceHandle space(ctx.check(H5Dget_space(dataset.get()), what));
    hsize_t dims[2] = {0, 0};
    if (H5Sget_simple_extent_ndims(space.get()) != 2 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 2 ||
        dims[0] != static_cast<hsize_t>(replicates) || dims[1] != subsets.subsets())
        ctx.fail("'" + name + "' is not shaped [" + std::to_string(replicates) + ", " +
                 std::to_string(subsets.subsets()) + "] (replicates, subsets of " +
                 std::to_string(subsets.levers.size()) + " levers)");
    subsets.deficit.resize(static_cast<std::size_t>(dims[0] * dims[1]));
    if (!subsets.deficit.empty())
        ctx.check_status(
            H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, subsets.deficit.data()), what);
    return subsets;
}

}  // namespace ehcpsim::file
