// The ensemble file: HDF5 laid out for h5py, xarray (h5netcdf) and R with
// named dimensions. Layout in docs/output.md. Knows nothing of the model, the
// scenario or the runner: it takes a RunInfo and ResultBlocks (results.h).
// Metrics are named by MetricId; their names appear only inside the file.
//
// One thread makes every HDF5 call; compression happens before, on the
// run's worker threads (prepare()). The writer creates every dataset at its
// full size up front (chunked along replicate) and writes blocks as they come,
// so memory stays flat as the replicate count grows. It writes to a temporary
// file beside the target and renames it into place in finish(); a writer
// destroyed without finish() removes its temporary file, so a target path
// never holds a half-written result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ehcpsim/error.h"
#include "ehcpsim/lever_subsets.h"
#include "ehcpsim/results.h"

namespace ehcpsim {

class ResultWriter {
public:
    // overwrite=false refuses an existing target (RuntimeError).
    ResultWriter(const std::string& path, const RunInfo& info, bool overwrite);
    ~ResultWriter();
    ResultWriter(const ResultWriter&) = delete;
    ResultWriter& operator=(const ResultWriter&) = delete;

    // Blocks may arrive in any order; each replicate exactly once. A block
    // that does not fit the file (sizes, range, a replicate already written)
    // is a caller's bug: std::invalid_argument, and nothing is written.
    // Same as write(prepare(block)).
    void write(const ResultBlock& block);

    // A block made ready for the file off HDF5's thread: the chunks of the
    // replicate arrays it completes, compressed with the file's own filters
    // (shuffle, deflate). Rows of chunks it fills only in part wait inside
    // the writer until other blocks complete them. Plain data.
    struct CompressedChunk {
        std::size_t dataset = 0;       // the writer's own numbering
        std::uint64_t first_row = 0;   // counted from the file's first replicate
        std::vector<unsigned char> bytes;
    };
    struct PreparedBlock {
        std::int64_t first_replicate = 0;
        std::int64_t count = 0;
        std::vector<CompressedChunk> chunks;
    };
    // Runs body(0) .. body(count - 1), on any threads, and returns when all
    // have returned.
    using ParallelFor = std::function<void(std::size_t count, const std::function<void(std::size_t)>& body)>;
    // Checks the block and claims its replicates (std::invalid_argument as
    // write()), then compresses the chunks it completes through `parallel`
    // (by default one after another on this thread). Makes no HDF5 call, so
    // it may run on any thread while write() writes another block; the
    // runner calls it on its worker threads (FileSink). The bytes do not
    // depend on the thread count or on the order blocks come in.
    PreparedBlock prepare(const ResultBlock& block, const ParallelFor& parallel = {});
    // Writes a prepared block's chunks (H5Dwrite_chunk).
    void write(PreparedBlock&& block);
    // The deterministic expected-value projection of every variant (a block
    // of one replicate), stored beside the ensemble as
    // /variants/<variant>/expected/<metric>, shaped [year] or [year, extra],
    // so summaries can set each distribution next to the spreadsheet line.
    void write_expected(const ResultBlock& block);
    // Each lever's worth (`run --lever-worth`), one entry per mitigated
    // variant, every replicate of the file: /variants/<variant>/lever_worth
    // (docs/output.md). Before finish(); at most once.
    void write_lever_subsets(const std::vector<LeverSubsets>& subsets);
    // Flush, close and rename into place. Throws RuntimeError on failure, and
    // std::logic_error if some replicates were never written.
    void finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class ResultReader {
public:
    // Throws RuntimeError naming the file if it is missing, not HDF5, not an
    // ehcpsim file, or incomplete.
    explicit ResultReader(const std::string& path);
    ~ResultReader();
    ResultReader(const ResultReader&) = delete;
    ResultReader& operator=(const ResultReader&) = delete;

    const RunInfo& info() const;
    // The whole dataset /variants/<variant>/<metric>, [replicate][year][extra].
    // Metrics added after a file was written read as NaN; the split by
    // placement and phase, left out unless some capacity is per phase
    // (RunInfo::phase_detail), reads as empty.
    std::vector<double> read_metric(const std::string& variant, MetricId metric) const;
    // /variants/<variant>/parameters, [replicate][parameter].
    std::vector<double> read_parameters(const std::string& variant) const;
    // Rows [first, first + count) of a metric or of the parameters, counted
    // from the file's first replicate (not the global index): for merging
    // shards block by block with flat memory.
    std::vector<double> read_metric_rows(const std::string& variant, MetricId metric, std::int64_t first,
                                         std::int64_t count) const;
    std::vector<double> read_parameter_rows(const std::string& variant, std::int64_t first, std::int64_t count) const;
    // Every replicate of some columns of a metric: years [first_year,
    // first_year + years) and, along its first dimension after year (if it
    // has one), categories [first_category, first_category + categories),
    // with all of any further dimension; [replicate][year][category][...].
    // A hyperslab: the summary streams a metric through this a few columns
    // at a time, so its memory does not grow with the whole metric.
    // Absent metrics read as NaN (as read_metric); empty if the file leaves
    // the metric out.
    std::vector<double> read_metric_columns(const std::string& variant, MetricId metric, std::size_t first_year,
                                            std::size_t years, std::size_t first_category,
                                            std::size_t categories) const;
    // The scenario sources stored in the file, path and text (for checks).
    const std::vector<SourceText>& sources() const { return info().sources; }
    // /variants/<variant>/expected/<metric>, [year][extra]; empty if absent.
    std::vector<double> read_expected(const std::string& variant, MetricId metric) const;
    // Each lever's worth of every variant that has it (a run with
    // --lever-worth), in the file's variant order; empty when the run had none.
    std::vector<LeverSubsets> read_lever_subsets() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ehcpsim
