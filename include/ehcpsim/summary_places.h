// The place-planning view of a summary (MODEL.md section 4 step 6 and
// section 8) and the SCAP export of specialist demand. Part of summary.h.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace ehcpsim {

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

}  // namespace ehcpsim
