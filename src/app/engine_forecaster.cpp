// The engine's forecaster for the backtest (engine_forecaster.h): calibrate
// in memory, run the baseline, read the scored series back as quantiles.
#include "ehcpsim/engine_forecaster.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "ehcpsim/app.h"
#include "ehcpsim/error.h"
#include "ehcpsim/results.h"
#include "ehcpsim/rng.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/scenario.h"
#include "ehcpsim/version.h"

namespace ehcpsim {

using calibrate::Panel;
using calibrate::QuantileForecast;

namespace {

// How one scored series is read from a replicate's results: the sum of one
// or two metrics at one extra index (a placement; 0 for a metric by year).
struct Reading {
    std::string series;
    std::string breakdown;
    int metric = -1;
    int second_metric = -1;  // added when >= 0 (ceased + aged out)
    int extra = 0;
};

// The panel's placement groups of one measure of an authority, each with
// the template placement it maps to, kept only where no other group of the
// authority maps to the same placement (the engine cannot split it).
std::vector<std::pair<std::string, int>> placement_groups(const Panel& cut, const std::string& la,
                                                          const std::string& measure, const Dimensions& dims) {
    std::vector<std::pair<std::string, int>> groups;
    for (const std::string& breakdown : cut.breakdowns(la, measure)) {
        if (!breakdown.starts_with("placement:") || breakdown.find('|') != std::string::npos) continue;
        const std::string group = breakdown.substr(10);
        if (group == "unknown") continue;
        groups.emplace_back(breakdown, calibrate::template_placement(group, dims));
    }
    std::vector<std::pair<std::string, int>> kept;
    for (const auto& [breakdown, placement] : groups) {
        if (placement < 0) continue;
        const auto shared = std::count_if(groups.begin(), groups.end(),
                                          [p = placement](const auto& g) { return g.second == p; });
        if (shared == 1) kept.emplace_back(breakdown, placement);
    }
    return kept;
}

std::vector<Reading> readings(const Panel& cut, const std::string& la, const Dimensions& dims) {
    std::vector<Reading> out;
    out.push_back({"stock", "all", m_total_stock, -1, 0});
    for (const auto& [breakdown, placement] : placement_groups(cut, la, "stock", dims))
        out.push_back({"stock", breakdown, m_stock_by_placement, -1, placement});
    out.push_back({"new_plans", "all", m_new_plans, -1, 0});
    for (const auto& [breakdown, placement] : placement_groups(cut, la, "new_plans", dims))
        out.push_back({"new_plans", breakdown, m_new_plans_by_placement, -1, placement});
    out.push_back({"requests", "all", m_requests, -1, 0});
    // SEN2 counts a plan ended at the maximum age as ceased; the engine keeps them apart.
    out.push_back({"ceased", "all", m_ceased, m_aged_out, 0});
    return out;
}

// An age band's reading of the engine's results by age (results.h,
// AgeMetricId): the weight of each model age index in the band. The age
// convention: calibrate puts the census's age a into the model's age a (its
// base stock) and reads a year's requests and new plans at age a as the
// model's step-4 age a, so the model's ages are the census's own and a band
// sums the model ages inside it (the lowest band open below, the highest
// open above, as the panel's "under 5" and "20 and over"). Ceased: the model
// ceases at the age before ageing; calibrate reads a cease at age x as half
// at x and half at x - 1, so the engine's ceases at a count half at a and
// half at a + 1, and the plans aged out at the maximum age count in the band
// of the maximum age.
struct BandReading {
    std::string series;
    std::string breakdown;
    int metric = -1;               // AgeMetricId
    std::vector<double> weights;   // [age index]
    double aged_out_weight = 0.0;  // ceased only
};

std::vector<BandReading> band_readings(const Panel& cut, const std::string& la, const Dimensions& dims) {
    calibrate::SeriesChoice choice;
    choice.by_placement = false;
    choice.by_age_band = true;
    const auto& bands = calibrate::scored_age_bands();
    const int lowest = bands.front().lo, highest = bands.back().hi;
    const auto in_band = [&](int age, const calibrate::AgeRange& band) {
        return (age >= band.lo || band.lo == lowest) && (age <= band.hi || band.hi == highest);
    };
    std::vector<BandReading> out;
    for (const auto& [key, series] : calibrate::backtest_series(cut, la, choice)) {
        if (!key.breakdown.starts_with("age:")) continue;
        const std::optional<calibrate::AgeRange> band = calibrate::parse_age(key.breakdown.substr(4));
        if (!band) continue;
        BandReading r;
        r.series = key.series;
        r.breakdown = key.breakdown;
        if (key.series == "stock") r.metric = a_stock;
        else if (key.series == "new_plans") r.metric = a_new_plans;
        else if (key.series == "requests") r.metric = a_requests;
        else if (key.series == "ceased") r.metric = a_ceased;
        else continue;
        r.weights.assign(static_cast<std::size_t>(dims.ages()), 0.0);
        for (int i = 0; i < dims.ages(); ++i) {
            const int age = dims.min_age + i;
            if (r.metric == a_ceased)
                r.weights[static_cast<std::size_t>(i)] = (in_band(age, *band) ? 0.5 : 0.0) + (in_band(age + 1, *band) ? 0.5 : 0.0);
            else
                r.weights[static_cast<std::size_t>(i)] = in_band(age, *band) ? 1.0 : 0.0;
        }
        if (r.metric == a_ceased && in_band(dims.max_age, *band)) r.aged_out_weight = 1.0;
        out.push_back(std::move(r));
    }
    return out;
}

// One forecast of a series for the year `h` years after the origin, from the
// replicates' values (their sum given, for the mean).
QuantileForecast forecast_from(const std::string& series, const std::string& breakdown, int origin, int h,
                               const std::vector<double>& values, double sum) {
    QuantileForecast f;
    f.series = series;
    f.breakdown = breakdown;
    f.horizon = h;
    f.year = calibrate::target_year(series, origin, h);
    f.mean = sum / static_cast<double>(values.size());
    f.quantiles = calibrate::quantiles_of(values);
    return f;
}

}  // namespace

std::uint64_t unit_seed(std::uint64_t seed, const std::string& la_code, int origin) {
    const std::uint64_t mixed = splitmix64(splitmix64(seed) ^ hash_name(la_code.data(), la_code.size())) ^
                                static_cast<std::uint64_t>(static_cast<std::int64_t>(origin));
    return splitmix64(mixed) >> 1;
}

const std::vector<std::string>& engine_forecaster_gaps() {
    static const std::vector<std::string> gaps = {
        "requests and ceased by placement: the engine records requests and ceases as totals",
        "a placement group that shares its template placement with another of the authority's groups (the "
        "engine cannot split it), or that the template has no placement for",
    };
    return gaps;
}

EngineForecaster::EngineForecaster(calibrate::EnglandProfile england, calibrate::Template tmpl,
                                   EngineForecasterOptions options)
    : england_(std::move(england)), template_(std::move(tmpl)), options_(std::move(options)) {
    if (options_.replicates < 1) throw UsageError("the number of replicates must be at least 1");
}

std::vector<QuantileForecast> EngineForecaster::operator()(const Panel& cut, const std::string& la_code, int origin,
                                                           int horizon) const {
    // An authority without the census at the origin and the one before it
    // (a code that starts or ends within the range) cannot be calibrated
    // there: no forecast, so its pairs are scored for no model.
    if (!calibrate::check_request(cut, la_code, origin).empty()) return {};
    calibrate::CalibrateOptions copts;
    copts.authority = la_code;
    copts.origin = origin;
    copts.panel_name = options_.panel_name;
    copts.group_cache = group_cache_.get();
    if (const auto it = options_.neighbours.find(la_code); it != options_.neighbours.end() && !it->second.empty()) {
        copts.pool = it->second;
        copts.pool_name = "statistical neighbours, the authority included";
    }
    const calibrate::Calibration fit = calibrate::calibrate(cut, england_, template_, copts);

    // The fitted scenario, loaded from memory: its two CSVs are handed to the
    // reader by name, so nothing is written to disk.
    const std::string toml_name = la_code + "_" + std::to_string(origin) + ".toml";
    ScenarioSet set;
    try {
        set = load_scenario(toml_name, fit.toml, [&](const std::string& path) -> std::optional<std::string> {
            const std::string name = path.substr(path.find_last_of('/') + 1);
            if (name == copts.stock_file) return fit.stock_csv;
            if (name == copts.population_file) return fit.population_csv;
            return std::nullopt;
        });
    } catch (const ScenarioError& e) {
        std::string why;
        for (const Diagnostic& d : e.problems()) why += (why.empty() ? "" : "; ") + format_location(d.where) + ": " + d.message;
        throw UnitNotForecast("calibrate wrote a scenario for " + la_code + " at origin " + std::to_string(origin) +
                              " that does not load (a bug of calibrate; please report it with the command line): " +
                              why);
    }
    const Scenario& baseline = set.variants.front();
    if (baseline.horizon < horizon)
        throw UsageError("the template's horizon (" + std::to_string(baseline.horizon) +
                         " years) is shorter than the backtest's " + std::to_string(horizon) +
                         ": give --horizon " + std::to_string(baseline.horizon) +
                         " or less, or a template with a longer horizon");

    const std::vector<BandReading> bands = band_readings(cut, la_code, baseline.dims);
    RunOptions run;
    run.seed = unit_seed(options_.seed, la_code, origin);
    run.replicates = options_.replicates;
    run.variants = {baseline.variant};
    run.record_by_age = !bands.empty();
    const Runner runner(set, run, EHCPSIM_VERSION);
    if (runner.info().years.empty() || runner.info().years.front() != origin)
        throw RuntimeError("the calibrated scenario of " + la_code + " does not start at its origin " +
                           std::to_string(origin) + " (a bug)");
    const ResultBlock block = runner.compute_block(0, options_.replicates);
    const VariantBlock& results = block.variants.front();
    const Shape& shape = runner.shape();

    std::vector<QuantileForecast> out;
    std::vector<double> values(static_cast<std::size_t>(options_.replicates));
    for (const Reading& r : readings(cut, la_code, baseline.dims)) {
        const std::size_t per = shape.values_per_replicate(r.metric);
        const std::size_t extra = per / static_cast<std::size_t>(shape.years);
        for (int h = 1; h <= horizon; ++h) {
            const std::size_t at = static_cast<std::size_t>(h) * extra + static_cast<std::size_t>(r.extra);
            double sum = 0.0;
            for (std::size_t i = 0; i < values.size(); ++i) {
                double v = results.metrics[static_cast<std::size_t>(r.metric)][i * per + at];
                if (r.second_metric >= 0) {
                    const std::size_t per2 = shape.values_per_replicate(r.second_metric);
                    const std::size_t extra2 = per2 / static_cast<std::size_t>(shape.years);
                    v += results.metrics[static_cast<std::size_t>(r.second_metric)]
                                        [i * per2 + static_cast<std::size_t>(h) * extra2];
                }
                values[i] = v;
                sum += v;
            }
            out.push_back(forecast_from(r.series, r.breakdown, origin, h, values, sum));
        }
    }
    // The age bands the panel has for the authority, from the results by age.
    const std::size_t ages = static_cast<std::size_t>(shape.ages);
    const std::size_t per_age = shape.values_per_replicate_by_age();
    const std::size_t years = static_cast<std::size_t>(shape.years);
    for (const BandReading& r : bands) {
        const std::vector<double>& by_age = results.by_age[static_cast<std::size_t>(r.metric)];
        const std::vector<double>& aged_out = results.metrics[m_aged_out];
        for (int h = 1; h <= horizon; ++h) {
            double sum = 0.0;
            for (std::size_t i = 0; i < values.size(); ++i) {
                const double* row = by_age.data() + i * per_age + static_cast<std::size_t>(h) * ages;
                double v = 0.0;
                for (std::size_t a = 0; a < ages; ++a) v += r.weights[a] * row[a];
                if (r.aged_out_weight > 0.0) v += r.aged_out_weight * aged_out[i * years + static_cast<std::size_t>(h)];
                values[i] = v;
                sum += v;
            }
            out.push_back(forecast_from(r.series, r.breakdown, origin, h, values, sum));
        }
    }
    return out;
}

}  // namespace ehcpsim
