// The sheets of a summary's workbook (workbook.h): one Table per view, with
// the numbers of that view's CSV (docs/output.md, "The workbook"). A new
// view is one more function returning a Table, and one line in
// workbook_tables().
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "common.h"
#include "ehcpsim/summary.h"
#include "ehcpsim/summary_dsg.h"
#include "ehcpsim/workbook.h"

namespace ehcpsim {
namespace {

using namespace summary_detail;

Cell number(double value) { return std::isfinite(value) ? Cell(value) : Cell(); }
Cell text(std::string value) { return value.empty() ? Cell() : Cell(std::move(value)); }

// A variant as readers see it: its label, else its name ("" stays empty).
Cell shown(const Summary& summary, const std::string& variant) {
    return variant.empty() ? Cell() : Cell(variant_shown(summary.info, variant));
}

std::string census(int year) { return "January " + std::to_string(year) + " census"; }

void add_quantile_columns(Table& table, const std::string& prefix, const std::vector<double>& probabilities,
                          CellFormat format) {
    for (double p : probabilities) table.columns.push_back({prefix + probability_key(p), format});
}

Table headline_table(const Summary& summary) {
    Table table{"Headline", "", {}, {}, {}};
    table.title = "Opportunity per bound: cumulative deficit avoided by the end of " +
                  financial_year(summary.dbv.horizon_year) + " (pounds)";
    table.columns = {{"bound (unmitigated variant)", CellFormat::text},
                     {"variant", CellFormat::text},
                     {"compared with", CellFormat::text},
                     {"level", CellFormat::text},
                     {"mean", CellFormat::pounds},
                     {"p5", CellFormat::pounds},
                     {"p50", CellFormat::pounds},
                     {"p95", CellFormat::pounds},
                     {"deterministic", CellFormat::pounds},
                     {"variance reduction", CellFormat::decimal}};
    for (const DbvBound& bound : summary.dbv.bounds) {
        const auto add = [&](const Opportunity& o) {
            table.rows.push_back({shown(summary, bound.unmitigated), shown(summary, o.variant),
                                  shown(summary, o.compare_to), text(level_text(o)),
                                  number(o.statistics.mean), number(o.statistics.p5), number(o.statistics.p50),
                                  number(o.statistics.p95), number(o.deterministic), number(o.variance_reduction)});
        };
        for (const Opportunity& o : bound.opportunities) add(o);
        if (bound.range) add(*bound.range);
    }
    for (const std::string& variant : summary.dbv.unmatched)
        table.notes.push_back(variant_shown(summary.info, variant) +
                              ": its unmitigated variant is not in this file (run with --variants), so no opportunity.");
    if (table.rows.empty() && summary.dbv.unmatched.empty())
        table.notes.push_back("No variant of this run is compared with an unmitigated one (no ambition levels).");
    table.notes.push_back("Opportunity = cumulative deficit of the unmitigated variant minus that of the mitigated "
                          "one, replicate by replicate; range = stretch opportunity minus target opportunity.");
    return table;
}

Table quantiles_table(const Summary& summary) {
    Table table{"Quantiles", "Mean and quantiles over replicates, by variant, measure and year", {}, {}, {}};
    table.columns = {{"variant", CellFormat::text},
                     {"measure", CellFormat::text},
                     {"units", CellFormat::text},
                     {"year", CellFormat::general},
                     {"when", CellFormat::text},
                     {"mean", CellFormat::count}};
    add_quantile_columns(table, "", summary_probabilities, CellFormat::count);
    const auto& years = summary.info.years;
    for (const VariantSummary& variant : summary.variants) {
        for (const SeriesSummary& series : variant.series) {
            const std::string& units = metric_catalogue()[static_cast<std::size_t>(series.metric)].units;
            for (std::size_t y = 0; y < years.size() && y < series.mean.size(); ++y) {
                std::vector<Cell> row{shown(summary, variant.variant), text(series.label), text(units),
                                      static_cast<double>(years[y]),
                                      text(units == "GBP" ? financial_year(years[y]) : census(years[y])),
                                      number(series.mean[y])};
                for (const auto& quantile : series.quantiles) row.push_back(number(quantile[y]));
                table.rows.push_back(std::move(row));
            }
        }
    }
    table.notes.push_back("Money (GBP) is at the prices of its own year; year Y of money is the financial year "
                          "ending in Y (2028 = 2027-28); stocks are at the January census of year Y.");
    return table;
}

Table dsg_table(const Summary& summary) {
    Table table{"DSG plan", "DSG deficit management plan lines by variant and financial year (pounds)", {}, {}, {}};
    table.columns = {{"variant", CellFormat::text},    {"level", CellFormat::text},
                     {"compared with", CellFormat::text}, {"financial year", CellFormat::text},
                     {"year", CellFormat::general},    {"line", CellFormat::text},
                     {"mean", CellFormat::pounds}};
    add_quantile_columns(table, "", summary_probabilities, CellFormat::pounds);
    table.columns.push_back({"deterministic", CellFormat::pounds});
    for (const DsgRow& row : summary.dsg) {
        std::vector<Cell> cells{shown(summary, row.variant),
                                text(std::string(ambition_level_name(row.level))),
                                shown(summary, row.compare_to),
                                text(financial_year(row.year)),
                                static_cast<double>(row.year),
                                text(row.line),
                                number(row.mean)};
        for (double q : row.quantiles) cells.push_back(number(q));
        cells.push_back(number(row.deterministic));
        table.rows.push_back(std::move(cells));
    }
    table.notes.push_back("Positions follow the DfE sign convention: surplus positive, deficit negative.");
    return table;
}

Table scap_table(const Summary& summary) {
    Table table{"SCAP", "Specialist demand by variant, year and phase (places; p50/p80/p95 rounded up)", {}, {}, {}};
    table.columns = {{"variant", CellFormat::text}, {"year", CellFormat::general}, {"when", CellFormat::text},
                     {"phase", CellFormat::text},   {"mean", CellFormat::decimal}, {"p50", CellFormat::count},   {"p80", CellFormat::count},
                     {"p95", CellFormat::count}};
    for (const ScapRow& row : summary.scap)
        table.rows.push_back({shown(summary, row.variant), static_cast<double>(row.year), text(census(row.year)),
                              text(row.phase), number(row.mean),
                              number(row.p50), number(row.p80), number(row.p95)});
    for (const std::string& warning : scap_warnings(summary)) table.notes.push_back("Warning: " + warning);
    table.notes.push_back("Year Y is the January census of year Y.");
    return table;
}

Table places_table(const Summary& summary) {
    Table table{"Places", "Place planning for each capacity limit, by variant and year", {}, {}, {}};
    table.columns = {{"variant", CellFormat::text},     {"placement", CellFormat::text},
                     {"phase", CellFormat::text},       {"overflow to", CellFormat::text},
                     {"year", CellFormat::general},     {"when", CellFormat::text},
                     {"capacity", CellFormat::count},
                     {"demand mean", CellFormat::decimal}};
    add_quantile_columns(table, "demand ", summary_probabilities, CellFormat::decimal);
    add_quantile_columns(table, "needed ", places_probabilities, CellFormat::count);
    table.columns.insert(table.columns.end(), {{"P(shortfall)", CellFormat::percent},
                                               {"overflow mean", CellFormat::decimal},
                                               {"overflow extra spend", CellFormat::pounds},
                                               {"first year shortfall likely", CellFormat::general}});
    for (const VariantPlaces& variant : summary.places) {
        for (const PlacePlanning& plan : variant.entries) {
            const Cell first = plan.first_year_shortfall_likely
                                   ? Cell(static_cast<double>(*plan.first_year_shortfall_likely))
                                   : Cell();
            for (std::size_t y = 0; y < summary.info.years.size(); ++y) {
                std::vector<Cell> row{shown(summary, variant.variant), text(plan.placement),
                                      text(plan.phase),      text(plan.overflow_to),
                                      static_cast<double>(summary.info.years[y]), text(census(summary.info.years[y])),
                                      number(plan.capacity[y]), number(plan.demand_mean[y])};
                for (const auto& q : plan.demand) row.push_back(number(q[y]));
                for (const auto& n : plan.needed) row.push_back(number(n[y]));
                row.insert(row.end(), {number(plan.p_shortfall[y]), number(plan.overflow_mean[y]),
                                       number(plan.overflow_extra_spend[y]), first});
                table.rows.push_back(std::move(row));
            }
        }
    }
    if (table.rows.empty()) table.notes.push_back("No variant of this run has a capacity limit.");
    table.notes.push_back("An empty capacity is a year without a limit.");
    return table;
}

Table drivers_table(const Summary& summary) {
    const DriversSummary& drivers = summary.drivers;
    Table table{"Drivers", "What drives the spread: " + std::string(drivers_method), {}, {}, {}};
    table.columns = {{"variant", CellFormat::text}, {"outcome", CellFormat::text}, {"year", CellFormat::general},
                     {"rank", CellFormat::general}, {"parameter", CellFormat::text}, {"SRRC", CellFormat::decimal},
                     {"share", CellFormat::percent}, {"R2", CellFormat::percent}};
    for (const VariantDrivers& variant : drivers.variants) {
        for (const auto& [key, fit] : {std::pair<const char*, const DriverFit*>{"cumulative_deficit",
                                                                                 &variant.cumulative_deficit},
                                       std::pair<const char*, const DriverFit*>{"spend", &variant.spend}}) {
            for (std::size_t i = 0; i < fit->parameters.size(); ++i) {
                const Driver& d = fit->parameters[i];
                table.rows.push_back({shown(summary, variant.variant), text(key), static_cast<double>(drivers.year),
                                      static_cast<double>(i + 1),
                                      text(parameter_shown(summary.info, variant.variant, d.name)), number(d.srrc),
                                      number(d.share),
                                      number(fit->r2)});
            }
        }
    }
    if (!drivers.computed) table.notes.push_back("No drivers: " + drivers.reason);
    table.notes.push_back("Share = SRRC squared: the part of the outcome's rank variance the parameter explains; "
                          "1 - R2 is the year-to-year shocks and chance.");
    return table;
}

Table exceedance_table(const Summary& summary) {
    const Exceedance& e = summary.exceedance;
    Table table{"Exceedance", "P(cumulative deficit at the end of " + financial_year(e.year) + " > X)", {}, {}, {}};
    table.columns = {{"variant", CellFormat::text}, {"year", CellFormat::general}, {"X", CellFormat::pounds},
                     {"probability", CellFormat::percent}};
    for (std::size_t v = 0; v < e.probability.size() && v < summary.info.variants.size(); ++v)
        for (std::size_t k = 0; k < e.thresholds.size(); ++k)
            table.rows.push_back({shown(summary, summary.info.variants[v]), static_cast<double>(e.year),
                                  number(e.thresholds[k]),
                                  number(e.probability[v][k])});
    return table;
}

std::string utc_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm parts{};
    gmtime_r(&now, &parts);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &parts);
    return buffer;
}

Table provenance_table(const Summary& summary, const std::string& ensemble_file) {
    const RunInfo& info = summary.info;
    Table table{"Provenance", "Where these numbers come from", {}, {}, {}};
    table.columns = {{"item", CellFormat::text, 26}, {"value", CellFormat::text, 60}};
    const auto add = [&table](std::string key, std::string value) {
        table.rows.push_back({Cell(std::move(key)), text(std::move(value))});
    };
    add("scenario", info.scenario_name);
    if (!ensemble_file.empty()) add("ensemble file", ensemble_file);
    add("mode", info.mode);
    add("seed", std::to_string(info.seed));  // text: a 64-bit seed does not fit a spreadsheet's number
    add("replicates", std::to_string(info.replicates));
    if (info.total_replicates != 0 && info.total_replicates != info.replicates)
        add("replicates of the whole run", std::to_string(info.total_replicates) + " (this file from replicate " +
                                               std::to_string(info.first_replicate) + ")");
    add("years", info.years.empty() ? std::string()
                                    : std::to_string(info.years.front()) + " to " + std::to_string(info.years.back()));
    add("common random numbers", info.common_random_numbers ? "yes" : "no (run with --no-crn)");
    add("fixed parameters", info.fixed_parameters ? "yes (run with --fixed-parameters)" : "no");
    // One row per variant, keyed by its name (the CSV and JSON key), valued
    // by its label (what the other sheets show).
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        std::string value = variant_label(info, v);
        if (v < info.levels.size() && info.levels[v] != "none") value += "; level " + info.levels[v];
        if (v < info.compare_to.size() && !info.compare_to[v].empty())
            value += "; compared with " + variant_shown(info, info.compare_to[v]);
        add("variant " + info.variants[v], value);
    }
    for (const SourceText& source : info.sources) add("scenario file", source.path);
    add("engine", "ehcpsim " + info.engine_version);
    add("workbook written", utc_now());
    return table;
}

}  // namespace

std::vector<Table> workbook_tables(const Summary& summary, const std::string& ensemble_file) {
    std::vector<Table> tables{headline_table(summary), quantiles_table(summary), dsg_table(summary),
                              scap_table(summary),     places_table(summary),    drivers_table(summary)};
    if (!summary.exceedance.thresholds.empty()) tables.push_back(exceedance_table(summary));
    tables.push_back(provenance_table(summary, ensemble_file));
    return tables;
}

namespace {

// A plan table's title is "<kind>: <which>"; the kind names the sheet.
std::pair<std::string, std::string> kind_and_which(const std::string& title) {
    const std::size_t at = title.rfind(": ");
    if (at == std::string::npos) return {title, ""};
    return {title.substr(0, at), title.substr(at + 2)};
}

std::string plan_sheet_name(const std::string& kind, const PlanTable& plan) {
    if (kind.rfind("Financial summary", 0) == 0) return "DSG financial summary";
    if (kind.rfind("Children and young people", 0) == 0)
        return plan.label_headers.size() == 1 ? "DSG CYP by placement" : "DSG CYP by age and need";
    if (kind.rfind("SCAP", 0) == 0) return "SCAP return";
    return kind.substr(0, 31);
}

}  // namespace

std::vector<Table> plan_sheets(const std::vector<PlanTable>& plans) {
    std::vector<Table> sheets;
    std::vector<std::string> keys;  // kind and shape of each sheet
    for (const PlanTable& plan : plans) {
        const auto [kind, which] = kind_and_which(plan.title);
        std::string key = kind;
        for (const std::string& h : plan.label_headers) key += '\x1f' + h;
        key += '\x1e';
        for (const std::string& h : plan.value_headers) key += '\x1f' + h;
        auto found = std::find(keys.begin(), keys.end(), key);
        if (found == keys.end()) {
            keys.push_back(key);
            Table& table = sheets.emplace_back();
            table.sheet = plan_sheet_name(kind, plan);
            table.title = kind;
            table.columns.push_back({"table", CellFormat::text});
            for (const std::string& h : plan.label_headers) table.columns.push_back({h, CellFormat::text});
            const CellFormat values = plan.whole                                       ? CellFormat::count
                                      : kind.rfind("Financial summary", 0) == 0 ? CellFormat::thousands
                                                                                    : CellFormat::decimal;
            for (const std::string& h : plan.value_headers) table.columns.push_back({h, values});
            found = keys.end() - 1;
        }
        Table& table = sheets[static_cast<std::size_t>(found - keys.begin())];
        for (const PlanRow& row : plan.rows) {
            std::vector<Cell> cells{text(which)};
            for (const std::string& label : row.labels) cells.push_back(text(label));
            for (double value : row.cells) cells.push_back(number(value));
            table.rows.push_back(std::move(cells));
        }
        for (const std::string& note : plan.notes)
            if (std::find(table.notes.begin(), table.notes.end(), note) == table.notes.end()) table.notes.push_back(note);
    }
    return sheets;
}

}  // namespace ehcpsim
