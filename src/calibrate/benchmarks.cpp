// The series a backtest scores, built from the panel's margins, and the
// benchmark forecasts (benchmarks.h).
#include "ehcpsim/benchmarks.h"

#include <cmath>
#include <set>

namespace ehcpsim::calibrate {

int target_year(std::string_view series, int origin, int horizon) {
    return last_known_year(series, origin) + horizon;
}

int last_known_year(std::string_view series, int origin) {
    return dating_of(series) == Dating::census ? origin : origin - 1;
}

const std::vector<AgeRange>& scored_age_bands() {
    static const std::vector<AgeRange> bands = {{0, 4}, {5, 10}, {11, 15}, {16, 19}, {20, 25}};
    return bands;
}

namespace {

bool is_band(const AgeRange& age) {
    for (const AgeRange& band : scored_age_bands())
        if (band.lo == age.lo && band.hi == age.hi) return true;
    return false;
}

std::string band_key(const AgeRange& band) {
    return "age:" + std::to_string(band.lo) + "-" + std::to_string(band.hi);
}

// The age bands of one measure, year by year: published bands as they are;
// in a year with finer ages (single years, 0-2), the sum of those inside
// each band. A year with both keeps the published band.
std::map<SeriesKey, Series> age_band_series(const Panel& panel, const std::string& la_code,
                                            const std::string& measure) {
    std::map<int, std::map<std::string, double>> published;  // year -> band -> value
    std::map<int, std::map<std::string, double>> rebuilt;    // year -> band -> sum of finer ages
    for (const std::string& breakdown : panel.breakdowns(la_code, measure)) {
        std::string why;
        const std::optional<Breakdown> parsed = Breakdown::parse(breakdown, why);
        if (!parsed || parsed->parts().size() != 1 || parsed->parts()[0].dimension != "age") continue;
        const std::optional<AgeRange> age = parse_age(parsed->parts()[0].value);
        if (!age) continue;  // age:unknown
        const Series values = panel.series(la_code, measure, breakdown);
        if (is_band(*age)) {
            for (const auto& [year, value] : values) published[year][band_key(*age)] = value;
            continue;
        }
        for (const AgeRange& band : scored_age_bands()) {
            if (age->lo < band.lo || age->hi > band.hi) continue;
            for (const auto& [year, value] : values) rebuilt[year][band_key(band)] += value;
        }
    }
    std::map<SeriesKey, Series> out;
    for (const auto& [year, sums] : rebuilt) {
        for (const AgeRange& band : scored_age_bands()) {
            const std::string key = band_key(band);
            const auto found = sums.find(key);
            out[{measure, key}][year] = found == sums.end() ? 0.0 : found->second;
        }
    }
    for (const auto& [year, bands] : published)
        for (const auto& [key, value] : bands) out[{measure, key}][year] = value;
    return out;
}

}  // namespace

std::map<SeriesKey, Series> backtest_series(const Panel& panel, const std::string& la_code,
                                            const SeriesChoice& choice) {
    std::map<SeriesKey, Series> out;
    for (const std::string& measure : choice.measures) {
        if (Series all = panel.series(la_code, measure, "all"); !all.empty()) out[{measure, "all"}] = std::move(all);
        if (choice.by_placement)
            for (const std::string& breakdown : panel.breakdowns(la_code, measure))
                if (breakdown.starts_with("placement:") && breakdown.find('|') == std::string::npos)
                    out[{measure, breakdown}] = panel.series(la_code, measure, breakdown);
        if (choice.by_age_band)
            for (auto& [key, series] : age_band_series(panel, la_code, measure)) out[key] = std::move(series);
    }
    return out;
}

std::string_view benchmark_name(Benchmark benchmark) {
    switch (benchmark) {
    case Benchmark::persistence: return "persistence";
    case Benchmark::no_change: return "no_change";
    case Benchmark::three_year_trend: return "three_year_trend";
    }
    return "";
}

std::optional<double> benchmark_forecast(Benchmark benchmark, const Series& series, int last, int steps) {
    const auto at = [&series](int year) -> std::optional<double> {
        const auto it = series.find(year);
        return it == series.end() ? std::nullopt : std::optional<double>(it->second);
    };
    const std::optional<double> now = at(last);
    if (!now) return std::nullopt;
    const double h = static_cast<double>(steps);
    switch (benchmark) {
    case Benchmark::no_change: return *now;
    case Benchmark::persistence: {
        const std::optional<double> before = at(last - 1);
        if (!before || *before <= 0) return std::nullopt;
        return *now * std::pow(*now / *before, h);
    }
    case Benchmark::three_year_trend: {
        double sum = 0;
        for (int t = last; t > last - 3; --t) {
            const std::optional<double> a = at(t), b = at(t - 1);
            if (!a || !b || *b <= 0) return std::nullopt;
            sum += *a / *b;
        }
        return *now * std::pow(sum / 3, h);
    }
    }
    return std::nullopt;
}

}  // namespace ehcpsim::calibrate
