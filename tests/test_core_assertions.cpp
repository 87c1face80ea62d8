// The library's internal invariants are checked in the build the tests run
// on (CMake option EHCPSIM_ASSERTIONS, on by default), not only under the
// sanitizers: a sampler handed a NaN probability stops the process with the
// invariant's message instead of returning a number.
#include <gtest/gtest.h>

#include <limits>

#include "ehcpsim/rng.h"
#include "ehcpsim/sampler.h"

namespace ehcpsim {
namespace {

TEST(CoreAssertionsDeathTest, ABrokenInvariantStopsTheProcess) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            Stream rng(1, 2, Process::request, 1);
            binomial(rng, 10, std::numeric_limits<double>::quiet_NaN());
        },
        "binomial: p is NaN");
}

}  // namespace
}  // namespace ehcpsim
