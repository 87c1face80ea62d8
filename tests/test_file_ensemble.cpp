// The ensemble file: round trips, refusals, clean-up and reproducible bytes.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class OutputFile : public ScratchDir {};

// Bitwise equality, NaN included.
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_synthetic(const ResultReader& reader, const RunInfo& info) {
    const Shape shape = shape_of(info);
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        for (int m = 0; m < metric_count; ++m) {
            const auto& metric = metric_catalogue()[static_cast<std::size_t>(m)];
            const auto values = reader.read_metric(info.variants[v], MetricId(m));
            const std::size_t per_replicate = shape.values_per_replicate(m);
            const std::size_t extra = per_replicate / info.years.size();
            ASSERT_EQ(values.size(), static_cast<std::size_t>(info.replicates) * per_replicate) << metric.name;
            std::size_t mismatches = 0;
            for (std::int64_t r = 0; r < info.replicates; ++r) {
                for (std::size_t y = 0; y < info.years.size(); ++y) {
                    for (std::size_t e = 0; e < extra; ++e) {
                        const double got = values[static_cast<std::size_t>(r) * per_replicate + y * extra + e];
                        mismatches += !same_bits(got, synthetic_value(v, m, r, y, e));
                    }
                }
            }
            EXPECT_EQ(mismatches, 0u) << info.variants[v] << "/" << metric.name;
        }
        const auto parameters = reader.read_parameters(info.variants[v]);
        const std::size_t n = info.parameter_names[v].size();
        ASSERT_EQ(parameters.size(), static_cast<std::size_t>(info.replicates) * n);
        for (std::int64_t r = 0; r < info.replicates; ++r) {
            for (std::size_t p = 0; p < n; ++p) {
                EXPECT_EQ(parameters[static_cast<std::size_t>(r) * n + p], synthetic_parameter(v, r, p));
            }
        }
    }
}

TEST_F(OutputFile, BlocksOutOfOrderReadBackIdentical) {
    const RunInfo info = small_info(10);
    const std::string file = path("run.h5");
    write_synthetic(file, info, {{6, 4}, {0, 3}, {3, 3}});
    EXPECT_EQ(listing(), std::vector<std::string>{"run.h5"});  // no temporary left
    const ResultReader reader(file);
    expect_synthetic(reader, info);
}

TEST_F(OutputFile, ManyChunksAndBlocksSmallerThanAChunk) {
    // 5000 replicates: more than one chunk for the scalar metrics (4096 a
    // chunk), blocks of 700 that straddle chunk boundaries, written backwards.
    const RunInfo info = small_info(5000);
    std::vector<std::pair<std::int64_t, std::int64_t>> blocks;
    for (std::int64_t first = 0; first < info.replicates; first += 700) {
        blocks.emplace_back(first, std::min<std::int64_t>(700, info.replicates - first));
    }
    std::reverse(blocks.begin(), blocks.end());
    write_synthetic(path("big.h5"), info, blocks);
    expect_synthetic(ResultReader(path("big.h5")), info);
}

TEST_F(OutputFile, RunInfoRoundTrips) {
    const RunInfo info = small_info(10);
    write_synthetic(path("run.h5"), info, {{0, 10}});
    const ResultReader reader(path("run.h5"));
    // What the writer fills in where the caller left a field empty: no
    // capacity entry and no specialist placement, every variant unmitigated;
    // a whole run is its own total.
    RunInfo want = info;
    want.capacity.assign(2, {});
    want.specialist.assign(2, {});
    want.adjustments.assign(2, {});
    want.levels.assign(2, "none");
    want.compare_to.assign(2, "");
    want.total_replicates = info.replicates;
    expect_same_info(reader.info(), want);
}

// The named funding adjustments (only where a variant has some) and the plan
// detail (the stock by placement, age and need, with its root 'age') come
// back as written.
TEST_F(OutputFile, AdjustmentsAndPlanDetailRoundTrip) {
    RunInfo info = small_info(4);
    info.plan_detail = true;
    info.ages = {4, 5, 6};
    info.adjustments = {{}, {{"sv", "funding", 2025, 1.5e6}, {"wo", "write_off", 2026, std::nan("")}}};
    write_synthetic(path("run.h5"), info, {{0, 4}});
    const ResultReader reader(path("run.h5"));
    RunInfo want = info;
    want.capacity.assign(2, {});
    want.specialist.assign(2, {});
    want.levels.assign(2, "none");
    want.compare_to.assign(2, "");
    want.total_replicates = info.replicates;
    expect_same_info(reader.info(), want);
    const std::vector<double> detail = reader.read_metric("target", m_stock_by_placement_age_need);
    EXPECT_EQ(detail, synthetic_block(info, 0, 4).variants[1].metrics[m_stock_by_placement_age_need]);
}

TEST_F(OutputFile, EmptySourcesAndNoParametersAnywhere) {
    RunInfo info = small_info(3);
    info.sources.clear();
    info.parameter_names = {{}, {}};
    write_synthetic(path("run.h5"), info, {{0, 3}});
    const ResultReader reader(path("run.h5"));
    EXPECT_TRUE(reader.info().sources.empty());
    EXPECT_EQ(reader.info().parameter_names, info.parameter_names);
    EXPECT_TRUE(reader.read_parameters("baseline").empty());
    expect_synthetic(reader, info);
}

TEST_F(OutputFile, RefusesToOverwriteBeforeDoingAnything) {
    const std::string file = path("run.h5");
    write_text(file, "precious");
    try {
        ResultWriter writer(file, small_info(), false);
        FAIL() << "expected a RuntimeError";
    } catch (const RuntimeError& error) {
        EXPECT_NE(std::string(error.what()).find(file), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("already exists"), std::string::npos) << error.what();
    }
    EXPECT_EQ(read_file(file), "precious");
    EXPECT_EQ(listing(), std::vector<std::string>{"run.h5"});
}

TEST_F(OutputFile, OverwriteReplacesTheTargetOnlyAtFinish) {
    const std::string file = path("run.h5");
    write_text(file, "old");
    const RunInfo info = small_info(4);
    {
        ResultWriter writer(file, info, true);
        writer.write(synthetic_block(info, 0, 4));
        EXPECT_EQ(read_file(file), "old");  // still there until finish()
        writer.finish();
    }
    expect_synthetic(ResultReader(file), info);
}

TEST_F(OutputFile, UnfinishedWriterLeavesNoTargetAndNoTemporary) {
    const RunInfo info = small_info(10);
    {
        ResultWriter writer(path("run.h5"), info, false);
        writer.write(synthetic_block(info, 0, 5));
        auto names = listing();
        std::sort(names.begin(), names.end());
        ASSERT_EQ(names.size(), 2u);
        EXPECT_EQ(names[0], "run.h5.lock");  // held while the writer writes
        EXPECT_EQ(names[1], "run.h5.tmp-" + std::to_string(::getpid()));  // beside the target
    }
    EXPECT_TRUE(listing().empty());
}

// Two writers of one target cannot both go on, whether or not either would
// replace it: the second is refused before it writes anything.
TEST_F(OutputFile, OneWriterOfATargetAtATime) {
    namespace fs = std::filesystem;
    const RunInfo info = small_info(10);
    const std::string file = path("run.h5");
    {
        ResultWriter first(file, info, false);
        for (bool overwrite : {false, true}) {
            try {
                ResultWriter second(file, info, overwrite);
                ADD_FAILURE() << "a second writer of the same target was let in";
            } catch (const RuntimeError& e) {
                EXPECT_NE(std::string(e.what()).find("another ehcpsim run is writing"), std::string::npos) << e.what();
            }
        }
        first.write(synthetic_block(info, 0, 10));
        first.finish();
    }
    expect_synthetic(ResultReader(file), info);
    EXPECT_EQ(listing(), std::vector<std::string>{"run.h5"});  // the lock file goes with the writer
    // A lock file left behind by a run that was killed holds no lock.
    std::ofstream(path("other.h5.lock")) << "";
    ResultWriter next(path("other.h5"), info, false);
    next.write(synthetic_block(info, 0, 10));
    EXPECT_NO_THROW(next.finish());
}

// The temporary files of writers of this target that were killed are
// removed once the lock shows that no writer of it is alive.
TEST_F(OutputFile, StaleTemporariesOfTheTargetAreRemoved) {
    namespace fs = std::filesystem;
    const RunInfo info = small_info(10);
    std::ofstream(path("run.h5.tmp-4194303")) << "left by a killed run";
    std::ofstream(path("run.h5.tmp-notes")) << "not ours";
    std::ofstream(path("other.h5.tmp-4194303")) << "another target's";
    ResultWriter writer(path("run.h5"), info, false);
    EXPECT_FALSE(fs::exists(path("run.h5.tmp-4194303")));
    EXPECT_TRUE(fs::exists(path("run.h5.tmp-notes")));
    EXPECT_TRUE(fs::exists(path("other.h5.tmp-4194303")));
}

TEST_F(OutputFile, FinishBeforeEveryReplicateIsWrittenIsRefused) {
    const RunInfo info = small_info(10);
    {
        ResultWriter writer(path("run.h5"), info, false);
        writer.write(synthetic_block(info, 0, 5));
        EXPECT_THROW(writer.finish(), std::logic_error);
    }
    EXPECT_TRUE(listing().empty());
}

TEST_F(OutputFile, BlocksMustFitAndNotOverlap) {
    const RunInfo info = small_info(10);
    ResultWriter writer(path("run.h5"), info, false);
    writer.write(synthetic_block(info, 2, 4));
    EXPECT_THROW(writer.write(synthetic_block(info, 5, 2)), std::invalid_argument);  // overlaps [2, 6)
    EXPECT_THROW(writer.write(synthetic_block(info, 0, 3)), std::invalid_argument);  // overlaps [2, 6)
    EXPECT_THROW(writer.write(synthetic_block(info, 8, 3)), std::invalid_argument);  // past the end
    ResultBlock short_block = synthetic_block(info, 6, 2);
    short_block.variants[1].metrics[m_spend].pop_back();
    EXPECT_THROW(writer.write(short_block), std::invalid_argument);
    ResultBlock one_variant = synthetic_block(info, 6, 2);
    one_variant.variants.pop_back();
    EXPECT_THROW(writer.write(one_variant), std::invalid_argument);
    // The refused blocks were not counted: the rest still completes the file.
    writer.write(synthetic_block(info, 0, 2));
    writer.write(synthetic_block(info, 6, 4));
    writer.finish();
    expect_synthetic(ResultReader(path("run.h5")), info);
}

TEST_F(OutputFile, MissingDirectoryIsAClearError) {
    try {
        ResultWriter writer(path("no/such/dir/run.h5"), small_info(), false);
        FAIL() << "expected a RuntimeError";
    } catch (const RuntimeError& error) {
        EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos) << error.what();
    }
}

void expect_reader_error(const std::string& file, const std::string& fragment) {
    try {
        ResultReader reader(file);
        FAIL() << "expected a RuntimeError for " << file;
    } catch (const RuntimeError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find(file), std::string::npos) << message;
        EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
}

// Found by the results-file fuzzer (fuzz/fuzz_results.cpp): a 'year' of
// INT_MIN overflowed in the summaries' financial-year labels. The reader
// refuses years that are not consecutive calendar years.
TEST_F(OutputFile, YearsThatAreNotConsecutiveCalendarYearsAreRefused) {
    const RunInfo info = small_info(4);
    for (const std::vector<int>& years : {std::vector<int>{std::numeric_limits<int>::min(), 2024, 2025, 2026},
                                          std::vector<int>{2023, 2024, 2026, 2027},
                                          std::vector<int>{2023, 2023, 2024, 2025}}) {
        const std::string file = path("years.h5");
        write_synthetic(file, info, {{0, 4}}, true);
        const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(id, 0);
        const hid_t dataset = H5Dopen2(id, "year", H5P_DEFAULT);
        ASSERT_GE(H5Dwrite(dataset, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, years.data()), 0);
        H5Dclose(dataset);
        H5Fclose(id);
        expect_reader_error(file, "damaged: 'year' does not hold consecutive calendar years");
    }
}

// An HDF5 file with the given root attributes (none, or a format and a
// complete flag) and nothing else.
void write_plain_hdf5(const std::string& file, const char* format, int complete) {
    const hid_t id = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(id, 0);
    if (format != nullptr) {
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t attr = H5Acreate2(id, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(attr, type, &format);
        H5Aclose(attr);
        const hid_t flag = H5Acreate2(id, "complete", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(flag, H5T_NATIVE_INT, &complete);
        H5Aclose(flag);
        H5Sclose(space);
        H5Tclose(type);
    }
    H5Fclose(id);
}

TEST_F(OutputFile, ForeignAndDamagedFilesAreRefusedClearly) {
    expect_reader_error(path("missing.h5"), "no such file");

    write_text(path("text.h5"), "year,value\n2023,1\n");
    expect_reader_error(path("text.h5"), "not an ehcpsim ensemble file");

    write_plain_hdf5(path("plain.h5"), nullptr, 0);
    expect_reader_error(path("plain.h5"), "not an ehcpsim ensemble file");

    write_plain_hdf5(path("other.h5"), "someone-elses-format", 1);
    expect_reader_error(path("other.h5"), "not an ehcpsim ensemble file");

    write_plain_hdf5(path("incomplete.h5"), "ehcpsim-ensemble", 0);
    expect_reader_error(path("incomplete.h5"), "incomplete (interrupted run?)");

    // A finished file cut short, as a failed copy would leave it.
    const RunInfo info = small_info(10);
    write_synthetic(path("cut.h5"), info, {{0, 10}});
    const std::string bytes = read_file(path("cut.h5"));
    write_text(path("cut.h5"), bytes.substr(0, bytes.size() / 2));
    expect_reader_error(path("cut.h5"), "truncated");

    expect_reader_error(dir_.string(), "directory");
}

TEST_F(OutputFile, UnknownVariantOrMetricIsAClearError) {
    const RunInfo info = small_info(2);
    write_synthetic(path("run.h5"), info, {{0, 2}});
    const ResultReader reader(path("run.h5"));
    EXPECT_THROW(reader.read_metric("nope", m_spend), RuntimeError);
    EXPECT_THROW(reader.read_metric("baseline", MetricId(metric_count)), std::invalid_argument);
    EXPECT_THROW(reader.read_parameters("nope"), RuntimeError);
}

TEST_F(OutputFile, SameResultsGiveTheSameBytes) {
    const RunInfo info = small_info(300);
    const std::vector<std::pair<std::int64_t, std::int64_t>> blocks = {{0, 128}, {128, 128}, {256, 44}};
    write_synthetic(path("a.h5"), info, blocks);
    write_synthetic(path("b.h5"), info, blocks);
    const std::string a = read_file(path("a.h5"));
    const std::string b = read_file(path("b.h5"));
    ASSERT_GT(a.size(), 1000u);
    EXPECT_TRUE(a == b) << "files differ although their contents are the same";
}

// Two runs within the same second would agree even with timestamps on, so
// the test above alone cannot catch them: look for them directly.
TEST_F(OutputFile, NoObjectCarriesATimestamp) {
    const RunInfo info = small_info(5);
    write_synthetic(path("run.h5"), info, {{0, 5}});
    const hid_t file = H5Fopen(path("run.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    struct Visit {
        int objects = 0;
        std::vector<std::string> timed;
    } visit;
    const auto check = [](hid_t, const char* name, const H5O_info_t* object, void* data) -> herr_t {
        auto* v = static_cast<Visit*>(data);
        ++v->objects;
        if (object->ctime != 0 || object->mtime != 0 || object->atime != 0 || object->btime != 0) {
            v->timed.emplace_back(name);
        }
        return 0;
    };
    ASSERT_GE(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, check, &visit, H5O_INFO_TIME), 0);
    H5Fclose(file);
    // root, 6 coordinates, scenario + 3 files, variants + 2 groups, 2 x (metrics + capacity_entry +
    // capacity_places), parameter + parameters; stock_by_placement_age_need only with plan detail
    EXPECT_EQ(visit.objects, 1 + 6 + 4 + 3 + 2 * (metric_count - 1 + 2) + 2);
    EXPECT_TRUE(visit.timed.empty()) << visit.timed.front();
}

TEST_F(OutputFile, DifferentResultsGiveDifferentBytes) {
    // Guards the test above against comparing two empty or constant files.
    const RunInfo info = small_info(10);
    write_synthetic(path("a.h5"), info, {{0, 10}});
    RunInfo other = info;
    other.seed += 1;
    write_synthetic(path("b.h5"), other, {{0, 10}});
    EXPECT_NE(read_file(path("a.h5")), read_file(path("b.h5")));
}

}  // namespace
}  // namespace ehcpsim
