// Draws for the synthetic authorities of the calibrate tests: a rate from a
// Beta given as a mean and a concentration, from a fixed-seed
// std::mt19937_64 stream.
#pragma once

#include <cmath>
#include <random>

namespace ehcpsim::testing {

inline double beta_draw(std::mt19937_64& rng, double mean, double concentration) {
    std::gamma_distribution<double> a(mean * concentration, 1.0), b((1.0 - mean) * concentration, 1.0);
    const double x = a(rng), y = b(rng);
    return x / (x + y);
}

}  // namespace ehcpsim::testing
