// The DSG deficit management plan in the template's shape (summary
// --dsg-plan, dsg_plan()): the financial summary's lines and identities, the
// named funding adjustments as lines, the band, and the children and young
// people table rounded so that it adds up.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class DsgPlan : public ScratchDir {};

constexpr std::size_t years = 4;  // small_info(): 2023..2026

// 21 replicates of one unmitigated variant with a fixed funding adjustment of
// 250k in 2025 and a drawn write-off in 2026 (its draws the parameter
// money.adjustments.wo.amount, 100k + 1k x replicate).
RunInfo plan_info() {
    RunInfo info = small_info(21);
    info.variants = {"baseline"};
    info.parameter_names = {{"demand.growth", "money.adjustments.wo.amount"}};
    info.adjustments = {{{"sv", "funding", 2025, 250000.0}, {"wo", "write_off", 2026, std::nan("")}}};
    return info;
}

double write_off_draw(std::int64_t r) { return 1e5 + 1e3 * static_cast<double>(r); }

// Spend and stock vary by replicate; funding is an allocation plus the
// adjustment; the deficits follow the accounts' identities.
void write_plan(const std::string& path, const RunInfo& info) {
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    auto& m = block.variants[0].metrics;
    const std::size_t P = info.placements.size();
    for (std::int64_t r = 0; r < info.replicates; ++r) {
        const auto rr = static_cast<std::size_t>(r);
        block.variants[0].parameters[rr * 2 + 1] = write_off_draw(r);
        double cumulative = 4e5;
        for (std::size_t y = 0; y < years; ++y) {
            const std::size_t i = rr * years + y;
            const double spend = 2e6 + 1e5 * static_cast<double>(y) + 1234.5 * static_cast<double>((r * 7) % 11);
            const double funding = 1.9e6 + 5e4 * static_cast<double>(y) + (info.years[y] == 2025 ? 250000.0 : 0.0);
            m[m_spend][i] = spend;
            m[m_funding][i] = funding;
            m[m_in_year_deficit][i] = spend - funding;
            if (y > 0) cumulative += spend - funding - (info.years[y] == 2026 ? write_off_draw(r) : 0.0);
            m[m_cumulative_deficit][i] = cumulative;
            double total = 0.0;
            for (std::size_t p = 0; p < P; ++p) {
                // Means 10(p + 1) + 10/21: each rounds down alone, but their sum rounds up (plain rounding
                // of each would not add to the rounded total).
                const double stock = 10.0 * static_cast<double>(p + 1) + static_cast<double>(r % 2);
                m[m_stock_by_placement][i * P + p] = stock;
                total += stock;
            }
            m[m_total_stock][i] = total;
        }
    }
    ResultWriter writer(path, info, false);
    writer.write(block);
    writer.finish();
}

const PlanRow& row_of(const PlanTable& table, const std::string& line, const std::string& statistic) {
    for (const PlanRow& row : table.rows)
        if (row.labels.size() == 2 && row.labels[0] == line && row.labels[1] == statistic) return row;
    throw std::runtime_error("no row " + line + " / " + statistic + " in " + table.title);
}

TEST_F(DsgPlan, FinancialSummaryLinesAddUpAndShowTheAdjustments) {
    const RunInfo info = plan_info();
    write_plan(path("plan.h5"), info);
    const ResultReader reader(path("plan.h5"));
    const std::vector<PlanTable> tables = dsg_plan(reader);
    ASSERT_EQ(tables.size(), 2u);  // the financial summary and the CYP table of the one variant
    const PlanTable& money = tables[0];
    ASSERT_EQ(money.value_headers, (std::vector<std::string>{"2022-23", "2023-24", "2024-25", "2025-26"}));
    // The named adjustments have lines of their own; a fixed one is its amount (in £000s) in its year only.
    const PlanRow& sv = row_of(money, "Funding adjustment: sv", "median");
    EXPECT_EQ(sv.cells, (std::vector<double>{0.0, 0.0, 250.0, 0.0}));
    const PlanRow& wo = row_of(money, "Deficit written off: wo", "mean");
    EXPECT_DOUBLE_EQ(wo.cells[3], (1e5 + 1e3 * 10.0) / 1000.0);  // mean of 100k + 1k x (0..20)
    EXPECT_EQ(row_of(money, "Deficit written off: wo", "P10").cells[3], (1e5 + 1e3 * 2.0) / 1000.0);
    // Means add up: funding = allocation + adjustment; cumulative = previous + in-year + write-off.
    const PlanRow& funding = row_of(money, "High needs funding", "mean");
    const PlanRow& allocation = row_of(money, "High needs funding: allocation", "mean");
    const PlanRow& in_year = row_of(money, "In-year position", "mean");
    const PlanRow& cumulative = row_of(money, "Cumulative position", "mean");
    for (std::size_t y = 0; y < years; ++y) {
        EXPECT_NEAR(funding.cells[y], allocation.cells[y] + sv.cells[y], 1e-9);
        EXPECT_NEAR(in_year.cells[y], funding.cells[y] - row_of(money, "High needs spend", "mean").cells[y], 1e-9);
        if (y > 0) {
            EXPECT_NEAR(cumulative.cells[y], cumulative.cells[y - 1] + in_year.cells[y] + wo.cells[y], 1e-9) << y;
        }
    }
    EXPECT_DOUBLE_EQ(cumulative.cells[0], -400.0);  // the opening deficit as a position, £000s
}

TEST_F(DsgPlan, TheBandIsChosenAndChecked) {
    const RunInfo info = plan_info();
    write_plan(path("plan.h5"), info);
    const ResultReader reader(path("plan.h5"));
    DsgPlanOptions options;
    options.band = 50.0;
    const PlanTable money = dsg_plan(reader, options)[0];
    // Write-off draws 100k..120k by 1k: P25 = 105k, P75 = 115k.
    EXPECT_EQ(row_of(money, "Deficit written off: wo", "P25").cells[3], 105.0);
    EXPECT_EQ(row_of(money, "Deficit written off: wo", "P75").cells[3], 115.0);
    options.band = 100.0;
    EXPECT_THROW(dsg_plan(reader, options), std::invalid_argument);
}

TEST_F(DsgPlan, ChildrenAndYoungPeopleAddUpExactly) {
    const RunInfo info = plan_info();
    write_plan(path("plan.h5"), info);
    const ResultReader reader(path("plan.h5"));
    const PlanTable cyp = dsg_plan(reader)[1];
    ASSERT_TRUE(cyp.whole);
    ASSERT_EQ(cyp.rows.size(), info.placements.size() + 1);
    ASSERT_EQ(cyp.rows.back().labels.front(), "Total");
    for (std::size_t y = 0; y < years; ++y) {
        double sum = 0.0, mean_total = 0.0;
        for (std::size_t p = 0; p < info.placements.size(); ++p) {
            const double cell = cyp.rows[p].cells[y];
            EXPECT_EQ(cell, std::round(cell));
            sum += cell;
        }
        EXPECT_EQ(sum, cyp.rows.back().cells[y]) << y;
        // The total is the rounded mean total.
        for (std::int64_t r = 0; r < info.replicates; ++r) {
            for (std::size_t p = 0; p < info.placements.size(); ++p)
                mean_total += 10.0 * static_cast<double>(p + 1) + static_cast<double>(r % 2);
        }
        EXPECT_EQ(cyp.rows.back().cells[y], std::round(mean_total / static_cast<double>(info.replicates)));
    }
}

TEST(LargestRemainder, AddsUpGoingToTheLargestRemaindersFirst) {
    // 3.4 + 3.4 + 3.2 = 10: floors 9, one unit to the first 0.4 (ties to the earlier entry).
    EXPECT_EQ(largest_remainder({3.4, 3.4, 3.2}), (std::vector<double>{4.0, 3.0, 3.0}));
    // Plain rounding would give 1 + 1 + 1 = 3 for a total of 2.
    EXPECT_EQ(largest_remainder({0.6, 0.6, 0.8}, 2.0), (std::vector<double>{1.0, 0.0, 1.0}));
    EXPECT_EQ(largest_remainder({0.6, 0.7, 0.7}), (std::vector<double>{0.0, 1.0, 1.0}));
    const std::vector<double> out = largest_remainder({12.51, 7.49, 0.0, 30.25, 1.75});
    EXPECT_EQ(std::accumulate(out.begin(), out.end(), 0.0), 52.0);
}

TEST_F(DsgPlan, PrintsAsTableCsvAndJson) {
    const RunInfo info = plan_info();
    write_plan(path("plan.h5"), info);
    const ResultReader reader(path("plan.h5"));
    const std::vector<PlanTable> tables = dsg_plan(reader);
    std::ostringstream table, csv, json;
    print_plan_tables(tables, SummaryFormat::table, table);
    print_plan_tables(tables, SummaryFormat::csv, csv);
    print_plan_tables(tables, SummaryFormat::json, json);
    EXPECT_NE(table.str().find("Funding adjustment: sv"), std::string::npos);
    EXPECT_NE(table.str().find("2025-26"), std::string::npos);
    EXPECT_EQ(csv.str().rfind("table,label_1,label_2,column,value\n", 0), 0u);
    EXPECT_NE(csv.str().find(",Funding adjustment: sv,median,2024-25,250\n"), std::string::npos);
    EXPECT_NE(json.str().find("\"value_headers\""), std::string::npos);
}

}  // namespace
}  // namespace ehcpsim
