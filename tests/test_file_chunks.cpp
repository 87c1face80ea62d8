// Chunks compressed off HDF5's thread (src/file/chunks.h, ResultWriter::
// prepare): the bytes are exactly what HDF5's own filters store, and a file
// written through prepare() on several threads, blocks out of order and
// straddling chunks, reads back the values written, the same as write().
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <future>
#include <limits>
#include <thread>

#include "../src/file/chunks.h"
#include "../src/file/layout.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class OutputChunks : public ScratchDir {};

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// One chunk of [rows, 3] doubles written by HDF5 through its shuffle and
// deflate filters (as the writer's layout sets them), then read back raw
// with H5Dread_chunk: compress_chunk() must give the same bytes, and HDF5
// must read compress_chunk()'s bytes back as the values.
TEST_F(OutputChunks, CompressedChunksAreTheBytesHdf5Stores) {
    const hsize_t rows = 37;  // odd sizes: the shuffle's transposition shows
    std::vector<double> values(rows * 3);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = i % 7 == 0 ? 0.0 : 1000.0 + 0.25 * static_cast<double>(i * i);
    values[5] = std::numeric_limits<double>::quiet_NaN();
    const std::string file = path("chunk.h5");
    const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const hsize_t dims[2] = {2 * rows, 3}, chunk[2] = {rows, 3};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(H5Pset_chunk(dcpl, 2, chunk), 0);
    ASSERT_GE(H5Pset_shuffle(dcpl), 0);
    ASSERT_GE(H5Pset_deflate(dcpl, file::deflate_level), 0);
    const hid_t d = H5Dcreate2(f, "x", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(d, 0);
    // Chunk 0 by HDF5's pipeline, chunk 1 pre-compressed.
    const hsize_t start[2] = {0, 0};
    const hid_t memory = H5Screate_simple(2, chunk, nullptr);
    ASSERT_GE(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, chunk, nullptr), 0);
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, values.data()), 0);
    const std::vector<unsigned char> ours = file::compress_chunk(values.data(), values.size());
    const hsize_t second[2] = {rows, 0};
    ASSERT_GE(H5Dwrite_chunk(d, H5P_DEFAULT, 0, second, ours.size(), ours.data()), 0);
    ASSERT_GE(H5Fflush(f, H5F_SCOPE_LOCAL), 0);

    hsize_t stored = 0;
    ASSERT_GE(H5Dget_chunk_storage_size(d, start, &stored), 0);
    std::vector<unsigned char> theirs(stored);
    std::uint32_t mask = 1;
    ASSERT_GE(H5Dread_chunk(d, H5P_DEFAULT, start, &mask, theirs.data()), 0);
    EXPECT_EQ(mask, 0u);  // both filters applied
    EXPECT_EQ(ours, theirs);

    std::vector<double> back(2 * rows * 3);
    ASSERT_GE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()), 0);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < back.size(); ++i) mismatches += !same_bits(back[i], values[i % values.size()]);
    EXPECT_EQ(mismatches, 0u);
    H5Sclose(memory);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
}

// Runs the bodies on four threads, last index first.
void on_threads(std::size_t count, const std::function<void(std::size_t)>& body) {
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = count; i-- > 0;) {
                if (i % 4 == t) body(i);
            }
        });
    }
    for (auto& thread : threads) thread.join();
}

// Every value of a metric, read back through the ordinary filter pipeline.
std::vector<std::vector<double>> all_values(const std::string& file, const RunInfo& info) {
    const ResultReader reader(file);
    std::vector<std::vector<double>> out;
    for (const auto& variant : info.variants) {
        for (int m = 0; m < metric_count; ++m) out.push_back(reader.read_metric(variant, MetricId(m)));
        out.push_back(reader.read_parameters(variant));
    }
    return out;
}

// 5000 replicates (two chunks of the scalar metrics, an edge chunk cut
// short), blocks of 700 straddling chunk boundaries, prepared on four
// threads out of order while the previous block is being written: the
// file reads back what write() alone gives, and the synthetic values.
TEST_F(OutputChunks, PreparedOnThreadsReadsBackAsWritten) {
    RunInfo info = small_info(5000);
    std::vector<std::pair<std::int64_t, std::int64_t>> blocks;
    for (std::int64_t first = 0; first < info.replicates; first += 700)
        blocks.emplace_back(first, std::min<std::int64_t>(700, info.replicates - first));
    std::rotate(blocks.begin(), blocks.begin() + 3, blocks.end());
    write_synthetic(path("plain.h5"), info, blocks);
    {
        ResultWriter writer(path("prepared.h5"), info, false);
        std::future<void> writing;
        ResultBlock writing_block;
        for (const auto& [first, count] : blocks) {
            ResultBlock block = synthetic_block(info, first, count);
            ResultWriter::PreparedBlock prepared = writer.prepare(block, on_threads);
            if (writing.valid()) writing.get();
            writing = std::async(std::launch::async, [&writer, p = std::move(prepared)]() mutable {
                writer.write(std::move(p));
            });
        }
        writing.get();
        writer.finish();
    }
    const auto plain = all_values(path("plain.h5"), info);
    const auto prepared = all_values(path("prepared.h5"), info);
    ASSERT_EQ(plain.size(), prepared.size());
    for (std::size_t i = 0; i < plain.size(); ++i) {
        ASSERT_EQ(plain[i].size(), prepared[i].size()) << i;
        std::size_t mismatches = 0;
        for (std::size_t k = 0; k < plain[i].size(); ++k) mismatches += !same_bits(plain[i][k], prepared[i][k]);
        EXPECT_EQ(mismatches, 0u) << "dataset " << i;
    }
    const auto metric = ResultReader(path("prepared.h5")).read_metric("baseline", m_total_stock);
    EXPECT_EQ(metric[4999 * info.years.size() + 2], synthetic_value(0, m_total_stock, 4999, 2, 0));
}

// A block prepared but whose chunks were never written leaves the file
// unfinished: finish() refuses, as for replicates never written.
TEST_F(OutputChunks, RowsWaitingForTheirChunkAreNotLost) {
    const RunInfo info = small_info(10);
    ResultWriter writer(path("run.h5"), info, false);
    writer.write(synthetic_block(info, 0, 4));
    EXPECT_THROW(writer.finish(), std::logic_error);  // 6 replicates missing
}

// The reader's columns: a box of years and categories of every replicate.
TEST_F(OutputChunks, ColumnsAreTheMetricsSlices) {
    RunInfo info = small_info(30);
    info.phase_detail = true;
    write_synthetic(path("run.h5"), info, {{0, 30}});
    const ResultReader reader(path("run.h5"));
    const std::size_t years = info.years.size(), placements = info.placements.size(), phases = info.phases.size();
    const auto whole = reader.read_metric("target", m_demand_by_placement_phase);
    const auto box = reader.read_metric_columns("target", m_demand_by_placement_phase, 1, 2, 1, 2);
    ASSERT_EQ(box.size(), 30u * 2 * 2 * phases);
    std::size_t i = 0, mismatches = 0;
    for (std::size_t r = 0; r < 30; ++r)
        for (std::size_t y = 1; y < 3; ++y)
            for (std::size_t p = 1; p < 3; ++p)
                for (std::size_t k = 0; k < phases; ++k)
                    mismatches += !same_bits(box[i++], whole[((r * years + y) * placements + p) * phases + k]);
    EXPECT_EQ(mismatches, 0u);
    const auto year = reader.read_metric_columns("baseline", m_total_stock, 3, 1, 0, 0);
    ASSERT_EQ(year.size(), 30u);
    EXPECT_EQ(year[7], synthetic_value(0, m_total_stock, 7, 3, 0));
}

}  // namespace
}  // namespace ehcpsim
