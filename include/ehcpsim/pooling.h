// Empirical-Bayes pooling of proportions across authorities, for calibrate:
// a binomial count k of n in each authority; the authorities' true
// proportions are taken to be Beta(m M, (1 - m) M) across England (m and M by
// the method of moments over the group), and one authority's posterior is
// Beta(k + m M, n - k + (1 - m) M): its own data weigh n / (n + M), the group
// M / (n + M). Mixes (need, placement) pool each category's share the same
// way with one concentration M for the mix (a Dirichlet prior), whose
// posterior marginals are Betas. docs/calibrate.md states the method.
#pragma once

#include <string>
#include <vector>

namespace ehcpsim::calibrate {

struct Count {
    double k = 0.0;  // successes (may be fractional when spread from bands)
    double n = 0.0;  // trials
};

// The group's Beta prior: mean m and concentration M (prior sample size).
struct BetaPrior {
    double mean = 0.5;
    double concentration = 2.0;
    int groups = 0;  // authorities with n > 0 that entered it
};

// Method of moments over the groups with n > 0: m = sum k / sum n; the
// between-group variance of the true proportions is the n-weighted variance
// of k/n less its mean binomial part; M = m(1-m)/that - 1, floored at
// `min_concentration` and capped at `max_concentration` (a group with no
// visible spread beyond chance gets the cap: pooled almost entirely). With one
// group, its mean with the floor as concentration (a weak prior); with none,
// a flat Beta(1, 1).
BetaPrior beta_prior(const std::vector<Count>& groups, double min_concentration = 2.0,
                     double max_concentration = 1e6);

struct BetaPosterior {
    double alpha = 1.0, beta = 1.0;
    double own_weight = 0.0;  // n / (n + M)
    double mean() const { return alpha / (alpha + beta); }
    double sd() const;
    double quantile(double u) const;
};

BetaPosterior beta_posterior(const Count& own, const BetaPrior& prior);

// A mix: counts by category for each group (every row the same length).
struct DirichletPrior {
    std::vector<double> mean;  // sums to 1
    double concentration = 1.0;
    int groups = 0;
};
DirichletPrior dirichlet_prior(const std::vector<std::vector<double>>& groups, double min_concentration = 2.0,
                               double max_concentration = 1e6);
// Posterior Dirichlet(own + M m): each share's marginal Beta.
std::vector<BetaPosterior> dirichlet_posterior(const std::vector<double>& own, const DirichletPrior& prior);

}  // namespace ehcpsim::calibrate
