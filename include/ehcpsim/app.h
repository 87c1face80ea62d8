// The policy of each command, runnable and testable in process: what `run`
// does around the runner (the size guard, shards and MPI ranks, the
// checkpoint and --resume, the temporary file of a run without -o, the
// summary after a run), and the smaller commands. The command line (src/cli)
// only turns flags into these requests and a failure into an exit code and
// a message, through explain_failure(); everything else is here.
//
// A command writes what a user reads to Console::out and notes, warnings and
// timings to Console::err, never to the process's streams directly, so a
// test can hold both. A user's mistake is thrown (UsageError, ScenarioError,
// RuntimeError, Interrupted) and explain_failure() gives its exit code; the
// int a command returns is the exit code of a command that ran to its end
// (an interrupted run with a checkpoint returns exit_interrupted).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ehcpsim/summary.h"

namespace ehcpsim {

// A mistake in the command line found after parsing (exit 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The processes of this run: one, or the ranks of an MPI launch.
struct World {
    int rank = 0;
    int size = 1;
};

// Starts MPI when the process was started by an MPI launcher (mpirun and
// srun set its variables), so the same binary also runs as a plain program
// on a machine with no MPI daemon; finalises it at the end. Without MPI
// support compiled in it does nothing and the world is one process.
class MpiSession {
public:
    MpiSession(int& argc, char**& argv);
    ~MpiSession();
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
    const World& world() const { return world_; }

private:
    World world_;
    bool active_ = false;
};

// Where a command speaks, and what stops it.
struct Console {
    std::ostream& out;  // results: the summary, the merge report
    std::ostream& err;  // notes, warnings, the timing line
    // Called after each block of a run: (replicates done, replicates in all).
    std::function<void(std::int64_t, std::int64_t)> progress = {};
    // Set (by a signal handler, say) to stop a run: it unwinds, leaving no
    // file at the target, and keeps its checkpoint.
    const std::atomic<bool>* cancel = nullptr;
    World world = {};
};

struct RunRequest {
    std::string scenario;                // "" = the embedded default
    std::int64_t replicates = 0;         // 0 = the scenario's
    std::optional<std::uint64_t> seed;   // none = the scenario's
    int threads = 0;                     // 0 = every core
    std::string output;                  // "" = a temporary file, summarised and removed
    bool deterministic = false;
    bool overwrite = false;
    bool quiet = false;                  // no timing line; notes only when they matter
    bool no_crn = false;
    bool fixed_parameters = false;
    bool plan_detail = false;            // record stock_by_placement_age_need (RunOptions::record_plan_detail)
    bool force = false;                  // past the size guard
    bool resume = false;
    bool no_checkpoint = false;
    std::int64_t block_size = 0;
    std::string shard;                   // "K/N", or "" (then Slurm's array variables, or the MPI rank)
    std::vector<std::string> variants;   // empty = all
    SummaryFormat format = SummaryFormat::table;
    // Each lever's worth: every subset of each mitigated variant's levers
    // run under its draws, stored in the file (docs/output.md, "Lever worth").
    bool lever_worth = false;
};

// `ehcpsim run`: docs/cluster.md and the README describe the policy.
int run_command(const RunRequest& request, const Console& console);

struct SummaryRequest {
    std::string file;
    std::optional<SummaryFormat> format;  // none: the view's own (CSV for --scap and --dsg, else a table)
    bool dbv = false, places = false, scap = false, dsg = false, drivers = false;
    std::vector<std::string> exceed;      // amounts as given, e.g. "30m"
    bool levers = false;                  // each lever's worth (summary_levers.h), on its own
    bool by_year = false;                 // with exceed: P(cumulative / in-year deficit > X) by year, on its own
    std::vector<std::string> targets;     // "cumulative_deficit:2028<=40m" (summary_targets.h), on their own
    // The Excel workbook (workbook.h) to write instead of printing: every
    // view, one sheet each; "" = none. Excludes format and the view flags
    // (UsageError); --exceed adds its sheet.
    std::string xlsx;
    // The DSG deficit management plan in the template's shape (--dsg-plan),
    // and the SCAP return's shape (--scap-return): plan tables, each alone.
    bool dsg_plan = false;
    std::optional<double> band;           // --band, with --dsg-plan only (default 80)
    bool scap_return = false;
};
int summary_command(const SummaryRequest& request, const Console& console);

// `ehcpsim compare OLD.h5 NEW.h5` (compare.h, docs/compare.md).
struct CompareRequest;
int compare_command(const CompareRequest& request, const Console& console);

int merge_command(const std::vector<std::string>& shards, const std::string& output, bool overwrite,
                  const Console& console);
int validate_command(const std::string& scenario, const Console& console);
int example_command(const std::string& directory, const Console& console);

// `ehcpsim calibrate` (docs/calibrate.md): the panel (shipped when empty),
// cut at the origin, and a template (the embedded default when empty) to a
// scenario TOML at `output` with its stock and population CSVs beside it
// (<stem>_stock.csv, <stem>_population.csv) and, when `report` is given, the
// fit report (.md or .json). An unknown authority, an origin the panel does
// not allow, a report that is neither .md nor .json: UsageError.
struct CalibrateRequest {
    std::string panel;       // "" = the shipped panel
    std::string authority;
    int origin = 0;
    std::string scenario_template;  // "" = the embedded default
    std::string output;      // OUT.toml
    std::string report;      // "" = none; FIT.md or FIT.json
    std::string pool = "all";  // "all" or "neighbours" (the shipped LAIT statistical neighbours)
    bool overwrite = false;
};
int calibrate_command(const CalibrateRequest& request, const Console& console);

// `ehcpsim backtest` (docs/backtest.md): for every chosen authority and
// origin, calibrate on the panel cut at the origin, run R replicates of the
// baseline H years on, and score against what was published, beside the
// persistence, no-change and three-year-trend benchmarks. Writes the six
// files of backtest.h, summary.md and the charts into `output` together
// (temp-then-rename). Bad choices (an unknown authority, an origin outside
// the panel, an empty range, H < 1, R < 1, a non-empty output directory
// without overwrite): UsageError.
struct BacktestRequest {
    std::string panel;                     // "" = the shipped panel
    std::vector<std::string> authorities;  // empty or "all" = every authority of the panel
    std::string neighbours_of;             // a code: it and its shipped statistical neighbours
    std::string origins;                   // "FIRST:LAST", "FIRST-LAST" or "YEAR"; "" = default_origins
    int horizon = 5;
    std::int64_t replicates = 1000;
    std::optional<std::uint64_t> seed;     // none = the template's
    std::string scenario_template;         // "" = the embedded default
    std::string pool = "all";              // "all" or "neighbours"
    std::string output;                    // directory
    bool overwrite = false;
    int threads = 0;                       // 0 = every core
    bool benchmarks_only = false;
    std::string forecasts_from;            // a saved forecasts.csv scored again (no model run); "" = run the model
    bool quiet = false;                    // no summary on out, no progress
    bool progress = false;                 // units done/total, elapsed and ETA on err
    std::string fan_authority;             // "" = the first authority
    enum class Chart { when_possible, required, off } chart = Chart::when_possible;
};
int backtest_command(const BacktestRequest& request, const Console& console);

// `ehcpsim report`: finds scripts/report.py (installed beside the binary or
// under ../share/ehcpsim, or in $EHCPSIM_SCRIPTS_DIR) and becomes it (exec),
// under $EHCPSIM_PYTHON or /usr/bin/python3. Returns only by throwing.
// year: the second exceedance chart's year (0 = report.py's default).
int report_command(const std::string& file, const std::string& output, bool overwrite, int year = 0);
// Where `report` looks for a script shipped with the binary (report.py,
// backtest_chart.py), in order, for a binary at `executable`.
std::vector<std::string> script_candidates(const std::string& executable, const std::string& script);
// The first readable candidate of `script` for a binary at `executable`; when
// none is, `path` is empty and `tried` lists the places looked at.
struct FoundScript {
    std::string path;
    std::string tried;
};
FoundScript find_script(const std::string& executable, const std::string& script);

// Writes what went wrong to `err` (a scenario's problems one per line, the
// first 20 of them) and returns the exit code for it: 2 usage or scenario,
// 3 runtime or I/O, 130 interrupted.
int explain_failure(std::exception_ptr failure, std::ostream& err);

}  // namespace ehcpsim
