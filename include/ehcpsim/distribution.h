// Parameter uncertainty: a numeric parameter is a fixed value or one of six
// distributions (MODEL.md section 3).
//
// Every draw goes through the inverse CDF of one uniform. Variants of a
// replicate reuse the same uniform for the same parameter, so a variant that
// overrides a distribution (say a higher growth mean) gets a draw at the same
// quantile: the tightest coupling common random numbers can give.
#pragma once

#include <string>

namespace ehcpsim {

struct Distribution {
    enum class Kind { fixed, normal, lognormal, beta, uniform, triangular, pert };

    Kind kind = Kind::fixed;
    // fixed: value = a.  normal, lognormal, beta: mean = a, sd = b (of the
    // variable itself, also for lognormal).  uniform: min = a, max = b.
    // triangular, pert: min = a, mode = b, max = c.
    double a = 0.0;
    double b = 0.0;
    double c = 0.0;

    static Distribution fixed_value(double v) { return {Kind::fixed, v, 0.0, 0.0}; }

    bool is_fixed() const { return kind == Kind::fixed; }
    double mean() const;
    double lowest() const;   // smallest possible value (-inf for normal)
    double highest() const;  // largest possible value (+inf for normal, lognormal)

    // The value at cumulative probability u in (0, 1). Fixed returns a.
    double quantile(double u) const;

    // Empty when the numbers make a valid distribution, else why not
    // (sd <= 0, beta sd too large for its mean, min > mode, ...).
    std::string check() const;

    // "normal(mean=0.05, sd=0.01)" for messages and output attributes.
    std::string describe() const;
};

const char* kind_name(Distribution::Kind kind);

}  // namespace ehcpsim
