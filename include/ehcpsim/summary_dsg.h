// The drivers view (what drives the spread; the statistics are drivers.h),
// the DSG deficit management plan export of a summary, and the plan tables
// in the templates' shape (dsg_plan(), scap_return(): plain PlanTables for
// any writer; docs/dsg-plan.md). Part of summary.h.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "ehcpsim/ambition.h"
#include "ehcpsim/drivers.h"

namespace ehcpsim {

class ResultReader;

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

// ---------------------------------------------------------------------------
// The DSG deficit management plan in the DfE template's shape
// (docs/dsg-plan.md): plain tables, each a title, notes, column headers and
// rows of labelled cells, for any writer (terminal, CSV, JSON, a workbook).

struct PlanRow {
    std::vector<std::string> labels;  // one per label column
    std::vector<double> cells;        // one per value column; NaN = empty
};

struct PlanTable {
    std::string title;
    std::vector<std::string> notes;          // units, conventions, what is missing
    std::vector<std::string> label_headers;  // the label columns' headers
    std::vector<std::string> value_headers;  // the value columns' headers ("2025-26", ...)
    std::vector<PlanRow> rows;
    // True when the cells are whole numbers by construction (counts rounded
    // so that breakdowns add to their totals); false for money.
    bool whole = false;
};

struct DsgPlanOptions {
    // The band shown beside the median: 80 = P10 to P90. 0 < band < 100.
    double band = 80.0;
};

// Per variant (run order): the financial summary, wide by financial year in
// £000s, and the children and young people table (plans by placement and
// census year, means rounded by largest remainder so that each year's
// placements add to its total). std::invalid_argument for a band outside
// (0, 100).
std::vector<PlanTable> dsg_plan(const ResultReader& reader, const DsgPlanOptions& options = {});

// SCAP in the return's shape (docs/dsg-plan.md): per variant (run order),
// one table of pupils with an EHCP by provision type (resourced provision and
// SEN units; state special, including non-maintained; independent special;
// alternative provision) and national curriculum year, Reception to 11, by
// academic year: the mean over replicates of stock_by_placement_age_need.
// Primary cells are given to scap_primary_years ahead of the base year,
// secondary to scap_secondary_years, and never beyond the file's horizon (a
// note says so). A file without plan detail gives each table its notes and
// no rows.
std::vector<PlanTable> scap_return(const ResultReader& reader);

// The national curriculum year of an age at 31 August before the academic
// year: Reception (0) for 4, Year 1 for 5 ... Year 11 for 15; -1 outside.
constexpr int scap_first_age = 4, scap_last_age = 15;
constexpr int scap_primary_years = 5, scap_secondary_years = 7;
int nc_year_of_age(int age);

// Largest-remainder rounding: whole numbers, each the floor or the ceiling of
// its value, adding up to `total` (a whole number within the floors' sum and
// the ceilings'; round(sum of values) when NaN). Ties go to the earlier
// entry. NaN or negative values count as 0.
std::vector<double> largest_remainder(const std::vector<double>& values,
                                      double total = std::numeric_limits<double>::quiet_NaN());

}  // namespace ehcpsim
