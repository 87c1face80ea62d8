// `ehcpsim calibrate` (app.h): finds the data, loads the template, runs the
// fit, checks that what it wrote loads as a scenario, and writes the files
// to temporary names renamed into place together.

#include <chrono>
#include <filesystem>
#include <map>
#include <ostream>

#include "ehcpsim/app.h"
#include "ehcpsim/publish.h"
#include "ehcpsim/calibrate.h"
#include "ehcpsim/error.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/shipped_data.h"

namespace ehcpsim {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

int calibrate_command(const CalibrateRequest& request, const Console& console) {
    const auto started = std::chrono::steady_clock::now();
    if (request.authority.empty()) throw UsageError("--authority CODE is required (an la_code of the panel)");
    if (request.output.empty()) throw UsageError("-o OUT.toml is required");
    if (!ends_with(request.output, ".toml")) throw UsageError("-o '" + request.output + "' must end in .toml");
    if (request.pool != "all" && request.pool != "neighbours")
        throw UsageError("--pool '" + request.pool + "' is not all or neighbours");
    if (!request.report.empty() && !ends_with(request.report, ".md") && !ends_with(request.report, ".json"))
        throw UsageError("--report '" + request.report + "' must end in .md (Markdown) or .json");

    std::error_code ec;
    const std::string self = fs::read_symlink("/proc/self/exe", ec).string();
    const std::string shipped = calibrate::find_shipped_panel(self);
    const std::string panel_path = request.panel.empty() ? shipped : request.panel;
    const fs::path data_dir = fs::path(shipped).parent_path();
    const calibrate::Panel panel = calibrate::Panel::read_file(panel_path);
    if (const std::string why = calibrate::check_request(panel, request.authority, request.origin); !why.empty())
        throw UsageError(why + " (panel " + panel_path + ")");
    const calibrate::EnglandProfile england = calibrate::EnglandProfile::read(
        (data_dir / "population_england_snpp2018.csv").string(), (data_dir / "national.csv").string());

    calibrate::Template tmpl = calibrate::load_template(request.scenario_template);

    const fs::path toml_path(request.output);
    const std::string stem = toml_path.stem().string();
    calibrate::CalibrateOptions options;
    options.authority = request.authority;
    options.origin = request.origin;
    options.panel_name = fs::path(panel_path).filename().string();
    options.stock_file = stem + "_stock.csv";
    options.population_file = stem + "_population.csv";
    if (request.pool == "neighbours") {
        options.pool =
            calibrate::read_statistical_neighbours((data_dir / "stat_neighbours.csv").string(), request.authority);
        if (options.pool.empty())
            throw UsageError("--pool neighbours: the shipped statistical neighbours list none for " + request.authority +
                             "; give --pool all");
        options.pool_name = "statistical neighbours, the authority included";
    }
    const calibrate::Calibration fit = calibrate::calibrate(panel, england, tmpl, options);

    // What was written must load: checked from memory before anything is on disk.
    const std::map<std::string, std::string> csvs = {{options.stock_file, fit.stock_csv},
                                                     {options.population_file, fit.population_csv}};
    try {
        (void)load_scenario(request.output, fit.toml, [&](const std::string& path) -> std::optional<std::string> {
            const auto it = csvs.find(fs::path(path).filename().string());
            if (it == csvs.end()) return std::nullopt;
            return it->second;
        });
    } catch (const ScenarioError& e) {
        throw RuntimeError(std::string("calibrate wrote a scenario that does not load (a bug; please report it "
                                       "with the command line): ") + e.what());
    }

    std::vector<std::pair<fs::path, std::string>> files = {
        {toml_path, fit.toml},
        {toml_path.parent_path() / options.stock_file, fit.stock_csv},
        {toml_path.parent_path() / options.population_file, fit.population_csv}};
    if (!request.report.empty())
        files.push_back({fs::path(request.report),
                         ends_with(request.report, ".json") ? fit.report_json() : fit.report_markdown()});
    if (!request.overwrite)
        for (const auto& [path, text] : files)
            if (fs::exists(path, ec))
                throw UsageError(path.string() + " exists: give --overwrite to replace it, or another -o");
    publish_files(files);
    console.out << "calibrated " << fit.authority_name << " (" << fit.authority << ") at origin " << fit.origin
                << ": base stock " << fit.stock_total << " plans (January " << fit.origin << " census "
                << fit.census_total << "), " << fit.fitted.size() << " fitted parameters\n"
                << "wrote " << request.output << ", " << files[1].first.string() << ", " << files[2].first.string()
                << (request.report.empty() ? std::string() : ", " + request.report) << "\n";
    for (const std::string& w : fit.warnings) console.err << "note: " << w << '\n';
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    console.err << "calibrate: " << static_cast<int>(seconds * 1000.0) << " ms\n";
    return exit_ok;
}

}  // namespace ehcpsim
