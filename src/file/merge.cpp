// Merging shards into one ensemble file. Checks everything first (the shards
// come from one run and cover it exactly once), then copies rows shard by
// shard, a block at a time, through ResultReader and ResultWriter: the merged
// file is laid out by the same writer as a single run's. docs/cluster.md.
#include "ehcpsim/merge.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <utility>

#include "ehcpsim/error.h"
#include "ehcpsim/output.h"
#include "ehcpsim/results.h"

namespace ehcpsim {
namespace {

// A block of at most this many replicates, and at most about this many bytes.
constexpr std::int64_t max_block_replicates = 4096;
constexpr std::size_t max_block_bytes = std::size_t{64} << 20;

struct Shard {
    std::string path;
    std::size_t given = 0;  // position on the command line
    std::int64_t first = 0;
    std::int64_t count = 0;
    std::int64_t end() const { return first + count; }
};

std::string range(std::int64_t a, std::int64_t b) {
    std::string out = "[";  // (appended, not "[" + ...: GCC 12 warns falsely, -Wrestrict)
    out += std::to_string(a);
    out += ", ";
    out += std::to_string(b);
    out += ')';
    return out;
}

// One shard's RunInfo against the reference shard's (the first given), by
// first_difference(). The message names both files: "b.h5 has seed 8 but
// a.h5 has seed 7".
void check_same_run(const RunInfo& ref, const std::string& ref_path, const RunInfo& info, const std::string& path) {
    const auto d = first_difference(ref, info, RunMatch::same_run);
    if (!d) return;
    const std::string tail = "; they are not shards of the same run";
    if (!d->note.empty())
        throw RuntimeError(path + " has a different " + d->what + " than " + ref_path + " (" + d->note + ")" + tail);
    throw RuntimeError(path + " has " + d->what + " " + d->second + " but " + ref_path + " has " + d->what + " " +
                       d->first + tail);
}

// [variant][metric]: the expected-value projection, all empty if the file has none.
std::vector<std::vector<std::vector<double>>> read_all_expected(const ResultReader& reader) {
    const RunInfo& info = reader.info();
    std::vector<std::vector<std::vector<double>>> out(info.variants.size());
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        for (int m = 0; m < metric_count; ++m) out[v].push_back(reader.read_expected(info.variants[v], MetricId(m)));
    }
    return out;
}

bool any_values(const std::vector<std::vector<std::vector<double>>>& expected) {
    for (const auto& variant : expected) {
        for (const auto& values : variant) {
            if (!values.empty()) return true;
        }
    }
    return false;
}

void check_expected(const std::vector<std::vector<std::vector<double>>>& ref, const std::string& ref_path,
                    const std::vector<std::vector<std::vector<double>>>& got, const std::string& path,
                    const RunInfo& info) {
    const bool ref_has = any_values(ref), has = any_values(got);
    if (ref_has != has) {
        throw RuntimeError(path + (has ? " has" : " has no") + " expected-value projection but " + ref_path +
                           (ref_has ? " has one" : " has none") + "; they are not shards of the same run");
    }
    const auto& catalogue = metric_catalogue();
    for (std::size_t v = 0; v < ref.size(); ++v) {
        for (std::size_t m = 0; m < catalogue.size(); ++m) {
            if (!same_bits(ref[v][m], got[v][m])) {
                throw RuntimeError(path + " has different expected values in variants/" + info.variants[v] +
                                   "/expected/" + catalogue[m].name + " than " + ref_path +
                                   "; they are not shards of the same run");
            }
        }
    }
}

// Every replicate exactly once: all gaps and overlaps in one message.
void check_coverage(std::vector<Shard>& shards, std::int64_t total) {
    std::stable_sort(shards.begin(), shards.end(),
                     [](const Shard& a, const Shard& b) { return a.first < b.first; });
    std::vector<std::string> problems;
    std::int64_t covered = 0;         // [0, covered) is held by the shards so far
    const Shard* last = nullptr;      // the shard that reaches furthest so far
    for (const Shard& shard : shards) {
        if (shard.count == 0) continue;  // holds nothing (more shards than replicates)
        if (shard.first > covered) {
            problems.push_back("replicates " + range(covered, shard.first) + " are missing (" +
                               (last != nullptr ? "between " + last->path + " and " + shard.path
                                                : "before " + shard.path) +
                               ")");
        } else if (shard.first < covered) {
            problems.push_back("replicates " + range(shard.first, std::min(covered, shard.end())) + " are in both " +
                               last->path + " and " + shard.path);
        }
        if (shard.end() > covered) {
            covered = shard.end();
            last = &shard;
        }
    }
    if (covered < total) {
        problems.push_back("replicates " + range(covered, total) + " are missing" +
                           (last != nullptr ? " (after " + last->path + ")" : " (no shard holds any)"));
    }
    if (problems.empty()) return;
    std::string message = "cannot merge: ";
    for (std::size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    throw RuntimeError(message + " (a run of " + std::to_string(total) + " replicates)");
}

// A file given twice is an overlap of itself (also when it holds nothing).
void check_distinct(const std::vector<Shard>& shards) {
    std::map<std::string, const Shard*> seen;
    for (const Shard& shard : shards) {
        std::error_code error;
        auto canonical = std::filesystem::canonical(shard.path, error).string();
        if (error) canonical = shard.path;
        const auto [it, fresh] = seen.emplace(canonical, &shard);
        if (!fresh) {
            throw RuntimeError("cannot merge: replicates " + range(shard.first, shard.end()) + " are in both " +
                               it->second->path + " and " + shard.path + " (the same file given twice)");
        }
    }
}

bool same_file(const std::string& a, const std::string& b) {
    std::error_code error;
    return std::filesystem::equivalent(a, b, error) && !error;
}

}  // namespace

ReplicateRange shard_range(std::int64_t total, std::int64_t k, std::int64_t n) {
    if (total < 0 || n < 1 || k < 0 || k >= n) {
        throw std::invalid_argument("shard_range: shard " + std::to_string(k) + " of " + std::to_string(n) +
                                    " over " + std::to_string(total) + " replicates");
    }
    // floor(k * total / n) without overflowing: total = q n + r, so
    // k total / n = k q + k r / n with k r < n^2.
    const std::int64_t q = total / n, r = total % n;
    const auto start = [&](std::int64_t j) { return j * q + (j * r) / n; };
    const std::int64_t first = start(k);
    return ReplicateRange{first, start(k + 1) - first};
}

MergeReport merge_shards(const std::vector<std::string>& paths, const std::string& output, bool overwrite) {
    if (paths.empty()) throw RuntimeError("cannot merge: no shard files given");
    std::error_code error;
    if (!overwrite && std::filesystem::exists(output, error)) {
        throw RuntimeError(output + ": already exists; refusing to overwrite it");
    }
    for (const auto& path : paths) {
        if (same_file(path, output)) throw RuntimeError(output + ": is also one of the shards; merge to another file");
    }

    // Pass 1: every shard against the first given. One file open at a time,
    // and only the first's scenario sources kept, so memory does not grow
    // with the number of shards.
    std::vector<Shard> shards;
    RunInfo ref;
    std::vector<std::vector<std::vector<double>>> ref_expected;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const ResultReader reader(paths[i]);
        const RunInfo& info = reader.info();
        auto expected = read_all_expected(reader);
        if (i == 0) {
            ref = info;
            ref_expected = std::move(expected);
        } else {
            check_same_run(ref, paths[0], info, paths[i]);
            check_expected(ref_expected, paths[0], expected, paths[i], ref);
        }
        shards.push_back(Shard{paths[i], i, info.first_replicate, info.replicates});
    }
    check_distinct(shards);
    const std::int64_t total = ref.total_replicates;
    check_coverage(shards, total);

    // Pass 2: write the whole run in replicate order.
    RunInfo whole = ref;
    whole.first_replicate = 0;
    whole.replicates = total;
    whole.total_replicates = total;
    const Shape shape = whole.shape();
    const std::vector<std::size_t> parameters = whole.parameters_per_variant();
    std::size_t bytes_per_replicate = 0;
    for (std::size_t v = 0; v < whole.variants.size(); ++v) {
        bytes_per_replicate += parameters[v];
        for (int m = 0; m < metric_count; ++m) bytes_per_replicate += shape.values_per_replicate(m);
    }
    bytes_per_replicate *= sizeof(double);
    const std::int64_t block_replicates = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(max_block_bytes / std::max<std::size_t>(1, bytes_per_replicate)), 1,
        max_block_replicates);

    ResultWriter writer(output, whole, overwrite);  // removes its temporary file if anything below throws
    // Expected values first, as the runner writes them.
    if (any_values(ref_expected)) {
        ResultBlock expected;
        expected.allocate(shape, 0, 1, parameters);
        for (std::size_t v = 0; v < whole.variants.size(); ++v) {
            for (std::size_t m = 0; m < ref_expected[v].size(); ++m) {
                // A metric newer than the file reads as absent: it stays NaN.
                if (!ref_expected[v][m].empty()) expected.variants[v].metrics[m] = std::move(ref_expected[v][m]);
            }
        }
        writer.write_expected(expected);
    }
    ResultBlock block;
    for (const Shard& shard : shards) {
        if (shard.count == 0) continue;
        const ResultReader reader(shard.path);
        const RunInfo& info = reader.info();
        if (info.first_replicate != shard.first || info.replicates != shard.count) {
            throw RuntimeError(shard.path + ": changed while merging");
        }
        for (std::int64_t row = 0; row < shard.count; row += block_replicates) {
            const std::int64_t count = std::min(block_replicates, shard.count - row);
            block.first_replicate = shard.first + row;
            block.count = count;
            block.variants.resize(whole.variants.size());
            for (std::size_t v = 0; v < whole.variants.size(); ++v) {
                auto& variant = block.variants[v];
                variant.metrics.resize(metric_count);
                for (int m = 0; m < metric_count; ++m) {
                    variant.metrics[static_cast<std::size_t>(m)] = reader.read_metric_rows(whole.variants[v], MetricId(m), row, count);
                }
                variant.parameters = reader.read_parameter_rows(whole.variants[v], row, count);
            }
            writer.write(block);
        }
    }
    writer.finish();
    return MergeReport{total, paths.size()};
}

}  // namespace ehcpsim
