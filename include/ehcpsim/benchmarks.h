// The series a backtest scores and the simple benchmarks every forecast is
// judged against (CALIBRATION.md section 4): persistence (last year's growth,
// compounded), no change, and the three-year trend (the mean of the last
// three years' growth factors, compounded). Each benchmark is a pure function
// of a series' values up to its last known year.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ehcpsim/panel.h"

namespace ehcpsim::calibrate {

// A series of a backtest: a panel measure (stock, new_plans, requests,
// ceased) and a breakdown (`all`, `placement:<group>`, `age:<lo>-<hi>`).
struct SeriesKey {
    std::string series;
    std::string breakdown;
    auto operator<=>(const SeriesKey&) const = default;
};

// The year a forecast of horizon h made at origin Y is for, and the last
// year known at that origin: for stocks (January census) Y + h and Y; for
// flows (calendar years) Y + h - 1 and Y - 1, since the flows of year Y are
// not known at the January Y census and lead to the stock of Y + 1.
int target_year(std::string_view series, int origin, int horizon);
int last_known_year(std::string_view series, int origin);

// The age bands scored (the bands the 2022 release publishes): 0-4, 5-10,
// 11-15, 16-19, 20-25.
const std::vector<AgeRange>& scored_age_bands();

// What to score, for every authority: the measures, and whether to score
// them by placement group and by age band where the panel has them.
struct SeriesChoice {
    std::vector<std::string> measures = {"stock", "new_plans", "requests", "ceased"};
    bool by_placement = true;
    bool by_age_band = true;
};

// The series of one authority, year by year: `all` and every
// `placement:<group>` as the panel has them, and each age band either as
// published (`age:5-10`) or, in a year with single years of age instead,
// as the sum of the ages inside the band (absent single ages count as 0,
// as the releases omit empty cells). Only rows of `panel` are read, so a
// cut panel gives only the years it can see.
std::map<SeriesKey, Series> backtest_series(const Panel& panel, const std::string& la_code,
                                            const SeriesChoice& choice);

// The benchmarks, in the order of scores.csv.
enum class Benchmark { persistence, no_change, three_year_trend };
inline constexpr Benchmark all_benchmarks[] = {Benchmark::persistence, Benchmark::no_change,
                                               Benchmark::three_year_trend};
std::string_view benchmark_name(Benchmark benchmark);  // persistence, no_change, three_year_trend

// The benchmark's forecast `steps` years after `last` (the last known year),
// from the values up to `last` only; nullopt when the values it needs are
// absent or a growth factor's denominator is 0:
//   persistence       x(last) * (x(last) / x(last-1))^steps
//   no_change         x(last)
//   three_year_trend  x(last) * g^steps, g the arithmetic mean of
//                     x(t)/x(t-1) for t = last, last-1, last-2
std::optional<double> benchmark_forecast(Benchmark benchmark, const Series& series, int last, int steps);

}  // namespace ehcpsim::calibrate
