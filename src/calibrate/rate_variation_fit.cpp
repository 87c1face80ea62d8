// The fit of a rate's year-to-year variation: restricted likelihood per
// authority on an (sd, rho) grid, an empirical-Bayes prior of log sd across
// authorities, the authority's grid posterior (rate_variation_fit.h).
#include "ehcpsim/rate_variation_fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace ehcpsim::calibrate {

namespace {

// sd on a log grid from "none to speak of" to a factor of 7 a year.
constexpr int sd_points = 64;
constexpr double sd_low = 0.003, sd_high = 2.0;
constexpr int rho_points = 10;  // 0, 0.1, ..., 0.9
constexpr std::array<double, 9> spreads = {0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3};
// 90% profile-likelihood interval: half the chi-square(1) 90% point.
constexpr double profile_drop = 1.3528;

double log_sd_at(int g) {
    return std::log(sd_low) + (std::log(sd_high) - std::log(sd_low)) * g / (sd_points - 1);
}
double rho_at(int r) { return 0.1 * r; }

// Restricted log-likelihood of log rates y with sampling variances b under
// V = sd^2 R(rho) + diag(b), the level integrated out (flat prior).
double reml(const LogRates& d, double sd, double rho) {
    const std::size_t T = d.y.size();
    std::vector<double> L(T * T, 0.0);
    for (std::size_t i = 0; i < T; ++i)
        for (std::size_t j = 0; j <= i; ++j) {
            const int h = std::abs(d.year[i] - d.year[j]);
            double r = std::pow(rho, h);
            double chance = i == j ? d.noise[i] : 0.0;
            if (d.lag > 0.0) {
                // x(t) = (1 - l) z(t) + l z(t-1): its autocovariance at gap h
                // in units of z's; and the split's chance, the late plans'
                // binomial counted in year t and t+1 (var 2 l (1 - l) / k,
                // covariance - l (1 - l) / k between neighbours).
                const double l = d.lag, a = (1.0 - l) * (1.0 - l) + l * l, b = l * (1.0 - l);
                r = h == 0 ? a + 2.0 * b * rho : a * r + b * (std::pow(rho, h - 1) + std::pow(rho, h + 1));
                if (i == j) chance += 2.0 * d.split[i];
                else if (h == 1) chance -= std::sqrt(d.split[i] * d.split[j]);
            }
            L[i * T + j] = sd * sd * r + chance;
        }
    // Cholesky in place (lower).
    double logdet = 0.0;
    for (std::size_t j = 0; j < T; ++j) {
        double s = L[j * T + j];
        for (std::size_t k = 0; k < j; ++k) s -= L[j * T + k] * L[j * T + k];
        if (!(s > 0.0)) return -std::numeric_limits<double>::infinity();
        const double diag = std::sqrt(s);
        L[j * T + j] = diag;
        logdet += 2.0 * std::log(diag);
        for (std::size_t i = j + 1; i < T; ++i) {
            double v = L[i * T + j];
            for (std::size_t k = 0; k < j; ++k) v -= L[i * T + k] * L[j * T + k];
            L[i * T + j] = v / diag;
        }
    }
    // Forward solves: u = L^-1 1, w = L^-1 y.
    std::vector<double> u(T), w(T);
    for (std::size_t i = 0; i < T; ++i) {
        double a = 1.0, b = d.y[i];
        for (std::size_t k = 0; k < i; ++k) {
            a -= L[i * T + k] * u[k];
            b -= L[i * T + k] * w[k];
        }
        u[i] = a / L[i * T + i];
        w[i] = b / L[i * T + i];
    }
    double s11 = 0.0, s1y = 0.0, syy = 0.0;
    for (std::size_t i = 0; i < T; ++i) {
        s11 += u[i] * u[i];
        s1y += u[i] * w[i];
        syy += w[i] * w[i];
    }
    return -0.5 * (logdet + std::log(s11) + syy - s1y * s1y / s11);
}

// ll[r * sd_points + g] for one authority, less its maximum.
std::vector<double> likelihood_grid(const LogRates& d) {
    std::vector<double> ll(static_cast<std::size_t>(rho_points) * sd_points);
    double top = -std::numeric_limits<double>::infinity();
    for (int r = 0; r < rho_points; ++r)
        for (int g = 0; g < sd_points; ++g) {
            const double v = reml(d, std::exp(log_sd_at(g)), rho_at(r));
            ll[static_cast<std::size_t>(r) * sd_points + g] = v;
            top = std::max(top, v);
        }
    for (double& v : ll) v = std::isfinite(v) ? v - top : -1e300;
    return ll;
}

// Prior weights of the sd grid for log sd ~ Normal(m, s^2), summing to 1.
std::vector<double> prior_weights(double m, double s) {
    std::vector<double> w(sd_points);
    double total = 0.0;
    for (int g = 0; g < sd_points; ++g) {
        const double z = (log_sd_at(g) - m) / s;
        total += w[static_cast<std::size_t>(g)] = std::exp(-0.5 * z * z);
    }
    for (double& x : w) x /= total;
    return w;
}

}  // namespace

LogRates usable_log_rates(const YearlyCounts& c) {
    LogRates out;
    out.lag = c.lag;
    std::vector<double> logs;
    for (std::size_t i = 0; i < c.year.size(); ++i)
        if (c.k[i] >= variation_min_events && c.n[i] > 0.0) logs.push_back(std::log(c.k[i] / c.n[i]));
    if (logs.empty()) return out;
    std::vector<double> sorted = logs;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t h = sorted.size() / 2;
    const double median = sorted.size() % 2 ? sorted[h] : 0.5 * (sorted[h - 1] + sorted[h]);
    for (std::size_t i = 0; i < c.year.size(); ++i) {
        if (!(c.k[i] >= variation_min_events && c.n[i] > 0.0)) continue;
        const double p = c.k[i] / c.n[i];
        const double y = std::log(p);
        if (std::abs(y - median) > std::log(5.0)) continue;  // a reporting break, not variation
        out.year.push_back(c.year[i]);
        out.y.push_back(y);
        // Binomial sampling variance of log(k/n); a ratio above 1 (new plans
        // of earlier requests) is treated as a count with p = 0.95 at most.
        out.noise.push_back((1.0 - std::min(p, 0.95)) / c.k[i]);
        out.split.push_back(c.lag * (1.0 - c.lag) / c.k[i]);
    }
    return out;
}

VariationPrior variation_prior(const std::vector<YearlyCounts>& group) {
    VariationPrior prior;
    std::vector<std::vector<double>> ll;
    int most_years = 0;
    for (const YearlyCounts& c : group) {
        const LogRates d = usable_log_rates(c);
        if (d.y.size() < 2) continue;
        ll.push_back(likelihood_grid(d));
        prior.years += static_cast<int>(d.y.size());
        most_years = std::max(most_years, static_cast<int>(d.y.size()));
    }
    prior.authorities = static_cast<int>(ll.size());
    if (ll.size() < 2) return prior;
    prior.identified = true;
    prior.rho_fitted = most_years >= 3;
    // Exponentiated likelihoods, once.
    std::vector<std::vector<double>> lik(ll.size());
    for (std::size_t i = 0; i < ll.size(); ++i) {
        lik[i].resize(ll[i].size());
        for (std::size_t j = 0; j < ll[i].size(); ++j) lik[i][j] = std::exp(ll[i][j]);
    }
    const int rhos = prior.rho_fitted ? rho_points : 1;
    // The marginal log-likelihood of the group at (rho index r, m, s).
    const auto marginal = [&](int r, double m, double s) {
        const std::vector<double> w = prior_weights(m, s);
        double total = 0.0;
        for (const std::vector<double>& l : lik) {
            double sum = 0.0;
            const double* row = &l[static_cast<std::size_t>(r) * sd_points];
            for (int g = 0; g < sd_points; ++g) sum += w[static_cast<std::size_t>(g)] * row[g];
            total += std::log(std::max(sum, 1e-300));
        }
        return total;
    };
    std::vector<double> profile(static_cast<std::size_t>(rhos), -std::numeric_limits<double>::infinity());
    double best = -std::numeric_limits<double>::infinity();
    for (int r = 0; r < rhos; ++r) {
        // A coarse grid of (m, s), then a pattern search from its best point
        // (steps halved down to 0.005): a coarse prior would shrink too much
        // or too little.
        double bm = 0.0, bs = 0.0, top = -std::numeric_limits<double>::infinity();
        for (double s : spreads)
            for (int gm = 0; gm < sd_points; gm += 2)
                if (const double v = marginal(r, log_sd_at(gm), s); v > top) {
                    top = v;
                    bm = log_sd_at(gm);
                    bs = s;
                }
        for (double step = 0.1; step >= 0.005; step /= 2.0) {
            bool moved = true;
            while (moved) {
                moved = false;
                for (const auto& [dm, ds] : {std::pair{step, 0.0}, {-step, 0.0}, {0.0, step / 2.0}, {0.0, -step / 2.0}}) {
                    const double m = bm + dm, s = bs + ds;
                    if (s < 0.05 || m < log_sd_at(0) || m > log_sd_at(sd_points - 1)) continue;
                    if (const double v = marginal(r, m, s); v > top + 1e-12) {
                        top = v;
                        bm = m;
                        bs = s;
                        moved = true;
                    }
                }
            }
        }
        profile[static_cast<std::size_t>(r)] = top;
        if (top > best) {
            best = top;
            prior.rho = rho_at(r);
            prior.log_mean = bm;
            prior.log_sd = bs;
        }
    }
    prior.rho_lo90 = prior.rho_hi90 = prior.rho;
    for (int r = 0; r < rhos; ++r)
        if (profile[static_cast<std::size_t>(r)] >= best - profile_drop) {
            prior.rho_lo90 = std::min(prior.rho_lo90, rho_at(r));
            prior.rho_hi90 = std::max(prior.rho_hi90, rho_at(r));
        }
    return prior;
}

VariationPosterior variation_posterior(const YearlyCounts& own, const VariationPrior& prior) {
    VariationPosterior post;
    std::vector<double> w = prior_weights(prior.log_mean, prior.log_sd);
    const LogRates d = usable_log_rates(own);
    post.years = static_cast<int>(d.y.size());
    if (d.y.size() >= 2) {
        double top = -std::numeric_limits<double>::infinity();
        std::vector<double> ll(sd_points);
        for (int g = 0; g < sd_points; ++g) top = std::max(top, ll[static_cast<std::size_t>(g)] = reml(d, std::exp(log_sd_at(g)), prior.rho));
        double total = 0.0;
        for (int g = 0; g < sd_points; ++g) total += w[static_cast<std::size_t>(g)] *= std::exp(ll[static_cast<std::size_t>(g)] - top);
        for (double& x : w) x /= total;
    }
    double mean = 0.0, second = 0.0, log_mean = 0.0, log_second = 0.0;
    for (int g = 0; g < sd_points; ++g) {
        const double x = std::exp(log_sd_at(g)), p = w[static_cast<std::size_t>(g)];
        mean += p * x;
        second += p * x * x;
        log_mean += p * log_sd_at(g);
        log_second += p * log_sd_at(g) * log_sd_at(g);
    }
    post.mean = mean;
    post.sd = std::sqrt(std::max(0.0, second - mean * mean));
    const double log_var = std::max(0.0, log_second - log_mean * log_mean);
    post.own_weight = std::clamp(1.0 - log_var / (prior.log_sd * prior.log_sd), 0.0, 1.0);
    // Quantiles: each grid point holds its mass over the half-steps either
    // side (in log sd), linear within.
    const double step = log_sd_at(1) - log_sd_at(0);
    const auto quantile = [&](double q) {
        double cum = 0.0;
        for (int g = 0; g < sd_points; ++g) {
            const double p = w[static_cast<std::size_t>(g)];
            if (cum + p >= q && p > 0.0) return std::exp(log_sd_at(g) - 0.5 * step + step * (q - cum) / p);
            cum += p;
        }
        return std::exp(log_sd_at(sd_points - 1));
    };
    post.lo90 = quantile(0.05);
    post.hi90 = quantile(0.95);
    return post;
}

}  // namespace ehcpsim::calibrate
