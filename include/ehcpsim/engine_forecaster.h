// The backtest's forecaster that uses the engine: for (cut panel, authority,
// origin, H) it calibrates the authority at the origin on the cut panel
// (calibrate.h), loads the fitted scenario in memory, runs R replicates of
// its baseline variant H years on with a seed that is a pure function of
// (seed, authority, origin), and gives the mean and the quantiles at
// forecast_levels of each series the backtest scores that the engine records
// (docs/backtest.md lists them, and those it cannot give); nothing for an
// authority the panel cannot calibrate at that origin. It lives in the
// app stage because it is where calibrate meets the runner, as FileSink is
// where the runner meets the file stage: calibrate stays beneath the runner
// and knows no threads. Safe to call from several threads at once; the same
// arguments give the same numbers whatever the thread count.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ehcpsim/backtest.h"
#include "ehcpsim/calibrate.h"
#include "ehcpsim/error.h"

namespace ehcpsim {

struct EngineForecasterOptions {
    std::int64_t replicates = 1000;  // R per (authority, origin)
    std::uint64_t seed = 1;          // the backtest's master seed
    std::string panel_name;          // the panel's file name, as calibrate's comments write it
    // Statistical neighbours by authority (the pool of --pool neighbours);
    // empty: every prior pools over all authorities of the cut panel.
    std::map<std::string, std::vector<std::string>> neighbours;
};

// The seed of one (authority, origin) unit: SplitMix64 of the master seed
// mixed with the authority's code and the origin, in 0 .. 2^63 - 1 (the
// range scenario.seed takes).
std::uint64_t unit_seed(std::uint64_t seed, const std::string& la_code, int origin);

// What the engine's results give for the backtest's series: for each series
// and breakdown, how its value is read from a replicate (a metric, or the sum
// of two). `placement:<group>` breakdowns are given where the group maps to
// one template placement that no other of the authority's groups maps to;
// `age:<lo>-<hi>` bands, those the backtest scores for the authority and
// measure, from the engine's results by single age (RunOptions::record_by_age;
// docs/backtest.md gives the age convention).
class EngineForecaster {
public:
    EngineForecaster(calibrate::EnglandProfile england, calibrate::Template tmpl, EngineForecasterOptions options);

    std::vector<calibrate::QuantileForecast> operator()(const calibrate::Panel& cut, const std::string& la_code,
                                                        int origin, int horizon) const;

    const EngineForecasterOptions& options() const { return options_; }

private:
    calibrate::EnglandProfile england_;
    calibrate::Template template_;
    EngineForecasterOptions options_;
    // Group fits shared by the units of one cut (the authorities of an origin).
    std::shared_ptr<calibrate::GroupFitCache> group_cache_ = std::make_shared<calibrate::GroupFitCache>();
};

// A unit the forecaster could not forecast because calibrate wrote a
// scenario that does not load (a bug of calibrate, with the reason): the
// backtest command notes the unit and goes on with the others.
class UnitNotForecast : public RuntimeError {
public:
    using RuntimeError::RuntimeError;
};

// What the forecaster cannot give, for the summary and docs: one line each.
const std::vector<std::string>& engine_forecaster_gaps();

}  // namespace ehcpsim
