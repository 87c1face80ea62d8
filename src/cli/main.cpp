// The ehcpsim command line: argument handling only (CLI11); the work is done
// by the library. Exit codes: 0 success, 2 usage or scenario error, 3 runtime
// or I/O error, 130 interrupted.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/timer/progress_display.hpp>

#include "ehcpsim/error.h"
#include "ehcpsim/output.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/summary.h"
#include "ehcpsim/version.h"

namespace {

using namespace ehcpsim;

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

std::filesystem::path temporary_output() {
    return std::filesystem::temp_directory_path() / ("ehcpsim-" + std::to_string(getpid()) + ".h5");
}

void report_notes(const ScenarioSet& scenario) {
    for (const std::string& note : scenario.notes) std::cerr << "note: " << note << '\n';
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
    std::vector<std::string> variants;
    std::string format = "table";
};

int run_command(const RunArgs& args) {
    const ScenarioSet scenario = load(args.scenario);
    report_notes(scenario);
    RunOptions options;
    options.seed = args.seed.value_or(scenario.default_seed);
    options.replicates = args.replicates > 0 ? args.replicates : scenario.default_replicates;
    options.threads = args.threads;
    options.deterministic = args.deterministic;
    options.variants = args.variants;
    options.common_random_numbers = !args.no_crn;
    Progress progress(!args.quiet);
    options.progress = [&progress](std::int64_t done, std::int64_t total) { progress(done, total); };

    const Runner runner(scenario, options, EHCPSIM_VERSION);
    // Without -o the results go to a temporary file that is summarised and
    // removed: the summary is always computed from what a file would hold.
    const bool keep = !args.output.empty();
    const std::filesystem::path path = keep ? std::filesystem::path(args.output) : temporary_output();
    RunStats stats;
    {
        ResultWriter writer(path.string(), runner.info(), args.overwrite || !keep);
        stats = runner.run(writer);
        writer.finish();
    }
    const Summary summary = summarise(ResultReader(path.string()));
    if (!keep) std::filesystem::remove(path);
    print_summary(summary, parse_format(args.format), std::cout);
    std::cout.flush();  // the timing line on stderr comes after the table, not inside it
    if (!args.quiet) {
        std::fprintf(stderr, "%s: %lld replicate(s) x %zu variant(s), seed %llu, %.2f s (%.0f replicate-years/s)%s%s\n",
                     options.deterministic ? "deterministic projection" : "Monte Carlo",
                     static_cast<long long>(runner.info().replicates), runner.info().variants.size(),
                     static_cast<unsigned long long>(options.seed), stats.seconds,
                     stats.seconds > 0 ? static_cast<double>(stats.replicate_years) / stats.seconds : 0.0,
                     keep ? "; results in " : "", keep ? path.c_str() : "");
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

}  // namespace

int main(int argc, char** argv) {
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
    run->add_option("--seed", run_args.seed, "Master seed (default: the scenario's)");
    run->add_option("--threads", run_args.threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 4096));
    run->add_option("-o,--output", run_args.output, "HDF5 file to write (default: summarise and discard)");
    run->add_flag("--deterministic", run_args.deterministic,
                  "Expected-value projection: every draw replaced by its mean, parameters at their means");
    run->add_flag("--overwrite", run_args.overwrite, "Replace an existing output file");
    run->add_option("--variants", run_args.variants, "Comma-separated subset of variants to run")->delimiter(',');
    run->add_option("--format", run_args.format, "Summary format")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    run->add_flag("-q,--quiet", run_args.quiet, "No progress bar or timing line");
    run->add_flag("--no-crn", run_args.no_crn,
                  "Give each variant random numbers of its own (to see what common random numbers buy)");
    run->footer(exit_codes_help);

    std::string summary_file, summary_format = "table";
    bool summary_dbv = false, summary_places = false, summary_scap = false;
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
    summary->footer(exit_codes_help);

    std::string validate_file;
    CLI::App* validate = app.add_subcommand("validate", "Check a scenario without running it");
    validate->add_option("scenario", validate_file, "Scenario TOML file (default: the embedded one)");
    validate->footer(exit_codes_help);

    std::string example_dir;
    CLI::App* example = app.add_subcommand("example", "Print the default scenario's TOML, or write it with its "
                                                      "CSV tables to a directory to copy and edit");
    example->add_option("--dir", example_dir, "Directory to write the TOML and CSV files to");
    example->footer(exit_codes_help);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }

    try {
        if (*run) return run_command(run_args);
        if (*summary) {
            if (summary_scap && summary_format_option->count() > 0 && summary_format != "csv") {
                std::cerr << "error: --scap writes CSV: leave out --format or give --format csv\n";
                return exit_usage;
            }
            const SummaryFormat format = summary_scap ? SummaryFormat::csv : parse_format(summary_format);
            const int tables = static_cast<int>(summary_dbv) + static_cast<int>(!summary_exceed.empty()) +
                               static_cast<int>(summary_places) + static_cast<int>(summary_scap);
            if (format == SummaryFormat::csv && tables > 1) {
                std::cerr << "error: --format csv prints one table: give one of --dbv, --exceed, --places, --scap\n";
                return exit_usage;
            }
            SummaryOptions options;
            for (const std::string& text : summary_exceed) options.exceedance_thresholds.push_back(*parse_amount(text));
            print_summary(summarise(ResultReader(summary_file), options), format, std::cout,
                          PrintOptions{summary_dbv, summary_places, summary_scap});
            return exit_ok;
        }
        if (*validate) return validate_command(validate_file);
        if (*example) return example_command(example_dir);
    } catch (const ScenarioError& e) {
        std::cerr << "error: invalid scenario (" << e.problems().size() << " problem"
                  << (e.problems().size() == 1 ? "" : "s") << "):\n";
        for (const Diagnostic& d : e.problems()) {
            const std::string where = format_location(d.where);
            std::cerr << "  " << (where.empty() ? "" : where + ": ") << d.message << '\n';
        }
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
