// Shards and merging: a shard file holds a replicate range with global
// indices; merge_shards() joins shards into the file a single run writes, and
// refuses shards that are not one run or do not cover it exactly once.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "ehcpsim/error.h"
#include "ehcpsim/merge.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class OutputMerge : public ScratchDir {};

// A run with everything RunInfo can carry: levels, capacity (one entry per
// phase), specialist placements, parameters, common random numbers off.
RunInfo rich_info(std::int64_t replicates) {
    RunInfo info = small_info(replicates);
    info.levels = {"none", "target"};
    info.compare_to = {"", "baseline"};
    info.common_random_numbers = false;
    using Entry = RunInfo::CapacityEntry;
    info.capacity = {{Entry{1, 0, 2, {no_limit, 50, 50, 60}}, Entry{1, 1, -1, {no_limit, 70, 75, 80}}}, {}};
    info.specialist = {{1, 2}, {1, 2}};
    return info;
}

RunInfo shard_of(RunInfo info, std::int64_t first, std::int64_t count) {
    info.total_replicates = info.replicates;
    info.first_replicate = first;
    info.replicates = count;
    return info;
}

// Writes replicates [first, first + count) of `whole` as a shard, in two
// blocks (the second first), with the expected values if asked.
void write_shard(const std::string& path, const RunInfo& whole, std::int64_t first, std::int64_t count,
                 bool with_expected = true) {
    const RunInfo info = shard_of(whole, first, count);
    ResultWriter writer(path, info, false);
    if (with_expected) writer.write_expected(dbv_expected(whole));
    const std::int64_t half = count / 2;
    writer.write(synthetic_block(whole, first + half, count - half));
    if (half > 0) writer.write(synthetic_block(whole, first, half));
    writer.finish();
}

void write_whole(const std::string& path, const RunInfo& whole) {
    ResultWriter writer(path, whole, false);
    writer.write_expected(dbv_expected(whole));
    writer.write(synthetic_block(whole, 0, whole.replicates));
    writer.finish();
}

// Every dataset through the reader, and every field of RunInfo.
void expect_same_files(const std::string& a_path, const std::string& b_path) {
    const ResultReader a_reader(a_path), b_reader(b_path);
    const RunInfo& a = a_reader.info();
    const RunInfo& b = b_reader.info();
    expect_same_info(a, b);
    for (const auto& variant : a.variants) {
        for (int m = 0; m < metric_count; ++m) {
            const auto& metric = metric_catalogue()[static_cast<std::size_t>(m)];
            EXPECT_TRUE(same_bits(a_reader.read_metric(variant, MetricId(m)), b_reader.read_metric(variant, MetricId(m))))
                << variant << "/" << metric.name;
            EXPECT_TRUE(
                same_bits(a_reader.read_expected(variant, MetricId(m)), b_reader.read_expected(variant, MetricId(m))))
                << variant << "/expected/" << metric.name;
        }
        EXPECT_TRUE(same_bits(a_reader.read_parameters(variant), b_reader.read_parameters(variant))) << variant;
    }
}

bool have_h5diff() { return std::system("command -v h5diff >/dev/null 2>&1") == 0; }

int h5diff(const std::string& a, const std::string& b) {
    const int status = std::system(("h5diff -q '" + a + "' '" + b + "' >/dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::int64_t root_int64(const std::string& path, const char* name) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT_GE(file, 0);
    std::int64_t value = -1;
    if (H5Aexists(file, name) > 0) {
        const hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
        H5Aread(attr, H5T_NATIVE_INT64, &value);
        H5Aclose(attr);
    }
    H5Fclose(file);
    return value;
}

std::vector<std::int64_t> replicate_coordinate(const std::string& path) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t dataset = H5Dopen2(file, "replicate", H5P_DEFAULT);
    const hid_t space = H5Dget_space(dataset);
    std::vector<std::int64_t> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    if (!values.empty()) H5Dread(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Sclose(space);
    H5Dclose(dataset);
    H5Fclose(file);
    return values;
}

// The message of the RuntimeError that merge_shards throws ("" if none).
std::string merge_error(const std::vector<std::string>& shards, const std::string& output) {
    try {
        merge_shards(shards, output, false);
    } catch (const RuntimeError& error) {
        return error.what();
    }
    ADD_FAILURE() << "merge_shards did not refuse";
    return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---------------------------------------------------------------------------
// Shard files

TEST_F(OutputMerge, ShardHoldsItsRangeWithGlobalIndices) {
    const RunInfo whole = rich_info(23);
    write_shard(path("shard.h5"), whole, 8, 15);
    const ResultReader reader(path("shard.h5"));
    EXPECT_EQ(reader.info().first_replicate, 8);
    EXPECT_EQ(reader.info().replicates, 15);
    EXPECT_EQ(reader.info().total_replicates, 23);
    EXPECT_EQ(root_int64(path("shard.h5"), "first_replicate"), 8);
    EXPECT_EQ(root_int64(path("shard.h5"), "total_replicates"), 23);
    std::vector<std::int64_t> global(15);
    for (std::int64_t i = 0; i < 15; ++i) global[static_cast<std::size_t>(i)] = 8 + i;
    EXPECT_EQ(replicate_coordinate(path("shard.h5")), global);

    // Rows are counted from the file's first replicate; values are the global replicates'.
    const ResultBlock expected = synthetic_block(whole, 8, 15);
    const std::size_t years = whole.years.size();
    const auto rows = reader.read_metric_rows("target", m_spend, 3, 5);
    const auto& all = expected.variants[1].metrics[m_spend];
    EXPECT_TRUE(same_bits(rows, std::vector<double>(all.begin() + 3 * years, all.begin() + 8 * years)));
    EXPECT_TRUE(same_bits(reader.read_metric("baseline", m_demand_by_placement_phase),
                          expected.variants[0].metrics[m_demand_by_placement_phase]));
    const auto params = reader.read_parameter_rows("baseline", 14, 1);
    const auto& all_params = expected.variants[0].parameters;
    EXPECT_EQ(params, std::vector<double>(all_params.end() - 3, all_params.end()));
    EXPECT_TRUE(reader.read_parameter_rows("target", 0, 15).empty());  // no parameters
    EXPECT_TRUE(reader.read_metric_rows("target", m_spend, 15, 0).empty());
    EXPECT_THROW(reader.read_metric_rows("target", m_spend, 10, 6), std::invalid_argument);
    EXPECT_THROW(reader.read_metric_rows("target", m_spend, -1, 1), std::invalid_argument);
    EXPECT_THROW(reader.read_parameter_rows("target", 0, 16), std::invalid_argument);
}

TEST_F(OutputMerge, WholeRunRecordsFirstZeroAndTotal) {
    write_whole(path("whole.h5"), rich_info(5));  // total_replicates left 0
    EXPECT_EQ(root_int64(path("whole.h5"), "first_replicate"), 0);
    EXPECT_EQ(root_int64(path("whole.h5"), "total_replicates"), 5);
    const ResultReader reader(path("whole.h5"));
    EXPECT_EQ(reader.info().first_replicate, 0);
    EXPECT_EQ(reader.info().total_replicates, 5);
}

TEST_F(OutputMerge, WriterRefusesBlocksAndRangesOutsideTheShard) {
    const RunInfo whole = rich_info(23);
    {
        ResultWriter writer(path("shard.h5"), shard_of(whole, 8, 15), false);
        EXPECT_THROW(writer.write(synthetic_block(whole, 0, 3)), std::invalid_argument);    // before the shard
        EXPECT_THROW(writer.write(synthetic_block(whole, 20, 4)), std::invalid_argument);   // past its end
        writer.write(synthetic_block(whole, 8, 15));
        EXPECT_THROW(writer.write(synthetic_block(whole, 10, 1)), std::invalid_argument);   // written already
        writer.finish();
    }
    EXPECT_THROW(ResultWriter(path("bad.h5"), shard_of(whole, 20, 4), false), std::invalid_argument);
    EXPECT_THROW(ResultWriter(path("bad.h5"), shard_of(whole, -1, 4), false), std::invalid_argument);
    RunInfo no_total = shard_of(whole, 3, 4);
    no_total.total_replicates = 0;  // = replicates, which [3, 7) does not fit
    EXPECT_THROW(ResultWriter(path("bad.h5"), no_total, false), std::invalid_argument);
    EXPECT_EQ(listing(), std::vector<std::string>{"shard.h5"});
}

// ---------------------------------------------------------------------------
// Merging

TEST_F(OutputMerge, ThreeUnevenShardsMergeToTheWholeRun) {
    const RunInfo whole = rich_info(23);
    write_whole(path("whole.h5"), whole);
    // File names out of replicate order, and given out of order.
    write_shard(path("shard-c.h5"), whole, 0, 7);
    write_shard(path("shard-a.h5"), whole, 7, 1);
    write_shard(path("shard-b.h5"), whole, 8, 15);
    const MergeReport report =
        merge_shards({path("shard-a.h5"), path("shard-b.h5"), path("shard-c.h5")}, path("merged.h5"), false);
    EXPECT_EQ(report.replicates, 23);
    EXPECT_EQ(report.shards, 3u);
    expect_same_files(path("merged.h5"), path("whole.h5"));
    EXPECT_EQ(root_int64(path("merged.h5"), "first_replicate"), 0);
    EXPECT_EQ(root_int64(path("merged.h5"), "total_replicates"), 23);
    EXPECT_EQ(replicate_coordinate(path("merged.h5")), replicate_coordinate(path("whole.h5")));
    auto names = listing();
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"merged.h5", "shard-a.h5", "shard-b.h5", "shard-c.h5", "whole.h5"}));
    if (!have_h5diff()) GTEST_SKIP() << "h5diff (hdf5-tools) not installed";
    EXPECT_EQ(h5diff(path("merged.h5"), path("whole.h5")), 0);
    EXPECT_NE(h5diff(path("merged.h5"), path("shard-b.h5")), 0);  // h5diff does see differences
}

// The numbers depend on the scenario's text, not on where it was run from:
// shards whose scenario paths differ are shards of one run (first_difference
// compares texts only), and the merged file keeps the first shard's paths.
TEST_F(OutputMerge, ShardsRunFromAnotherDirectoryMerge) {
    const RunInfo whole = rich_info(23);
    RunInfo elsewhere = whole;
    for (SourceText& source : elsewhere.sources) source.path = "../other/" + source.path;
    write_shard(path("shard-1.h5"), whole, 0, 8);
    write_shard(path("shard-2.h5"), elsewhere, 8, 15);
    merge_shards({path("shard-1.h5"), path("shard-2.h5")}, path("merged.h5"), false);
    const ResultReader merged(path("merged.h5"));
    ASSERT_EQ(merged.sources().size(), whole.sources.size());
    EXPECT_EQ(merged.sources().front().path, whole.sources.front().path);
}

TEST_F(OutputMerge, ShardsLargerThanABlockWithoutPhaseDetailOrExpected) {
    // 4150 replicates in the first shard: copied as 4096 + 54.
    RunInfo whole = small_info(4200);
    whole.phase_detail = false;
    {
        ResultWriter writer(path("whole.h5"), whole, false);
        writer.write(synthetic_block(whole, 0, whole.replicates));
        writer.finish();
    }
    write_shard(path("s1.h5"), whole, 4150, 50, false);
    write_shard(path("s0.h5"), whole, 0, 4150, false);
    merge_shards({path("s1.h5"), path("s0.h5")}, path("merged.h5"), false);
    expect_same_files(path("merged.h5"), path("whole.h5"));
    EXPECT_TRUE(ResultReader(path("merged.h5")).read_expected("baseline", m_spend).empty());
    if (have_h5diff()) {
        EXPECT_EQ(h5diff(path("merged.h5"), path("whole.h5")), 0);
    }
}

TEST_F(OutputMerge, ShardRangesWithEmptyShardsMerge) {
    // 2 replicates over 3 shards: one shard holds none.
    const RunInfo whole = rich_info(2);
    write_whole(path("whole.h5"), whole);
    std::vector<std::string> shards;
    for (std::int64_t k = 0; k < 3; ++k) {
        const ReplicateRange r = shard_range(2, k, 3);
        shards.push_back(path("shard-" + std::to_string(k) + ".h5"));
        write_shard(shards.back(), whole, r.first, r.count);
    }
    EXPECT_EQ(ResultReader(shards[0]).info().replicates, 0);
    merge_shards(shards, path("merged.h5"), false);
    expect_same_files(path("merged.h5"), path("whole.h5"));
}

TEST_F(OutputMerge, OverwriteOnlyWhenAsked) {
    const RunInfo whole = rich_info(4);
    write_shard(path("s.h5"), whole, 0, 4);
    write_text(path("merged.h5"), "old");
    const std::string message = merge_error({path("s.h5")}, path("merged.h5"));
    EXPECT_TRUE(contains(message, "already exists")) << message;
    EXPECT_EQ(read_file(path("merged.h5")), "old");
    merge_shards({path("s.h5")}, path("merged.h5"), true);
    expect_same_files(path("merged.h5"), path("s.h5"));
    EXPECT_TRUE(contains(merge_error({path("s.h5")}, path("s.h5")), "already exists"));
    try {
        merge_shards({path("s.h5")}, path("s.h5"), true);
        ADD_FAILURE() << "merged a shard onto itself";
    } catch (const RuntimeError& error) {
        EXPECT_TRUE(contains(error.what(), "is also one of the shards")) << error.what();
    }
    EXPECT_TRUE(contains(merge_error({}, path("x.h5")), "no shard files"));
}

// Refusals: each names the files, and nothing appears at the output path.
class OutputMergeRefusal : public OutputMerge {
protected:
    void SetUp() override {
        OutputMerge::SetUp();
        whole_ = rich_info(23);
        write_shard(path("shard-1.h5"), whole_, 0, 7);
        write_shard(path("shard-2.h5"), whole_, 7, 1);
        write_shard(path("shard-3.h5"), whole_, 8, 15);
    }
    // Refused, and nothing at (or beside) the output path.
    std::string refused(const std::vector<std::string>& shards) {
        const std::string message = merge_error(shards, path("merged.h5"));
        for (const auto& name : listing()) EXPECT_EQ(name.rfind("merged.h5", 0), std::string::npos) << name;
        return message;
    }
    RunInfo whole_;
};

TEST_F(OutputMergeRefusal, MissingShards) {
    std::string message = refused({path("shard-1.h5"), path("shard-3.h5")});
    EXPECT_TRUE(contains(message, "replicates [7, 8) are missing (between " + path("shard-1.h5") + " and " +
                                      path("shard-3.h5") + ")"))
        << message;
    message = refused({path("shard-3.h5"), path("shard-2.h5")});
    EXPECT_TRUE(contains(message, "replicates [0, 7) are missing (before " + path("shard-2.h5") + ")")) << message;
    message = refused({path("shard-1.h5")});
    EXPECT_TRUE(contains(message, "replicates [7, 23) are missing (after " + path("shard-1.h5") + ")")) << message;
    message = refused({path("shard-2.h5")});  // every gap at once
    EXPECT_TRUE(contains(message, "[0, 7) are missing")) << message;
    EXPECT_TRUE(contains(message, "[8, 23) are missing")) << message;
    message = refused({path("shard-1.h5"), path("shard-2.h5"), path("shard-4.h5"), path("shard-3.h5")});
    EXPECT_TRUE(contains(message, path("shard-4.h5") + ": no such file")) << message;
}

TEST_F(OutputMergeRefusal, OverlappingShard) {
    write_shard(path("extra.h5"), whole_, 5, 5);  // [5, 10)
    std::string message = refused({path("shard-1.h5"), path("shard-2.h5"), path("shard-3.h5"), path("extra.h5")});
    EXPECT_TRUE(contains(message, "replicates [5, 7) are in both " + path("shard-1.h5") + " and " + path("extra.h5")))
        << message;
    EXPECT_TRUE(contains(message, "replicates [8, 10) are in both " + path("extra.h5") + " and " + path("shard-3.h5")))
        << message;
    message = refused({path("shard-1.h5"), path("shard-2.h5"), path("shard-3.h5"), path("shard-2.h5")});
    EXPECT_TRUE(contains(message, "replicates [7, 8) are in both " + path("shard-2.h5") + " and " + path("shard-2.h5") +
                                      " (the same file given twice)"))
        << message;
}

TEST_F(OutputMergeRefusal, ShardOfAnotherRun) {
    const auto replace = [&](const RunInfo& info) {
        std::filesystem::remove(path("shard-3.h5"));
        ResultWriter writer(path("shard-3.h5"), shard_of(info, 8, 15), false);
        writer.write_expected(dbv_expected(info));
        writer.write(synthetic_block(info, 8, 15));
        writer.finish();
    };
    const std::vector<std::string> all = {path("shard-1.h5"), path("shard-2.h5"), path("shard-3.h5")};
    const std::string tail = "; they are not shards of the same run";

    RunInfo other = whole_;
    other.seed = 7;
    replace(other);
    std::string message = refused(all);
    EXPECT_EQ(message, path("shard-3.h5") + " has seed 7 but " + path("shard-1.h5") + " has seed " +
                           std::to_string(whole_.seed) + tail);

    other = whole_;
    other.sources[0].text = "[scenario]\nname = \"Other\"\n";
    replace(other);
    message = refused(all);
    EXPECT_EQ(message, path("shard-3.h5") + " has a different text of scenario file 'halton.toml' than " +
                           path("shard-1.h5") + " (first difference in line 2)" + tail);

    other = whole_;
    other.engine_version = "0.2.0";
    replace(other);
    message = refused(all);
    EXPECT_EQ(message, path("shard-3.h5") + " has engine version \"0.2.0\" but " + path("shard-1.h5") +
                           " has engine version \"0.1.0-test\"" + tail);

    other = whole_;
    other.replicates = 24;
    replace(other);
    message = refused(all);
    EXPECT_TRUE(contains(message, "has total replicate count 24 but " + path("shard-1.h5") + " has total replicate count 23"))
        << message;

    other = whole_;
    other.capacity[0][1].places[2] = 76;
    replace(other);
    message = refused(all);
    EXPECT_TRUE(contains(message, "has places of capacity entry 'mss/secondary' of variant 'baseline' [inf, 70, 76, 80]"))
        << message;
}

TEST_F(OutputMergeRefusal, DifferentExpectedValues) {
    std::filesystem::remove(path("shard-2.h5"));
    {
        ResultWriter writer(path("shard-2.h5"), shard_of(whole_, 7, 1), false);
        ResultBlock expected = dbv_expected(whole_);
        expected.variants[1].metrics[m_funding][2] += 1;
        writer.write_expected(expected);
        writer.write(synthetic_block(whole_, 7, 1));
        writer.finish();
    }
    std::string message = refused({path("shard-1.h5"), path("shard-2.h5"), path("shard-3.h5")});
    EXPECT_TRUE(contains(message, path("shard-2.h5") + " has different expected values in variants/target/expected/"
                                                       "funding than " + path("shard-1.h5")))
        << message;
    std::filesystem::remove(path("shard-2.h5"));
    write_shard(path("shard-2.h5"), whole_, 7, 1, false);
    message = refused({path("shard-1.h5"), path("shard-2.h5"), path("shard-3.h5")});
    EXPECT_TRUE(contains(message, path("shard-2.h5") + " has no expected-value projection but " + path("shard-1.h5") +
                                      " has one"))
        << message;
}

// ---------------------------------------------------------------------------
// shard_range

TEST(OutputShardRange, CoversEveryReplicateExactlyOnce) {
    const std::int64_t big = std::numeric_limits<std::int64_t>::max() / 3;
    const std::vector<std::pair<std::int64_t, std::int64_t>> cases = {
        {0, 1}, {0, 4}, {1, 1}, {1, 3}, {2, 3}, {5, 7}, {10, 3}, {23, 3}, {1000, 7}, {100000, 64}, {big, 1000}};
    for (const auto& [total, n] : cases) {
        std::int64_t next = 0, smallest = total, largest = 0;
        for (std::int64_t k = 0; k < n; ++k) {
            const ReplicateRange r = shard_range(total, k, n);
            EXPECT_EQ(r.first, next) << total << " over " << n << ", shard " << k;
            EXPECT_GE(r.count, 0);
            next = r.first + r.count;
            smallest = std::min(smallest, r.count);
            largest = std::max(largest, r.count);
        }
        EXPECT_EQ(next, total) << total << " over " << n;
        EXPECT_LE(largest - smallest, 1) << total << " over " << n;  // as even as it gets
    }
    EXPECT_EQ(shard_range(10, 1, 3).first, 3);  // floor(k total / n)
    EXPECT_EQ(shard_range(10, 1, 3).count, 3);
    EXPECT_EQ(shard_range(10, 2, 3).count, 4);
    EXPECT_THROW(shard_range(10, 3, 3), std::invalid_argument);
    EXPECT_THROW(shard_range(10, -1, 3), std::invalid_argument);
    EXPECT_THROW(shard_range(10, 0, 0), std::invalid_argument);
    EXPECT_THROW(shard_range(-1, 0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace ehcpsim
