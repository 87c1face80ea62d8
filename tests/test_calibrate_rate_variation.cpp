// The fit of year-to-year rate variation (rate_variation_fit.h): recovery of
// a known sd on synthetic authorities, chance not taken for variation, and
// the fitted keys written into a calibrated scenario that loads.
#include <gtest/gtest.h>

#include <iostream>

#include <cmath>
#include <algorithm>
#include <optional>
#include <random>
#include <tuple>

#include "ehcpsim/calibrate.h"
#include "ehcpsim/distribution.h"
#include "ehcpsim/rate_variation_fit.h"
#include "ehcpsim/scenario.h"
#include "synthetic_draws.h"
#include "test_support.h"

namespace ehcpsim::calibrate {
namespace {

using ehcpsim::testing::beta_draw;
using ehcpsim::testing::source_path;

struct Synthetic {
    std::vector<YearlyCounts> counts;
    std::vector<double> true_sd;
};

// Authorities with realistic sizes (40 to 2,500 events a year), 8 years each
// (one missing at random), a rate from a Beta around `rate`, and each its own
// sd of the log rate (lognormal across authorities around `median_sd`, or
// exactly 0), a stationary AR(1) of persistence `rho`: the model fitted.
Synthetic synthetic(int authorities, double rate, double median_sd, double rho, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uniform;
    Synthetic out;
    for (int i = 0; i < authorities; ++i) {
        const double p = beta_draw(rng, rate, 40.0);
        const double sd = median_sd > 0.0 ? median_sd * std::exp(0.4 * normal(rng)) : 0.0;
        const double n = std::exp(std::log(40.0 / rate) + uniform(rng) * std::log(60.0));
        YearlyCounts c;
        double z = normal(rng);
        const int skip = static_cast<int>(uniform(rng) * 16);  // 0-7: that year missing, else none
        for (int t = 0; t < 8; ++t) {
            if (t > 0) z = rho * z + std::sqrt(1.0 - rho * rho) * normal(rng);
            const double q = std::min(0.999, p * std::exp(sd * z - 0.5 * sd * sd));
            std::binomial_distribution<long> draw(static_cast<long>(n), q);
            if (t != skip) c.add(2010 + t, static_cast<double>(draw(rng)), std::floor(n));
        }
        out.counts.push_back(c);
        out.true_sd.push_back(sd);
    }
    return out;
}

// 200 synthetic authorities per family (a cease-like rate of 0.1, a
// conversion-like 0.6), each with its own true sd. The 90% intervals must
// cover the truth 85-95% of the time: with 200 authorities the coverage of
// calibrated intervals has a binomial sd of 0.021, so [0.85, 0.95] is about
// +-2.4 sd (the seeds are fixed). Both the grid posterior's interval and
// that of the Beta calibrate writes are checked.
TEST(CalibrateRateVariation, NinetyPercentIntervalsCoverTheTrueSd) {
    for (const auto& [rate, median_sd, seed] : {std::tuple{0.1, 0.3, 101u}, std::tuple{0.6, 0.15, 202u}}) {
        const Synthetic s = synthetic(200, rate, median_sd, 0.3, seed);
        const VariationPrior prior = variation_prior(s.counts);
        ASSERT_TRUE(prior.identified);
        ASSERT_TRUE(prior.rho_fitted);
        // rho pooled over 200 authorities: its 90% interval holds 0.3 (grid step 0.1).
        EXPECT_LE(prior.rho_lo90, 0.3 + 1e-9) << rate;
        EXPECT_GE(prior.rho_hi90, 0.3 - 1e-9) << rate;
        int grid = 0, written = 0;
        double weight = 0.0;
        for (std::size_t i = 0; i < s.counts.size(); ++i) {
            const VariationPosterior post = variation_posterior(s.counts[i], prior);
            grid += s.true_sd[i] >= post.lo90 && s.true_sd[i] <= post.hi90;
            const Distribution d{Distribution::Kind::beta, post.mean, post.sd, 0.0};  // as written
            written += s.true_sd[i] >= d.quantile(0.05) && s.true_sd[i] <= d.quantile(0.95);
            weight += post.own_weight;
        }
        const double n = static_cast<double>(s.counts.size());
        EXPECT_GE(grid / n, 0.85) << "rate " << rate;
        EXPECT_LE(grid / n, 0.95) << "rate " << rate;
        EXPECT_GE(written / n, 0.85) << "rate " << rate;
        EXPECT_LE(written / n, 0.95) << "rate " << rate;
        // Seven years say something of an authority's own sd, not everything.
        EXPECT_GT(weight / n, 0.1) << rate;
        EXPECT_LT(weight / n, 0.9) << rate;
    }
}

// Authorities whose rates do not vary at all (40 to 2,400 events a year:
// binomial chance alone gives their log rates an sd of 0.02-0.15): the
// fitted sd must stay near 0, i.e. chance is not taken for variation. With
// the sampling-variance term the group's median sd comes out at 0.004;
// dropping it (checked by hand) gives 0.055, and this test fails.
TEST(CalibrateRateVariation, ChanceInSmallCountsIsNotTakenForVariation) {
    const Synthetic s = synthetic(150, 0.1, 0.0, 0.0, 303u);
    const VariationPrior prior = variation_prior(s.counts);
    ASSERT_TRUE(prior.identified);
    EXPECT_LT(std::exp(prior.log_mean), 0.03);
    double mean = 0.0;
    for (const YearlyCounts& c : s.counts) mean += variation_posterior(c, prior).mean;
    EXPECT_LT(mean / static_cast<double>(s.counts.size()), 0.05);
}

TEST(CalibrateRateVariation, TooFewYearsIdentifyNothingAndOneAuthorityFallsBackOnThePrior) {
    YearlyCounts one;
    one.add(2016, 300, 500);
    EXPECT_FALSE(variation_prior({one, one}).identified);  // one year each
    const Synthetic s = synthetic(50, 0.1, 0.3, 0.0, 404u);
    const VariationPrior prior = variation_prior(s.counts);
    const VariationPosterior none = variation_posterior(one, prior);
    EXPECT_EQ(none.years, 1);
    EXPECT_NEAR(none.own_weight, 0.0, 1e-6);
    EXPECT_NEAR(std::log(none.mean), prior.log_mean + 0.5 * prior.log_sd * prior.log_sd, 0.1);
    // Two-year histories (origins 2016-2018 for conversion) do not identify rho: 0.
    std::vector<YearlyCounts> pairs;
    for (const YearlyCounts& c : s.counts) {
        YearlyCounts two;
        for (std::size_t i = 0; i < 2 && i < c.year.size(); ++i) two.add(c.year[i], c.k[i], c.n[i]);
        pairs.push_back(two);
    }
    const VariationPrior short_prior = variation_prior(pairs);
    EXPECT_TRUE(short_prior.identified);
    EXPECT_FALSE(short_prior.rho_fitted);
    EXPECT_EQ(short_prior.rho, 0.0);
}

// On the shipped panel: the fitted keys with their comments, in the fit
// report, and a scenario that loads with them.
TEST(CalibrateRateVariation, CalibratedScenarioCarriesTheFittedVariation) {
    const Panel panel = Panel::read_file(source_path("data/sen2_la/panel.csv"));
    const EnglandProfile england = EnglandProfile::read(source_path("data/sen2_la/population_england_snpp2018.csv"),
                                                        source_path("data/sen2_la/national.csv"));
    const Template tmpl{"the embedded default", default_scenario_files().front().text, load_default_scenario()};
    CalibrateOptions options;
    options.authority = "E06000006";
    options.origin = 2024;
    options.panel_name = "panel.csv";
    const Calibration cal = calibrate(panel, england, tmpl, options);
    for (const char* key : {"demand.conversion_sd", "demand.conversion_persistence", "cease.variation_sd",
                            "cease.variation_persistence"}) {
        const auto found = std::find_if(cal.fitted.begin(), cal.fitted.end(),
                                        [&](const FittedParameter& p) { return p.key == key; });
        ASSERT_NE(found, cal.fitted.end()) << key;
        EXPECT_EQ(found->family, "rate variation");
        std::cout << key << " = " << found->dist << " (" << found->lo90 << " - " << found->hi90 << ")\n";
        // Conversion's persistence is of the rate under the template's lag,
        // which alone makes a year's new plans per request persist (0.5 at
        // lag 0.48): the panel's lower persistence is fitted at 0, written as
        // a number. The sds and the cease rate's persistence are distributions.
        if (std::string(key) == "demand.conversion_persistence") {
            EXPECT_GE(found->mean, 0.0) << key;
            EXPECT_LE(found->lo90, found->hi90) << key;
        } else {
            EXPECT_GT(found->mean, 0.0) << key;
            EXPECT_LT(found->lo90, found->hi90) << key;
        }
        EXPECT_NE(cal.report_markdown().find(std::string("`") + key + "`"), std::string::npos) << key;
    }
    EXPECT_NE(cal.toml.find("# rate variation: estimate"), std::string::npos);
    EXPECT_NE(cal.toml.find("\nconversion_sd = { dist = \"beta\""), std::string::npos);
    EXPECT_NE(cal.toml.find("\n[cease]\n"), std::string::npos);
    EXPECT_NE(cal.toml.find("\nvariation_sd = { dist = \"beta\""), std::string::npos);
    const ScenarioSet set = load_scenario("calibrated.toml", cal.toml, [&](const std::string& name) -> std::optional<std::string> {
        if (name == "stock.csv") return cal.stock_csv;
        if (name == "population.csv") return cal.population_csv;
        return std::nullopt;
    });
    EXPECT_GT(set.variants.front().cease.variation_sd.dist.mean(), 0.0);
    EXPECT_GT(set.variants.front().demand.conversion_sd.dist.mean(), 0.0);

    // A GroupFitCache changes nothing but the cost: the group's fit made for
    // another authority first, then reused for Halton, gives the same bytes.
    const Panel cut = panel.cut_after(options.origin);
    GroupFitCache cache;
    CalibrateOptions cached = options;
    cached.group_cache = &cache;
    cached.authority = "E06000007";
    CalibrateOptions uncached = cached;
    uncached.group_cache = nullptr;
    EXPECT_EQ(calibrate(cut, england, tmpl, cached).toml, calibrate(cut, england, tmpl, uncached).toml);
    cached.authority = "E06000006";
    EXPECT_EQ(calibrate(cut, england, tmpl, cached).toml, cal.toml);
}

}  // namespace
}  // namespace ehcpsim::calibrate
