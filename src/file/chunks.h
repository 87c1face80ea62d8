// Whole chunks of the replicate arrays, compressed off HDF5's one thread.
// The writer's datasets are chunked along replicate, shuffled and deflated
// (layout.h). Compressing a chunk is the costly part of writing it, and
// HDF5 does it on the one thread that makes HDF5 calls; so the writer
// gathers each chunk's rows here (a block may fill a chunk only in part:
// its rows wait until other blocks fill the rest), compresses whole chunks
// on whatever threads the caller gives (the run's workers), and writes the
// compressed bytes with H5Dwrite_chunk. compress_chunk() applies exactly
// the file's filters (shuffle, then deflate at deflate_level), so the file
// reads back the same values through the ordinary filter pipeline.
// Internal to the file stage.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "hdf5.h"

namespace ehcpsim::file {

// The rows of one chunked [replicate, ...] dataset: `rows` replicates a
// chunk, `per_row` values a replicate, `total_rows` replicates in all.
struct ChunkGeometry {
    hsize_t rows = 0;
    std::size_t per_row = 0;
    hsize_t total_rows = 0;
    std::size_t rank = 0;  // of the dataset
    bool chunked() const { return rows > 0 && per_row > 0 && total_rows > 0; }
    // Rows of chunk k inside the dataset (the last may be cut short).
    hsize_t rows_in(hsize_t k) const { return std::min(rows, total_rows - k * rows); }
};

// A whole chunk ready to compress: rows x per_row values (the rows past the
// dataset's end NaN, as HDF5 fills them), either in a buffer of its own or
// in the block it came from.
struct WholeChunk {
    std::size_t dataset = 0;
    hsize_t first_row = 0;
    std::vector<double> owned;       // gathered from several blocks
    const double* values = nullptr;  // owned.data(), or the block's rows
    std::size_t count = 0;
};

// Shuffle (8-byte elements) then zlib at deflate_level: the bytes HDF5's
// filter pipeline would store for these values.
std::vector<unsigned char> compress_chunk(const double* values, std::size_t count);

// Rows waiting for the rest of their chunk. Thread-safe: blocks may be
// added from several threads (a resumed run's replay beside the run).
class ChunkStage {
public:
    explicit ChunkStage(std::vector<ChunkGeometry> datasets) : datasets_(std::move(datasets)) {}
    const ChunkGeometry& geometry(std::size_t dataset) const { return datasets_[dataset]; }
    // Rows [first, first + count) of a dataset (counted from the file's first
    // row), values row-major; appends the chunks they complete to `whole`.
    // Chunks the rows cover entirely point into `values`, which must outlive
    // them. Each row must be added once (the writer checks before).
    void add(std::size_t dataset, hsize_t first, hsize_t count, const double* values, std::vector<WholeChunk>& whole);
    // Rows still waiting (0 once every row has been added).
    std::size_t waiting_chunks() const;

private:
    struct Partial {
        std::vector<double> values;
        hsize_t filled = 0;
    };
    std::vector<ChunkGeometry> datasets_;
    mutable std::mutex mutex_;
    std::map<std::pair<std::size_t, hsize_t>, Partial> partial_;  // (dataset, chunk) -> rows so far
};

}  // namespace ehcpsim::file
