// What drives the spread of an outcome over replicates: standardised rank
// regression coefficients (SRRC) of the outcome on the parameter draws
// (MODEL.md section 8; docs/output.md, "What drives the spread").
//
// Every column (each parameter, and the outcome) is replaced by its ranks
// over replicates (ties get the average of the ranks they span), centred and
// scaled to unit variance; the outcome's standardised ranks are then
// regressed on the parameters' by least squares (Eigen, column-pivoting
// Householder QR). A coefficient is the change in the outcome's rank, in
// standard deviations, per standard deviation of the parameter's rank, the
// others held fixed. Ranks make the measure insensitive to any monotone
// transform of a parameter or of the outcome; with independent draws (each
// parameter is drawn on its own) SRRC^2 is the share of the outcome's rank
// variance the parameter explains, and the shares add up to about R^2.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace ehcpsim {

inline constexpr const char* drivers_method = "standardised rank regression coefficients (SRRC)";

struct Driver {
    std::string name;
    double srrc = 0.0;   // signed: > 0 when a larger draw gives a larger outcome
    double share = 0.0;  // srrc^2
};

struct DriverFit {
    // Sorted by |srrc|, largest first (equal values keep the column order).
    // Empty when there is no fit (reason is then set).
    std::vector<Driver> parameters;
    // Coefficient of determination of the rank regression: the share of the
    // outcome's rank variance the parameters explain together. NaN without a fit.
    double r2 = std::numeric_limits<double>::quiet_NaN();
    // Replicates in the fit: those whose outcome and draws are all not NaN.
    std::size_t replicates = 0;
    // Parameters left out: those with the same draw in every replicate used
    // (not uncertain), and those whose ranks are an exact linear combination
    // of the others' (two names for one draw), which no regression can tell
    // apart. Column order.
    std::vector<std::string> constant;
    std::vector<std::string> aliased;
    // Why there is no fit ("" when there is one): no replicate with a value,
    // an outcome that does not vary, no uncertain parameter, or too few
    // replicates (a fit needs at least p + 2 for p parameters).
    std::string reason;
    bool ok() const { return reason.empty(); }
};

// Ranks 1..n of the values (ascending); tied values get the average of the
// ranks they span ({10, 20, 20, 30} -> {1, 2.5, 2.5, 4}). No NaNs.
std::vector<double> average_ranks(const std::vector<double>& values);

// The SRRC of outcome (one value per replicate) on the parameter draws,
// parameters[r * names.size() + j] for replicate r and parameter j (the
// layout of ResultReader::read_parameters). Replicates with a NaN outcome or
// draw are left out. std::invalid_argument if the sizes do not agree.
DriverFit rank_regression(const std::vector<double>& parameters, const std::vector<std::string>& names,
                          const std::vector<double>& outcome);

// The same for several outcomes of the same replicates, one fit each; the
// parameters are ranked once for all the outcomes with a value in the same
// replicates (the results equal rank_regression's on each outcome alone).
std::vector<DriverFit> rank_regressions(const std::vector<double>& parameters, const std::vector<std::string>& names,
                                        const std::vector<std::vector<double>>& outcomes);

}  // namespace ehcpsim
