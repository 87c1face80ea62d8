// The ensemble file: HDF5 laid out for h5py, xarray (h5netcdf) and R with
// named dimensions. Layout in docs/output.md. Knows nothing of the model.
//
// One thread makes every HDF5 call. The writer creates every dataset at its
// full size up front (chunked along replicate) and writes blocks as they come,
// so memory stays flat as the replicate count grows. It writes to a temporary
// file beside the target and renames it into place in finish(); a writer
// destroyed without finish() removes its temporary file, so a target path
// never holds a half-written result.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ehcpsim/results.h"
#include "ehcpsim/scenario.h"

namespace ehcpsim {

// Everything the file records besides the numbers.
struct RunInfo {
    std::string scenario_name;
    std::string mode;  // "monte_carlo" or "deterministic"
    std::uint64_t seed = 0;
    std::int64_t replicates = 0;  // replicates in this file
    // A shard of a larger run holds replicates [first_replicate,
    // first_replicate + replicates) of total_replicates; a whole run has
    // first_replicate 0 and total_replicates == replicates. The replicate
    // coordinate holds the global indices.
    std::int64_t first_replicate = 0;
    std::int64_t total_replicates = 0;  // 0 = same as replicates
    std::string engine_version;
    std::vector<int> years;
    std::vector<std::string> placements;
    std::vector<std::string> needs;
    std::vector<std::string> phases;
    // Per variant: its capacity entries, in processing order. An entry caps
    // a whole placement (phase -1) or one phase of it.
    struct CapacityEntry {
        int placement = -1;
        int phase = -1;       // -1 = every age
        int overflow = -1;
        std::vector<double> places;  // [year], +infinity where there is no limit
    };
    std::vector<std::vector<CapacityEntry>> capacity;
    std::vector<std::vector<int>> specialist;  // per variant: specialist placement indices
    // Whether the [year, placement, phase] metrics are recorded: only when
    // some capacity is per phase (they are large and needed for nothing else).
    bool phase_detail = true;
    std::vector<std::string> variants;
    // Per variant (same order): ambition level ("none", "target", "stretch")
    // and the unmitigated variant it is compared with ("" for none).
    std::vector<std::string> levels;
    std::vector<std::string> compare_to;
    bool common_random_numbers = true;  // false when run with --no-crn
    bool fixed_parameters = false;      // true when run with --fixed-parameters
    // Names of the drawn parameters, per variant (same order as variants).
    std::vector<std::vector<std::string>> parameter_names;
    std::vector<SourceFile> sources;  // scenario TOML and CSVs, stored whole
};

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
    void write(const ResultBlock& block);
    // The deterministic expected-value projection of every variant (a block
    // of one replicate), stored beside the ensemble as
    // /variants/<variant>/expected/<metric>, shaped [year] or [year, extra],
    // so summaries can set each distribution next to the spreadsheet line.
    void write_expected(const ResultBlock& block);
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
    std::vector<double> read_metric(const std::string& variant, const std::string& metric) const;
    // /variants/<variant>/parameters, [replicate][parameter].
    std::vector<double> read_parameters(const std::string& variant) const;
    // Rows [first, first + count) of a metric or of the parameters, counted
    // from the file's first replicate (not the global index): for merging
    // shards block by block with flat memory.
    std::vector<double> read_metric_rows(const std::string& variant, const std::string& metric, std::int64_t first,
                                         std::int64_t count) const;
    std::vector<double> read_parameter_rows(const std::string& variant, std::int64_t first, std::int64_t count) const;
    // The scenario sources stored in the file, path and text (for checks).
    const std::vector<SourceFile>& sources() const { return info().sources; }
    // /variants/<variant>/expected/<metric>, [year][extra]; empty if absent.
    std::vector<double> read_expected(const std::string& variant, const std::string& metric) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ehcpsim
