// The capacity step (MODEL.md section 4 step 6): settled pupils keep their
// place, the excess is taken at random without replacement from the year's
// arrivals and moved on along the overflow chain.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "ehcpsim/runner.h"
#include "ehcpsim/step.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::small_scenario;
using testing::value;

constexpr int mainstream = 0, resourced = 1, special = 2, independent = 3;  // small.toml's placements

Capacity cap(int placement, int overflow, std::vector<std::pair<int, double>> places, int phase = -1) {
    Capacity c;
    c.placement = placement;
    c.phase = phase;
    c.overflow = overflow;
    c.places.before_first = std::numeric_limits<double>::infinity();
    for (const auto& [year, n] : places)
        c.places.points.push_back({year, Param{"capacity." + std::to_string(placement) + "." + std::to_string(year),
                                               Distribution::fixed_value(n), {}}});
    return c;
}

ScenarioSet small_with(std::vector<Capacity> capacity, std::vector<int> specialist) {
    ScenarioSet set = load_scenario(small_scenario());
    for (Scenario& s : set.variants) {
        s.capacity = capacity;
        s.specialist_placements = specialist;
    }
    return set;
}

ResultBlock run(const ScenarioSet& set, std::int64_t replicates, Shape& shape) {
    RunOptions options;
    options.seed = 41;
    options.replicates = replicates;
    const Runner runner(set, options, "test");
    shape = runner.shape();
    return runner.compute_block(0, replicates);
}

void expect_identical(const ResultBlock& a, const ResultBlock& b) {
    ASSERT_EQ(a.variants.size(), b.variants.size());
    for (std::size_t v = 0; v < a.variants.size(); ++v)
        for (int m = 0; m < metric_count; ++m) {
            const auto& x = a.variants[v].metrics[m];
            const auto& y = b.variants[v].metrics[m];
            ASSERT_EQ(x.size(), y.size());
            for (std::size_t i = 0; i < x.size(); ++i) {
                if (std::isnan(x[i])) {
                    ASSERT_TRUE(std::isnan(y[i])) << metric_catalogue()[m].name;
                } else {
                    ASSERT_EQ(x[i], y[i]) << metric_catalogue()[m].name << " variant " << v << " at " << i;
                }
            }
        }
}

TEST(Capacity, UnlimitedOrNeverBindingCapacityChangesNothingBitForBit) {
    Shape shape;
    const std::vector<int> specialist = {resourced, special, independent};
    const ResultBlock none = run(small_with({}, specialist), 100, shape);
    // No places listed: unlimited in every year.
    expect_identical(none, run(small_with({cap(special, independent, {})}, specialist), 100, shape));
    // A limit far above any demand: nothing overflows, no random number drawn.
    expect_identical(none, run(small_with({cap(special, independent, {{2000, 1e6}})}, specialist), 100, shape));
}

TEST(Capacity, NeverExceededUnlessSettledPupilsAloneExceedIt) {
    const ScenarioSet set = small_with({cap(special, independent, {{2000, 20}})}, {special, independent});
    const Model model = compile(set.variants.front());
    const Rates rates = realise(model, mean_parameters(model), std::vector<double>(model.horizon + 1, 0.0));
    int binding = 0;
    for (std::uint64_t r = 0; r < 200; ++r) {
        State<std::int64_t> state = initial_state<std::int64_t>(model);
        YearFlows<std::int64_t> flows;
        for (int t = 1; t <= model.horizon; ++t) {
            step_year(model, rates, t, RandomDraws{5, r, nullptr}, state, flows);
            std::int64_t in_special = 0, arrivals_left = 0;
            for (int a = 0; a < model.ages; ++a)
                for (int n = 0; n < model.needs; ++n) {
                    in_special += state.stock[model.cell(special, a, n)];
                    arrivals_left += state.arrivals[model.cell(special, a, n)];
                }
            // Either within capacity, or every arrival has moved on and only
            // settled pupils remain above it.
            ASSERT_TRUE(in_special <= 20 || arrivals_left == 0) << "replicate " << r << " year " << t;
            if (flows.overflow_by_placement[special] > 0) ++binding;
            ASSERT_EQ(flows.demand_by_placement[special] - flows.overflow_by_placement[special], in_special);
            const std::int64_t demand = std::accumulate(flows.demand_by_placement.begin(), flows.demand_by_placement.end(),
                                                        std::int64_t{0});
            ASSERT_EQ(demand, std::accumulate(state.stock.begin(), state.stock.end(), std::int64_t{0}));  // conserved
        }
    }
    EXPECT_GT(binding, 100);  // the limit did bind
}

TEST(Capacity, AChainOverflowsInOrder) {
    // resourced -> special -> independent, neither of the first two with room
    // for anyone new: every arrival into either ends in independent.
    const ScenarioSet set =
        small_with({cap(resourced, special, {{2000, 0}}), cap(special, independent, {{2000, 0}})}, {});
    const Model model = compile(set.variants.front());
    ASSERT_EQ(model.capacity.front().placement, resourced);
    const Rates rates = realise(model, mean_parameters(model), std::vector<double>(model.horizon + 1, 0.0));
    State<std::int64_t> state = initial_state<std::int64_t>(model);
    YearFlows<std::int64_t> flows;
    for (std::uint64_t r = 0; r < 50; ++r) {
        reset_state(model, state);
        step_year(model, rates, 1, RandomDraws{8, r, nullptr}, state, flows);
        std::int64_t left_resourced = 0, left_special = 0;
        for (std::size_t i = 0; i < static_cast<std::size_t>(model.ages) * model.needs; ++i) {
            left_resourced += state.arrivals[model.cell(resourced, 0, 0) + i];
            left_special += state.arrivals[model.cell(special, 0, 0) + i];
        }
        EXPECT_EQ(left_resourced, 0);
        EXPECT_EQ(left_special, 0);
        // special passes on its own arrivals plus everything resourced sent it
        EXPECT_GE(flows.overflow_by_placement[special], flows.overflow_by_placement[resourced]);
        EXPECT_EQ(flows.overflow_by_placement[independent], 0);
        EXPECT_EQ(flows.overflow_by_placement[mainstream], 0);
    }
}

TEST(Capacity, APhaseCapLimitsOnlyThatPhasesAges) {
    // No new places for one phase of `special`: every arrival at those ages
    // moves on, arrivals at other ages stay.
    const int phase = 1;  // the second phase declared in small.toml
    const ScenarioSet set = small_with({cap(special, independent, {{2000, 0}}, phase)}, {});
    const Model model = compile(set.variants.front());
    const Rates rates = realise(model, mean_parameters(model), std::vector<double>(model.horizon + 1, 0.0));
    State<std::int64_t> state = initial_state<std::int64_t>(model);
    YearFlows<std::int64_t> flows;
    std::int64_t stayed_elsewhere = 0, moved_on = 0;
    for (std::uint64_t r = 0; r < 100; ++r) {
        reset_state(model, state);
        step_year(model, rates, 1, RandomDraws{12, r, nullptr}, state, flows);
        for (int a = 0; a < model.ages; ++a)
            for (int n = 0; n < model.needs; ++n) {
                const std::int64_t left = state.arrivals[model.cell(special, a, n)];
                if (model.phase_of_age[a] == phase)
                    ASSERT_EQ(left, 0) << "age index " << a;
                else
                    stayed_elsewhere += left;
            }
        const std::size_t index = static_cast<std::size_t>(special) * model.phases + phase;
        ASSERT_EQ(flows.overflow_by_placement_phase[index], flows.overflow_by_placement[special]);
        moved_on += flows.overflow_by_placement[special];
    }
    EXPECT_GT(stayed_elsewhere, 0);
    EXPECT_GT(moved_on, 0);
}

TEST(Capacity, SplitByPhaseIsRecordedForEveryVariantWhenAnyCapsAPhase) {
    // Variant 0 has no capacity; variant 1 caps one phase, so the run keeps the
    // [year, placement, phase] split, and variant 0's must still be its demand.
    ScenarioSet set = small_with({}, {});
    set.variants.resize(2);
    set.variants[1].capacity = {cap(special, independent, {{2000, 0}}, 1)};
    Shape shape;
    const ResultBlock block = run(set, 20, shape);
    ASSERT_TRUE(shape.phase_detail);
    for (std::size_t v = 0; v < 2; ++v)
        for (std::int64_t r = 0; r < block.count; ++r)
            for (int t = 0; t < shape.years; ++t)
                for (int p = 0; p < shape.placements; ++p) {
                    double split = 0.0;
                    for (int ph = 0; ph < shape.phases; ++ph)
                        split += value(block.variants[v], shape, m_demand_by_placement_phase, r, t, p * shape.phases + ph);
                    ASSERT_EQ(split, value(block.variants[v], shape, m_demand_by_placement, r, t, p))
                        << "variant " << v << " year " << t << " placement " << p;
                }
}

TEST(Capacity, DeterministicModeAppliesCapacityToTheExpectedStock) {
    const ScenarioSet set = small_with({cap(special, independent, {{2000, 20}})}, {special, independent});
    RunOptions options;
    options.deterministic = true;
    const Runner runner(set, options, "test");
    const ResultBlock block = runner.compute_expected();
    const Shape& shape = runner.shape();
    for (int t = 1; t < shape.years; ++t) {
        const double stock = value(block.variants[0], shape, m_stock_by_placement, 0, t, special);
        const double demand = value(block.variants[0], shape, m_demand_by_placement, 0, t, special);
        const double overflow = value(block.variants[0], shape, m_overflow_by_placement, 0, t, special);
        EXPECT_NEAR(stock, demand - overflow, 1e-9);
        EXPECT_LE(stock, std::max(20.0, demand - overflow) + 1e-9);
    }
}

// The selection of who moves on: k of the arrivals, uniformly without
// replacement, so the number taken from each cell is multivariate
// hypergeometric. Chi-square of the joint counts from three cells (2, 3 and
// 4 arrivals, 4 taken) against the exact pmf; 60,000 draws, rejecting at
// p < 1e-4 (a false alarm about 1 time in 10,000, with a fixed seed).
TEST(Capacity, SelectionMatchesTheExactHypergeometricLaw) {
    const std::int64_t arrivals[3] = {2, 3, 4};
    const std::int64_t take = 4, total = 9;
    auto choose = [](std::int64_t n, std::int64_t k) {
        if (k < 0 || k > n) return 0.0;
        double c = 1.0;
        for (std::int64_t i = 1; i <= k; ++i) c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
        return c;
    };
    std::map<std::pair<std::int64_t, std::int64_t>, int> seen;
    const int draws = 60000;
    Stream stream(3, 0, Process::capacity, 2025, 2);
    std::int64_t out[3];
    for (int i = 0; i < draws; ++i) {
        multivariate_hypergeometric(stream, arrivals, 3, take, out);
        ASSERT_EQ(out[0] + out[1] + out[2], take);
        ++seen[{out[0], out[1]}];
    }
    double chi2 = 0.0;
    int bins = 0;
    for (std::int64_t a = 0; a <= 2; ++a)
        for (std::int64_t b = 0; b <= 3; ++b) {
            const std::int64_t c = take - a - b;
            if (c < 0 || c > 4) continue;
            const double p = choose(2, a) * choose(3, b) * choose(4, c) / choose(total, take);
            const double expected = p * draws;
            const double got = seen[{a, b}];
            chi2 += (got - expected) * (got - expected) / expected;
            ++bins;
        }
    // 11 cells, 10 degrees of freedom: the 1 - 1e-4 quantile of chi-square(10) is 35.56.
    EXPECT_EQ(bins, 11);
    EXPECT_LT(chi2, 35.56);
}

}  // namespace
}  // namespace ehcpsim
