// Whole chunks gathered and compressed off HDF5's thread (chunks.h).
#include "chunks.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "layout.h"

namespace ehcpsim::file {

std::vector<unsigned char> compress_chunk(const double* values, std::size_t count) {
    constexpr std::size_t size = sizeof(double);
    const std::size_t bytes = count * size;
    const auto* in = reinterpret_cast<const unsigned char*>(values);
    // HDF5's shuffle filter: byte j of element i goes to j * count + i
    // (nothing moves for a single element).
    std::vector<unsigned char> shuffled(bytes);
    if (count > 1) {
        for (std::size_t i = 0; i < count; ++i) {
            for (std::size_t j = 0; j < size; ++j) shuffled[j * count + i] = in[i * size + j];
        }
    } else {
        std::memcpy(shuffled.data(), in, bytes);
    }
    // HDF5's deflate filter: compress2 at the dataset's level.
    uLongf out_bytes = compressBound(static_cast<uLong>(bytes));
    std::vector<unsigned char> out(out_bytes);
    if (compress2(out.data(), &out_bytes, shuffled.data(), static_cast<uLong>(bytes), static_cast<int>(deflate_level)) !=
        Z_OK) {
        throw std::bad_alloc();  // the only failure with a compressBound() buffer
    }
    out.resize(out_bytes);
    return out;
}

void ChunkStage::add(std::size_t dataset, hsize_t first, hsize_t count, const double* values,
                     std::vector<WholeChunk>& whole) {
    const ChunkGeometry& g = datasets_[dataset];
    if (!g.chunked() || count == 0) return;
    const hsize_t end = first + count;
    for (hsize_t k = first / g.rows; k * g.rows < end; ++k) {
        const hsize_t chunk_first = k * g.rows;
        const hsize_t chunk_rows = g.rows_in(k);
        const hsize_t from = std::max(first, chunk_first);
        const hsize_t to = std::min(end, chunk_first + chunk_rows);
        const double* rows = values + (from - first) * g.per_row;
        const std::size_t chunk_values = static_cast<std::size_t>(g.rows) * g.per_row;
        if (from == chunk_first && to == chunk_first + chunk_rows && chunk_rows == g.rows) {
            whole.push_back(WholeChunk{dataset, chunk_first, {}, rows, chunk_values});  // straight from the block
            continue;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        Partial& partial = partial_[{dataset, k}];
        if (partial.values.empty()) partial.values.assign(chunk_values, std::numeric_limits<double>::quiet_NaN());
        std::copy(rows, rows + (to - from) * g.per_row, partial.values.begin() + (from - chunk_first) * g.per_row);
        partial.filled += to - from;
        if (partial.filled == chunk_rows) {
            WholeChunk chunk{dataset, chunk_first, std::move(partial.values), nullptr, chunk_values};
            chunk.values = chunk.owned.data();
            whole.push_back(std::move(chunk));
            partial_.erase({dataset, k});
        }
    }
}

std::size_t ChunkStage::waiting_chunks() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return partial_.size();
}

}  // namespace ehcpsim::file
