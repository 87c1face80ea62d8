// Panels as text for the tests of calibrate and backtest: a small synthetic
// panel of authorities and years the project has never seen, and (from
// panel_test_support.h) a panel's rows after an origin deleted as text.
#pragma once

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "panel_test_support.h"

namespace ehcpsim::testing {

// Four authorities (codes Z00000001..4) with January stocks 2030-2037 and the
// flows of 2029-2036 (requests, new plans, not issued, ceased) and stock by
// placement group (and, for the first, `placement:ap` from 2035 only):
// smooth growth with a wobble, so every benchmark and calibrate's fits have
// what they need. No ages (calibrate spreads the
// total like the population).
inline std::string synthetic_panel_text() {
    std::ostringstream out;
    out << "la_code,la_name,year,measure,breakdown,value\n";
    const char* groups[] = {"mainstream", "special_maintained", "special_independent", "other"};
    const double shares[] = {0.45, 0.35, 0.08, 0.12};
    for (int a = 1; a <= 4; ++a) {
        const std::string code = "Z0000000" + std::to_string(a);
        const std::string name = "Synthetic " + std::to_string(a);
        for (int year = 2029; year <= 2037; ++year) {
            const int t = year - 2029;
            const double wobble = 1.0 + 0.02 * std::sin(1.7 * t + a);
            const double stock = std::round(600.0 * a * std::pow(1.06 + 0.01 * a, t) * wobble);
            const auto row = [&](const std::string& measure, const std::string& breakdown, double value) {
                out << code << ',' << name << ',' << year << ',' << measure << ',' << breakdown << ','
                    << std::round(value) << '\n';
            };
            if (year >= 2030) {
                row("stock", "all", stock);
                for (int g = 0; g < 4; ++g) row("stock", std::string("placement:") + groups[g], stock * shares[g]);
                // A group first published in 2035 (as alternative provision was): a
                // forecast made before then must not know of it.
                if (a == 1 && year >= 2035) row("stock", "placement:ap", stock * 0.01);
            }
            if (year <= 2036) {
                const double made = stock * 0.14 * wobble;
                row("new_plans", "all", made);
                row("requests", "all", made * 1.7);
                row("not_issued", "all", made * 0.12);
                row("ceased", "all", stock * 0.06);
            }
        }
    }
    return out.str();
}

}  // namespace ehcpsim::testing
