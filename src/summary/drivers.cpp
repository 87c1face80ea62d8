#include "ehcpsim/drivers.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>

namespace ehcpsim {
namespace {

// Ranks of values, centred and scaled to unit length (the scale cancels in
// the standardised coefficients and makes R^2 = 1 - residual^2). Empty if
// the values do not vary.
Eigen::VectorXd standardised_ranks(const std::vector<double>& values) {
    const std::vector<double> ranks = average_ranks(values);
    const auto n = static_cast<Eigen::Index>(ranks.size());
    Eigen::VectorXd z = Eigen::Map<const Eigen::VectorXd>(ranks.data(), n);
    z.array() -= z.mean();
    const double norm = z.norm();
    if (!(norm > 0.0)) return {};
    return z / norm;
}

std::string count_text(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The parameters' side of a fit over a set of replicates: the standardised
// ranks of every uncertain parameter. Outcomes with a value in the same
// replicates share it (ranking is most of the cost).
struct Design {
    std::vector<std::size_t> rows;      // replicates used
    std::vector<std::string> constant;  // parameters that do not vary over them
    std::vector<std::size_t> kept;      // the others, column order
    std::vector<Eigen::VectorXd> columns;
};

Design design_of(const std::vector<double>& parameters, const std::vector<std::string>& names,
                 std::vector<std::size_t> rows) {
    const std::size_t p = names.size();
    Design design;
    design.rows = std::move(rows);
    const std::size_t n = design.rows.size();
    if (n == 0) return design;  // no fit: nothing to rank
    std::vector<double> column(n);
    for (std::size_t j = 0; j < p; ++j) {
        for (std::size_t i = 0; i < n; ++i) column[i] = parameters[design.rows[i] * p + j];
        const auto [low, high] = std::minmax_element(column.begin(), column.end());
        if (*low == *high) {
            design.constant.push_back(names[j]);
            continue;
        }
        design.kept.push_back(j);
        design.columns.push_back(standardised_ranks(column));
    }
    return design;
}

DriverFit fit_of(const Design& design, const std::vector<std::string>& names, const std::vector<double>& outcome) {
    DriverFit fit;
    const std::size_t n = design.rows.size();
    fit.replicates = n;
    fit.constant = design.constant;
    if (n == 0) {
        fit.reason = "no replicate has a value";
        return fit;
    }
    std::vector<double> column(n);
    for (std::size_t i = 0; i < n; ++i) column[i] = outcome[design.rows[i]];
    const Eigen::VectorXd y = standardised_ranks(column);
    if (y.size() == 0) {
        fit.reason = "the outcome is the same in every replicate";
        return fit;
    }
    std::vector<std::size_t> kept = design.kept;
    if (kept.empty()) {
        fit.reason = "no uncertain parameter";
        return fit;
    }
    if (n < kept.size() + 2) {
        fit.reason = "too few replicates: " + count_text(n, "replicate", "replicates") + " for " +
                     count_text(kept.size(), "uncertain parameter", "uncertain parameters") + " (a fit needs at least " +
                     std::to_string(kept.size() + 2) + ")";
        return fit;
    }

    // Least squares on the standardised ranks; no intercept is needed, every
    // column being centred. A column the others determine exactly (rank
    // deficiency) is left out and the rest refitted.
    std::vector<const Eigen::VectorXd*> columns;
    for (const Eigen::VectorXd& c : design.columns) columns.push_back(&c);
    Eigen::VectorXd b;
    std::vector<bool> aliased(names.size(), false);
    for (;;) {
        const auto q = static_cast<Eigen::Index>(kept.size());
        Eigen::MatrixXd z(static_cast<Eigen::Index>(n), q);
        for (Eigen::Index c = 0; c < q; ++c) z.col(c) = *columns[static_cast<std::size_t>(c)];
        // The columns have unit length, so a pivot below 1e-9 is a column
        // within 1e-9 of the others' span (a multiple correlation above
        // 1 - 1e-18 with them): the same draw, up to rounding. Eigen's
        // default threshold (machine epsilon times the column count) is
        // below the rounding of the factorisation over many replicates.
        Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(z.rows(), z.cols());
        qr.setThreshold(1e-9);
        qr.compute(z);
        if (qr.rank() == q) {
            b = qr.solve(y);
            const double residual = (y - z * b).squaredNorm() / y.squaredNorm();
            fit.r2 = std::clamp(1.0 - residual, 0.0, 1.0);
            break;
        }
        std::vector<bool> drop(kept.size(), false);
        const auto& pivots = qr.colsPermutation().indices();
        for (Eigen::Index k = qr.rank(); k < q; ++k) drop[static_cast<std::size_t>(pivots[k])] = true;
        std::vector<std::size_t> still;
        std::vector<const Eigen::VectorXd*> still_columns;
        for (std::size_t c = 0; c < kept.size(); ++c) {
            if (drop[c]) {
                aliased[kept[c]] = true;
            } else {
                still.push_back(kept[c]);
                still_columns.push_back(columns[c]);
            }
        }
        kept = std::move(still);
        columns = std::move(still_columns);
    }
    for (std::size_t j = 0; j < names.size(); ++j) {
        if (aliased[j]) fit.aliased.push_back(names[j]);
    }
    for (std::size_t c = 0; c < kept.size(); ++c) {
        const double srrc = b[static_cast<Eigen::Index>(c)];
        fit.parameters.push_back({names[kept[c]], srrc, srrc * srrc});
    }
    std::stable_sort(fit.parameters.begin(), fit.parameters.end(),
                     [](const Driver& a, const Driver& c) { return std::fabs(a.srrc) > std::fabs(c.srrc); });
    return fit;
}

}  // namespace

std::vector<double> average_ranks(const std::vector<double>& values) {
    const std::size_t n = values.size();
    // (value, position) pairs sorted together: contiguous, so much faster
    // than sorting positions by an indirect comparison.
    std::vector<std::pair<double, std::size_t>> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = {values[i], i};
    std::sort(order.begin(), order.end());
    std::vector<double> ranks(n);
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && order[j].first == order[i].first) ++j;
        // Positions i..j-1 share the mean of ranks i+1..j.
        const double rank = 0.5 * static_cast<double>(i + 1 + j);
        for (std::size_t k = i; k < j; ++k) ranks[order[k].second] = rank;
        i = j;
    }
    return ranks;
}

std::vector<DriverFit> rank_regressions(const std::vector<double>& parameters, const std::vector<std::string>& names,
                                        const std::vector<std::vector<double>>& outcomes) {
    const std::size_t p = names.size();
    std::vector<DriverFit> fits;
    std::optional<Design> design;
    for (const std::vector<double>& outcome : outcomes) {
        const std::size_t n = outcome.size();
        if (parameters.size() != n * p) {
            throw std::invalid_argument("rank_regression: " + std::to_string(parameters.size()) + " draws for " +
                                        std::to_string(n) + " replicates of " + std::to_string(p) + " parameters");
        }
        // The replicates with every value.
        std::vector<std::size_t> rows;
        rows.reserve(n);
        for (std::size_t r = 0; r < n; ++r) {
            bool complete = !std::isnan(outcome[r]);
            for (std::size_t j = 0; j < p && complete; ++j) complete = !std::isnan(parameters[r * p + j]);
            if (complete) rows.push_back(r);
        }
        if (!design || design->rows != rows) design = design_of(parameters, names, std::move(rows));
        fits.push_back(fit_of(*design, names, outcome));
    }
    return fits;
}

DriverFit rank_regression(const std::vector<double>& parameters, const std::vector<std::string>& names,
                          const std::vector<double>& outcome) {
    return rank_regressions(parameters, names, {outcome}).front();
}

}  // namespace ehcpsim
