// `ehcpsim run`: the policy around the runner (app.h). The order matters
// and is the user's contract: everything that can be refused (the scenario,
// the flags, the output target, the size guard, another rank's failure) is
// refused before anything is written; a checkpoint is kept until the
// results are in place; an interrupted run leaves no file at the target.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ehcpsim/app.h"
#include "ehcpsim/checkpoint.h"
#include "ehcpsim/error.h"
#include "ehcpsim/file_sink.h"
#include "ehcpsim/merge.h"
#include "ehcpsim/output.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/summary.h"
#include "ehcpsim/version.h"
#include "mpi_ranks.h"
#include "run_guards.h"
#include "scenario_input.h"

namespace ehcpsim {

using namespace app_detail;

namespace {

// `value` with `digits` decimals, as printf's %.*f.
std::string fixed(double value, int digits) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

}  // namespace

int run_command(const RunRequest& args, const Console& console) {
    const World& world = console.world;
    StartVote vote(world);
    const ScenarioSet scenario = load(args.scenario);
    if (world.rank == 0) report_notes(scenario, console.err);
    check_output_target(args, scenario);
    if (args.deterministic && args.replicates > 0)
        throw UsageError("--deterministic computes one expected-value projection: -n/--replicates does not apply to "
                         "it; leave -n out");
    const ShardChoice shard = choose_shard(args, world);
    if (args.lever_worth) {
        if (args.deterministic) throw UsageError("--lever-worth needs a Monte Carlo run: leave out --deterministic");
        if (args.no_crn)
            throw UsageError("--lever-worth measures each lever under common random numbers: leave out --no-crn");
        if (shard.n > 0)
            throw UsageError("--lever-worth is not supported with shards or MPI ranks: run the replicates in one "
                             "process");
    }
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
    options.record_plan_detail = args.plan_detail;
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
    options.cancel = console.cancel;
    options.progress = console.progress;

    const Runner runner(scenario, options, EHCPSIM_VERSION);
    if (args.lever_worth) runner.check_lever_worth();  // before the run, not after it
    if (world.rank == 0)
        for (const std::string& warning : runner.label_warnings()) console.err << "warning: " << warning << '\n';
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
            checkpoint_to_add = std::max(0.0, checkpoint_bytes(runner.info(), runner.info().replicates) -
                                                  (error ? 0.0 : static_cast<double>(existing)));
        }
        if (!args.force) refuse_absurd_runs(estimate, options.threads, checkpoint_to_add);
        if (checkpoint_to_add > 0 && world.rank == 0)
            warn_if_checkpoint_will_not_fit(checkpoint_to_add, target, console.err);
    }
    // Under MPI each rank writes its replicates beside the target; rank 0
    // merges them (per-rank files and a merge are robust on NFS, where
    // MPI-IO is not).
    const std::filesystem::path path =
        shard.mpi ? std::filesystem::path(target.string() + ".rank" + std::to_string(world.rank) + ".h5") : target;
    if (shard.mpi && world.rank == 0 && std::filesystem::exists(target) && !args.overwrite)
        throw RuntimeError(target.string() + " already exists (use --overwrite to replace it)");
    RunStats stats;
    if (!vote.all_ready())
        throw RuntimeError("rank " + std::to_string(world.rank) +
                           ": another rank could not start the run (see its message); no rank ran");
    if (shard.mpi) {
        std::string failure;
        try {
            ResultWriter writer(path.string(), runner.info(), true);
            FileSink sink(writer, nullptr);
            stats = runner.run(sink);
            writer.finish();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!failure.empty()) console.err << "error: rank " << world.rank << ": " << failure << '\n';
        const bool ok = all_ranks_ok(world, failure.empty());
        if (world.rank != 0 || !ok) {
            // Rank 0 merges (or gives up) before anyone removes anything, and
            // every rank learns whether the merge worked.
            const bool merged = all_ranks_ok(world, true);
            std::error_code ignored;  // (a rank whose file could not be written may have none to remove)
            std::filesystem::remove(path, ignored);
            if (!ok) return exit_runtime;
            if (!merged) {
                console.err << "error: rank " << world.rank << ": rank 0 could not merge the ranks' files (see its "
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
        all_ranks_ok(world, merge_failure.empty());
        std::filesystem::remove(path);
        if (!merge_failure.empty()) throw RuntimeError(merge_failure);
    } else {
        ResultWriter writer(path.string(), runner.info(), args.overwrite || !keep);
        std::optional<Checkpoint> checkpoint;
        if (checkpointing) {
            if (args.resume) {
                checkpoint = Checkpoint::resume(checkpoint_file, runner.info());
                if (!checkpoint) {
                    console.err << "note: no checkpoint " << checkpoint_file << " to resume from: running from the start\n";
                } else {
                    remove_stale_temporaries(target);
                    if (!args.quiet || checkpoint->dropped_bytes() > 0)
                        console.err << "note: resuming from " << checkpoint_file << ": "
                                    << checkpoint->saved_replicates() << " of " << runner.info().replicates
                                    << " replicate(s) already done"
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
            FileSink sink(writer, checkpoint ? &*checkpoint : nullptr);
            stats = runner.run(sink, sink.finished());
            if (args.lever_worth) writer.write_lever_subsets(runner.lever_subsets());
            writer.finish();
        } catch (const Interrupted& e) {
            if (!checkpoint) throw;
            console.err << "\nerror: " << e.what() << " to " << target.string() << "; the checkpoint "
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
                console.err << "warning: " << e.what() << " (the results are complete; delete it by hand)\n";
            }
        }
    }
    if (shard.n > 0 && !shard.mpi) {
        // A shard alone is part of a run: no summary until the shards are merged.
        if (!args.quiet)
            console.err << "shard " << shard.k + 1 << "/" << shard.n << ": replicates [" << options.shard_first << ", "
                        << options.shard_first + options.shard_count << ") of " << options.replicates
                        << " written to " << path.string() << " in " << fixed(stats.seconds, 2) << " s\n";
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
    const Summary summary = summarise(reader, SummaryOptions{{}, views_to_print(reader.info(), args.format, {})});
    print_summary(summary, args.format, console.out);
    console.out.flush();  // the timing line on stderr comes after the table, not inside it
    if (!args.quiet) {
        const std::string resumed = stats.resumed_replicates > 0
                                        ? "; " + std::to_string(stats.resumed_replicates) +
                                              " replicate(s) read back from the checkpoint"
                                        : std::string();
        const double rate =
            stats.seconds > 0 ? static_cast<double>(stats.replicate_years) * world.size / stats.seconds : 0.0;
        console.err << (options.deterministic ? "deterministic projection" : "Monte Carlo") << ": "
                    << runner.info().total_replicates << " replicate(s) x " << runner.info().variants.size()
                    << " variant(s), seed " << options.seed << ", " << fixed(stats.seconds, 2) << " s ("
                    << fixed(rate, 0) << " replicate-years/s)" << resumed << (keep ? "; results in " : "")
                    << (keep ? target.string() : std::string()) << '\n';
    }
    return exit_ok;
}

}  // namespace ehcpsim
