// The panel reader: the shipped panel reads as its README describes it,
// every problem in a file is located (file, line, column, column name),
// files saved by a spreadsheet get a message saying what to do, and the cut
// at an origin leaves nothing dated after it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ehcpsim/error.h"
#include "ehcpsim/panel.h"
#include "ehcpsim/shipped_data.h"
#include "test_support.h"

namespace ehcpsim::calibrate {
namespace {

using ehcpsim::testing::source_path;

const std::string header = "la_code,la_name,year,measure,breakdown,value\n";

// The problems a panel text is refused with, or "" when it reads.
std::string problems_of(const std::string& text) {
    try {
        Panel::read_text(text, "mine.csv");
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

TEST(CalibratePanel, ShippedPanelReadsAsItsReadmeSays) {
    const Panel panel = Panel::read_file(source_path("data/sen2_la/panel.csv"));
    EXPECT_EQ(panel.size(), 171052u);  // README: 171052 rows
    EXPECT_EQ(panel.authorities().size(), 106u);
    EXPECT_EQ(panel.name_of("E06000006"), "Halton");
    EXPECT_EQ(panel.name_of("E06000019"), "Herefordshire, County of");  // a quoted name with a comma
    // README check: Halton's January stock 2019-2025.
    const Series halton = panel.series("E06000006", "stock", "all");
    const std::vector<double> expected = {771, 904, 1034, 1189, 1319, 1524, 1712};
    for (int year = 2019; year <= 2025; ++year) EXPECT_EQ(halton.at(year), expected[year - 2019]) << year;
    ASSERT_TRUE(panel.years(Dating::census));
    EXPECT_EQ(panel.years(Dating::census)->first, 2010);
    EXPECT_EQ(panel.years(Dating::census)->last, 2025);
    EXPECT_EQ(panel.years(Dating::in_year)->last, 2024);
    EXPECT_FALSE(panel.value("E06000006", 2023, "stock", "age:7"));  // no ages in January 2023: absent, not 0
    EXPECT_EQ(panel.value("E06000006", 2025, "stock", "placement:special_maintained").has_value(), true);
    // England's rows are in the same format (README: 1873 rows; January 2025 stock 638,745).
    const Panel national = Panel::read_file(source_path("data/sen2_la/national.csv"));
    EXPECT_EQ(national.size(), 1873u);
    EXPECT_EQ(national.value("E92000001", 2025, "stock", "all"), 638745.0);
}

TEST(CalibratePanel, BreakdownsAreParsedIntoComponentsInOneOrder) {
    std::string why;
    const std::optional<Breakdown> fine = Breakdown::parse("placement:special_maintained|age:7|need:ASD", why);
    ASSERT_TRUE(fine) << why;
    EXPECT_EQ(fine->text(), "age:7|need:ASD|placement:special_maintained");
    ASSERT_EQ(fine->parts().size(), 3u);
    EXPECT_EQ(fine->value_of("need"), "ASD");
    EXPECT_EQ(fine->value_of("placement"), "special_maintained");
    EXPECT_FALSE(fine->value_of("phase"));
    EXPECT_TRUE(Breakdown::parse("all", why)->is_all());
    for (const char* bad : {"", "age", "age:", ":7", "age:7|age:8", "all|age:7", "Age:7", "age:7 |need:ASD",
                            "need:A,B"})
        EXPECT_FALSE(Breakdown::parse(bad, why)) << bad;
    EXPECT_EQ(parse_age("7")->lo, 7);
    EXPECT_EQ(parse_age("20-25")->hi, 25);
    EXPECT_FALSE(parse_age("unknown"));
    EXPECT_FALSE(parse_age("10-5"));
}

TEST(CalibratePanel, FinerBreakdownsOfAnAuthoritysOwnDataRead) {
    const Panel panel = Panel::read_text(header +
                                             "X1,Mine,2024,stock,need:ASD|age:7|placement:special_maintained,12\n"
                                             "X1,Mine,2024,stock,all,40\n",
                                         "mine.csv");
    EXPECT_EQ(panel.value("X1", 2024, "stock", "age:7|need:ASD|placement:special_maintained"), 12.0);
    // The same cell written in another order is a repeat.
    const std::string repeat = problems_of(header + "X1,Mine,2024,stock,need:ASD|age:7,1\n"
                                                    "X1,Mine,2024,stock,age:7|need:ASD,2\n");
    EXPECT_NE(repeat.find("mine.csv:3:"), std::string::npos) << repeat;
    EXPECT_NE(repeat.find("the first is on line 2"), std::string::npos) << repeat;
}

TEST(CalibratePanel, AFileFromExcelReads) {
    // UTF-8 byte-order mark, CRLF line ends, quoted fields, empty cells after the last
    // column, a blank line at the end.
    const std::string text = "\xEF\xBB\xBFla_code,la_name,year,measure,breakdown,value\r\n"
                             "E06000019,\"Herefordshire, County of\",2024,stock,all,\"1500\"\r\n"
                             "E06000019,\"Herefordshire, County of\",2023,stock,all,1400,,\r\n\r\n";
    const Panel panel = Panel::read_text(text, "excel.csv");
    EXPECT_EQ(panel.size(), 2u);
    EXPECT_EQ(panel.value("E06000019", 2024, "stock", "all"), 1500.0);
}

TEST(CalibratePanel, ProblemsAreLocatedByFileLineColumnAndKey) {
    struct Case {
        std::string text;
        std::string expected;  // a part of the message
    };
    const std::vector<Case> cases = {
        {header + "E1,A,20x4,stock,all,5\n", "mine.csv:2:6: year: expected a year"},
        {header + "E1,A,2024,Stock,all,5\n", "mine.csv:2:11: measure: expected a measure name"},
        {header + "E1,A,2024,stock,age7,5\n", "mine.csv:2:17: breakdown: expected 'all' or parts"},
        {header + "E1,A,2024,stock,all,-5\n", "mine.csv:2:21: value: expected a non-negative count"},
        {header + "E1,A,2024,stock,all,x\n", "mine.csv:2:21: value: no value ('x'): a suppressed"},
        {header + "E1,A,2024,stock,all,\n", "a suppressed or unpublished cell is an absent row"},
        {header + "E1,A,2024,stock,all,\"1,500\"\n", "without a thousands separator"},
        {header + "E1,A,2024,stock,all,5\nE1,A,2024,stock,all,6\n",
         "mine.csv:3:21: value: a second value for E1, 2024, stock, all (the first is on line 2)"},
        {header + "E1,A,2024,stock,all,5\nE1,B,2023,stock,all,6\n",
         "mine.csv:3:4: la_name: the authority E1 is named 'B' here but 'A' on line 2"},
        {header + "E1,Bristol, City of,2024,stock,all,5\n", "mine.csv:2: expected 6 fields"},
        {header + "E1,\"A,2024,stock,all,5\n", "mine.csv:2:4: the quote that opens this field is never closed"},
        {header + "E1,A\"b,2024,stock,all,5\n", "mine.csv:2:5: a quote inside an unquoted field"},
        {"la_code;la_name;year;measure;breakdown;value\nE1;A;2024;stock;all;5\n", "separated by semicolons"},
        {"LA_CODE,LA_NAME,YEAR,MEASURE,BREAKDOWN,VALUE\n", "(column names are lower case)"},
        {"", "the file is empty"},
        {header, "the panel has a header but no rows"},
        {std::string("PK\x03\x04\x14\x00", 6) + "rest of a workbook", "an Excel .xlsx"},
        {"\xD0\xCF\x11\xE0 old workbook", "Excel 97-2003 workbook"},
        {"\xFF\xFEl\0a\0", "UTF-16"},
    };
    for (const Case& c : cases) {
        const std::string message = problems_of(c.text);
        EXPECT_NE(message.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in:\n" << message;
    }
}

TEST(CalibratePanel, EveryProblemIsListedUpToACap) {
    std::string text = header;
    for (int i = 0; i < 30; ++i) text += "E1,A,bad,stock,all,5\n";
    const std::string message = problems_of(text);
    EXPECT_NE(message.find("mine.csv:2:6"), std::string::npos);
    EXPECT_NE(message.find("mine.csv:21:6"), std::string::npos);
    EXPECT_EQ(message.find("mine.csv:22:6"), std::string::npos);  // 20 listed
    EXPECT_NE(message.find("more problems not listed"), std::string::npos);
}

TEST(CalibratePanel, AFileThatCannotBeReadIsNamed) {
    try {
        Panel::read_file(source_path("data/sen2_la/no-such-panel.csv"));
        FAIL() << "a missing file was read";
    } catch (const ScenarioError& e) {
        EXPECT_NE(std::string(e.what()).find("no-such-panel.csv: cannot read the panel file"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("there is no such file"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Panel::read_file(source_path("data/sen2_la")), ScenarioError);  // a directory
}

TEST(CalibratePanel, TheCutKeepsStocksToTheOriginAndFlowsToTheYearBefore) {
    const Panel panel = Panel::read_text(header +
                                             "E1,A,2020,stock,all,100\n"
                                             "E1,A,2021,stock,all,110\n"
                                             "E1,A,2022,stock,all,120\n"
                                             "E1,A,2019,new_plans,all,20\n"
                                             "E1,A,2020,new_plans,all,21\n"
                                             "E1,A,2021,new_plans,all,22\n"
                                             "E2,B,2022,stock,all,50\n"
                                             "E2,B,2021,requests,all,9\n",
                                         "mine.csv");
    const Panel cut = panel.cut_after(2021);
    EXPECT_EQ(cut.cut_origin(), 2021);
    EXPECT_FALSE(panel.cut_origin());
    // The January 2021 census is the last used; calendar 2021 flows are after it.
    EXPECT_EQ(cut.series("E1", "stock", "all"), (Series{{2020, 100}, {2021, 110}}));
    EXPECT_EQ(cut.series("E1", "new_plans", "all"), (Series{{2019, 20}, {2020, 21}}));
    EXPECT_EQ(cut.size(), 4u);
    // An authority with nothing visible at the origin is not in the cut.
    EXPECT_FALSE(cut.has_authority("E2"));
    EXPECT_EQ(cut.cut_after(2022).cut_origin(), 2021);  // cutting again never reveals more
}

TEST(CalibratePanel, TheShippedPanelCutHasNothingAfterTheOrigin) {
    const Panel panel = Panel::read_file(source_path("data/sen2_la/panel.csv"));
    for (int origin : {2012, 2018, 2023}) {
        const Panel cut = panel.cut_after(origin);
        EXPECT_EQ(cut.years(Dating::census)->last, origin);
        EXPECT_EQ(cut.years(Dating::in_year)->last, origin - 1);
        EXPECT_LT(cut.size(), panel.size());
    }
}

TEST(CalibratePanel, TheShippedPanelTravelsWithTheBinary) {
    // The build copies data/ beside the binary; the source tree is not looked at.
    unsetenv("EHCPSIM_DATA_DIR");
    const std::filesystem::path bin = std::filesystem::path(EHCPSIM_BINARY).parent_path();
    EXPECT_EQ(shipped_panel_candidates(EHCPSIM_BINARY),
              (std::vector<std::string>{(bin / "data/sen2_la/panel.csv").string(),
                                        (bin.parent_path() / "share/ehcpsim/data/sen2_la/panel.csv").string()}));
    const std::string found = find_shipped_panel(EHCPSIM_BINARY);
    EXPECT_EQ(found, (bin / "data/sen2_la/panel.csv").string());
    std::ifstream copy(found, std::ios::binary), source(source_path("data/sen2_la/panel.csv"), std::ios::binary);
    std::stringstream a, b;
    a << copy.rdbuf();
    b << source.rdbuf();
    EXPECT_EQ(a.str(), b.str());
    // $EHCPSIM_DATA_DIR is the only place looked at when set; a place without the panel is named.
    setenv("EHCPSIM_DATA_DIR", "/nonexistent-ehcpsim-data", 1);
    try {
        find_shipped_panel(EHCPSIM_BINARY);
        FAIL() << "found a panel in a directory that does not exist";
    } catch (const ScenarioError& e) {
        EXPECT_NE(std::string(e.what()).find("looked for /nonexistent-ehcpsim-data/sen2_la/panel.csv)"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("--panel FILE"), std::string::npos) << e.what();
    }
    unsetenv("EHCPSIM_DATA_DIR");
}

}  // namespace
}  // namespace ehcpsim::calibrate
