// The summary computes only the views a request asks for (SummaryOptions::
// views, from views_to_print()), and each view alone gives the numbers it
// gives when every view is computed.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class SummaryViewsTest : public ScratchDir {};

// Bit-for-bit equal vectors, NaN equal to NaN.
void expect_same(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i])) {
            EXPECT_TRUE(std::isnan(b[i])) << what << "[" << i << "]";
        } else {
            EXPECT_EQ(a[i], b[i]) << what << "[" << i << "]";
        }
    }
}

SummaryViews only(bool SummaryViews::*view) {
    SummaryViews views = SummaryViews::none();
    views.*view = true;
    return views;
}

TEST_F(SummaryViewsTest, OneViewComputesNoOther) {
    // Levels (DBV, DSG), drawn parameters (drivers), and the synthetic metrics.
    write_dbv(path("run.h5"), dbv_info(), true);
    const ResultReader reader(path("run.h5"));
    const Summary all = summarise(reader);
    ASSERT_TRUE(all.drivers.computed);
    ASSERT_FALSE(all.variants.empty());
    ASSERT_FALSE(all.dsg.empty());

    const Summary dbv = summarise(reader, SummaryOptions({}, only(&SummaryViews::dbv)));
    EXPECT_EQ(dbv.computed, only(&SummaryViews::dbv));
    EXPECT_TRUE(dbv.variants.empty());              // no series
    EXPECT_FALSE(dbv.drivers.computed);             // no rank regression (QR) at all
    EXPECT_TRUE(dbv.drivers.variants.empty());
    EXPECT_TRUE(dbv.dsg.empty());
    EXPECT_TRUE(dbv.scap.empty());
    EXPECT_TRUE(dbv.places.empty());
    EXPECT_TRUE(dbv.exceedance.thresholds.empty());
    // The DBV alone: the same numbers as with the series computed.
    ASSERT_EQ(dbv.dbv.table.size(), all.dbv.table.size());
    for (std::size_t v = 0; v < all.dbv.table.size(); ++v) {
        expect_same(dbv.dbv.table[v].spend.p50, all.dbv.table[v].spend.p50, "spend.p50");
        expect_same(dbv.dbv.table[v].cumulative_deficit.p5, all.dbv.table[v].cumulative_deficit.p5, "deficit.p5");
        expect_same(dbv.dbv.table[v].cumulative_deficit.deterministic,
                    all.dbv.table[v].cumulative_deficit.deterministic, "deficit.deterministic");
    }
    ASSERT_EQ(dbv.dbv.bounds.size(), all.dbv.bounds.size());
    EXPECT_EQ(dbv.dbv.bounds[0].opportunities[0].statistics.mean, all.dbv.bounds[0].opportunities[0].statistics.mean);

    const Summary drivers = summarise(reader, SummaryOptions({}, only(&SummaryViews::drivers)));
    EXPECT_TRUE(drivers.drivers.computed);
    EXPECT_TRUE(drivers.variants.empty());
    EXPECT_TRUE(drivers.dbv.table.empty());
    EXPECT_TRUE(drivers.dsg.empty());
    ASSERT_EQ(drivers.drivers.variants.size(), all.drivers.variants.size());
    EXPECT_EQ(drivers.drivers.variants[0].cumulative_deficit.r2, all.drivers.variants[0].cumulative_deficit.r2);

    const Summary dsg = summarise(reader, SummaryOptions({}, only(&SummaryViews::dsg)));
    EXPECT_TRUE(dsg.variants.empty());
    EXPECT_TRUE(dsg.dbv.table.empty());
    EXPECT_FALSE(dsg.drivers.computed);
    ASSERT_EQ(dsg.dsg.size(), all.dsg.size());
    for (std::size_t i = 0; i < all.dsg.size(); ++i) {
        EXPECT_EQ(dsg.dsg[i].line, all.dsg[i].line);
        expect_same(dsg.dsg[i].quantiles, all.dsg[i].quantiles, all.dsg[i].line);
    }

    // Exceedance needs the horizon deficit, not another view.
    const Summary exceedance = summarise(reader, SummaryOptions({25}, SummaryViews::none()));
    EXPECT_TRUE(exceedance.dbv.table.empty());
    EXPECT_FALSE(exceedance.drivers.computed);
    EXPECT_EQ(exceedance.exceedance.probability.size(), dbv_info().variants.size());
}

TEST_F(SummaryViewsTest, ViewsToPrintAreWhatThePrinterUses) {
    const RunInfo plain = small_info(4);  // no level, no capacity
    const RunInfo levels = dbv_info();
    const auto views = [](std::initializer_list<bool SummaryViews::*> which) {
        SummaryViews v = SummaryViews::none();
        for (auto view : which) v.*view = true;
        return v;
    };
    EXPECT_EQ(views_to_print(plain, SummaryFormat::table, {}), views({&SummaryViews::series}));
    EXPECT_EQ(views_to_print(plain, SummaryFormat::table, PrintOptions{true}), views({&SummaryViews::dbv}));
    PrintOptions scap;
    scap.scap = true;
    EXPECT_EQ(views_to_print(plain, SummaryFormat::csv, scap), views({&SummaryViews::scap}));
    // csv --exceed: the exceedance table instead of the series; table: after them.
    EXPECT_EQ(views_to_print(plain, SummaryFormat::csv, {}, true), views({}));
    EXPECT_EQ(views_to_print(plain, SummaryFormat::table, {}, true), views({&SummaryViews::series}));
    // json: the series, the drivers, and the DBV only where some variant has a level.
    EXPECT_EQ(views_to_print(plain, SummaryFormat::json, {}), views({&SummaryViews::series, &SummaryViews::drivers}));
    EXPECT_EQ(views_to_print(levels, SummaryFormat::json, {}),
              views({&SummaryViews::series, &SummaryViews::drivers, &SummaryViews::dbv}));
    EXPECT_EQ(views_to_print(places_info(), SummaryFormat::json, {}),
              views({&SummaryViews::series, &SummaryViews::drivers, &SummaryViews::places}));
}

TEST_F(SummaryViewsTest, PrintingAViewNotComputedIsAnError) {
    write_dbv(path("run.h5"), dbv_info(), true);
    const ResultReader reader(path("run.h5"));
    const Summary dbv = summarise(reader, SummaryOptions({}, only(&SummaryViews::dbv)));
    std::ostringstream out;
    EXPECT_NO_THROW(print_summary(dbv, SummaryFormat::table, out, PrintOptions{true}));
    EXPECT_NO_THROW(print_summary(dbv, SummaryFormat::csv, out, PrintOptions{true}));
    EXPECT_THROW(print_summary(dbv, SummaryFormat::table, out), std::logic_error);  // the series
    EXPECT_THROW(print_summary(dbv, SummaryFormat::json, out, PrintOptions{true}), std::logic_error);
}

TEST_F(SummaryViewsTest, TheOneTableRuleIsOneCheck) {
    PrintOptions two;
    two.dbv = two.places = true;
    EXPECT_THROW(check_print_options(SummaryFormat::csv, two, false), std::invalid_argument);
    EXPECT_NO_THROW(check_print_options(SummaryFormat::table, two, false));
    PrintOptions dbv{true};
    EXPECT_THROW(check_print_options(SummaryFormat::csv, dbv, true), std::invalid_argument);  // and --exceed
    PrintOptions dsg;
    dsg.dsg = true;
    EXPECT_THROW(check_print_options(SummaryFormat::json, dsg, false), std::invalid_argument);
    try {
        check_print_options(SummaryFormat::csv, two, false);
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(),
                     "--format csv prints one table: give one of --dbv, --exceed, --places, --scap, --dsg, --drivers");
    }
}

}  // namespace
}  // namespace ehcpsim
