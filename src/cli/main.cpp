// The ehcpsim command line: CLI11 only. Flags become a request for the app
// (include/ehcpsim/app.h), which does the work; a failure becomes its exit
// code and message through explain_failure(). Exit codes: 0 success, 2 usage
// or scenario error, 3 runtime or I/O error, 130 interrupted.
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/timer/progress_display.hpp>

#include "ehcpsim/app.h"
#include "ehcpsim/compare.h"
#include "ehcpsim/error.h"
#include "ehcpsim/serve.h"
#include "ehcpsim/summary.h"
#include "ehcpsim/version.h"

namespace {

using namespace ehcpsim;

// Set by SIGINT/SIGTERM. A signal handler can only reach a global; the
// runner polls it and unwinds, so the writer removes its temporary file and
// nothing half-written is left at the target.
std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested.store(true); }

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

const char* const exit_codes_help =
    "Exit codes: 0 success; 2 usage error or invalid scenario; 3 runtime or I/O error\n"
    "(unreadable or unwritable file, HDF5 failure); 130 interrupted.";

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

}  // namespace

int main(int argc, char** argv) {
    const MpiSession mpi(argc, argv);
    CLI::App app{"ehcpsim " EHCPSIM_VERSION
                 ": Monte Carlo forecasts of EHCP demand and the High Needs Block deficit of an English local "
                 "authority.",
                 "ehcpsim"};
    app.footer(exit_codes_help);
    app.set_version_flag("--version", "ehcpsim " EHCPSIM_VERSION);
    app.require_subcommand(1);

    RunRequest run_args;
    std::string run_format = "table";
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
    run->add_option("--format", run_format, "Summary format")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    run->add_flag("-q,--quiet", run_args.quiet, "No progress bar or timing line");
    run->add_option("--shard", run_args.shard,
                    "Run only shard K of N (1 <= K <= N): a contiguous block of the replicates, written to -o; "
                    "merge the shards with `ehcpsim merge`. Read from SLURM_ARRAY_TASK_ID/COUNT when not given");
    run->add_flag("--force", run_args.force,
                  "Run even when the estimate says it would take more than a day, 50 GB of disk or half the memory");
    run->add_flag("--plan-detail", run_args.plan_detail,
                  "Also record the whole stock by placement, age and need each census (stock_by_placement_age_need): "
                  "the age x need tables of `summary --dsg-plan` and `summary --scap-return` read it. Larger files");
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
    run->add_flag("--lever-worth", run_args.lever_worth,
                  "Also run every subset of each mitigated variant's levers (at most 10) under its draws and store "
                  "each subset's cumulative deficit: `summary --levers` gives each lever's worth. Costs 2^k "
                  "projections a replicate for a variant of k levers");
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
    bool summary_levers = false, summary_by_year = false;
    std::vector<std::string> summary_targets;
    bool summary_dsg_plan = false, summary_scap_return = false;
    double summary_band = 80.0;
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
    summary->add_flag("--dsg-plan", summary_dsg_plan,
                      "The DSG deficit management plan in the DfE template's shape: per variant the financial "
                      "summary by financial year in GBP 000s (median, band, mean) and the children and young "
                      "people table (see docs/dsg-plan.md)");
    CLI::Option* summary_band_option =
        summary->add_option("--band", summary_band, "With --dsg-plan: the band beside the median, in % (80 = P10-P90)");
    summary->add_flag("--scap-return", summary_scap_return,
                      "SCAP in the return's shape: pupils with an EHCP by specialist provision type and national "
                      "curriculum year, Reception to 11, by academic year (needs a run with --plan-detail; see "
                      "docs/dsg-plan.md)");
    summary->add_flag("--drivers", summary_drivers,
                      "What drives the spread: the parameters ranked by standardised rank regression coefficient "
                      "(SRRC) for the cumulative deficit at the horizon and spend in the final year (table: top 10; "
                      "csv: every parameter; json: always included)");
    summary->add_flag("--levers", summary_levers,
                      "Each lever's worth (a file of `run --lever-worth`): standalone opportunity and Shapley share, "
                      "per variant and lever");
    summary->add_flag("--by-year", summary_by_year,
                      "With --exceed: P(cumulative deficit > X) and P(in-year deficit > X) in every year");
    summary->add_option("--target", summary_targets,
                        "P(meeting a target), e.g. cumulative_deficit:2028<=40m, share_mainstream:2027>=0.45, "
                        "stock.INMSS:2028<=120 (docs/output.md, \"Targets\"); may be repeated");
    std::string summary_xlsx;
    summary->add_option("--xlsx", summary_xlsx,
                        "Write an Excel workbook of every view instead (headline, quantiles, DSG plan, SCAP, places, "
                        "drivers, provenance; --exceed adds its sheet); see docs/output.md");
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
        "report", "Fan, tornado, exceedance and funding charts (PNG and SVG), a self-contained HTML page "
                  "(index.html), a one-page brief (brief.html) and the workbook (workbook.xlsx) from an ensemble file, drawn by scripts/report.py under /usr/bin/python3 (matplotlib, h5py); "
                  "see docs/report.md");
    report_cmd->add_option("file", report_file, "Ensemble HDF5 file written by `ehcpsim run -o`")->required();
    report_cmd->add_option("-o,--output", report_output, "Directory to write the report to (must not exist or be "
                                                         "empty, unless --overwrite)")
        ->required();
    report_cmd->add_flag("--overwrite", report_overwrite, "Replace a directory holding an earlier report");
    int report_year = 0;
    report_cmd->add_option("--year", report_year,
                           "Year of the second exceedance chart, as the year a financial year ends (2026 = 2025-26; "
                           "default: the middle forecast year); the first is at the horizon")
        ->check(CLI::Range(1000, 9999));
    report_cmd->footer(exit_codes_help);

    CalibrateRequest calibrate_args;
    CLI::App* calibrate_cmd = app.add_subcommand(
        "calibrate", "Fit a scenario to an authority's SEN2 history up to an origin year: base stock, rates and "
                     "mixes as posteriors, the rest from a template; see docs/calibrate.md");
    calibrate_cmd->add_option("--panel", calibrate_args.panel, "Panel CSV (default: the shipped SEN2 panel)");
    calibrate_cmd->add_option("--authority", calibrate_args.authority, "Authority code (la_code), e.g. E06000006")
        ->required();
    calibrate_cmd->add_option("--origin", calibrate_args.origin, "Origin year: the last January census used")
        ->required();
    calibrate_cmd->add_option("--template", calibrate_args.scenario_template,
                              "Template scenario TOML (default: the embedded default)");
    calibrate_cmd->add_option("-o,--output", calibrate_args.output, "Scenario TOML to write (CSVs beside it)")
        ->required();
    calibrate_cmd->add_option("--report", calibrate_args.report, "Fit report to write: FIT.md or FIT.json");
    calibrate_cmd->add_option("--pool", calibrate_args.pool,
                              "Authorities the priors pool over: all (default) or neighbours (statistical neighbours)");
    calibrate_cmd->add_flag("--overwrite", calibrate_args.overwrite, "Replace files written before");
    calibrate_cmd->footer(exit_codes_help);

    BacktestRequest backtest_args;
    bool backtest_chart = false, backtest_no_chart = false, backtest_progress = false;
    CLI::App* backtest_cmd = app.add_subcommand(
        "backtest", "Rolling-origin backtest: calibrate each authority at each origin on the panel cut there, "
                    "forecast H years, score against what was published beside the persistence, no-change and "
                    "three-year-trend benchmarks; writes forecasts.csv, scores.csv, summary.md and charts; see "
                    "docs/backtest.md");
    backtest_cmd->add_option("--panel", backtest_args.panel, "Panel CSV (default: the shipped SEN2 panel)");
    backtest_cmd
        ->add_option("--authority,--authorities", backtest_args.authorities,
                     "Authority code (la_code); repeatable or comma-separated; all (default) = every authority")
        ->delimiter(',');
    backtest_cmd->add_option("--neighbours-of", backtest_args.neighbours_of,
                             "An authority and its statistical neighbours (the shipped LAIT list)");
    backtest_cmd->add_option("--origins", backtest_args.origins,
                             "Origins FIRST:LAST or FIRST-LAST or one YEAR (default: every origin the panel allows)");
    backtest_cmd->add_option("--horizon", backtest_args.horizon, "Years forecast from each origin (default 5)");
    backtest_cmd->add_option("-n,--replicates", backtest_args.replicates,
                             "Replicates per authority and origin (default 1000)");
    backtest_cmd->add_option("--seed", backtest_args.seed, "Master seed (default: the template's)");
    backtest_cmd->add_option("--template", backtest_args.scenario_template,
                             "Template scenario TOML (default: the embedded default)");
    backtest_cmd->add_option("--pool", backtest_args.pool,
                             "Authorities the priors pool over: all (default) or neighbours");
    backtest_cmd->add_option("-o,--output", backtest_args.output,
                             "Directory to write to (must be new or empty, unless --overwrite)")
        ->required();
    backtest_cmd->add_flag("--overwrite", backtest_args.overwrite, "Replace the backtest files in a directory");
    backtest_cmd->add_option("--threads", backtest_args.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    backtest_cmd->add_flag("--benchmarks-only", backtest_args.benchmarks_only,
                           "Score the benchmarks alone (no model run): seconds for the whole panel");
    backtest_cmd->add_option("--forecasts-from", backtest_args.forecasts_from,
                             "Score the forecasts of a saved forecasts.csv again (e.g. on other origins); no model "
                             "run");
    backtest_cmd->add_option("--fan-authority", backtest_args.fan_authority,
                             "Authority whose fans the chart shows (default: the first)");
    backtest_cmd->add_flag("--chart", backtest_chart, "Fail (exit 3) when the charts cannot be drawn");
    backtest_cmd->add_flag("--no-chart", backtest_no_chart, "Draw no charts");
    backtest_cmd->add_flag("-q,--quiet", backtest_args.quiet, "No summary, progress or timing line");
    backtest_cmd->add_flag("--progress", backtest_progress,
                           "Show progress even when stderr is not a terminal (units done, elapsed, ETA)");
    backtest_cmd->footer(exit_codes_help);

    CompareRequest compare_args;
    std::string compare_format = "table";
    bool compare_no_attribution = false;
    CLI::App* compare = app.add_subcommand(
        "compare", "What moved since last time: the scenario keys that differ between two runs' files, the change in "
                   "the headline figures by variant, and (same seed) each changed key's part of it");
    compare->add_option("old", compare_args.old_file, "The earlier ensemble file (OLD)")->required();
    compare->add_option("new", compare_args.new_file, "The later ensemble file (NEW)")->required();
    compare->add_option("--format", compare_format, "Output format")->check(CLI::IsMember({"table", "csv"}));
    compare->add_flag("--no-attribution", compare_no_attribution,
                      "Only the keys and the figures: no re-runs of OLD's scenario with each changed key");
    compare->add_option("--threads", compare_args.threads, "Worker threads for the re-runs (default: all cores)")
        ->check(CLI::Range(1, 4096));
    compare->footer(exit_codes_help);
    ServeRequest serve_args;
    CLI::App* serve_cmd = app.add_subcommand(
        "serve", "A local web page that edits a scenario and re-runs it in the background with the same seed; "
                 "prints its address (127.0.0.1 and a free port unless asked); see docs/serve.md");
    serve_cmd->add_option("scenario", serve_args.scenario, "Scenario TOML file (default: the embedded one)");
    serve_cmd->add_option("--host", serve_args.host,
                          "Interface to listen on (default 127.0.0.1, this machine only; another address lets "
                          "other machines edit and run)");
    serve_cmd->add_option("--port", serve_args.port, "Port (default: a free port chosen by the system)")
        ->check(CLI::Range(0, 65535));
    serve_cmd->add_option("-n,--replicates", serve_args.replicates, "Replicates per run (default: the scenario's)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
    serve_cmd->add_option("--seed", serve_args.seed, "Seed of every run (default: the scenario's)");
    serve_cmd->add_option("--threads", serve_args.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    serve_cmd->footer(exit_codes_help);

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
    Progress progress(!run_args.quiet && mpi.world().rank == 0);
    const Console console{std::cout, std::cerr,
                          [&progress](std::int64_t done, std::int64_t total) { progress(done, total); },
                          &stop_requested, mpi.world()};
    try {
        if (*run) {
            run_args.format = parse_format(run_format);
            return run_command(run_args, console);
        }
        if (*compare) {
            compare_args.csv = compare_format == "csv";
            compare_args.attribute = !compare_no_attribution;
            return compare_command(compare_args, console);
        }
        if (*merge) return merge_command(merge_inputs, merge_output, merge_overwrite, console);
        if (*summary) {
            SummaryRequest request{summary_file, std::nullopt, summary_dbv, summary_places, summary_scap,
                                   summary_dsg, summary_drivers, summary_exceed, summary_levers,
                                   summary_by_year, summary_targets, summary_xlsx, summary_dsg_plan,
                                   summary_band_option->count() > 0 ? std::optional<double>(summary_band)
                                                                    : std::nullopt,
                                   summary_scap_return};
            if (summary_format_option->count() > 0) request.format = parse_format(summary_format);
            return summary_command(request, console);
        }
        if (*validate) return validate_command(validate_file, console);
        if (*example) return example_command(example_dir, console);
        if (*report_cmd) return report_command(report_file, report_output, report_overwrite, report_year);
        if (*serve_cmd) return serve_command(serve_args, console);
        if (*calibrate_cmd) return calibrate_command(calibrate_args, console);
        if (*backtest_cmd) {
            if (backtest_chart && backtest_no_chart) throw UsageError("give --chart or --no-chart, not both");
            backtest_args.chart = backtest_chart      ? BacktestRequest::Chart::required
                                  : backtest_no_chart ? BacktestRequest::Chart::off
                                                      : BacktestRequest::Chart::when_possible;
            backtest_args.progress = backtest_progress || isatty(STDERR_FILENO);
            return backtest_command(backtest_args, console);
        }
    } catch (...) {
        // Every rank of an MPI run reads the same scenario and flags, so a
        // scenario or usage error is the same on each: rank 0 says it once.
        std::ostringstream unsaid;
        const std::exception_ptr failure = std::current_exception();
        const bool same_on_every_rank = [&] {
            try {
                std::rethrow_exception(failure);
            } catch (const ScenarioError&) {
                return true;
            } catch (const UsageError&) {
                return true;
            } catch (...) {
                return false;
            }
        }();
        return explain_failure(failure, mpi.world().rank > 0 && same_on_every_rank ? unsaid : std::cerr);
    }
    return exit_usage;
}
