// A stop request inside a replicate (issue 12, item 11): the runner's cancel
// flag reaches the year step (RandomDraws::stop), which looks at it before
// each year and every few thousand pupils of a per-pupil loop, so a stop is
// honoured within one year's work, not one replicate's.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "ehcpsim/model.h"
#include "ehcpsim/record.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

struct Small {
    Model model;
    Rates rates;
    Shape shape;
    ResultBlock block;
    Small() : model(compile(load_scenario(testing::small_scenario()).variants.front())) {
        rates = realise(model, mean_parameters(model), std::vector<double>(model.horizon + 1, 0.0));
        shape.years = model.horizon + 1;
        shape.placements = model.placements;
        shape.needs = model.needs;
        shape.phases = model.phases;
        block.allocate(shape, 0, 1, {0});
    }
};

// Set before the projection: the base year is written, no simulated year is,
// and the projection says it did not finish. Before the change every year
// was written and nothing reported the stop.
TEST(Stop, AFlagSetBeforeTheFirstYearStopsTheProjection) {
    Small s;
    std::atomic<bool> stop{true};
    RandomDraws draws{7, 0, nullptr, &stop};
    EXPECT_FALSE(project(s.model, s.rates, draws, s.block.variants[0], s.shape, 0));
    EXPECT_FALSE(std::isnan(testing::value(s.block.variants[0], s.shape, m_total_stock, 0, 0)));
    for (int t = 1; t < s.shape.years; ++t)
        EXPECT_TRUE(std::isnan(testing::value(s.block.variants[0], s.shape, m_total_stock, 0, t))) << "year " << t;
    stop = false;
    EXPECT_TRUE(project(s.model, s.rates, draws, s.block.variants[0], s.shape, 0));
}

// A replicate whose one year is long (1e8 transfers in a year, each placed
// pupil by pupil: about 4 s a year here, five years) stops within a fraction
// of a second of the flag being set from another thread. Bound: 1.5 s in
// all, against about 20 s for the whole replicate (before the change) and
// about 4 s with the flag seen only between years (the per-pupil check
// removed); room for a loaded machine.
TEST(Stop, AFlagSetDuringALongYearStopsItWithinASecond) {
    Small s;
    for (double& lambda : s.rates.transfers) lambda = 1e8;
    std::atomic<bool> stop{false};
    RandomDraws draws{7, 0, nullptr, &stop};
    std::thread stopper([&stop] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stop = true;
    });
    const auto start = std::chrono::steady_clock::now();
    const bool finished = project(s.model, s.rates, draws, s.block.variants[0], s.shape, 0);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stopper.join();
    EXPECT_FALSE(finished);
    EXPECT_LT(seconds, 1.5) << "the projection went on after the stop request";
}

}  // namespace
}  // namespace ehcpsim
