// Summaries of an ensemble file, each view computed only when asked for:
// per variant, metric and year the mean and quantiles (the series), as a
// terminal table, CSV or JSON; the DBV headline (cumulative opportunity per
// bound) and table; exceedance probabilities; place planning for each
// capacity entry and the SCAP export of specialist demand; what drives the
// spread (SRRC, drivers.h); the DSG deficit management plan export. The
// ensemble is read one metric at a time, so memory does not grow with the
// number of metrics or views. One file per view in src/summary/. Quantiles are
// exact order statistics with linear interpolation between them (numpy's
// default, "type 7"): q(p) = x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)])
// with h = (n - 1) p on the sorted values. Layout and formats: docs/output.md.
#pragma once

#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ehcpsim/ambition.h"
#include "ehcpsim/drivers.h"
#include "ehcpsim/output.h"

namespace ehcpsim {

inline const std::vector<double> summary_probabilities = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};

// Type-7 quantile of values already sorted ascending; NaNs, wherever they
// stand, are ignored; all-NaN or empty gives NaN. The interpolation is
// numpy's (from the nearer neighbour when h - floor(h) >= 0.5), so results
// match numpy.quantile bit for bit.
double quantile_sorted(const std::vector<double>& sorted, double p);

struct SeriesSummary {  // one metric (and one category) over years
    std::string label;   // metric name, "stock_by_placement[mss]" or "demand_by_placement_phase[mss/primary]"
    int metric = -1;       // index in metric_catalogue()
    std::string category;  // "" for a metric by year only, else "mss" or "mss/primary"
    std::vector<double> mean;
    std::vector<std::vector<double>> quantiles;  // [probability][year]
};

struct VariantSummary {
    std::string variant;
    std::vector<SeriesSummary> series;
};

// ---------------------------------------------------------------------------
// DBV (MODEL.md sections 7-8). Every value in pounds; NaN = no value.

// Mean and the 5/50/95th percentiles over replicates (NaNs left out).
struct Statistics {
    double mean = std::numeric_limits<double>::quiet_NaN();
    double p5 = std::numeric_limits<double>::quiet_NaN();
    double p50 = std::numeric_limits<double>::quiet_NaN();
    double p95 = std::numeric_limits<double>::quiet_NaN();
};

// The difference D[compare_to](H) - D[variant](H) of the cumulative deficit
// at the horizon H, replicate by replicate (replicates where either is NaN
// are left out). For an opportunity, variant is the mitigated variant and
// compare_to the unmitigated one; for the range between ambition levels,
// variant is the stretch variant and compare_to the target variant (so the
// value is the stretch opportunity minus the target opportunity).
struct Opportunity {
    std::string variant;
    std::string compare_to;
    // The mitigated variant's level; for the range, stretch (range is true).
    AmbitionLevel level = AmbitionLevel::none;
    bool range = false;
    Statistics statistics;
    // The same difference of the expected-value projections; NaN if absent.
    double deterministic = std::numeric_limits<double>::quiet_NaN();
    // (var(A) + var(B)) / var(A - B), A = D[compare_to](H), B = D[variant](H),
    // sample variances: how much the common random numbers shrink the
    // variance of the difference (about 1 without them). NaN when fewer than
    // two replicates or var(A - B) = 0.
    double variance_reduction = std::numeric_limits<double>::quiet_NaN();
    // Sample standard deviation of the difference over replicates (with
    // run --fixed-parameters: the engine's own noise). NaN below two.
    double sd = std::numeric_limits<double>::quiet_NaN();
};

// One unmitigated variant and the mitigated variants compared with it.
struct DbvBound {
    std::string unmitigated;
    std::vector<Opportunity> opportunities;  // run order
    // The first stretch against the first target variant (run order), if the
    // bound has both.
    std::optional<Opportunity> range;
};

struct DbvSeries {  // over years
    std::vector<double> p5, p50, p95;
    std::vector<double> deterministic;  // from the expected datasets; all NaN if absent
};

// One variant's rows of the DBV table: in-year spend and cumulative deficit.
struct DbvTableEntry {
    std::string variant;
    AmbitionLevel level = AmbitionLevel::none;
    std::string compare_to;  // "" for an unmitigated variant
    DbvSeries spend;
    DbvSeries cumulative_deficit;
};

struct DbvSummary {
    int horizon_year = 0;  // the last year (0 if the file has no years)
    // Bounds in the run order of their unmitigated variants; only variants
    // some mitigated variant is compared with.
    std::vector<DbvBound> bounds;
    std::vector<DbvTableEntry> table;  // every variant, run order
    // Mitigated variants whose compare_to is not in the file (a --variants
    // subset): no opportunity can be computed for them.
    std::vector<std::string> unmatched;
};

// P(D(H) > X): the fraction of replicates (NaNs left out) strictly above X.
struct Exceedance {
    int year = 0;                                 // H
    std::vector<double> thresholds;               // X, pounds, as given
    std::vector<std::vector<double>> probability;  // [variant][threshold]; NaN if no value
};

// ---------------------------------------------------------------------------
// Place planning (MODEL.md section 4 step 6 and section 8). Every vector runs
// over the file's years; NaN = no value.

inline const std::vector<double> places_probabilities = {0.50, 0.80, 0.95};

// Places needed to meet demand with probability p: the type-7 p-quantile of
// demand rounded up to a whole place (a quantile within 1e-9 of a whole
// number counts as that number). NaN stays NaN.
double places_needed(double quantile);

// One capacity entry of one variant: a whole placement, or the ages of one
// phase of it (a primary-only resource base). Only entries with a limit in at
// least one year of the file are planned.
struct PlacePlanning {
    std::string name;               // the entry: "mss", or "mss/primary" for one phase
    std::string placement;
    std::string phase;              // "" for the whole placement
    std::string overflow_to;        // "" if it has no overflow placement
    std::vector<double> capacity;   // places; +infinity in a year without a limit
    // Demand is demand_by_placement for a whole placement and
    // demand_by_placement_phase for one phase of it.
    std::vector<double> demand_mean;
    std::vector<std::vector<double>> demand;  // [summary_probabilities][year], type 7
    std::vector<std::vector<double>> needed;  // [places_probabilities][year], whole places
    // Fraction of replicates (NaN left out) with demand strictly above the
    // capacity; NaN in a year without a limit.
    std::vector<double> p_shortfall;
    // Mean of overflow_by_placement, or overflow_by_placement_phase for one
    // phase (NaN in the base year).
    std::vector<double> overflow_mean;
    // Mean over replicates of overflow x (u[overflow_to] - u[placement]), u
    // the unit cost spend_by_placement / stock_by_placement of that replicate
    // and year (docs/output.md). NaN where a needed unit cost is not known.
    std::vector<double> overflow_extra_spend;
    std::optional<int> first_year_shortfall_likely;  // first year with p_shortfall > 0.5
    std::vector<int> shortfall_likely_years;         // every year with p_shortfall > 0.5
};

struct VariantPlaces {
    std::string variant;
    std::vector<PlacePlanning> entries;  // capacity entries with a limit, in the variant's processing order
};

// The SCAP export: demand for specialist places by variant, year and phase,
// from specialist_demand_by_phase. p50/p80/p95 are whole places (rounded up).
struct ScapRow {
    std::string variant;
    int year = 0;
    std::string phase;
    double mean = std::numeric_limits<double>::quiet_NaN();
    double p50 = std::numeric_limits<double>::quiet_NaN();
    double p80 = std::numeric_limits<double>::quiet_NaN();
    double p95 = std::numeric_limits<double>::quiet_NaN();
};

// ---------------------------------------------------------------------------
// What drives the spread (MODEL.md section 8): per variant, the standardised
// rank regression coefficients (drivers.h) of the cumulative deficit at the
// horizon and of spend in the final year on the parameter draws. The
// unexplained 1 - R^2 is the year-to-year shocks and the chance in the
// binomial flows, which the file does not record per replicate.

struct VariantDrivers {
    std::string variant;
    DriverFit cumulative_deficit;  // at the horizon
    DriverFit spend;               // in the final year
};

struct DriversSummary {
    // False for a deterministic file (one expected-value projection: no
    // spread to attribute); reason then says so and variants is empty.
    bool computed = false;
    std::string reason;
    int year = 0;                          // the final year (the horizon)
    std::vector<VariantDrivers> variants;  // every variant, run order
};

// ---------------------------------------------------------------------------
// The DSG deficit management plan export: per variant and financial year, the
// lines of the DfE template as distributions over replicates. Positions
// follow the DfE sign convention, surplus positive and deficit negative.
// Every value in pounds at the year's prices; NaN = no value.

// The lines, in order. The last two only for a mitigated variant.
inline const std::vector<std::string> dsg_lines = {"high_needs_spend",          "funding",
                                                   "in_year_position",          "cumulative_position",
                                                   "mitigation_saving_in_year", "mitigation_cumulative_saving"};

struct DsgRow {
    std::string variant;
    AmbitionLevel level = AmbitionLevel::none;
    std::string compare_to;  // "" for an unmitigated variant
    int year = 0;            // label: 2023 = financial year 2022-23
    // high_needs_spend: spend; funding: funding; in_year_position: funding -
    // spend = -in_year_deficit; cumulative_position: -cumulative_deficit;
    // mitigation_saving_in_year: in_year_deficit[compare_to] -
    // in_year_deficit[variant]; mitigation_cumulative_saving: the same of
    // cumulative_deficit (both replicate by replicate, NaN pairs left out).
    std::string line;
    double mean = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> quantiles;  // [summary_probabilities], type 7, of the line's own values
    // The same line of the expected-value projection; NaN if the file has none.
    double deterministic = std::numeric_limits<double>::quiet_NaN();
};

// "2022-23" for the year label 2023.
std::string financial_year(int year);

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
};

Summary summarise(const ResultReader& reader, const SummaryOptions& options = {});

// The opportunity statistics of a (unmitigated, compare_to) against b
// (mitigated, variant) as defined above; exposed for tests and tools.
Opportunity compare_deficits(const std::vector<double>& a, const std::vector<double>& b);

// "30m", "500k", "2.5bn", "£1.2m", "-3e6", "2500000" -> pounds; nullopt if
// not an amount (suffixes k, m, bn, any case; an optional leading £).
std::optional<double> parse_amount(std::string_view text);

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

// std::invalid_argument as check_print_options(); std::logic_error if a view
// it prints was not computed (views_to_print() gives the ones it needs).
void print_summary(const Summary& summary, SummaryFormat format, std::ostream& out, const PrintOptions& options = {});

}  // namespace ehcpsim
