// shortest_text(): numbers in messages and tables read back exactly;
// rounded_text(): a computed value rounded for a message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "ehcpsim/text.h"

namespace ehcpsim {
namespace {

TEST(ShortestText, ReadsBackAsTheSameDouble) {
    EXPECT_EQ(shortest_text(0.1), "0.1");
    EXPECT_EQ(shortest_text(70), "70");
    EXPECT_EQ(shortest_text(-2.5e-300), "-2.5e-300");
    EXPECT_EQ(shortest_text(std::numeric_limits<double>::infinity()), "inf");
    EXPECT_EQ(shortest_text(std::numeric_limits<double>::quiet_NaN()), "nan");
    for (const double x : {1.0 / 3.0, 2.2250738585072014e-308, -1.7976931348623157e308, 123456789.123456789}) {
        const std::string text = shortest_text(x);
        EXPECT_EQ(std::strtod(text.c_str(), nullptr), x) << text;
    }
}

TEST(RoundedText, SixSignificantDigits) {
    EXPECT_EQ(rounded_text(0.05), "0.05");
    EXPECT_EQ(rounded_text(1.0 / 3.0), "0.333333");
    EXPECT_EQ(rounded_text(std::sqrt(0.05)), "0.223607");
    EXPECT_EQ(rounded_text(12000000.0), "1.2e+07");
}

}  // namespace
}  // namespace ehcpsim
