// How tightly the variants of a replicate are coupled (MODEL.md section 7,
// issue 12 item 5), on the default (Halton) scenario, lower bound at target,
// 1,000 replicates at the scenario's seed:
//  * with every parameter fixed at its mean (RunOptions::fixed_parameters,
//    `run --fixed-parameters`), the standard deviation over replicates of the
//    cumulative opportunity (unmitigated minus mitigated cumulative deficit
//    in the last year, as `summary --dbv` reports it): what the engine's own
//    noise leaves;
//  * with the parameters uncertain, the variance-reduction factor
//    (var A + var B) / var(A - B) of that opportunity.
// Measured (docs/model.md): sd GBP 2.09m and factor 8.7 with the alias-table
// draws; GBP 1.63m and 12.1 with pupil-coupled draws; GBP 1.55m and 12.1 with
// new plans drawn as counts per phase pool (placement first, ages by
// hypergeometric inversion). The targets (under GBP 0.5m, at least
// 30) are NOT met, and the first cannot be by any coupling: sd(A - B) >=
// |sd(A) - sd(B)| = |3.26 - 2.61| = GBP 0.66m at fixed parameters (the
// mitigated variant has fewer, cheaper plans and no MSS overflow). What is
// left is the thinning noise of the pupils the levers touch and Halton's MSS
// capacity (GBP 1.07m without it).
// Bounds: the sd's relative standard error at 1,000 replicates is about
// 1/sqrt(2 x 999) = 2.2%, the factor's about 5%. The seed is fixed, so the
// figures are deterministic: the sd bound (GBP 1.60m) sat 3% above the figure
// of the 1,650-plan default and failed on the pupil-coupled draws (1.63m) and
// the alias tables; the factor bound (10.5) sat 3 standard errors below it and
// failed on the alias-table draws (8.7). Since the default was re-based on
// Halton's SEN2 census (issue 14: 1,319 plans) the same measure gives sd
// GBP 1.16m and factor 16.0 (uncertain parameters; 10.8 at fixed ones); the
// bounds are kept as they were (the older engines cannot be re-measured on the
// new default), so they now guard against a regression of the size of those
// engines' gaps, not a 3% one.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "ehcpsim/output.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/summary.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

struct Coupling {
    double mean = 0.0, sd = 0.0, vrf = 0.0;
};

Coupling measure(bool fixed_parameters, std::int64_t replicates = 1000) {
    const ScenarioSet scenario = load_default_scenario();
    RunOptions options;
    options.seed = scenario.default_seed;
    options.replicates = replicates;
    options.variants = {"unmitigated_lower", "target_lower"};
    options.fixed_parameters = fixed_parameters;
    const Runner runner(scenario, options, "test");
    const Shape shape = runner.shape();
    const ResultBlock block = runner.compute_block(0, replicates);
    const int last = shape.years - 1;
    double sa = 0, sb = 0, sd = 0, saa = 0, sbb = 0, sdd = 0;
    const double n = static_cast<double>(replicates);
    for (std::int64_t r = 0; r < replicates; ++r) {
        const double a = testing::value(block.variants[0], shape, m_cumulative_deficit, r, last);
        const double b = testing::value(block.variants[1], shape, m_cumulative_deficit, r, last);
        sa += a, sb += b, sd += a - b;
        saa += a * a, sbb += b * b, sdd += (a - b) * (a - b);
    }
    auto var = [n](double s, double ss) { return (ss - s * s / n) / (n - 1.0); };
    Coupling c;
    c.mean = sd / n;
    c.sd = std::sqrt(var(sd, sdd));
    c.vrf = (var(sa, saa) + var(sb, sbb)) / var(sd, sdd);
    return c;
}

TEST(SlowCoupling, FixedParameterOpportunitySpread) {
    const Coupling c = measure(true);
    std::printf("  fixed parameters: opportunity mean GBP %.2fm, sd GBP %.3fm, var. reduction %.1f\n", c.mean / 1e6,
                c.sd / 1e6, c.vrf);
    EXPECT_LT(c.sd, 1.60e6);
}

TEST(SlowCoupling, VarianceReductionOfTheLowerTargetOpportunity) {
    const Coupling c = measure(false);
    std::printf("  uncertain parameters: opportunity mean GBP %.2fm, sd GBP %.3fm, var. reduction %.1f\n",
                c.mean / 1e6, c.sd / 1e6, c.vrf);
    EXPECT_GE(c.vrf, 10.5);
}

// `run --fixed-parameters`: recorded in the file and said by summary --dbv;
// every replicate then carries the same parameter values (the recorded
// draws of an uncertain parameter have no spread).
// summary --dbv reports the opportunity's standard deviation (the
// fixed-parameter figure of MODEL.md section 7 when run so).
TEST(Coupling, SummaryReportsTheOpportunitysStandardDeviation) {
    const Opportunity o = compare_deficits({1, 2, 3, 4}, {0, 0, 0, 0});
    EXPECT_NEAR(o.sd, std::sqrt(5.0 / 3.0), 1e-12);
    EXPECT_TRUE(std::isnan(compare_deficits({1}, {0}).sd));
}

TEST(Coupling, FixedParametersFlagIsRecordedAndReported) {
    testing::TempDir dir;
    const std::string file = dir / "fixed.h5";
    const auto run = testing::run_ehcpsim("run --fixed-parameters -n 8 -q -o " + file);
    ASSERT_EQ(run.code, 0) << run.output;
    const auto summary = testing::run_ehcpsim("summary --dbv " + file);
    ASSERT_EQ(summary.code, 0) << summary.output;
    EXPECT_NE(summary.output.find("Run with --fixed-parameters"), std::string::npos) << summary.output;
    EXPECT_NE(summary.output.find("mean    sd"), std::string::npos) << summary.output;
    const auto plain = testing::run_ehcpsim("run -n 8 -q -o " + (dir / "plain.h5"));
    ASSERT_EQ(plain.code, 0) << plain.output;
    EXPECT_EQ(testing::run_ehcpsim("summary --dbv " + (dir / "plain.h5")).output.find("--fixed-parameters"),
              std::string::npos);
    // Shards run with and without the flag are not shards of one run.
    ASSERT_EQ(testing::run_ehcpsim("run -n 8 --shard 1/2 --fixed-parameters -q -o " + (dir / "s1.h5")).code, 0);
    ASSERT_EQ(testing::run_ehcpsim("run -n 8 --shard 2/2 -q -o " + (dir / "s2.h5")).code, 0);
    const auto merged = testing::run_ehcpsim("merge " + (dir / "s1.h5") + " " + (dir / "s2.h5") + " -o " +
                                             (dir / "m.h5"));
    EXPECT_NE(merged.code, 0);
    EXPECT_NE(merged.output.find("fixed parameters"), std::string::npos) << merged.output;
    // In the library: every replicate gets each parameter's mean.
    const ScenarioSet scenario = load_default_scenario();
    RunOptions options;
    options.replicates = 4;
    options.variants = {"unmitigated_lower"};
    options.fixed_parameters = true;
    const Runner runner(scenario, options, "test");
    EXPECT_TRUE(runner.info().fixed_parameters);
    const ResultBlock block = runner.compute_block(0, 4);
    const Model& model = runner.models().front();
    const std::size_t np = model.uncertain_params.size();
    ASSERT_GT(np, 0U);
    for (std::size_t k = 0; k < np; ++k)
        for (std::int64_t r = 0; r < 4; ++r)
            EXPECT_EQ(block.variants[0].parameters[static_cast<std::size_t>(r) * np + k],
                      model.param_dists[model.uncertain_params[k]].mean());
}

}  // namespace
}  // namespace ehcpsim
