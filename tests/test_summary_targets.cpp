// Confidence where members ask for it (issue 16, item 4): exceedance by year
// and P(meeting a target) on constructed files whose probabilities are
// known by hand (10 replicates, so every probability is a whole tenth).
#include <gtest/gtest.h>

#include <sstream>

#include "ehcpsim/summary_targets.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using output_testing::ScratchDir;
using output_testing::small_info;
using output_testing::synthetic_block;

class SummaryTargets : public ScratchDir {
protected:
    // The synthetic run of 10 replicates (output_test_support.h: variant v,
    // metric m, replicate r, year index y, category e holds v 1e6 + m 1e4 +
    // r + y/4 + e/16), with the baseline's 2025 (year index 2) stock made
    // total 10 and mainstream r, so the mainstream share is r / 10.
    std::string write() {
        const RunInfo info = small_info(10);
        ResultBlock block = synthetic_block(info, 0, 10);
        const std::size_t years = info.years.size(), placements = info.placements.size();
        for (std::size_t r = 0; r < 10; ++r) {
            block.variants[0].metrics[m_total_stock][r * years + 2] = 10.0;
            block.variants[0].metrics[m_stock_by_placement][(r * years + 2) * placements + 0] = static_cast<double>(r);
        }
        const std::string file = path("run.h5");
        ResultWriter writer(file, info, false);
        writer.write(block);
        writer.finish();
        return file;
    }
    double probability(const std::string& file, const std::string& target, std::size_t variant = 0) {
        const ResultReader reader(file);
        return target_probabilities(reader, {parse_target(target, reader.info())}).front().probability[variant];
    }
};

TEST_F(SummaryTargets, ExceedanceByYearCountsStrictlyAboveInEveryYear) {
    const std::string file = write();
    const ResultReader reader(file);
    // Baseline: cumulative deficit (metric 15) 150000 + r + y/4, in-year (14) 140000 + r + y/4.
    const ExceedanceByYear e = exceedance_by_year(reader, {150004.25, 140004.5});
    ASSERT_EQ(e.years.size(), 4u);
    // > 150004.25: r + y/4 > 4.25: y = 0: r >= 5; y = 1: r > 4 (r = 4 equals, not above); y = 2, 3: r >= 4.
    EXPECT_EQ(e.cumulative[0][0], (std::vector<double>{0.5, 0.5, 0.6, 0.6}));
    // in-year > 140004.5: y = 0, 1: r >= 5; y = 2: r > 4 (equal at r = 4); y = 3: r >= 4.
    EXPECT_EQ(e.in_year[0][1], (std::vector<double>{0.5, 0.5, 0.5, 0.6}));
    // The target variant (v = 1) is a million above: always over 150004.25.
    EXPECT_EQ(e.cumulative[1][0], (std::vector<double>{1.0, 1.0, 1.0, 1.0}));
    std::ostringstream csv;
    print_exceedance_by_year_csv(e, csv);
    EXPECT_NE(csv.str().find("baseline,cumulative_deficit,150004.25,2024,0.5\n"), std::string::npos) << csv.str();
    EXPECT_NE(csv.str().find("baseline,in_year_deficit,140004.5,2026,0.6\n"), std::string::npos) << csv.str();
}

TEST_F(SummaryTargets, ProbabilityOfMeetingEachKindOfTarget) {
    const std::string file = write();
    // 2026 (y = 3): 150000.75 + r <= 150004.75 for r <= 4.
    EXPECT_EQ(probability(file, "cumulative_deficit:2026<=150004.75"), 0.5);
    EXPECT_EQ(probability(file, "cumulative_deficit:2026<150004.75"), 0.4);
    // The financial year 2025-26 is the year label 2026.
    EXPECT_EQ(probability(file, "cumulative_deficit:2025-26<=150004.75"), 0.5);
    EXPECT_EQ(probability(file, "cumulative_deficit:2026<=0.15m", 1), 0.0);
    // stock_by_placement (metric 1) of inmss (e = 2) in 2024: 10000.375 + r >= 10003.375 for r >= 3.
    EXPECT_EQ(probability(file, "stock.INMSS:2024>=10003.375"), 0.7);
    EXPECT_EQ(probability(file, "stock_by_placement.inmss:2024>10003.375"), 0.6);
    // The share r / 10 in 2025.
    EXPECT_EQ(probability(file, "share_mainstream:2025>=0.45"), 0.5);
    EXPECT_EQ(probability(file, "share.Mainstream:2025>=40%"), 0.6);
    // Flows have no value in the base year: no replicate to count.
    EXPECT_TRUE(std::isnan(probability(file, "new_plans:2023>=0")));
}

TEST_F(SummaryTargets, ABadTargetNamesWhatIsWrongAndWhere) {
    const RunInfo info = small_info(10);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"cumulative_deficit2026<=1m", "no FIGURE: before the year (at character 1)"},
        {"deficit:2026<=1m", "no figure 'deficit'"},
        {"cumulative_deficit:2031<=1m", "the file has no year 2031 (its years are 2023 to 2026) (at character 20)"},
        {"cumulative_deficit:2025-27<=1m", "'2025-27' is not a financial year (2027-28 is) (at character 20)"},
        {"cumulative_deficit:2026=1m", "expected <=, <, >= or > after the year (at character 24)"},
        {"cumulative_deficit:2026<=lots", "'lots' is not an amount in pounds"},
        {"stock.special:2026<=3", "no placement 'special' in this file (placements: mainstream, mss, inmss)"},
        {"share_mainstream:2026>=half", "'half' is not a share (0.45 or 45%)"},
        {"new_plans_by_need:2026>=1", "'new_plans_by_need' is by need: name one as new_plans_by_need.ASD"},
        {"total_stock.mss:2026>=1", "'total_stock' has no categories"},
    };
    for (const auto& [text, expected] : cases) {
        try {
            (void)parse_target(text, info);
            ADD_FAILURE() << text << ": no error";
        } catch (const TargetError& e) {
            EXPECT_NE(std::string(e.what()).find("--target '" + text + "': " + expected), std::string::npos)
                << e.what();
        }
    }
}

}  // namespace
}  // namespace ehcpsim
