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
#include <sstream>
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

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string range(std::int64_t a, std::int64_t b) {
    std::string out = "[";  // (appended, not "[" + ...: GCC 12 warns falsely, -Wrestrict)
    out += std::to_string(a);
    out += ", ";
    out += std::to_string(b);
    out += ')';
    return out;
}

template <typename T>
std::string plain(const T& value) {
    std::ostringstream out;
    out.precision(17);
    out << value;
    return out.str();
}

template <typename T, typename Format>
std::string list(const std::vector<T>& values, Format format) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format(values[i]);
    return out + "]";
}

// Bitwise equality, NaN included (the numbers must be copies of each other).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Compares one shard's RunInfo with the reference shard's (the first given).
// Every message names both files: "b.h5 has seed 8 but a.h5 has seed 7".
class Agreement {
public:
    Agreement(const RunInfo& ref, const std::string& ref_path, const RunInfo& info, const std::string& path)
        : ref_(ref), ref_path_(ref_path), info_(info), path_(path) {}

    // "<path> has <mine> but <ref_path> has <theirs>; ..."
    [[noreturn]] void mismatch(const std::string& mine, const std::string& theirs) const {
        throw RuntimeError(path_ + " has " + mine + " but " + ref_path_ + " has " + theirs +
                           "; they are not shards of the same run");
    }

    [[noreturn]] void differ(const std::string& what, const std::string& value, const std::string& ref_value) const {
        mismatch(what + " " + value, what + " " + ref_value);
    }

    template <typename T, typename Format>
    void same(const std::string& what, const T& ref_value, const T& value, Format format) const {
        if (!(value == ref_value)) differ(what, format(value), format(ref_value));
    }

    // A list: shown whole when short, else by its length or first difference.
    template <typename T, typename Format>
    void same_list(const std::string& what, const std::string& one, const std::vector<T>& ref_values,
                   const std::vector<T>& values, Format format) const {
        if (values == ref_values) return;
        const std::string whole = list(values, format), ref_whole = list(ref_values, format);
        if (whole.size() + ref_whole.size() <= 200) differ(what, whole, ref_whole);
        if (values.size() != ref_values.size()) {
            mismatch(std::to_string(values.size()) + " " + what, std::to_string(ref_values.size()));
        }
        const auto i = static_cast<std::size_t>(
            std::mismatch(values.begin(), values.end(), ref_values.begin()).first - values.begin());
        differ(one + " " + std::to_string(i), format(values[i]), format(ref_values[i]));
    }

    void check() const {
        const auto text = [](const std::string& s) { return quoted(s); };
        const auto number = [](const auto& x) { return plain(x); };
        const auto flag = [](bool b) { return std::string(b ? "on" : "off"); };
        same("mode", ref_.mode, info_.mode, text);
        same("seed", ref_.seed, info_.seed, number);
        same("engine version", ref_.engine_version, info_.engine_version, text);
        same("total replicates", ref_.total_replicates, info_.total_replicates, number);
        same("scenario name", ref_.scenario_name, info_.scenario_name, text);
        check_sources();
        same_list("years", "year", ref_.years, info_.years, number);
        same_list("placements", "placement", ref_.placements, info_.placements, text);
        same_list("needs", "need", ref_.needs, info_.needs, text);
        same_list("phases", "phase", ref_.phases, info_.phases, text);
        same_list("variants", "variant", ref_.variants, info_.variants, text);
        same("common random numbers", ref_.common_random_numbers, info_.common_random_numbers, flag);
        same("fixed parameters", ref_.fixed_parameters, info_.fixed_parameters, flag);
        same("phase detail", ref_.phase_detail, info_.phase_detail, flag);
        for (std::size_t v = 0; v < ref_.variants.size(); ++v) {
            const std::string of = " of variant '" + ref_.variants[v] + "'";
            same("level" + of, ref_.levels[v], info_.levels[v], text);
            same("compare_to" + of, ref_.compare_to[v], info_.compare_to[v], text);
            same_list("parameters" + of, "parameter", ref_.parameter_names[v], info_.parameter_names[v], text);
            same_list("specialist placements" + of, "specialist placement", names(ref_.specialist[v]),
                      names(info_.specialist[v]), text);
            check_capacity(v, of);
        }
    }

private:
    std::vector<std::string> names(const std::vector<int>& placements) const {
        std::vector<std::string> out;
        for (int p : placements) out.push_back(p < 0 ? std::string() : ref_.placements[static_cast<std::size_t>(p)]);
        return out;
    }

    std::string entry_name(const RunInfo::CapacityEntry& entry) const {
        std::string name = ref_.placements[static_cast<std::size_t>(entry.placement)];
        if (entry.phase >= 0) name += "/" + ref_.phases[static_cast<std::size_t>(entry.phase)];
        return name;
    }

    // Placements and phases already agree, so indices compare as names.
    void check_capacity(std::size_t v, const std::string& of) const {
        const auto& ref_entries = ref_.capacity[v];
        const auto& entries = info_.capacity[v];
        std::vector<std::string> ref_names, got_names;
        for (const auto& e : ref_entries) ref_names.push_back(entry_name(e));
        for (const auto& e : entries) got_names.push_back(entry_name(e));
        same_list("capacity entries" + of, "capacity entry", ref_names, got_names, quoted);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const std::string entry = " of capacity entry '" + ref_names[i] + "'" + of;
            const auto overflow = [&](int p) {
                return p < 0 ? std::string("none") : quoted(ref_.placements[static_cast<std::size_t>(p)]);
            };
            same("overflow" + entry, ref_entries[i].overflow, entries[i].overflow, overflow);
            if (!same_bits(ref_entries[i].places, entries[i].places)) {
                same_list("places" + entry, "places in year", ref_entries[i].places, entries[i].places,
                          [](double x) { return plain(x); });
            }
        }
    }

    void check_sources() const {
        std::vector<std::string> ref_paths, paths;
        for (const auto& s : ref_.sources) ref_paths.push_back(s.path);
        for (const auto& s : info_.sources) paths.push_back(s.path);
        same_list("scenario files", "scenario file", ref_paths, paths, quoted);
        for (std::size_t i = 0; i < paths.size(); ++i) {
            const std::string& a = info_.sources[i].text;
            const std::string& b = ref_.sources[i].text;
            if (a == b) continue;
            std::size_t at = 0;
            while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
            const auto line = 1 + std::count(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(at), '\n');
            throw RuntimeError(path_ + " has a different text of scenario file '" + paths[i] + "' than " + ref_path_ +
                               " (first difference in line " + std::to_string(line) +
                               "); they are not shards of the same run");
        }
    }

    const RunInfo& ref_;
    const std::string& ref_path_;
    const RunInfo& info_;
    const std::string& path_;
};

// [variant][metric]: the expected-value projection, all empty if the file has none.
std::vector<std::vector<std::vector<double>>> read_all_expected(const ResultReader& reader) {
    const RunInfo& info = reader.info();
    std::vector<std::vector<std::vector<double>>> out(info.variants.size());
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        for (const auto& metric : metric_catalogue()) out[v].push_back(reader.read_expected(info.variants[v], metric.name));
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
            Agreement(ref, paths[0], info, paths[i]).check();
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
    const Shape shape{static_cast<int>(whole.years.size()), static_cast<int>(whole.placements.size()),
                      static_cast<int>(whole.needs.size()), static_cast<int>(whole.phases.size()),
                      whole.phase_detail};
    std::vector<std::size_t> parameters;
    std::size_t bytes_per_replicate = 0;
    for (std::size_t v = 0; v < whole.variants.size(); ++v) {
        parameters.push_back(whole.parameter_names[v].size());
        bytes_per_replicate += parameters.back();
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
                    variant.metrics[static_cast<std::size_t>(m)] = reader.read_metric_rows(
                        whole.variants[v], metric_catalogue()[static_cast<std::size_t>(m)].name, row, count);
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
