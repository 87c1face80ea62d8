// The smaller commands: summary, merge, validate, example (app.h).
#include <algorithm>
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
#include "ehcpsim/summary_levers.h"
#include "ehcpsim/summary_targets.h"
#include "ehcpsim/workbook.h"
#include "scenario_input.h"

namespace ehcpsim {

using namespace app_detail;

namespace {

std::vector<double> exceed_amounts(const std::vector<std::string>& given) {
    std::vector<double> amounts;
    for (const std::string& text : given) {
        const std::optional<double> amount = parse_amount(text);
        if (!amount) throw UsageError("--exceed '" + text + "' is not an amount in pounds (e.g. 30m, 500k, 2500000)");
        amounts.push_back(*amount);
    }
    return amounts;
}

// The views printed on their own (issue 16): each lever's worth, exceedance
// by year, targets. Table or CSV.
int issue16_views(const SummaryRequest& request, const Console& console) {
    const bool other_views =
        request.dbv || request.places || request.scap || request.dsg || request.drivers || !request.xlsx.empty();
    const int asked = (request.levers ? 1 : 0) + (request.by_year ? 1 : 0) + (request.targets.empty() ? 0 : 1);
    if (other_views || asked > 1)
        throw UsageError("--levers, --exceed ... --by-year and --target each print a table of their own: give one of "
                         "them, without --dbv, --places, --scap, --dsg, --drivers or --xlsx");
    if (request.by_year && request.exceed.empty())
        throw UsageError("--by-year goes with --exceed X: give the amounts, e.g. --exceed 30m --by-year");
    if (!request.by_year && !request.exceed.empty())
        throw UsageError(std::string(request.levers ? "--levers" : "--target") +
                         " prints a table of its own: leave out --exceed (or add --by-year alone with it)");
    const SummaryFormat format = request.format.value_or(SummaryFormat::table);
    if (format == SummaryFormat::json)
        throw UsageError("--levers, --by-year and --target print a table or CSV: give --format table or csv");
    const ResultReader reader(request.file);
    const bool csv = format == SummaryFormat::csv;
    if (request.levers) {
        const std::vector<VariantLeverWorth> worth = lever_worth(reader);
        csv ? print_lever_worth_csv(worth, console.out) : print_lever_worth_table(worth, console.out);
    } else if (request.by_year) {
        const ExceedanceByYear e = exceedance_by_year(reader, exceed_amounts(request.exceed));
        csv ? print_exceedance_by_year_csv(e, console.out) : print_exceedance_by_year_table(e, console.out);
    } else {
        std::vector<Target> targets;
        for (const std::string& text : request.targets) {
            try {
                targets.push_back(parse_target(text, reader.info()));
            } catch (const TargetError& e) {
                throw UsageError(request.file + ": " + e.what());
            }
        }
        const std::vector<TargetProbability> met = target_probabilities(reader, targets);
        csv ? print_targets_csv(met, reader.info(), console.out) : print_targets_table(met, reader.info(), console.out);
    }
    return exit_ok;
}

// `summary --xlsx`: every view, one sheet each (workbook.h).
int workbook_command(const SummaryRequest& request, const Console& console) {
    if (request.format || request.dbv || request.places || request.scap || request.dsg || request.drivers)
        throw UsageError("--xlsx writes every view to the workbook: leave out --format, --dbv, --places, --scap, "
                         "--dsg and --drivers (--exceed adds its sheet)");
    SummaryOptions options;
    options.exceedance_thresholds = exceed_amounts(request.exceed);
    const ResultReader reader(request.file);
    const Summary summarised = summarise(reader, options);
    std::vector<Table> tables = workbook_tables(summarised, std::filesystem::path(request.file).filename().string());
    // A file of `run --lever-worth`: each lever's worth, after the headline.
    if (const std::vector<VariantLeverWorth> worth = lever_worth(reader); !worth.empty())
        tables.insert(tables.begin() + 1, lever_worth_sheet(worth, reader.info()));
    // The DSG plan and the SCAP return in their templates' shape, after the
    // exports of the same name (the plan detail's tables only when the file has it).
    const auto after = [&tables](const std::string& sheet) {
        const auto at = std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.sheet == sheet; });
        return at == tables.end() ? tables.end() : at + 1;
    };
    std::vector<Table> dsg = plan_sheets(dsg_plan(reader));
    tables.insert(after("DSG plan"), dsg.begin(), dsg.end());
    if (reader.info().plan_detail) {
        std::vector<Table> scap = plan_sheets(scap_return(reader));
        tables.insert(after("SCAP"), scap.begin(), scap.end());
    }
    write_workbook(request.xlsx, tables);
    console.err << "wrote " << request.xlsx << '\n';
    return exit_ok;
}

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
    const bool alone_views = request.levers || request.by_year || !request.targets.empty();
    const bool plan_views = request.dsg_plan || request.scap_return;
    if ((alone_views ? 1 : 0) + (plan_views ? 1 : 0) + (request.xlsx.empty() ? 0 : 1) > 1)
        throw UsageError("--levers/--by-year/--target, --dsg-plan/--scap-return and --xlsx each give output of their "
                         "own: give one of them (the workbook holds the plan tables and, for a file of "
                         "--lever-worth, each lever's worth)");
    if (request.levers || request.by_year || !request.targets.empty()) return issue16_views(request, console);
    if (!request.xlsx.empty()) return workbook_command(request, console);
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
    options.exceedance_thresholds = exceed_amounts(request.exceed);
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
