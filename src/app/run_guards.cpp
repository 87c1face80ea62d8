// Checks and settlements made before a run starts (run_guards.h).
#include "run_guards.h"

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <algorithm>

#include "ehcpsim/merge.h"

namespace ehcpsim::app_detail {
namespace {

std::optional<std::int64_t> env_integer(const char* name) {
    const char* text = std::getenv(name);
    if (!text || !*text) return std::nullopt;
    try {
        std::size_t used = 0;
        const long long value = std::stoll(text, &used);
        if (used != std::strlen(text)) throw std::invalid_argument(name);
        return value;
    } catch (const std::exception&) {
        throw UsageError(std::string("environment variable ") + name + "='" + text + "' is not a whole number");
    }
}

std::string human_bytes(double bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (bytes >= 1000.0 && u < 5) {
        bytes /= 1000.0;
        ++u;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.3g %s", bytes, units[u]);
    return text;
}

std::string human_seconds(double seconds) {
    char text[32];
    if (seconds < 120) std::snprintf(text, sizeof text, "%.0f s", seconds);
    else if (seconds < 7200) std::snprintf(text, sizeof text, "%.0f min", seconds / 60);
    else if (seconds < 3 * 86400) std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
    else std::snprintf(text, sizeof text, "%.0f days", seconds / 86400);
    return text;
}


// Removes the files in `dir` named <prefix><pid><rest> whose process is
// gone, where `rest` is `suffix`, or starts with it when `or_longer`: what
// runs killed with SIGKILL leave behind. A live process's files, this one's
// included, are left alone.
void remove_orphans(const std::filesystem::path& dir, const std::string& prefix, const std::string& suffix,
                    bool or_longer) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const std::size_t end = std::min(name.find_first_not_of("0123456789", prefix.size()), name.size());
        const std::string rest = name.substr(end);
        if (end == prefix.size() || end - prefix.size() > 9 ||
            !(rest == suffix || (or_longer && rest.rfind(suffix, 0) == 0)))
            continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name.substr(prefix.size(), end - prefix.size())));
        std::error_code ignored;
        if (pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), ignored);
    }
}

constexpr const char* temporary_prefix = "ehcpsim-run-";

}  // namespace

std::filesystem::path temporary_output() {
    const std::filesystem::path dir = std::filesystem::temp_directory_path();
    remove_orphans(dir, temporary_prefix, ".h5", true);  // its .h5.tmp-<pid> and .h5.lock too
    return dir / (temporary_prefix + std::to_string(getpid()) + ".h5");
}

ShardChoice choose_shard(const RunRequest& args, const World& world) {
    ShardChoice choice;
    if (!args.shard.empty()) {
        long long k = 0, n = 0;
        char slash = 0, extra = 0;
        if (std::sscanf(args.shard.c_str(), "%lld%c%lld%c", &k, &slash, &n, &extra) != 3 || slash != '/' || n < 1 ||
            k < 1 || k > n)
            throw UsageError("--shard '" + args.shard + "': expected K/N with 1 <= K <= N, e.g. --shard 2/8");
        choice.k = k - 1;
        choice.n = n;
    } else if (const auto id = env_integer("SLURM_ARRAY_TASK_ID")) {
        const auto count = env_integer("SLURM_ARRAY_TASK_COUNT");
        if (count) {
            // Array indices may start anywhere (--array=1-8): count from the lowest.
            const std::int64_t index = *id - env_integer("SLURM_ARRAY_TASK_MIN").value_or(0);
            if (*count < 1 || index < 0 || index >= *count)
                throw UsageError("Slurm array task " + std::to_string(*id) + " is outside an array of " +
                                 std::to_string(*count) + " tasks");
            choice.k = index;
            choice.n = *count;
        }
    }
    if (world.size > 1) {
        if (choice.n > 0) throw UsageError("give either mpirun or --shard / a Slurm array, not both");
        choice.k = world.rank;
        choice.n = world.size;
        choice.mpi = true;
    }
    if (choice.n > 0 && args.deterministic)
        throw UsageError("--deterministic computes one projection: it cannot be split into shards");
    if (choice.n > 0 && args.output.empty())
        throw UsageError(choice.mpi ? "an MPI run needs -o FILE (on a file system every rank can reach)"
                                    : "a shard needs -o FILE: its replicates are merged later with `ehcpsim merge`");
    return choice;
}

void refuse_absurd_runs(const Runner::Estimate& e, int threads, double checkpoint_bytes) {
    const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    const bool too_big = e.file_bytes + checkpoint_bytes > 50e9 || e.seconds > 24 * 3600.0 ||
                         (memory > 0 && e.memory_bytes > 0.5 * memory);
    if (!too_big) return;
    const std::string checkpoint_note =
        checkpoint_bytes > 0 ? " (" + human_bytes(e.file_bytes) + " of results and " + human_bytes(checkpoint_bytes) +
                                   " of checkpoint, removed at the end; --no-checkpoint leaves it out)"
                             : "";
    throw UsageError("this run would write up to " + human_bytes(e.file_bytes + checkpoint_bytes) + checkpoint_note +
                     ", use about " + human_bytes(e.memory_bytes) + " of memory (this machine has " +
                     human_bytes(memory) + ") and take about " + human_seconds(e.seconds) + " on " +
                     (threads > 0 ? std::to_string(threads) : std::string("all")) +
                     " thread(s); fewer replicates, --shard or a cluster (docs/cluster.md) may suit better. "
                     "Add --force to run it anyway");
}

void warn_if_checkpoint_will_not_fit(double checkpoint_bytes, const std::filesystem::path& target, std::ostream& err) {
    std::error_code error;
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    const std::filesystem::space_info space = std::filesystem::space(dir, error);
    if (error || space.capacity == 0 || static_cast<double>(space.available) >= checkpoint_bytes) return;  // (/proc: 0)
    err << "warning: the checkpoint of this run needs " << human_bytes(checkpoint_bytes) << " beside "
        << target.string() << ", where " << human_bytes(static_cast<double>(space.available))
        << " is free: the run will fail when the disk fills (--no-checkpoint runs without one)\n";
}

void remove_stale_temporaries(const std::filesystem::path& target) {
    remove_orphans(target.has_parent_path() ? target.parent_path() : std::filesystem::path("."),
                   target.filename().string() + ".tmp-", "", false);
}

void check_output_target(const RunRequest& args, const ScenarioSet& scenario) {
    if (args.output.empty()) return;
    std::error_code error;
    const std::filesystem::path target(args.output);
    if (std::filesystem::is_directory(target, error))
        throw UsageError("-o '" + args.output + "' is a directory: give the name of the HDF5 file to write, e.g. -o " +
                         (target / "results.h5").string());
    const std::filesystem::path directory = std::filesystem::path(args.scenario).parent_path();
    for (std::size_t i = 0; i < scenario.sources.size() && !args.scenario.empty(); ++i) {
        const std::filesystem::path named(scenario.sources[i].path);
        const std::filesystem::path input = i == 0 || named.is_absolute() ? named : directory / named;
        if (std::filesystem::equivalent(target, input, error))
            throw UsageError("-o '" + args.output + "' is " +
                             (i == 0 ? std::string("the scenario file") : "the CSV file '" + input.string() + "'") +
                             " this run reads: the results would replace it. Give another file name");
    }
}

}  // namespace ehcpsim::app_detail
