// `ehcpsim backtest` (app.h): the choices checked against the panel, the
// engine's forecaster run over the units in parallel (oneTBB), the files,
// summary.md and the charts published together.
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <tuple>

#include "backtest_chart.h"
#include "ehcpsim/app.h"
#include "ehcpsim/backtest.h"
#include "ehcpsim/backtest_summary.h"
#include "ehcpsim/engine_forecaster.h"
#include "ehcpsim/error.h"
#include "ehcpsim/publish.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/shipped_data.h"
#include "ehcpsim/tsan_handover.h"

namespace ehcpsim {

namespace fs = std::filesystem;
using namespace calibrate;

namespace {

std::string duration_text(double seconds) {
    const long s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lds", s);
    return buf;
}

// Units done of the total, elapsed and ETA, on one line rewritten at most
// twice a second (calls never overlap: compute_backtest serialises them).
// Boost's progress_display, which `run` uses, shows neither elapsed time nor
// an ETA, and no Debian package offers a C++ progress line that does.
class UnitProgress {
public:
    UnitProgress(std::ostream& err, bool enabled) : err_(err), enabled_(enabled) {}
    void operator()(const BacktestProgress& p) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (p.done < p.total && now - last_ < std::chrono::milliseconds(500)) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const double eta = p.done > 0 ? elapsed / static_cast<double>(p.done) * static_cast<double>(p.total - p.done) : 0;
        err_ << "\rbacktest: " << p.done << "/" << p.total << " units (origin " << p.origin << "), "
             << duration_text(elapsed) << " elapsed, ETA " << duration_text(eta) << "    " << std::flush;
        if (p.done == p.total) err_ << "\n";
    }

private:
    std::ostream& err_;
    bool enabled_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_{};
};

int parse_year(const std::string& text, const std::string& whole) {
    int year = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), year);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size())
        throw UsageError("--origins '" + whole + "' is not a year or a range FIRST:LAST (e.g. 2015:2020)");
    return year;
}

std::pair<int, int> parse_origins(const std::string& text) {
    const std::size_t sep = text.find_first_of(":-");
    if (sep == std::string::npos) {
        const int y = parse_year(text, text);
        return {y, y};
    }
    return {parse_year(text.substr(0, sep), text), parse_year(text.substr(sep + 1), text)};
}

std::vector<std::string> chosen_authorities(const BacktestRequest& request, const Panel& panel,
                                            const fs::path& data_dir) {
    std::vector<std::string> codes;
    if (!request.neighbours_of.empty()) {
        if (!request.authorities.empty())
            throw UsageError("give --authority or --neighbours-of, not both");
        if (!panel.has_authority(request.neighbours_of))
            throw UsageError("--neighbours-of: the panel has no authority " + request.neighbours_of);
        codes.push_back(request.neighbours_of);
        for (const std::string& code :
             read_statistical_neighbours((data_dir / "stat_neighbours.csv").string(), request.neighbours_of))
            if (panel.has_authority(code)) codes.push_back(code);
        if (codes.size() == 1)
            throw UsageError("--neighbours-of " + request.neighbours_of +
                             ": none of its statistical neighbours is in the panel");
    } else {
        for (const std::string& code : request.authorities)
            if (code != "all") codes.push_back(code);
        if (codes.size() < request.authorities.size() && !codes.empty())
            throw UsageError("--authority all cannot be given with authority codes");
        std::vector<std::string> unknown;
        for (const std::string& code : codes)
            if (!panel.has_authority(code)) unknown.push_back(code);
        if (!unknown.empty()) {
            std::string list;
            for (const std::string& code : unknown) list += (list.empty() ? "" : ", ") + code;
            throw UsageError("the panel has no authority " + list + " (give la_code as the panel writes it, such "
                             "as " + panel.authorities().front() + ")");
        }
    }
    if (codes.empty()) return panel.authorities();
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    return codes;
}

void check_output_directory(const BacktestRequest& request) {
    if (request.output.empty()) throw UsageError("-o DIR is required (the directory to write the backtest to)");
    std::error_code ec;
    const fs::path dir(request.output);
    if (!fs::exists(dir, ec)) return;
    if (!fs::is_directory(dir, ec)) throw UsageError("-o " + request.output + " is a file, not a directory");
    if (!request.overwrite && !fs::is_empty(dir, ec))
        throw UsageError("-o " + request.output + " is not empty: give --overwrite to replace the backtest in it, "
                         "or an empty or new directory");
}

}  // namespace

int backtest_command(const BacktestRequest& request, const Console& console) {
    const auto started = std::chrono::steady_clock::now();
    if (request.horizon < 1) throw UsageError("--horizon must be at least 1, not " + std::to_string(request.horizon));
    if (request.horizon > 50) throw UsageError("--horizon must be at most 50");
    if (request.replicates < 1)
        throw UsageError("-n must be at least 1, not " + std::to_string(request.replicates));
    if (request.threads < 0) throw UsageError("--threads must be at least 1");
    if (request.benchmarks_only && !request.forecasts_from.empty())
        throw UsageError("give --benchmarks-only or --forecasts-from, not both");
    if (request.pool != "all" && request.pool != "neighbours")
        throw UsageError("--pool '" + request.pool + "' is not all or neighbours");
    check_output_directory(request);

    std::error_code ec;
    const std::string self = fs::read_symlink("/proc/self/exe", ec).string();
    const std::string shipped = find_shipped_panel(self);
    const std::string panel_path = request.panel.empty() ? shipped : request.panel;
    const fs::path data_dir = fs::path(shipped).parent_path();
    const Panel panel = Panel::read_file(panel_path);

    BacktestOptions options;
    options.authorities = chosen_authorities(request, panel, data_dir);
    options.horizon = request.horizon;
    const auto allowed = default_origins(panel);
    if (!allowed)
        throw UsageError("the panel " + panel_path + " has fewer than three January censuses: no origin can be "
                         "backtested");
    if (request.origins.empty()) {
        options.first_origin = allowed->first;
        options.last_origin = allowed->second;
    } else {
        std::tie(options.first_origin, options.last_origin) = parse_origins(request.origins);
        if (options.first_origin > options.last_origin)
            throw UsageError("--origins " + request.origins + " is an empty range (the first origin is after the "
                             "last)");
        // Up to the last census: an origin with nothing yet published after
        // it is forecast (forecasts.csv) and scored for no one.
        const int last_census = panel.years(Dating::census)->last;
        if (options.first_origin < allowed->first || options.last_origin > last_census)
            throw UsageError("--origins " + request.origins + " is outside what the panel allows: origins " +
                             std::to_string(allowed->first) + " to " + std::to_string(last_census) +
                             " (an origin needs the census before it; only those up to " +
                             std::to_string(allowed->second) + " have a later census to score against)");
    }
    const std::string fan = request.fan_authority.empty() ? options.authorities.front() : request.fan_authority;
    if (std::find(options.authorities.begin(), options.authorities.end(), fan) == options.authorities.end())
        throw UsageError("--fan-authority " + fan + " is not one of the authorities backtested");

    Template tmpl = load_template(request.scenario_template);
    const bool run_model = !request.benchmarks_only && request.forecasts_from.empty();
    if (run_model && tmpl.set.variants.front().horizon < request.horizon)
        throw UsageError("--horizon " + std::to_string(request.horizon) + " is beyond the template's horizon (" +
                         std::to_string(tmpl.set.variants.front().horizon) +
                         " years): give a smaller --horizon or a template with a longer one");
    const std::uint64_t seed = request.seed.value_or(tmpl.set.default_seed);
    const std::string template_name = tmpl.display_name;

    std::vector<std::string> notes;
    Forecaster forecaster;
    std::atomic<std::size_t> skipped{0};
    std::vector<std::string> failed;  // units calibrate could not serve, with the reason
    std::mutex failed_mutex;
    std::unique_ptr<EngineForecaster> engine;
    if (!request.forecasts_from.empty()) forecaster = forecasts_file_forecaster(request.forecasts_from);
    if (run_model) {
        EngineForecasterOptions fopts;
        fopts.replicates = request.replicates;
        fopts.seed = seed;
        fopts.panel_name = fs::path(panel_path).filename().string();
        if (request.pool == "neighbours") {
            std::vector<std::string> alone;
            for (const std::string& la : options.authorities) {
                fopts.neighbours[la] = read_statistical_neighbours((data_dir / "stat_neighbours.csv").string(), la);
                if (fopts.neighbours[la].empty()) alone.push_back(la);
            }
            if (!alone.empty())
                notes.push_back(std::to_string(alone.size()) + " authorit" + (alone.size() == 1 ? "y has" : "ies have") +
                                " no statistical neighbours in the shipped list (" + alone.front() +
                                (alone.size() > 1 ? ", ..." : "") + "): their priors pool over all authorities");
        }
        engine = std::make_unique<EngineForecaster>(
            EnglandProfile::read((data_dir / "population_england_snpp2018.csv").string(),
                                 (data_dir / "national.csv").string()),
            std::move(tmpl), std::move(fopts));
        const std::atomic<bool>* cancel = console.cancel;
        forecaster = [&engine, &skipped, &failed, &failed_mutex, cancel](
                         const Panel& cut, const std::string& la, int origin,
                         int horizon) -> std::vector<QuantileForecast> {
            if (cancel && cancel->load()) throw Interrupted();
            // An authority without the census at the origin and the one
            // before (a new or an abolished code) cannot be calibrated there:
            // its pairs are scored for no model.
            if (!check_request(cut, la, origin).empty()) {
                ++skipped;
                return {};
            }
            try {
                return (*engine)(cut, la, origin, horizon);
            } catch (const UnitNotForecast& e) {
                const std::lock_guard<std::mutex> lock(failed_mutex);
                failed.push_back(e.what());
                return {};
            }
        };
    }

    const bool show_progress = request.progress && !request.quiet;
    UnitProgress progress_line(console.err, show_progress);
    const int threads = request.threads > 0 ? request.threads : tbb::this_task_arena::max_concurrency();
    tbb::task_arena arena(threads);
    options.parallel_for = [&arena](std::size_t n, const std::function<void(std::size_t)>& body) {
        arena.execute([&] {
            // The hand-over annotated for ThreadSanitizer (tsan_handover.h); the
            // loop body exists before publish(): TBB reads it by reference.
            const auto loop = [&](std::size_t i) {
                TsanHandOver::body_begins();
                body(i);
                TsanHandOver::body_ends();
            };
            TsanHandOver::publish();
            tbb::parallel_for(std::size_t{0}, n, loop);
            TsanHandOver::collect();
        });
    };
    const BacktestResult result =
        compute_backtest(panel, options, forecaster, [&](const BacktestProgress& p) { progress_line(p); });
    if (skipped > 0)
        notes.push_back(std::to_string(skipped.load()) + " of " +
                        std::to_string(options.authorities.size() *
                                       static_cast<std::size_t>(options.last_origin - options.first_origin + 1)) +
                        " (authority, origin) units had no January census at the origin or the year before (a code "
                        "that starts or ends within the range): not forecast, and their pairs are scored for no "
                        "model");
    if (!failed.empty()) {
        std::sort(failed.begin(), failed.end());
        console.err << "warning: " << failed.size() << " (authority, origin) unit" << (failed.size() == 1 ? "" : "s")
                    << " not forecast (listed in summary.md): " << failed.front() << "\n";
        for (const std::string& f : failed)
            notes.push_back("Not forecast (its pairs are scored for no model): " + f);
    }
    if (run_model)
        for (const std::string& gap : engine_forecaster_gaps()) notes.push_back("Not forecast: " + gap + ".");

    std::vector<std::string> run_lines;
    run_lines.push_back("Panel: " + fs::path(panel_path).filename().string() + " (" + std::to_string(panel.size()) +
                        " rows)");
    std::string codes;
    for (std::size_t i = 0; i < options.authorities.size() && i < 8; ++i)
        codes += (i ? ", " : "") + options.authorities[i];
    if (options.authorities.size() > 8) codes += ", ...";
    run_lines.push_back("Authorities: " + std::to_string(options.authorities.size()) + " (" + codes + ")" +
                        (request.neighbours_of.empty() ? "" : ", " + request.neighbours_of + " and its statistical "
                                                                                             "neighbours"));
    run_lines.push_back("Origins " + std::to_string(options.first_origin) + " to " +
                        std::to_string(options.last_origin) + ", horizons 1 to " + std::to_string(options.horizon));
    if (request.benchmarks_only) {
        run_lines.push_back("Benchmarks only: no model was run");
    } else if (!run_model) {
        run_lines.push_back("Model: the forecasts of " + fs::path(request.forecasts_from).filename().string() +
                            ", scored again (no model was run)");
    } else {
        run_lines.push_back("Model: ehcpsim calibrated at each origin from " + template_name + ", priors pooled over " +
                            (request.pool == "all" ? "all authorities" : "statistical neighbours") + "; " +
                            std::to_string(request.replicates) + " replicates of the baseline, master seed " +
                            std::to_string(seed));
    }
    const BacktestSummaryText summary = backtest_summary(result, options.model_name, run_lines, notes);

    std::vector<std::pair<fs::path, std::string>> files;
    const fs::path dir(request.output);
    fs::create_directories(dir, ec);
    if (ec) throw RuntimeError("cannot create the directory " + request.output + ": " + ec.message());
    for (auto& [name, text] : backtest_file_texts(result)) files.emplace_back(dir / name, std::move(text));
    files.emplace_back(dir / "summary.md", summary.markdown);

    if (request.chart != BacktestRequest::Chart::off) {
        ChartOutcome charts = draw_backtest_charts(result, panel, fan, options.model_name, dir, self);
        if (!charts.failure.empty()) {
            if (request.chart == BacktestRequest::Chart::required)
                throw RuntimeError("the charts could not be drawn: " + charts.failure);
            console.err << "note: charts not drawn: " << charts.failure << "\n";
        }
        for (auto& [name, bytes] : charts.files) files.emplace_back(dir / name, std::move(bytes));
    }
    publish_files(files);

    if (!request.quiet) {
        console.out << summary.headline;
        console.out << "wrote";
        for (const auto& [path, text] : files) console.out << " " << path.filename().string();
        console.out << " to " << request.output << " (summary.md has the breakdowns)\n";
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!request.quiet)
        console.err << "backtest: " << result.authorities.size() << " authorities x "
                    << (options.last_origin - options.first_origin + 1) << " origins in " << duration_text(seconds)
                    << " on " << threads << " thread" << (threads == 1 ? "" : "s") << "\n";
    return exit_ok;
}

}  // namespace ehcpsim
