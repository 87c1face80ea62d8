// The drivers view (what drives the spread; the statistics are drivers.h)
// and the DSG deficit management plan export of a summary. Part of summary.h.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "ehcpsim/ambition.h"
#include "ehcpsim/drivers.h"

namespace ehcpsim {

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

}  // namespace ehcpsim
