// Empirical-Bayes pooling of proportions and mixes (pooling.h).
#include "ehcpsim/pooling.h"

#include <algorithm>
#include <cmath>

#include "ehcpsim/distribution.h"

namespace ehcpsim::calibrate {

BetaPrior beta_prior(const std::vector<Count>& groups, double min_concentration, double max_concentration) {
    double k_sum = 0.0, n_sum = 0.0;
    int used = 0;
    for (const Count& g : groups)
        if (g.n > 0.0) {
            k_sum += std::min(g.k, g.n);
            n_sum += g.n;
            ++used;
        }
    if (used == 0 || n_sum <= 0.0) return {0.5, 2.0, 0};
    const double m = std::clamp(k_sum / n_sum, 1e-9, 1.0 - 1e-9);
    if (used < 2) return {m, min_concentration, used};  // no spread to measure: a weak prior
    // n-weighted variance of the observed proportions, and the part of it that
    // binomial sampling alone gives: sum n_i * m(1-m)/n_i / sum n_i.
    double weighted = 0.0;
    for (const Count& g : groups)
        if (g.n > 0.0) {
            const double p = std::min(g.k, g.n) / g.n;
            weighted += g.n * (p - m) * (p - m);
        }
    const double observed = weighted / n_sum;
    const double chance = m * (1.0 - m) * used / n_sum;
    const double between = observed - chance;
    double concentration = between > 0.0 ? m * (1.0 - m) / between - 1.0 : max_concentration;
    concentration = std::clamp(concentration, min_concentration, max_concentration);
    return {m, concentration, used};
}

double BetaPosterior::sd() const {
    const double s = alpha + beta;
    return std::sqrt(alpha * beta / (s * s * (s + 1.0)));
}

double BetaPosterior::quantile(double u) const {
    Distribution d{Distribution::Kind::beta, mean(), sd(), 0.0};
    return d.quantile(u);
}

BetaPosterior beta_posterior(const Count& own, const BetaPrior& prior) {
    const double n = std::max(0.0, own.n);
    const double k = std::clamp(own.k, 0.0, n);
    BetaPosterior post;
    post.alpha = k + prior.mean * prior.concentration;
    post.beta = n - k + (1.0 - prior.mean) * prior.concentration;
    post.own_weight = n / (n + prior.concentration);
    return post;
}

DirichletPrior dirichlet_prior(const std::vector<std::vector<double>>& groups, double min_concentration,
                               double max_concentration) {
    DirichletPrior prior;
    if (groups.empty()) return prior;
    const std::size_t c = groups.front().size();
    std::vector<double> totals(c, 0.0);
    double n_sum = 0.0;
    int used = 0;
    for (const auto& g : groups) {
        double n = 0.0;
        for (std::size_t j = 0; j < c; ++j) n += g[j];
        if (n <= 0.0) continue;
        for (std::size_t j = 0; j < c; ++j) totals[j] += g[j];
        n_sum += n;
        ++used;
    }
    prior.groups = used;
    if (used == 0) {
        prior.mean.assign(c, 1.0 / static_cast<double>(c));
        prior.concentration = static_cast<double>(c);
        return prior;
    }
    prior.mean.resize(c);
    for (std::size_t j = 0; j < c; ++j) prior.mean[j] = totals[j] / n_sum;
    if (used < 2) {
        prior.concentration = min_concentration;  // no spread to measure: a weak prior
        return prior;
    }
    // Dirichlet-multinomial moments: summed over categories, the n-weighted
    // observed variance of the shares is sum m_j(1-m_j) * (chance + between)
    // with between = 1/(M+1); solved for M.
    double observed = 0.0, spread = 0.0;
    for (std::size_t j = 0; j < c; ++j) spread += prior.mean[j] * (1.0 - prior.mean[j]);
    for (const auto& g : groups) {
        double n = 0.0;
        for (std::size_t j = 0; j < c; ++j) n += g[j];
        if (n <= 0.0) continue;
        for (std::size_t j = 0; j < c; ++j) {
            const double p = g[j] / n;
            observed += n * (p - prior.mean[j]) * (p - prior.mean[j]);
        }
    }
    observed /= n_sum;
    const double chance = spread * used / n_sum;
    const double between = spread > 0.0 ? (observed - chance) / spread : 0.0;
    double concentration = between > 0.0 ? 1.0 / between - 1.0 : max_concentration;
    prior.concentration = std::clamp(concentration, min_concentration, max_concentration);
    return prior;
}

std::vector<BetaPosterior> dirichlet_posterior(const std::vector<double>& own, const DirichletPrior& prior) {
    double n = 0.0;
    for (double x : own) n += std::max(0.0, x);
    std::vector<double> alpha(own.size());
    double total = 0.0;
    for (std::size_t j = 0; j < own.size(); ++j) {
        alpha[j] = std::max(0.0, own[j]) + prior.concentration * prior.mean[j];
        total += alpha[j];
    }
    std::vector<BetaPosterior> out(own.size());
    for (std::size_t j = 0; j < own.size(); ++j) {
        out[j].alpha = alpha[j];
        out[j].beta = total - alpha[j];
        out[j].own_weight = n / (n + prior.concentration);
    }
    return out;
}

}  // namespace ehcpsim::calibrate
