// The tables that read the plan detail (stock_by_placement_age_need, run
// --plan-detail): the children and young people tables by placement, age
// group and need add up exactly in every row and column; the SCAP return maps
// ages to national curriculum years and stops at the horizon with a note.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class PlanDetail : public ScratchDir {};

// Ages 3..16 (every SCAP NC year and one on each side), `years` census years
// from 2023, 13 replicates with fractional means: cell value (p, a, n) of
// replicate r is (p + 1) * (a + n + 1) + r % 3, so the means end in thirds.
RunInfo detail_info(int years) {
    RunInfo info = small_info(13);
    info.years.clear();
    for (int y = 0; y < years; ++y) info.years.push_back(2023 + y);
    info.variants = {"baseline"};
    info.parameter_names = {{}};
    info.plan_detail = true;
    for (int a = 3; a <= 16; ++a) info.ages.push_back(a);
    return info;
}

double cell_value(std::size_t p, std::size_t a, std::size_t n, std::int64_t r) {
    return static_cast<double>((p + 1) * (a + n + 1)) + static_cast<double>(r % 3);
}

void write_detail(const std::string& path, const RunInfo& info) {
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    const std::size_t P = info.placements.size(), A = info.ages.size(), N = info.needs.size();
    const std::size_t Y = info.years.size();
    auto& stock = block.variants[0].metrics[m_stock_by_placement_age_need];
    ASSERT_EQ(stock.size(), static_cast<std::size_t>(info.replicates) * Y * P * A * N);
    for (std::int64_t r = 0; r < info.replicates; ++r)
        for (std::size_t y = 0; y < Y; ++y)
            for (std::size_t p = 0; p < P; ++p)
                for (std::size_t a = 0; a < A; ++a)
                    for (std::size_t n = 0; n < N; ++n)
                        stock[(((static_cast<std::size_t>(r) * Y + y) * P + p) * A + a) * N + n] = cell_value(p, a, n, r);
    ResultWriter writer(path, info, false);
    writer.write(block);
    writer.finish();
}

double mean_cell(std::size_t p, std::size_t a, std::size_t n, std::int64_t replicates) {
    double sum = 0.0;
    for (std::int64_t r = 0; r < replicates; ++r) sum += cell_value(p, a, n, r);
    return sum / static_cast<double>(replicates);
}

TEST_F(PlanDetail, ChildrenAndYoungPeopleTablesAddUpInEveryRowAndColumn) {
    const RunInfo info = detail_info(3);
    write_detail(path("detail.h5"), info);
    const ResultReader reader(path("detail.h5"));
    ASSERT_TRUE(reader.info().plan_detail);
    ASSERT_EQ(reader.info().ages, info.ages);
    const std::vector<PlanTable> tables = dsg_plan(reader);
    // The financial summary, the overview by placement, then one table a census year.
    ASSERT_EQ(tables.size(), 2u + info.years.size());
    const PlanTable& overview = tables[1];
    const std::size_t N = info.needs.size();
    for (std::size_t y = 0; y < info.years.size(); ++y) {
        const PlanTable& table = tables[2 + y];
        ASSERT_EQ(table.value_headers.size(), N + 1);
        ASSERT_EQ(table.value_headers.back(), "Total");
        std::vector<double> sum_of_subtotals(N + 1, 0.0), sum_of_groups(N + 1, 0.0);
        std::size_t placement = 0;
        for (const PlanRow& row : table.rows) {
            // Every row: its needs add to its total.
            const double needs = std::accumulate(row.cells.begin(), row.cells.end() - 1, 0.0);
            ASSERT_EQ(needs, row.cells.back()) << row.labels[0] << " " << row.labels[1];
            for (double x : row.cells) ASSERT_EQ(x, std::round(x));
            if (row.labels[0] == "All placements") {
                for (std::size_t n = 0; n <= N; ++n) EXPECT_EQ(row.cells[n], sum_of_subtotals[n]);  // columns add up
            } else if (row.labels[1] == "All ages") {
                for (std::size_t n = 0; n <= N; ++n) {
                    EXPECT_EQ(row.cells[n], sum_of_groups[n]) << row.labels[0];  // columns add up
                    sum_of_subtotals[n] += row.cells[n];
                }
                // The placement's total is the overview's.
                EXPECT_EQ(row.cells.back(), overview.rows[placement].cells[y]) << row.labels[0];
                sum_of_groups.assign(N + 1, 0.0);
                ++placement;
            } else {
                for (std::size_t n = 0; n <= N; ++n) sum_of_groups[n] += row.cells[n];
            }
        }
        EXPECT_EQ(table.rows.back().cells.back(), overview.rows.back().cells[y]);
        // The total is the rounded mean total.
        double mean_total = 0.0;
        for (std::size_t p = 0; p < info.placements.size(); ++p)
            for (std::size_t a = 0; a < info.ages.size(); ++a)
                for (std::size_t n = 0; n < N; ++n) mean_total += mean_cell(p, a, n, info.replicates);
        EXPECT_EQ(table.rows.back().cells.back(), std::round(mean_total));
    }
}

TEST(ScapReturn, NationalCurriculumYearsOfAgesAt31August) {
    EXPECT_EQ(nc_year_of_age(3), -1);
    EXPECT_EQ(nc_year_of_age(4), 0);   // Reception
    EXPECT_EQ(nc_year_of_age(5), 1);
    EXPECT_EQ(nc_year_of_age(10), 6);  // last primary year
    EXPECT_EQ(nc_year_of_age(11), 7);
    EXPECT_EQ(nc_year_of_age(15), 11);
    EXPECT_EQ(nc_year_of_age(16), -1);
}

bool has_note(const PlanTable& table, const std::string& part) {
    for (const std::string& note : table.notes)
        if (note.find(part) != std::string::npos) return true;
    return false;
}

TEST_F(PlanDetail, ScapReturnByProvisionTypeAndNcYear) {
    const RunInfo info = detail_info(9);  // 2023..2031: 8 years ahead
    write_detail(path("detail.h5"), info);
    const ResultReader reader(path("detail.h5"));
    const std::vector<PlanTable> tables = scap_return(reader);
    ASSERT_EQ(tables.size(), 1u);
    const PlanTable& table = tables[0];
    EXPECT_EQ(table.value_headers.front(), "2022/23");
    EXPECT_FALSE(has_note(table, "The forecast ends"));
    EXPECT_TRUE(has_note(table, "not counted): mainstream"));
    ASSERT_EQ(table.rows.size(), 4u * 12u);
    // small_info's placements: mss (index 1) is state special, inmss (2) independent special.
    const auto row = [&](const std::string& type, const std::string& nc) -> const PlanRow& {
        for (const PlanRow& r : table.rows)
            if (r.labels[0] == type && r.labels[1] == nc) return r;
        throw std::runtime_error("no row");
    };
    const std::size_t reception_age = 1, year7_age = 8;  // ages 4 and 11 (ages start at 3)
    const double reception = mean_cell(1, reception_age, 0, 13) + mean_cell(1, reception_age, 1, 13);
    EXPECT_NEAR(row("State special (incl. non-maintained)", "Reception").cells[0], reception, 1e-9);
    const double year7 = mean_cell(2, year7_age, 0, 13) + mean_cell(2, year7_age, 1, 13);
    EXPECT_NEAR(row("Independent special", "Year 7").cells[7], year7, 1e-9);  // 7 years ahead: asked
    EXPECT_TRUE(std::isnan(row("Independent special", "Year 7").cells[8]));  // 8 ahead: not asked
    EXPECT_FALSE(std::isnan(row("Independent special", "Year 6").cells[5]));  // primary: 5 ahead asked
    EXPECT_TRUE(std::isnan(row("Independent special", "Year 6").cells[6]));   // 6 ahead: not asked
    EXPECT_EQ(row("Resourced provision and SEN units", "Year 3").cells[0], 0.0);  // no such placement here
}

TEST_F(PlanDetail, ScapReturnSaysWhereAShortForecastStops) {
    const RunInfo info = detail_info(4);  // 3 years ahead
    write_detail(path("detail.h5"), info);
    const ResultReader reader(path("detail.h5"));
    const PlanTable table = scap_return(reader)[0];
    EXPECT_TRUE(has_note(table, "The forecast ends in 2025/26 (3 years ahead of the base year)"));
    EXPECT_EQ(table.value_headers.size(), 4u);  // nothing past the horizon
    for (const PlanRow& row : table.rows) ASSERT_EQ(row.cells.size(), 4u);
}

TEST_F(PlanDetail, WithoutPlanDetailTheTablesSaySo) {
    RunInfo info = detail_info(3);
    info.plan_detail = false;
    info.ages.clear();
    write_synthetic(path("plain.h5"), info, {{0, info.replicates}});
    const ResultReader reader(path("plain.h5"));
    EXPECT_FALSE(reader.info().plan_detail);
    const PlanTable scap = scap_return(reader)[0];
    EXPECT_TRUE(scap.rows.empty());
    EXPECT_TRUE(has_note(scap, "run with --plan-detail"));
    EXPECT_EQ(dsg_plan(reader).size(), 2u);  // the financial summary and the overview only
}

}  // namespace
}  // namespace ehcpsim
