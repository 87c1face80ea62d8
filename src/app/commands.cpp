// The smaller commands: summary, merge, validate, example (app.h).
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ehcpsim/app.h"
#include "ehcpsim/error.h"
#include "ehcpsim/merge.h"
#include "ehcpsim/output.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/summary.h"
#include "scenario_input.h"

namespace ehcpsim {

using namespace app_detail;

namespace {

// --dsg-plan and --scap-return: the plan tables (summary_dsg.h), alone.
int plan_command(const SummaryRequest& request, const Console& console) {
    const char* flag = request.dsg_plan ? "--dsg-plan" : "--scap-return";
    if (request.dsg_plan && request.scap_return)
        throw UsageError("--dsg-plan and --scap-return print different tables: give one");
    if (request.dbv || request.places || request.scap || request.dsg || request.drivers || !request.exceed.empty())
        throw UsageError(std::string(flag) + " prints its own tables: leave out --dbv, --exceed, --places, --scap, "
                                             "--dsg and --drivers");
    if (request.band && !request.dsg_plan) throw UsageError("--band goes with --dsg-plan");
    DsgPlanOptions options;
    if (request.band) {
        if (!(*request.band > 0.0 && *request.band < 100.0))
            throw UsageError("--band must be a percentage between 0 and 100 (80 = P10 to P90)");
        options.band = *request.band;
    }
    const ResultReader reader(request.file);
    const std::vector<PlanTable> tables = request.dsg_plan ? dsg_plan(reader, options) : scap_return(reader);
    print_plan_tables(tables, request.format.value_or(SummaryFormat::table), console.out);
    return exit_ok;
}

}  // namespace

int summary_command(const SummaryRequest& request, const Console& console) {
    if (request.dsg_plan || request.scap_return) return plan_command(request, console);
    if (request.band) throw UsageError("--band goes with --dsg-plan");
    for (const auto& [given, flag] : {std::pair{request.scap, "--scap"}, std::pair{request.dsg, "--dsg"}}) {
        if (given && request.format && *request.format != SummaryFormat::csv)
            throw UsageError(std::string(flag) + " writes CSV: leave out --format or give --format csv");
    }
    const SummaryFormat format =
        request.scap || request.dsg ? SummaryFormat::csv : request.format.value_or(SummaryFormat::table);
    const PrintOptions print{request.dbv, request.places, request.scap, request.dsg, request.drivers};
    try {
        check_print_options(format, print, !request.exceed.empty());
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const ResultReader reader(request.file);
    SummaryOptions options{{}, views_to_print(reader.info(), format, print, !request.exceed.empty())};
    for (const std::string& text : request.exceed) {
        const std::optional<double> amount = parse_amount(text);
        if (!amount) throw UsageError("--exceed '" + text + "' is not an amount in pounds (e.g. 30m, 500k, 2500000)");
        options.exceedance_thresholds.push_back(*amount);
    }
    const Summary summarised = summarise(reader, options);
    if (request.scap)
        for (const std::string& warning : scap_warnings(summarised)) console.err << "warning: " << warning << '\n';
    print_summary(summarised, format, console.out, print);
    return exit_ok;
}

int merge_command(const std::vector<std::string>& shards, const std::string& output, bool overwrite,
                  const Console& console) {
    // The merged file replaces its target: never one of the shards it reads
    // (compared by file identity, so another spelling or a link is caught).
    for (const std::string& shard : shards) {
        std::error_code error;
        if (std::filesystem::equivalent(output, shard, error))
            throw UsageError("-o '" + output + "' is the shard file '" + shard +
                             "' this merge reads: the merged file would replace it. Give another file name");
    }
    const MergeReport report = merge_shards(shards, output, overwrite);
    console.out << "merged " << report.shards << " shard(s), " << report.replicates << " replicates, into " << output
                << '\n';
    return exit_ok;
}

int validate_command(const std::string& path, const Console& console) {
    const ScenarioSet scenario = load(path);
    report_notes(scenario, console.err);
    const Scenario& base = scenario.variants.front();
    std::size_t plans = 0;
    for (auto count : base.stock) plans += static_cast<std::size_t>(count);
    console.out << (path.empty() ? std::string("<embedded default>") : path) << ": valid scenario '" << scenario.name
              << "': " << scenario.variants.size() << " variant(s), years " << base.base_year << "-"
              << base.base_year + base.horizon << ", " << base.dims.needs.size() << " needs x "
              << base.dims.placements.size() << " placements x " << base.dims.ages() << " ages, " << plans
              << " plans in the base year\n";
    return exit_ok;
}

int example_command(const std::string& directory, const Console& console) {
    const auto& files = default_scenario_files();
    if (directory.empty()) {
        console.out << files.front().text;
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
    console.out << "wrote the default scenario to " << directory << "/ (" << files.size()
              << " files); edit it and run: ehcpsim run " << (dir / files.front().path).string() << '\n';
    return exit_ok;
}

}  // namespace ehcpsim
