// Fixed values and the six parameter distributions (MODEL.md sections 3, 11):
// moments, support, inverse CDFs (Boost.Math) and validation messages.
#include "ehcpsim/distribution.h"

#include <cmath>
#include <limits>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/triangular.hpp>

#include "ehcpsim/text.h"

namespace ehcpsim {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

// PERT's weight on the mode (the classic choice, MODEL.md section 11).
constexpr double pert_lambda = 4.0;

// Lognormal given by the mean m and sd s of the variable itself:
// sigma^2 = log(1 + s^2/m^2), mu = log(m) - sigma^2/2.
boost::math::lognormal_distribution<double> lognormal_of(double mean, double sd) {
    const double sigma2 = std::log1p((sd * sd) / (mean * mean));
    return boost::math::lognormal_distribution<double>(std::log(mean) - sigma2 / 2.0, std::sqrt(sigma2));
}

// Beta by the method of moments: nu = m(1-m)/s^2 - 1, alpha = m nu, beta = (1-m) nu.
boost::math::beta_distribution<double> beta_of(double mean, double sd) {
    const double nu = mean * (1.0 - mean) / (sd * sd) - 1.0;
    return boost::math::beta_distribution<double>(mean * nu, (1.0 - mean) * nu);
}

// PERT(min, mode, max) is min + (max - min) * Beta(alpha, beta).
boost::math::beta_distribution<double> pert_shape(double min, double mode, double max) {
    const double range = max - min;
    return boost::math::beta_distribution<double>(1.0 + pert_lambda * (mode - min) / range,
                                                  1.0 + pert_lambda * (max - mode) / range);
}

bool all_finite(std::initializer_list<double> values) {
    for (double v : values)
        if (!std::isfinite(v)) return false;
    return true;
}

std::string check_range(double min, double max) {
    if (min >= max) return "min must be less than max, found min = " + shortest_text(min) + ", max = " + shortest_text(max);
    return {};
}

std::string check_mode(double min, double mode, double max) {
    if (std::string range = check_range(min, max); !range.empty()) return range;
    if (mode < min || mode > max)
        return "mode must lie in [min, max] = [" + shortest_text(min) + ", " + shortest_text(max) + "], found " +
               shortest_text(mode);
    return {};
}

std::string check_sd(double sd) {
    if (sd <= 0.0) return "sd must be > 0, found " + shortest_text(sd);
    return {};
}

}  // namespace

const char* kind_name(Distribution::Kind kind) {
    switch (kind) {
        case Distribution::Kind::fixed: return "fixed";
        case Distribution::Kind::normal: return "normal";
        case Distribution::Kind::lognormal: return "lognormal";
        case Distribution::Kind::beta: return "beta";
        case Distribution::Kind::uniform: return "uniform";
        case Distribution::Kind::triangular: return "triangular";
        case Distribution::Kind::pert: return "pert";
    }
    return "unknown";
}

double Distribution::mean() const {
    switch (kind) {
        case Kind::fixed:
        case Kind::normal:
        case Kind::lognormal:
        case Kind::beta: return a;
        case Kind::uniform: return (a + b) / 2.0;
        case Kind::triangular: return (a + b + c) / 3.0;
        case Kind::pert: return (a + pert_lambda * b + c) / (pert_lambda + 2.0);
    }
    return a;
}

double Distribution::lowest() const {
    switch (kind) {
        case Kind::fixed: return a;
        case Kind::normal: return -infinity;
        case Kind::lognormal:
        case Kind::beta: return 0.0;
        case Kind::uniform:
        case Kind::triangular:
        case Kind::pert: return a;
    }
    return a;
}

double Distribution::highest() const {
    switch (kind) {
        case Kind::fixed: return a;
        case Kind::normal:
        case Kind::lognormal: return infinity;
        case Kind::beta: return 1.0;
        case Kind::uniform: return b;
        case Kind::triangular:
        case Kind::pert: return c;
    }
    return a;
}

double Distribution::quantile(double u) const {
    if (kind == Kind::fixed) return a;
    // The ends of the support; the engine's uniforms are strictly inside (0, 1).
    if (u <= 0.0) return lowest();
    if (u >= 1.0) return highest();
    switch (kind) {
        case Kind::fixed: return a;
        case Kind::normal: return boost::math::quantile(boost::math::normal_distribution<double>(a, b), u);
        case Kind::lognormal: return boost::math::quantile(lognormal_of(a, b), u);
        case Kind::beta: return boost::math::quantile(beta_of(a, b), u);
        case Kind::uniform: return a + (b - a) * u;
        case Kind::triangular:
            return boost::math::quantile(boost::math::triangular_distribution<double>(a, b, c), u);
        case Kind::pert: return a + (c - a) * boost::math::quantile(pert_shape(a, b, c), u);
    }
    return a;
}

std::string Distribution::check() const {
    switch (kind) {
        case Kind::fixed:
            if (!all_finite({a})) return "value must be a finite number, found " + shortest_text(a);
            return {};
        case Kind::normal:
            if (!all_finite({a, b})) return "mean and sd must be finite numbers";
            return check_sd(b);
        case Kind::lognormal:
            if (!all_finite({a, b})) return "mean and sd must be finite numbers";
            if (a <= 0.0) return "lognormal mean must be > 0, found " + shortest_text(a);
            return check_sd(b);
        case Kind::beta:
            if (!all_finite({a, b})) return "mean and sd must be finite numbers";
            if (a <= 0.0 || a >= 1.0) return "beta mean must lie in (0, 1), found " + shortest_text(a);
            if (std::string sd = check_sd(b); !sd.empty()) return sd;
            if (b * b >= a * (1.0 - a))
                return "beta sd " + shortest_text(b) + " is too large for mean " + shortest_text(a) +
                       ": needs sd^2 < mean*(1-mean), i.e. sd < " + rounded_text(std::sqrt(a * (1.0 - a)));
            return {};
        case Kind::uniform:
            if (!all_finite({a, b})) return "min and max must be finite numbers";
            return check_range(a, b);
        case Kind::triangular:
        case Kind::pert:
            if (!all_finite({a, b, c})) return "min, mode and max must be finite numbers";
            return check_mode(a, b, c);
    }
    return "unknown distribution";
}

std::string Distribution::describe() const {
    const std::string name = kind_name(kind);
    switch (kind) {
        case Kind::fixed: return name + "(value=" + shortest_text(a) + ")";
        case Kind::normal:
        case Kind::lognormal:
        case Kind::beta: return name + "(mean=" + shortest_text(a) + ", sd=" + shortest_text(b) + ")";
        case Kind::uniform: return name + "(min=" + shortest_text(a) + ", max=" + shortest_text(b) + ")";
        case Kind::triangular:
        case Kind::pert:
            return name + "(min=" + shortest_text(a) + ", mode=" + shortest_text(b) + ", max=" + shortest_text(c) + ")";
    }
    return name;
}

}  // namespace ehcpsim
