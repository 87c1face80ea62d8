// Summaries of an ensemble file, each view computed only when asked for:
// per variant, metric and year the mean and quantiles (the series), as a
// terminal table, CSV or JSON; the DBV headline (cumulative opportunity per
// bound) and table; exceedance probabilities; place planning for each
// capacity entry and the SCAP export of specialist demand; what drives the
// spread (SRRC, drivers.h); the DSG deficit management plan export. The
// ensemble is read one metric at a time, so memory does not grow with the
// number of metrics or views. One file per view in src/summary/, one header
// per view's values (summary_series.h, summary_dbv.h, summary_places.h,
// summary_dsg.h). Layout and formats: docs/output.md.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ehcpsim/ambition.h"
#include "ehcpsim/output.h"
#include "ehcpsim/summary_dbv.h"
#include "ehcpsim/summary_dsg.h"
#include "ehcpsim/summary_places.h"
#include "ehcpsim/summary_series.h"

namespace ehcpsim {

// Which views to compute. Series: the per-series means and quantiles (the
// plain table, CSV and JSON "variants"); the others as named. Exceedance is
// computed when thresholds are given (SummaryOptions). A view not computed
// is left empty: no metric is read and nothing is fitted for it.
struct SummaryViews {
    bool series = true;
    bool dbv = true;
    bool places = true;
    bool scap = true;
    bool drivers = true;
    bool dsg = true;
    static SummaryViews none() { return {false, false, false, false, false, false}; }
    bool operator==(const SummaryViews&) const = default;
};

struct Summary {
    RunInfo info;
    SummaryViews computed = SummaryViews::none();  // the views summarise() computed
    std::vector<VariantSummary> variants;
    DbvSummary dbv;
    Exceedance exceedance;  // empty unless thresholds were asked for
    std::vector<VariantPlaces> places;  // every variant, run order
    std::vector<ScapRow> scap;          // variant, year, phase order
    DriversSummary drivers;
    std::vector<DsgRow> dsg;            // variant, year, line order
};

// The ambition level of variant v of a run ("none" where the file gives none).
AmbitionLevel variant_level(const RunInfo& info, std::size_t v);
bool has_levels(const RunInfo& info);    // some variant has a level other than "none"
bool has_capacity(const RunInfo& info);  // some variant has a capacity entry with a limit in some year

struct SummaryOptions {
    SummaryOptions(std::vector<double> thresholds = {}, SummaryViews asked = {})
        : exceedance_thresholds(std::move(thresholds)), views(asked) {}
    std::vector<double> exceedance_thresholds;  // pounds
    SummaryViews views;                         // by default every view (tests and tools)
    // The views read a metric a slab of columns (year, category) at a time,
    // each slab at most this many bytes (at least one column), so memory does
    // not grow with the whole metric. The numbers do not depend on it.
    std::size_t read_budget_bytes = std::size_t{16} << 20;
};

Summary summarise(const ResultReader& reader, const SummaryOptions& options = {});


enum class SummaryFormat { table, csv, json };

struct PrintOptions {
    // table: the DBV headline and table instead of the per-variant tables;
    // csv: the DBV headline as long CSV instead of the per-series CSV;
    // json: "dbv" even when no variant has a level.
    bool dbv = false;
    // table: the place-planning tables instead of the per-variant tables
    // (after the DBV view if both are asked for); csv: the place-planning
    // CSV instead of the per-series CSV; json: "places" even when no
    // variant has a capacity entry with a limit.
    bool places = false;
    // The SCAP CSV; csv format only, alone (std::invalid_argument otherwise).
    bool scap = false;
    // The DSG deficit management plan CSV; csv format only, alone, like scap.
    bool dsg = false;
    // table: what drives the spread (top 10 per variant and outcome) instead
    // of the per-variant tables (after the DBV and place-planning views if
    // asked for); csv: the drivers as long CSV instead of the per-series CSV;
    // json: "drivers" even for a deterministic file (null there; a Monte
    // Carlo file always has it).
    bool drivers = false;
};

// Exceedance (if thresholds were given) follows in table format, replaces
// the per-series CSV in csv format (csv holds one table: dbv, exceedance,
// places, scap, dsg and drivers exclude each other, std::invalid_argument),
// and is a key of its own in json.

// The views print_summary() prints for this format, these options and this
// run: what summarise() needs to compute, and no more. json also holds dbv
// when some variant has a level, places when some variant has a capacity
// limit, and drivers for a Monte Carlo file. exceedance: thresholds were
// given (in csv the exceedance table replaces the series).
SummaryViews views_to_print(const RunInfo& info, SummaryFormat format, const PrintOptions& options,
                            bool exceedance = false);

// The one check of what a format can print, used by print_summary() and by
// the CLI before it reads a file: std::invalid_argument (a message naming the
// summary command's flags) when csv is asked for two tables, or scap or dsg
// for a format other than csv.
void check_print_options(SummaryFormat format, const PrintOptions& options, bool exceedance);

// What the SCAP export cannot give, one line per variant: a variant that
// counts no placement as specialist has rows without numbers.
std::vector<std::string> scap_warnings(const Summary& summary);

// The plan tables (summary_dsg.h: dsg_plan(), scap_return()) as a terminal
// table (wide; £000s to the nearest thousand), a long CSV (table, label_1,
// label_2, column, value: one row per cell, full precision) or JSON.
void print_plan_tables(const std::vector<PlanTable>& tables, SummaryFormat format, std::ostream& out);

// std::invalid_argument as check_print_options(); std::logic_error if a view
// it prints was not computed (views_to_print() gives the ones it needs).
void print_summary(const Summary& summary, SummaryFormat format, std::ostream& out, const PrintOptions& options = {});

}  // namespace ehcpsim
