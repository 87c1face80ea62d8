// The ehcpsim command line: argument handling only (CLI11); the work is done
// by the library. Exit codes: 0 success, 2 usage or scenario error, 3 runtime
// or I/O error, 130 interrupted.
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cerrno>
#include <csignal>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/timer/progress_display.hpp>
#ifdef EHCPSIM_HAVE_MPI
#include <mpi.h>
#endif

#include "ehcpsim/checkpoint.h"
#include "ehcpsim/error.h"
#include "ehcpsim/merge.h"
#include "ehcpsim/output.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/summary.h"
#include "ehcpsim/version.h"

namespace {

using namespace ehcpsim;

// Set by SIGINT/SIGTERM. A signal handler can only reach a global; the
// runner polls it between blocks and unwinds, so the ResultWriter removes
// its temporary file and nothing half-written is left at the target.
std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested.store(true); }

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// A mistake in the command line found after parsing (exit 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

const char* const exit_codes_help =
    "Exit codes: 0 success; 2 usage error or invalid scenario; 3 runtime or I/O error\n"
    "(unreadable or unwritable file, HDF5 failure); 130 interrupted.";

ScenarioSet load(const std::string& path) { return path.empty() ? load_default_scenario() : load_scenario(path); }

// A progress bar on stderr, only on a terminal and only once a run has gone
// on for more than a second and a half (short runs stay quiet).
class Progress {
public:
    explicit Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
    void operator()(std::int64_t done, std::int64_t total) {
        if (!enabled_) return;
        if (!bar_) {
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
            if (elapsed < 1.5 || done >= total) return;
            bar_ = std::make_unique<boost::timer::progress_display>(static_cast<unsigned long>(total), std::cerr,
                                                                     "replicates\n");
            *bar_ += static_cast<unsigned long>(done);
        } else {
            *bar_ += static_cast<unsigned long>(done - bar_->count());
        }
    }

private:
    bool enabled_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::unique_ptr<boost::timer::progress_display> bar_;
};

SummaryFormat parse_format(const std::string& name) {
    if (name == "csv") return SummaryFormat::csv;
    if (name == "json") return SummaryFormat::json;
    return SummaryFormat::table;
}

// A run without -o writes $TMPDIR/ehcpsim-run-<pid>.h5 (and the writer's
// .tmp-<pid> and .lock beside it), summarises it and removes it. A run killed
// meanwhile leaves them behind: the next run without -o removes those whose
// process is gone.
constexpr const char* temporary_prefix = "ehcpsim-run-";

std::filesystem::path temporary_output() {
    const std::filesystem::path dir = std::filesystem::temp_directory_path();
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(temporary_prefix, 0) != 0) continue;
        const std::size_t digits = std::strlen(temporary_prefix);
        const std::size_t end = name.find_first_not_of("0123456789", digits);
        if (end == digits || end == std::string::npos || end - digits > 9 || name.compare(end, 3, ".h5") != 0)
            continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name.substr(digits, end - digits)));
        std::error_code ignored;
        if (pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), ignored);
    }
    return dir / (temporary_prefix + std::to_string(getpid()) + ".h5");
}

void report_notes(const ScenarioSet& scenario) {
    for (const std::string& note : scenario.notes) std::cerr << "note: " << note << '\n';
    for (const std::string& warning : scenario.warnings) std::cerr << "warning: " << warning << '\n';
}

struct RunArgs {
    std::string scenario;
    std::int64_t replicates = 0;
    std::optional<std::uint64_t> seed;
    int threads = 0;
    std::string output;
    bool deterministic = false;
    bool overwrite = false;
    bool quiet = false;
    bool no_crn = false;
    bool fixed_parameters = false;
    bool force = false;
    bool resume = false;
    bool no_checkpoint = false;
    std::int64_t block_size = 0;
    std::string shard;
    std::vector<std::string> variants;
    std::string format = "table";
};

// The processes of this run: one, or the ranks of an MPI launch.
struct World {
    int rank = 0;
    int size = 1;
};

// Which contiguous slice of the replicates this process runs: 0-based shard
// k of n (n = 0: all of them), from --shard K/N, a Slurm array task, or the
// MPI rank.
struct ShardChoice {
    std::int64_t k = 0, n = 0;
    bool mpi = false;
};

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

ShardChoice choose_shard(const RunArgs& args, const World& world) {
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

// Runs that could not sensibly finish on this machine are refused before
// they start, with the estimate, unless the user insists (--force). A
// checkpoint (checkpoint_bytes > 0: what is still to be added to it) counts
// towards the disk the run needs.
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

// A checkpoint that will not fit beside the target is worth knowing about
// before the run starts, not when the disk fills: a warning (the output
// alone might fit, and the free space may change).
void warn_if_checkpoint_will_not_fit(double checkpoint_bytes, const std::filesystem::path& target) {
    std::error_code error;
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    const std::filesystem::space_info space = std::filesystem::space(dir, error);
    if (error || space.capacity == 0 || static_cast<double>(space.available) >= checkpoint_bytes) return;  // (/proc: 0)
    std::cerr << "warning: the checkpoint of this run needs " << human_bytes(checkpoint_bytes) << " beside "
              << target.string() << ", where " << human_bytes(static_cast<double>(space.available))
              << " is free: the run will fail when the disk fills (--no-checkpoint runs without one)\n";
}

// The temporary files of earlier runs of this target that were killed
// (SIGKILL leaves ResultWriter's <target>.tmp-<pid> behind); only those
// whose process is gone, and only once this run holds the checkpoint's lock.
void remove_stale_temporaries(const std::filesystem::path& target) {
    std::error_code error;
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    const std::string prefix = target.filename().string() + ".tmp-";
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const std::string digits = name.substr(prefix.size());
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9)
            continue;
        const pid_t pid = static_cast<pid_t>(std::stol(digits));
        if (pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), error);
    }
}

#ifdef EHCPSIM_HAVE_MPI
// True when every rank succeeded; every rank learns it.
bool all_ranks_ok(bool ok) {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all == 1;
}

// The ranks of an MPI run vote before any of them starts. A rank that fails
// before the vote (an output that exists, a bad scenario, a shard error)
// still takes part, from this guard's destructor as its exception unwinds, so
// no rank is left waiting in a collective for one that has gone.
class StartVote {
public:
    explicit StartVote(const World& world) : pending_(world.size > 1) {}
    ~StartVote() {
        if (pending_) all_ranks_ok(false);
    }
    StartVote(const StartVote&) = delete;
    StartVote& operator=(const StartVote&) = delete;
    // True when every rank is ready to run; every rank learns it.
    bool all_ready() {
        pending_ = false;
        return all_ranks_ok(true);
    }

private:
    bool pending_;
};
#endif

// `-o` must name a file this run may replace: not a directory, and not one
// of the run's own inputs (compared by file identity, so another spelling or
// a link of the same file is caught). Checked before anything runs.
void check_output_target(const RunArgs& args, const ScenarioSet& scenario) {
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

int run_command(const RunArgs& args, const World& world) {
#ifdef EHCPSIM_HAVE_MPI
    StartVote vote(world);
#endif
    const ScenarioSet scenario = load(args.scenario);
    if (world.rank == 0) report_notes(scenario);
    check_output_target(args, scenario);
    if (args.deterministic && args.replicates > 0)
        throw UsageError("--deterministic computes one expected-value projection: -n/--replicates does not apply to "
                         "it; leave -n out");
    const ShardChoice shard = choose_shard(args, world);
    if (args.resume) {
        if (args.output.empty())
            throw UsageError("--resume needs -o FILE: it finishes the run that was writing FILE (a run without -o "
                             "keeps no checkpoint, so there is nothing to resume)");
        if (shard.mpi)
            throw UsageError("--resume is not supported under MPI; run the replicates as shards (--shard K/N or a "
                             "Slurm array), which resume one by one (docs/cluster.md)");
        if (args.deterministic)
            throw UsageError("--deterministic computes one projection: there is nothing to resume");
        if (args.no_checkpoint) throw UsageError("give either --resume or --no-checkpoint, not both");
    }
    // Monte Carlo runs kept in a file checkpoint their finished blocks (not
    // under MPI, whose per-rank files are merged at once).
    const bool checkpointing = !args.output.empty() && !args.no_checkpoint && !args.deterministic && !shard.mpi &&
                               !args.fixed_parameters;  // the checkpoint does not record the flag
    RunOptions options;
    options.seed = args.seed.value_or(scenario.default_seed);
    options.replicates = args.replicates > 0 ? args.replicates : scenario.default_replicates;
    options.threads = args.threads;
    options.deterministic = args.deterministic;
    options.variants = args.variants;
    options.common_random_numbers = !args.no_crn;
    options.fixed_parameters = args.fixed_parameters;
    options.block_size = args.block_size;
    if (shard.n > 0) {
        const ReplicateRange range = shard_range(options.replicates, shard.k, shard.n);
        // Every MPI rank must come to the same decision, so ranks judge the run as a whole.
        if (shard.mpi ? options.replicates < shard.n : range.count == 0)
            throw UsageError((shard.mpi ? "an MPI run of " + std::to_string(shard.n) + " ranks"
                                        : "shard " + std::to_string(shard.k + 1) + "/" + std::to_string(shard.n)) +
                             " would hold no replicate: the run has " + std::to_string(options.replicates) +
                             " replicate(s), so use at most " + std::to_string(options.replicates) +
                             (shard.mpi ? " ranks" : " shards") + " (or more replicates, -n)");
        options.shard_first = range.first;
        options.shard_count = range.count;
    }
    options.cancel = &stop_requested;
    Progress progress(!args.quiet && world.rank == 0);
    options.progress = [&progress](std::int64_t done, std::int64_t total) { progress(done, total); };

    const Runner runner(scenario, options, EHCPSIM_VERSION);
    // Without -o the results go to a temporary file that is summarised and
    // removed: the summary is always computed from what a file would hold.
    const bool keep = !args.output.empty();
    const std::filesystem::path target = keep ? std::filesystem::path(args.output) : temporary_output();
    const std::string checkpoint_file = checkpoint_path(target.string());
    {
        const Runner::Estimate estimate = runner.estimate(options.threads);
        double checkpoint_to_add = 0.0;
        if (checkpointing) {
            std::error_code error;
            const auto existing = args.resume ? std::filesystem::file_size(checkpoint_file, error) : 0;
            checkpoint_to_add = std::max(0.0, estimate.checkpoint_bytes - (error ? 0.0 : static_cast<double>(existing)));
        }
        if (!args.force) refuse_absurd_runs(estimate, options.threads, checkpoint_to_add);
        if (checkpoint_to_add > 0 && world.rank == 0) warn_if_checkpoint_will_not_fit(checkpoint_to_add, target);
    }
    // Under MPI each rank writes its replicates beside the target; rank 0
    // merges them (per-rank files and a merge are robust on NFS, where
    // MPI-IO is not).
    const std::filesystem::path path =
        shard.mpi ? std::filesystem::path(target.string() + ".rank" + std::to_string(world.rank) + ".h5") : target;
    if (shard.mpi && world.rank == 0 && std::filesystem::exists(target) && !args.overwrite)
        throw RuntimeError(target.string() + " already exists (use --overwrite to replace it)");
    RunStats stats;
#ifdef EHCPSIM_HAVE_MPI
    if (shard.mpi && !vote.all_ready())
        throw RuntimeError("rank " + std::to_string(world.rank) +
                           ": another rank could not start the run (see its message); no rank ran");
    if (shard.mpi) {
        std::string failure;
        try {
            ResultWriter writer(path.string(), runner.info(), true);
            stats = runner.run(writer);
            writer.finish();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!failure.empty()) std::cerr << "error: rank " << world.rank << ": " << failure << '\n';
        const bool ok = all_ranks_ok(failure.empty());
        if (world.rank != 0 || !ok) {
            // Rank 0 merges (or gives up) before anyone removes anything, and
            // every rank learns whether the merge worked.
            const bool merged = all_ranks_ok(true);
            std::error_code ignored;  // (a rank whose file could not be written may have none to remove)
            std::filesystem::remove(path, ignored);
            if (!ok) return exit_runtime;
            if (!merged) {
                std::cerr << "error: rank " << world.rank << ": rank 0 could not merge the ranks' files (see its "
                          << "message)\n";
                return exit_runtime;
            }
            return exit_ok;
        }
        std::vector<std::string> parts;
        for (int r = 0; r < world.size; ++r) parts.push_back(target.string() + ".rank" + std::to_string(r) + ".h5");
        std::string merge_failure;
        try {
            merge_shards(parts, target.string(), args.overwrite);  // a target that appeared meanwhile is kept
        } catch (const std::exception& e) {
            merge_failure = e.what();
        }
        all_ranks_ok(merge_failure.empty());
        std::filesystem::remove(path);
        if (!merge_failure.empty()) throw RuntimeError(merge_failure);
    } else
#endif
    {
        ResultWriter writer(path.string(), runner.info(), args.overwrite || !keep);
        std::optional<Checkpoint> checkpoint;
        if (checkpointing) {
            if (args.resume) {
                checkpoint = Checkpoint::resume(checkpoint_file, runner.info());
                if (!checkpoint) {
                    std::cerr << "note: no checkpoint " << checkpoint_file << " to resume from: running from the start\n";
                } else {
                    remove_stale_temporaries(target);
                    if (!args.quiet || checkpoint->dropped_bytes() > 0)
                        std::cerr << "note: resuming from " << checkpoint_file << ": " << checkpoint->saved_replicates()
                                  << " of " << runner.info().replicates << " replicate(s) already done"
                                  << (checkpoint->dropped_bytes() > 0
                                          ? " (an incomplete or damaged last block of " +
                                                std::to_string(checkpoint->dropped_bytes()) + " bytes was dropped)"
                                          : std::string())
                                  << '\n';
                }
            }
            if (!checkpoint) {
                try {
                    checkpoint = Checkpoint::start(checkpoint_file, runner.info(), args.overwrite);
                } catch (const CheckpointExists& e) {
                    throw RuntimeError(std::string(e.what()) +
                                       ". Add --resume to finish that run, or --overwrite to discard it and start afresh");
                }
            }
        }
        try {
            stats = checkpoint ? runner.run(writer, *checkpoint) : runner.run(writer);
            writer.finish();
        } catch (const Interrupted& e) {
            if (!checkpoint) throw;
            std::cerr << "\nerror: " << e.what() << " to " << target.string() << "; the checkpoint "
                      << checkpoint_file << " keeps " << checkpoint->saved_replicates() << " of "
                      << runner.info().replicates
                      << " replicate(s): rerun the same command with --resume to finish the run\n";
            return exit_interrupted;
        } catch (const std::exception& e) {
            // A full disk, say: what was finished is kept for when it is fixed.
            if (!checkpoint || checkpoint->saved_replicates() == 0) throw;
            throw RuntimeError(std::string(e.what()) + "\nnote: the checkpoint " + checkpoint_file + " keeps " +
                               std::to_string(checkpoint->saved_replicates()) + " of " +
                               std::to_string(runner.info().replicates) +
                               " replicate(s): once the problem is fixed, rerun the same command with --resume");
        }
        // Only once the results are in place: a run killed in between still has its checkpoint.
        if (checkpoint) {
            try {
                checkpoint->remove();
            } catch (const RuntimeError& e) {
                std::cerr << "warning: " << e.what() << " (the results are complete; delete it by hand)\n";
            }
        }
    }
    if (shard.n > 0 && !shard.mpi) {
        // A shard alone is part of a run: no summary until the shards are merged.
        if (!args.quiet)
            std::fprintf(stderr, "shard %lld/%lld: replicates [%lld, %lld) of %lld written to %s in %.2f s\n",
                         static_cast<long long>(shard.k + 1), static_cast<long long>(shard.n),
                         static_cast<long long>(options.shard_first),
                         static_cast<long long>(options.shard_first + options.shard_count),
                         static_cast<long long>(options.replicates), path.c_str(), stats.seconds);
        return exit_ok;
    }
    struct RemoveTemporary {  // the summarised temporary file goes, whatever happens next
        const std::filesystem::path* path;
        ~RemoveTemporary() {
            std::error_code ignored;
            if (path) std::filesystem::remove(*path, ignored);
        }
    } remove_temporary{keep ? nullptr : &target};
    const ResultReader reader(target.string());
    const SummaryFormat format = parse_format(args.format);
    const Summary summary = summarise(reader, SummaryOptions{{}, views_to_print(reader.info(), format, {})});
    print_summary(summary, format, std::cout);
    std::cout.flush();  // the timing line on stderr comes after the table, not inside it
    if (!args.quiet) {
        const std::string resumed = stats.resumed_replicates > 0
                                        ? "; " + std::to_string(stats.resumed_replicates) +
                                              " replicate(s) read back from the checkpoint"
                                        : std::string();
        std::fprintf(stderr, "%s: %lld replicate(s) x %zu variant(s), seed %llu, %.2f s (%.0f replicate-years/s)%s%s%s\n",
                     options.deterministic ? "deterministic projection" : "Monte Carlo",
                     static_cast<long long>(runner.info().total_replicates), runner.info().variants.size(),
                     static_cast<unsigned long long>(options.seed), stats.seconds,
                     stats.seconds > 0 ? static_cast<double>(stats.replicate_years) * world.size / stats.seconds : 0.0,
                     resumed.c_str(), keep ? "; results in " : "", keep ? target.c_str() : "");
    }
    return exit_ok;
}

int validate_command(const std::string& path) {
    const ScenarioSet scenario = load(path);
    report_notes(scenario);
    const Scenario& base = scenario.variants.front();
    std::size_t plans = 0;
    for (auto count : base.stock) plans += static_cast<std::size_t>(count);
    std::cout << (path.empty() ? std::string("<embedded default>") : path) << ": valid scenario '" << scenario.name
              << "': " << scenario.variants.size() << " variant(s), years " << base.base_year << "-"
              << base.base_year + base.horizon << ", " << base.dims.needs.size() << " needs x "
              << base.dims.placements.size() << " placements x " << base.dims.ages() << " ages, " << plans
              << " plans in the base year\n";
    return exit_ok;
}

int example_command(const std::string& directory) {
    const auto& files = default_scenario_files();
    if (directory.empty()) {
        std::cout << files.front().text;
        return exit_ok;
    }
    const std::filesystem::path dir(directory);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw RuntimeError("cannot create directory " + directory + ": " + ec.message());
    for (const SourceFile& file : files) {
        const std::filesystem::path target = dir / file.path;
        if (std::filesystem::exists(target))
            throw RuntimeError(target.string() + " already exists; not overwriting it");
        std::ofstream out(target, std::ios::binary);
        out << file.text;
        if (!out) throw RuntimeError("cannot write " + target.string());
    }
    std::cout << "wrote the default scenario to " << directory << "/ (" << files.size()
              << " files); edit it and run: ehcpsim run " << (dir / files.front().path).string() << '\n';
    return exit_ok;
}

#ifndef EHCPSIM_SCRIPTS_DIR
#define EHCPSIM_SCRIPTS_DIR ""
#endif

// `ehcpsim report`: the charts and the HTML page are drawn by scripts/report.py
// (docs/report.md) under Debian's python3, which has matplotlib and h5py. The
// script is found in $EHCPSIM_SCRIPTS_DIR, else in the source tree this binary
// was built from; the interpreter is $EHCPSIM_PYTHON, else /usr/bin/python3.
// The process becomes the script (exec, no shell), so its exit code (0, 3, 130;
// 2 for its own usage errors) and its handling of Ctrl-C are the command's.
int report_command(const std::string& file, const std::string& output, bool overwrite) {
    const char* scripts_env = std::getenv("EHCPSIM_SCRIPTS_DIR");
    const std::string scripts = scripts_env && *scripts_env ? scripts_env : EHCPSIM_SCRIPTS_DIR;
    const std::string script = (std::filesystem::path(scripts) / "report.py").string();
    const char* python_env = std::getenv("EHCPSIM_PYTHON");
    const std::string python = python_env && *python_env ? python_env : "/usr/bin/python3";
    if (scripts.empty() || access(script.c_str(), R_OK) != 0)
        throw RuntimeError("cannot find the report script " + (scripts.empty() ? std::string("report.py") : script) +
                           "; set EHCPSIM_SCRIPTS_DIR to the directory that holds it (scripts/ in the source tree)");
    if (access(python.c_str(), X_OK) != 0)
        throw RuntimeError("cannot run " + python +
                           ": the report needs Debian's python3 with matplotlib and h5py "
                           "(apt-get install python3-matplotlib python3-h5py), or EHCPSIM_PYTHON set to one");
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    std::vector<std::string> args{python, script, "-o", output};
    if (!ec && !self.empty()) args.insert(args.end(), {"--ehcpsim", self});
    if (overwrite) args.emplace_back("--overwrite");
    args.insert(args.end(), {"--", file});  // a file name starting with '-' is still the file
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::cout.flush();
    std::cerr.flush();
    execv(python.c_str(), argv.data());
    throw RuntimeError("cannot run " + python + ": " + std::strerror(errno));
}

}  // namespace

#ifdef EHCPSIM_HAVE_MPI
// MPI is started only under a launcher (mpirun and srun set these), so the
// same binary also runs as a plain program on a machine with no MPI daemon.
class MpiSession {
public:
    MpiSession(int& argc, char**& argv, World& world) {
        if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMI_SIZE") && !std::getenv("PMIX_RANK")) return;
        int provided = 0;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);  // only the main thread calls MPI
        MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
        MPI_Comm_size(MPI_COMM_WORLD, &world.size);
        active_ = true;
    }
    ~MpiSession() {
        if (active_) MPI_Finalize();
    }
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;

private:
    bool active_ = false;
};
#endif

int main(int argc, char** argv) {
    World world;
#ifdef EHCPSIM_HAVE_MPI
    const MpiSession mpi(argc, argv, world);
#endif
    CLI::App app{"ehcpsim " EHCPSIM_VERSION
                 ": Monte Carlo forecasts of EHCP demand and the High Needs Block deficit of an English local "
                 "authority.",
                 "ehcpsim"};
    app.footer(exit_codes_help);
    app.set_version_flag("--version", "ehcpsim " EHCPSIM_VERSION);
    app.require_subcommand(1);

    RunArgs run_args;
    CLI::App* run = app.add_subcommand("run", "Run a scenario (the embedded Halton default if none is given), "
                                              "write the ensemble to HDF5 and print its summary");
    run->add_option("scenario", run_args.scenario, "Scenario TOML file (default: the embedded Halton scenario)")
        ->check(CLI::ExistingFile);
    run->add_option("-n,--replicates", run_args.replicates, "Number of replicates (default: the scenario's)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
    run->add_option("--seed", run_args.seed,
                    "Master seed, a whole number 0..9223372036854775807 like scenario.seed (default: the scenario's)")
        ->check(CLI::Validator(
            [](std::string& text) {
                std::int64_t value = 0;
                const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
                if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size() || value < 0)
                    return "'" + text + "' is not a seed: expected a whole number in 0..9223372036854775807 (the "
                                        "range scenario.seed takes)";
                return std::string();
            },
            "SEED"));
    run->add_option("--threads", run_args.threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 4096));
    run->add_option("-o,--output", run_args.output, "HDF5 file to write (default: summarise and discard)");
    run->add_flag("--deterministic", run_args.deterministic,
                  "Expected-value projection: every draw replaced by its mean, parameters at their means");
    run->add_flag("--overwrite", run_args.overwrite,
                  "Replace an existing output file (and discard the checkpoint of an interrupted run of it)");
    run->add_option("--variants", run_args.variants, "Comma-separated subset of variants to run")->delimiter(',');
    run->add_option("--format", run_args.format, "Summary format")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    run->add_flag("-q,--quiet", run_args.quiet, "No progress bar or timing line");
    run->add_option("--shard", run_args.shard,
                    "Run only shard K of N (1 <= K <= N): a contiguous block of the replicates, written to -o; "
                    "merge the shards with `ehcpsim merge`. Read from SLURM_ARRAY_TASK_ID/COUNT when not given");
    run->add_flag("--force", run_args.force,
                  "Run even when the estimate says it would take more than a day, 50 GB of disk or half the memory");
    run->add_flag("--fixed-parameters", run_args.fixed_parameters,
                  "Use every parameter's mean in every replicate (no parameter uncertainty): the spread left is "
                  "the engine's own (aleatory) noise. Recorded in the file; keeps no checkpoint");
    run->add_flag("--no-crn", run_args.no_crn,
                  "Give each variant random numbers of its own (to see what common random numbers buy)");
    run->add_flag("--resume", run_args.resume,
                  "Finish an interrupted run: rerun its command with --resume. The finished blocks kept in the "
                  "checkpoint FILE.ckpt are reused, the rest computed; the results are those of an uninterrupted "
                  "run. Runs from the start when there is no checkpoint");
    run->add_flag("--no-checkpoint", run_args.no_checkpoint,
                  "Keep no checkpoint (by default a run with -o keeps its finished blocks in FILE.ckpt until it "
                  "ends, so that --resume can finish it after an interruption)");
    run->add_option("--block-size", run_args.block_size,
                    "Replicates per block written (and checkpointed); default: about 16 MiB of results, at most "
                    "2,048. The results do not depend on it")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 30))
        ->group("Advanced");
    run->footer(exit_codes_help);

    std::string summary_file, summary_format = "table";
    bool summary_dbv = false, summary_places = false, summary_scap = false, summary_dsg = false,
         summary_drivers = false;
    std::vector<std::string> summary_exceed;
    CLI::App* summary = app.add_subcommand("summary", "Summarise an ensemble file: mean and quantiles by year");
    summary->add_option("file", summary_file, "Ensemble HDF5 file written by `ehcpsim run -o`")->required();
    CLI::Option* summary_format_option =
        summary->add_option("--format", summary_format, "Output format")->check(CLI::IsMember({"table", "csv", "json"}));
    summary->add_flag("--dbv", summary_dbv,
                      "DBV view: cumulative opportunity per bound (target, stretch, range) and the DBV table of "
                      "expenditure and cumulative deficit (csv: the opportunity table)");
    summary
        ->add_option("--exceed", summary_exceed,
                     "P(cumulative deficit at the horizon > X) per variant; X in pounds, e.g. 30m, 500k, 2.5e7 "
                     "(repeatable)")
        ->check(CLI::Validator(
            [](std::string& text) {
                return parse_amount(text) ? std::string()
                                          : "'" + text + "' is not an amount in pounds (e.g. 30m, 500k, 2500000)";
            },
            "AMOUNT"));
    summary->add_flag("--places", summary_places,
                      "Place planning for each capacity limit (a placement, or one phase of it): demand quantiles "
                      "beside capacity, places needed for 50/80/95% confidence, P(demand > capacity), overflow and "
                      "its extra spend");
    summary->add_flag("--scap", summary_scap,
                      "SCAP export (CSV): specialist demand by variant, year and phase with the places to "
                      "provision for 50/80/95% confidence");
    summary->add_flag("--dsg", summary_dsg,
                      "DSG deficit management plan export (CSV): per variant and financial year, High Needs spend, "
                      "funding, in-year and cumulative position (surplus +, deficit -) and, for mitigated variants, "
                      "the savings against the unmitigated variant; mean, quantiles and the deterministic line");
    summary->add_flag("--drivers", summary_drivers,
                      "What drives the spread: the parameters ranked by standardised rank regression coefficient "
                      "(SRRC) for the cumulative deficit at the horizon and spend in the final year (table: top 10; "
                      "csv: every parameter; json: always included)");
    summary->footer(exit_codes_help);

    std::vector<std::string> merge_inputs;
    std::string merge_output;
    bool merge_overwrite = false;
    CLI::App* merge = app.add_subcommand("merge", "Merge the shard files of one run (from --shard, a Slurm array "
                                                  "or MPI ranks) into one ensemble file");
    merge->add_option("shards", merge_inputs, "Shard files, in any order")->required()->check(CLI::ExistingFile);
    merge->add_option("-o,--output", merge_output, "Merged HDF5 file to write")->required();
    merge->add_flag("--overwrite", merge_overwrite, "Replace an existing output file");
    merge->footer(exit_codes_help);

    std::string validate_file;
    CLI::App* validate = app.add_subcommand("validate", "Check a scenario without running it");
    validate->add_option("scenario", validate_file, "Scenario TOML file (default: the embedded one)");
    validate->footer(exit_codes_help);

    std::string example_dir;
    CLI::App* example = app.add_subcommand("example", "Print the default scenario's TOML, or write it with its "
                                                      "CSV tables to a directory to copy and edit");
    example->add_option("--dir", example_dir, "Directory to write the TOML and CSV files to");
    example->footer(exit_codes_help);

    std::string report_file, report_output;
    bool report_overwrite = false;
    CLI::App* report_cmd = app.add_subcommand(
        "report", "Fan charts, tornado charts (PNG and SVG) and a self-contained HTML page (index.html) from an "
                  "ensemble file, drawn by scripts/report.py under /usr/bin/python3 (matplotlib, h5py); "
                  "see docs/report.md");
    report_cmd->add_option("file", report_file, "Ensemble HDF5 file written by `ehcpsim run -o`")->required();
    report_cmd->add_option("-o,--output", report_output, "Directory to write the report to (must not exist or be "
                                                         "empty, unless --overwrite)")
        ->required();
    report_cmd->add_flag("--overwrite", report_overwrite, "Replace a directory holding an earlier report");
    report_cmd->footer(exit_codes_help);

    // A misspelt command: say so and list the commands (CLI11 would only say
    // that one is required).
    if (argc > 1 && argv[1][0] != '-') {
        std::string commands;
        bool known = false;
        for (const CLI::App* command : app.get_subcommands({})) {
            known = known || command->get_name() == argv[1];
            commands += (commands.empty() ? "" : ", ") + command->get_name();
        }
        if (!known) {
            std::cerr << "error: unknown command '" << argv[1] << "'; the commands are: " << commands
                      << " (ehcpsim --help describes them)\n";
            return exit_usage;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }

    install_stop_handlers();
    try {
        if (*run) return run_command(run_args, world);
        if (*merge) {
            const MergeReport report = merge_shards(merge_inputs, merge_output, merge_overwrite);
            std::cout << "merged " << report.shards << " shard(s), " << report.replicates << " replicates, into "
                      << merge_output << '\n';
            return exit_ok;
        }
        if (*summary) {
            for (const auto& [given, flag] : {std::pair{summary_scap, "--scap"}, std::pair{summary_dsg, "--dsg"}}) {
                if (given && summary_format_option->count() > 0 && summary_format != "csv") {
                    std::cerr << "error: " << flag << " writes CSV: leave out --format or give --format csv\n";
                    return exit_usage;
                }
            }
            const SummaryFormat format =
                summary_scap || summary_dsg ? SummaryFormat::csv : parse_format(summary_format);
            const PrintOptions print{summary_dbv, summary_places, summary_scap, summary_dsg, summary_drivers};
            try {
                check_print_options(format, print, !summary_exceed.empty());
            } catch (const std::invalid_argument& e) {
                std::cerr << "error: " << e.what() << '\n';
                return exit_usage;
            }
            const ResultReader reader(summary_file);
            SummaryOptions options{{}, views_to_print(reader.info(), format, print, !summary_exceed.empty())};
            for (const std::string& text : summary_exceed) options.exceedance_thresholds.push_back(*parse_amount(text));
            const Summary summarised = summarise(reader, options);
            if (summary_scap)
                for (const std::string& warning : scap_warnings(summarised)) std::cerr << "warning: " << warning << '\n';
            print_summary(summarised, format, std::cout, print);
            return exit_ok;
        }
        if (*validate) return validate_command(validate_file);
        if (*example) return example_command(example_dir);
        if (*report_cmd) return report_command(report_file, report_output, report_overwrite);
    } catch (const ScenarioError& e) {
        std::cerr << "error: invalid scenario (" << e.problems().size() << " problem"
                  << (e.problems().size() == 1 ? "" : "s") << "):\n";
        // The first 20: a CSV of the wrong shape would otherwise fill the terminal.
        constexpr std::size_t shown_problems = 20;
        for (std::size_t i = 0; i < e.problems().size() && i < shown_problems; ++i) {
            const Diagnostic& d = e.problems()[i];
            const std::string where = format_location(d.where);
            std::cerr << "  " << (where.empty() ? "" : where + ": ") << d.message << '\n';
        }
        if (e.problems().size() > shown_problems)
            std::cerr << "  ... and " << e.problems().size() - shown_problems << " more problem(s) not shown\n";
        return exit_usage;
    } catch (const Interrupted& e) {
        std::cerr << "\nerror: " << e.what() << '\n';
        return exit_interrupted;
    } catch (const UsageError& e) {
        std::cerr << "error: " << e.what() << '\n';
        return exit_usage;
    } catch (const RuntimeError& e) {
        std::cerr << "error: " << e.what() << '\n';
        return exit_runtime;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return exit_runtime;
    }
    return exit_usage;
}
