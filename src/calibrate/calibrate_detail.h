// Private to src/calibrate: what the parts of calibrate share (the panel read
// by age, phase and placement; the text of a distribution; the template's
// other sections). Not a public header.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ehcpsim/calibrate.h"
#include "ehcpsim/ipf.h"
#include "ehcpsim/pooling.h"
#include "ehcpsim/rate_variation_fit.h"

namespace ehcpsim::calibrate::detail {

// A measure of one year by the template's ages (min_age..max_age): the
// published age keys of that year (single ages where the year has them, a
// band only where it overlaps no single age), each band spread evenly over its
// ages, then scaled to the `all` figure when the year has one (suppressed or
// unknown ages are so spread in proportion). nullopt when the year has no age.
std::optional<std::vector<double>> by_age(const Panel& panel, const std::string& la, const std::string& measure,
                                          int year, const Dimensions& dims, bool scale_to_all = true);
// Sums by phase of values by age.
std::vector<double> by_phase(const std::vector<double>& ages, const Dimensions& dims);
// Shares summing to 1 (all equal when the sum is 0).
std::vector<double> shares(const std::vector<double>& values);

// The template placement a panel placement group goes to: the same name, or a
// known alias (resourced_unit -> resourced, special_maintained -> mss or
// special, special_independent -> inmss or independent, post16 -> post16_fe),
// else `other` when the template has it; -1 when none.
int placement_for(const std::string& group, const Dimensions& dims);
// A measure's counts by template placement in one year (panel groups mapped
// as above); nullopt when the year has no placement rows.
std::optional<std::vector<double>> by_placement(const Panel& panel, const std::string& la, const std::string& measure,
                                                int year, const Dimensions& dims);
// The same by need (`need:unknown` and needs the template lacks left out).
std::optional<std::vector<double>> by_need(const Panel& panel, const std::string& la, const std::string& measure,
                                           int year, const Dimensions& dims);

// Calendar years every fit leaves out: 2020 and its rebound 2021 (Covid), a
// declared break (CALIBRATION.md section 3).
inline bool declared_break(int year) { return year == 2020 || year == 2021; }
// Calendar years of flows the year-to-year fits read: the ten before the origin.
constexpr int variation_window = 10;

// The base stock: IPF of the template's cross-table to the census margins
// of the origin, rounded to integers (ipf.h), and what it reports.
struct BaseStock {
    std::vector<std::int64_t> cells;  // dims.cell() order
    std::vector<MarginCheck> margins;
    std::int64_t census_total = 0;
    int iterations = 0;
    double max_relative_gap = 0.0;
    std::vector<std::string> notes;
};
BaseStock fit_base_stock(const Panel& cut, const std::string& la, int origin, const Scenario& base);

// `{ dist = "beta", mean = ..., sd = ... }` for a posterior, or the number
// itself when it has no spread; mean, 5% and 95% of what is written.
struct Written {
    std::string text;
    double mean = 0.0, lo90 = 0.0, hi90 = 0.0;
};
Written write_beta(double mean, double sd);
Written write_normal(double mean, double sd);
Written write_lognormal(double mean, double sd);
Written write_fixed(double value);
std::string number(double value);  // shortest text that reads back exactly

// The template's TOML without the tables calibrate writes itself: the root
// tables `drop` are removed, and so are the same tables inside every variant
// (each removal listed in `removed`). When [money.funding] known starts after
// `origin`, its first value is repeated at `origin`; a mitigation starting
// at or before the origin starts in origin + 1, one starting after
// origin + horizon is left out (each said in `notes`). The
// rest is written by toml++ (comments are not kept).
std::string template_rest(const std::string& toml_text, const std::string& display_name,
                          const std::vector<std::string>& drop, int origin, int horizon,
                          std::vector<std::string>& removed, std::vector<std::string>& notes);

// What every family's fit reads and where it writes.
struct FitContext {
    const Panel& cut;  // cut at the origin: nothing later exists in it
    const EnglandProfile& england;
    const Scenario& base;  // the template's baseline
    const Dimensions& dims;
    int origin = 0;
    std::string la;
    Calibration& out;
    std::vector<std::string> group;  // the authorities of the cut pooled over (the authority included)
    std::string group_name;          // "all", "statistical neighbours"
    GroupFitCache* cache = nullptr;  // group fits kept between calls on this cut (may be null)

    // "all 100 authorities' 0.64 (prior size 10.4)": the group a posterior was shrunk towards.
    std::string pooled(int authorities, double mean, double size) const;

    // The proxy population scale of an authority: its plans over England's at the origin census (0 = unknown).
    double scale_of(const std::string& code) const;
    // Plans by age at a census: published ages, else the total spread like the population.
    std::vector<double> stock_by_age(const std::string& code, int year, double scale) const;
    // Residents without a plan by phase in model year `origin` (flows of calendar origin - 1).
    std::vector<double> exposure(const std::string& code, double scale) const;
};

// Each family: pushes its FittedParameter rows (keys as written), methods, warnings and what it kept.
void fit_demand(const FitContext& c);     // conversion and request rate (fit.cpp)
void fit_cease(const FitContext& c);      // cease rate by phase (fit_flows.cpp)
void fit_mixes(const FitContext& c);      // need and placement mixes (fit_flows.cpp)
void fit_transfers(const FitContext& c);  // transfers in (fit_flows.cpp)
void fit_trend(const FitContext& c);      // growth, long-run growth, persistence, shock (fit_trend.cpp)
void fit_rate_variation(const FitContext& c);  // year-to-year variation of conversion and cease (fit_variation.cpp)

// Records a fitted parameter.
void add_fitted(Calibration& out, const std::string& key, const std::string& family, const Written& w,
                const std::string& data, double weight, const std::string& towards);
std::string fmt(double v, int digits = 4);

}  // namespace ehcpsim::calibrate::detail

namespace ehcpsim::calibrate {

// Priors fitted once per group data (the key is the group's counts, as
// bytes); a call that finds the fit under way waits for it.
struct GroupFitCache::Entries {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<std::shared_future<VariationPrior>>> variation_priors;
};

}  // namespace ehcpsim::calibrate
