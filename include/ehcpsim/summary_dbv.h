// The DBV view of a summary (MODEL.md sections 7-8): the cumulative
// opportunity of each mitigated variant against its unmitigated one, the
// range between ambition levels, the DBV table; and the exceedance
// probabilities of the cumulative deficit at the horizon. Part of summary.h.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ehcpsim/ambition.h"

namespace ehcpsim {

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

// The opportunity statistics of a (unmitigated, compare_to) against b
// (mitigated, variant) as defined above; exposed for tests and tools.
Opportunity compare_deficits(const std::vector<double>& a, const std::vector<double>& b);

// "30m", "500k", "2.5bn", "£1.2m", "-3e6", "2500000" -> pounds; nullopt if
// not an amount (suffixes k, m, bn, any case; an optional leading £).
std::optional<double> parse_amount(std::string_view text);

}  // namespace ehcpsim
