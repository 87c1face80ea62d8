// Calibrate: from an authority's SEN2 history (the long panel, cut strictly at
// the origin) and a template scenario to a complete scenario whose base year is
// the origin, whose base stock is the origin's census filled to the model's
// cells, and whose SEN2-described parameters are fitted distributions
// (posteriors: estimation uncertainty, pooled across authorities with the
// weight reported), each commented with its estimate, 90% interval and data;
// plus a fit report. Everything SEN2 does not describe (money, capacity,
// mitigations, transitions) is the template's. docs/calibrate.md is the
// user's page; CALIBRATION.md section 3 the contract.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ehcpsim/panel.h"
#include "ehcpsim/scenario.h"

namespace ehcpsim::calibrate {

// England's population by age band (ONS 2018-based SNPP) and England's plans
// (the national rows of the panel format): the population proxy of an
// authority is England's age profile scaled by the authority's share of
// England's plans at the origin census.
class EnglandProfile {
public:
    // `snpp_csv`: area_code,area_name,year,age_band,population (bands "lo-hi").
    // `national_csv`: England's rows in the panel format (stock `all` is used).
    static EnglandProfile read(const std::string& snpp_csv, const std::string& national_csv);
    // Persons of one single year of age in mid-year `year`: the band's
    // population divided evenly over its ages; years outside the projection
    // are held at its first or last year.
    double population(int year, int age) const;
    // England's plans at the January census of `year` (the latest census at
    // or before it when that year is absent); nullopt when none.
    std::optional<double> plans(int year) const;

private:
    std::map<int, std::vector<std::pair<std::pair<int, int>, double>>> bands_;  // year -> ((lo, hi), persons)
    Series plans_;
};

// A template scenario: the loaded set (dimensions, seed cross-table, mixes)
// and its TOML text (copied for everything calibrate does not fit).
struct Template {
    std::string display_name;  // "the embedded default (Halton DBV)" or its path
    std::string toml_text;
    ScenarioSet set;
};

// The template scenario at `path` (named by its file name), or the embedded
// default (Halton's DBV scenario) when `path` is empty. Throws ScenarioError
// as load_scenario does.
Template load_template(const std::string& path);

// What calibrate fits over the whole pooling group at an origin (the prior
// of year-to-year rate variation: a likelihood for every authority of the
// group), kept between calls so that calibrating every authority of a cut
// costs one group fit, not one per authority (the backtest; the recovery
// test). A call gives the same calibration with or without it: a fit is
// reused only for the very same data (the cache is keyed by the group's
// counts). It is safe to share between threads.
class GroupFitCache {
public:
    GroupFitCache();
    ~GroupFitCache();
    GroupFitCache(const GroupFitCache&) = delete;
    GroupFitCache& operator=(const GroupFitCache&) = delete;
    struct Entries;
    Entries& entries() const { return *entries_; }

private:
    std::unique_ptr<Entries> entries_;
};

struct CalibrateOptions {
    std::string authority;
    int origin = 0;
    std::string panel_name;             // the panel's file name as written in the report (no directory)
    std::string stock_file = "stock.csv";            // CSV names written in [data], beside the TOML
    std::string population_file = "population.csv";
    // The authorities every prior pools over (the authority itself is always
    // in): empty = every authority of the panel. `pool_name` names the group
    // in comments and the report ("statistical neighbours, the authority included").
    std::vector<std::string> pool;
    std::string pool_name = "all of the panel";
    // Optional: group fits kept between calls on the same cut (see GroupFitCache).
    GroupFitCache* group_cache = nullptr;
};

// The statistical neighbours of `authority` listed in a file of the shipped
// stat_neighbours.csv format (la_code,la_name,sn_rank,sn_code,sn_name,
// sn_proximity), in rank order; empty when it lists none.
std::vector<std::string> read_statistical_neighbours(const std::string& csv, const std::string& authority);

// Empty when the panel can be calibrated for (authority, origin), else what
// is wrong, naming the authority, the origin and the years the panel allows.
std::string check_request(const Panel& panel, const std::string& authority, int origin);

// One fitted parameter, as reported and commented.
struct FittedParameter {
    std::string key;          // dotted key in the scenario, e.g. demand.request_rate.primary
    std::string family;       // request rate, conversion, cease, need mix, placement mix, trend, transfers in
    std::string dist;         // as written in the TOML ("{ dist = \"beta\", ... }" or a number)
    double mean = 0.0;
    double lo90 = 0.0, hi90 = 0.0;  // 5% and 95% quantiles of the written distribution
    std::string data;         // the years and counts it came from
    double own_weight = 1.0;  // weight of the authority's own data (1 = not pooled, 0 = pooled entirely)
    std::string pooled_towards;  // the group mean it was shrunk towards ("" when not pooled)
};

// A margin of the base stock: the census figure and what the cells give.
struct MarginCheck {
    std::string margin;     // age, placement, need
    std::string category;   // "5", "5-10", "mss <- special_maintained", ...
    double census = 0.0;    // as published
    double target = 0.0;    // after rescaling the published margin to the census total
    std::int64_t cells = 0; // sum of the written stock cells
};

struct Calibration {
    std::string toml;            // the scenario
    std::string stock_csv;       // age,need,placement,count
    std::string population_csv;  // year,age,population
    std::vector<FittedParameter> fitted;
    std::vector<std::string> kept;      // what is the template's, and why
    std::vector<std::string> not_fitted;
    std::vector<std::string> warnings;
    std::vector<std::string> methods;   // one paragraph per method used
    std::vector<MarginCheck> margins;
    std::int64_t census_total = 0, stock_total = 0;
    int ipf_iterations = 0;
    double ipf_max_relative_gap = 0.0;  // of the real-valued fit, before rounding
    std::string authority, authority_name, template_name, panel_name;
    int origin = 0;
    std::size_t panel_rows_after_cut = 0;

    std::string report_markdown() const;
    std::string report_json() const;
};

// The template placement (index in dims.placements) a panel placement group
// (`special_maintained`, `resourced_unit`, ...) is filled into by calibrate:
// the same name or a known alias, else `other` when the template has it; -1
// when none. The backtest's forecaster reads the engine's placements back
// into the panel's groups with it.
int template_placement(const std::string& group, const Dimensions& dims);

// Fits the scenario. The panel is cut at the origin first (Panel::cut_after),
// so nothing dated after it is read, for any authority; a panel already cut
// at the origin (the backtest's) is used as it is, without a copy. Throws ScenarioError
// when the template cannot take the data (a placement it cannot map, say).
Calibration calibrate(const Panel& panel, const EnglandProfile& england, const Template& tmpl,
                      const CalibrateOptions& options);

}  // namespace ehcpsim::calibrate
