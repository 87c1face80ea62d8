// The bounds a scenario's values are validated against: the domain of each
// kind of parameter and the largest magnitude it may reach, the limits on
// ages, years and horizon, and the thresholds of the warnings for values that
// are legal but almost certainly a slip (docs/scenario.md, "Domains",
// "Magnitude limits", "Warnings").
#pragma once

#include <limits>
#include <string_view>

namespace ehcpsim::scenario_reading {

constexpr double mix_tolerance = 0.001;  // |sum of mix means - 1|, and transitions' excess over 1
constexpr int max_age_limit = 120;
constexpr int max_horizon = 100;
constexpr int first_year = 1000;  // years are four-digit labels
constexpr int last_year = 9999;
constexpr std::string_view default_key = "default";
constexpr double infinity = std::numeric_limits<double>::infinity();
// Chance of a draw outside a parameter's domain below which no note is made.
constexpr double negligible_tail = 1e-6;
// Legal values that are almost certainly a slip get a warning (docs/scenario.md,
// "Warnings"): a unit cost outside these GBP a year, a growth rate or
// inflation above this, a request rate above this a year.
constexpr double min_plausible_unit_cost = 1000.0;
constexpr double max_plausible_unit_cost = 1.0e6;
constexpr double max_plausible_growth = 0.5;
constexpr double max_plausible_request_rate = 0.2;

// The values a parameter may take (docs/scenario.md, "Domains").
enum class Domain { probability, nonnegative, growth, persistence, money, real, count, shock, variation_sd, variation_persistence };

// limit: the largest magnitude a value, or any draw of a distribution, may
// reach (docs/scenario.md, "Magnitude limits"). Far beyond any authority's
// figures, and small enough that nothing the engine computes from them over
// 100 years overflows a double or an int64 (probabilities are clamped).
struct DomainSpec {
    const char* text;  // for messages
    double low;
    double high;
    bool low_open;
    double limit = infinity;
    const char* limit_text = "";
    bool high_open = false;  // the domain excludes `high`
};

inline DomainSpec domain_spec(Domain domain) {
    switch (domain) {
        case Domain::probability: return {"a probability in [0, 1]", 0.0, 1.0, false};
        case Domain::nonnegative:
            return {"a non-negative number [0, inf)", 0.0, infinity, false, 1e6, "1e6 (a multiplier or effect)"};
        case Domain::growth:
            return {"a growth rate in (-1, inf)", -1.0, infinity, true, 10.0, "10 (1,000% a year)"};
        case Domain::persistence: return {"a persistence in [0, 1]", 0.0, 1.0, false};
        case Domain::money:
            return {"an amount of money in [0, inf)", 0.0, infinity, false, 1e12, "1e12 (GBP 1 trillion)"};
        case Domain::real: return {"a real number", -infinity, infinity, false, 1e12, "1e12 (GBP 1 trillion)"};
        case Domain::count:
            return {"a non-negative number [0, inf)", 0.0, infinity, false, 1099511627776.0,
                    "2^40 (1,099,511,627,776)"};
        case Domain::shock:
            return {"a non-negative number [0, inf)", 0.0, infinity, false, 1.0, "1 (a shock sd of 100% a year)"};
        case Domain::variation_sd:
            return {"a non-negative number [0, inf)", 0.0, infinity, false, 5.0,
                    "5 (a yearly sd of the log rate of 5)"};
        case Domain::variation_persistence:
            return {"a persistence in [0, 1)", 0.0, 1.0, false, infinity, "", true};
    }
    return {"a number", -infinity, infinity, false};
}

inline bool in_domain(const DomainSpec& spec, double value) {
    return (spec.high_open ? value < spec.high : value <= spec.high) &&
           (spec.low_open ? value > spec.low : value >= spec.low);
}

}  // namespace ehcpsim::scenario_reading
