// A minimal valid scenario held in memory, shared by the scenario module's
// tests: ages 0..3, two needs, two placements, two phases.
#pragma once

#include <string>

namespace ehcpsim::testing {

inline const std::string minimal_toml = R"(
[scenario]
name = "mini"
base_year = 2020
horizon = 3

[dimensions]
min_age = 0
max_age = 3
needs = ["A", "B"]
placements = ["ms", "sp"]
phases = [{ name = "young", ages = [0, 1] }, { name = "old", ages = [2, 3] }]

[data]
stock = "stock.csv"
population = "pop.csv"

[demand]
request_rate = 0.01
assess_rate = 0.8
issue_rate = 0.9
need_mix.default = { A = 0.5, B = 0.5 }
placement_mix.default = { ms = 0.7, sp = 0.3 }

[cease]
rate = 0.05

[money]
opening_deficit = -1.0e5
unit_cost = { ms = 8000, sp = 20000 }
funding.known = { 2020 = 1.0e6 }
)";

inline const std::string minimal_stock = "age,need,placement,count\n1,A,ms,3\n2,B,sp,4\n";
inline const std::string minimal_population =
    "year,age,population\n2020,0,100\n2020,1,100\n2020,2,100\n2020,3,100\n";

}  // namespace ehcpsim::testing
