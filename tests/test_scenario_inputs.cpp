// Inputs as a council analyst actually has them (issue 12, items 9, 11 and
// 15): CSVs as Excel and ONS write them, files that are not CSV at all, and
// magnitudes the engine cannot represent or that are almost surely a slip.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "ehcpsim/scenario.h"
#include "mini_scenario.h"

namespace ehcpsim {
namespace {

const std::string& toml_text = testing::minimal_toml;
const std::string& stock_csv = testing::minimal_stock;
const std::string& pop_csv = testing::minimal_population;

using testing::Loaded;
using testing::load;
using testing::with;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ------------------------------------------------------------ item 9: CSVs as Excel writes them

TEST(CsvInputs, ExcelCsvUtf8WithBomQuotesSeparatorsCrlfAndTrailingRowsLoads) {
    const std::string bom = "\xEF\xBB\xBF";
    const std::string stock = bom + "age,need,placement,count\r\n1,\"A\",ms,3\r\n\"2\",B,\"sp\",\"1,204\"\r\n,,,\r\n,,,\r\n";
    const std::string pop = bom + "\"year\",\"age\",\"population\"\r\n2020,0,\"8,700.0\"\r\n2020,1,\"1,100.5\"\r\n"
                                  "2020,2,100\r\n2020,3,\"100\"\r\n,,\r\n\r\n";
    const Loaded loaded = load(toml_text, {{"stock.csv", stock}, {"pop.csv", pop}});
    ASSERT_TRUE(loaded.set) << loaded.error;
    const Scenario& s = loaded.set->variants[0];
    EXPECT_EQ(s.stock[s.dims.cell(1, 0, 0)], 3);
    EXPECT_EQ(s.stock[s.dims.cell(2, 1, 1)], 1204);
    EXPECT_EQ(s.population.at(2020)[0], 8700.0);
    EXPECT_EQ(s.population.at(2020)[1], 1100.5);
}

TEST(CsvInputs, AQuotedFieldMayHoldCommasAndDoubledQuotes) {
    // A need name cannot hold a comma, so the message must show the whole field.
    const Loaded loaded =
        load(toml_text, {{"stock.csv", "age,need,placement,count\n1,\"A, \"\"B\"\"\",ms,3\n"}});
    ASSERT_FALSE(loaded.set);
    EXPECT_TRUE(contains(loaded.error, "dir/stock.csv:2:3: need: unknown need 'A, \"B\"'")) << loaded.error;
}

TEST(CsvInputs, QuotingMistakesAreNamedWithLineAndColumn) {
    const Loaded unclosed = load(toml_text, {{"stock.csv", "age,need,placement,count\n1,A,ms,3\n2,\"B,sp,4\n"}});
    ASSERT_FALSE(unclosed.set);
    EXPECT_TRUE(contains(unclosed.error, "dir/stock.csv:3:3: the quote that opens this field is never closed"))
        << unclosed.error;
    const Loaded inside = load(toml_text, {{"stock.csv", "age,need,placement,count\n1,A\"x,ms,3\n"}});
    ASSERT_FALSE(inside.set);
    EXPECT_TRUE(contains(inside.error, "dir/stock.csv:2:4: a quote inside an unquoted field")) << inside.error;
    const Loaded after = load(toml_text, {{"stock.csv", "age,need,placement,count\n1,\"A\"x,ms,3\n"}});
    ASSERT_FALSE(after.set);
    EXPECT_TRUE(contains(after.error, "dir/stock.csv:2:6: unexpected text after the closing quote")) << after.error;
}

TEST(CsvInputs, SeparatorMistakesSayWhatIsWrong) {
    const Loaded grouping = load(toml_text, {{"pop.csv", with(pop_csv, "2020,1,100", "2020,1,\"1,00.5\"")}});
    ASSERT_FALSE(grouping.set);
    EXPECT_TRUE(contains(grouping.error, "dir/pop.csv:3:8: population: expected a number, found '1,00.5': its commas "
                                         "are not thousands separators"))
        << grouping.error;
    const Loaded decimal_comma = load(toml_text, {{"pop.csv", with(pop_csv, "2020,1,100", "2020,1,\"100,5\"")}});
    ASSERT_FALSE(decimal_comma.set);
    EXPECT_TRUE(contains(decimal_comma.error, "are not thousands separators")) << decimal_comma.error;
    const Loaded unquoted = load(toml_text, {{"pop.csv", with(pop_csv, "2020,1,100", "2020,1,8,700")}});
    ASSERT_FALSE(unquoted.set);
    EXPECT_TRUE(contains(unquoted.error, "dir/pop.csv:3: expected 3 fields (year,age,population), found 4; a number "
                                         "with a thousands separator (8,700) must be quoted"))
        << unquoted.error;
}

TEST(CsvInputs, ABomIsNoLongerAHeaderMismatch) {
    const Loaded loaded = load(toml_text, {{"stock.csv", "\xEF\xBB\xBF" + stock_csv}});
    ASSERT_TRUE(loaded.set) << loaded.error;
    // A header that really is wrong still shows what was found, without the BOM.
    const Loaded wrong = load(toml_text, {{"stock.csv", "\xEF\xBB\xBF" "age,need,place,count\n"}});
    ASSERT_FALSE(wrong.set);
    EXPECT_TRUE(contains(wrong.error, "expected the header 'age,need,placement,count', found 'age,need,place,count'"))
        << wrong.error;
}

TEST(CsvInputs, AWrongHeaderIsShownWithItsEmptyFields) {
    // Excel's leading empty columns are part of what was found: ",,age,..."
    // was shown as "age,..." before the panel and the scenario shared a reader.
    const Loaded wrong = load(toml_text, {{"stock.csv", ",,age,need\n"}});
    ASSERT_FALSE(wrong.set);
    EXPECT_TRUE(contains(wrong.error, "dir/stock.csv:1:1: expected the header 'age,need,placement,count', found "
                                      "',,age,need'"))
        << wrong.error;
}

// Every byte of a string literal, embedded NULs included (its length counted
// by the compiler, never by hand).
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
    return std::string(literal, N - 1);
}

TEST(CsvInputs, BinaryFilesAreNamedNeverEchoed) {
    const std::string xlsx = bytes("PK\x03\x04\x14\x00\x06\x00\x08\x00") + "[Content_Types].xml\x01\x02";
    const std::string utf16 = bytes("\xFF\xFE" "a\0g\0e\0,\0");
    const std::string nul = bytes("age,need\0\0\x01,placement");
    const std::string xls = bytes("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    for (const auto& [text, what] : std::vector<std::pair<std::string, std::string>>{
             {xlsx, "a zip archive (an Excel .xlsx"},
             {utf16, "UTF-16 text"},
             {nul, "binary, not CSV text (a NUL byte at offset 8"},
             {xls, "an Excel 97-2003 workbook (.xls)"}}) {
        const Loaded loaded = load(toml_text, {{"stock.csv", text}});
        ASSERT_FALSE(loaded.set);
        EXPECT_TRUE(contains(loaded.error, "dir/stock.csv: this file is " + what)) << loaded.error;
        for (char c : loaded.error)
            EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << "raw control byte in: " << loaded.error;
    }
}

TEST(CsvInputs, ControlBytesInAFieldAreEscapedInMessages) {
    const Loaded loaded = load(toml_text, {{"stock.csv", "age,need,placement,count\n1,A\x1b[2J,ms,3\n"}});
    ASSERT_FALSE(loaded.set);
    EXPECT_TRUE(contains(loaded.error, "unknown need 'A\\x1b[2J'")) << loaded.error;
}

TEST(CsvInputs, OnsOpenAgeGroupIsIgnoredAboveMaxAgeAndRefusedWithin) {
    const Loaded above = load(toml_text, {{"pop.csv", pop_csv + "2020,90+,1200\n2020,90 and over,1200\n"}});
    ASSERT_TRUE(above.set) << above.error;
    ASSERT_EQ(above.set->notes.size(), 1u);
    EXPECT_TRUE(contains(above.set->notes[0], "2 row(s) for ages outside")) << above.set->notes[0];
    const Loaded within = load(toml_text, {{"pop.csv", with(pop_csv, "2020,3,100", "2020,3+,100")}});
    ASSERT_FALSE(within.set);
    EXPECT_TRUE(contains(within.error, "dir/pop.csv:5:6: age: age '3+' is a group of every age from 3 up, but "
                                       "max_age is 3"))
        << within.error;
}

TEST(CsvInputs, PopulationInTheWideLayoutAgesAsColumns) {
    const std::string wide = "year,0,1,2,3,90+\n2020,\"1,000\",100,100,100,5\n2022,50,50,50,50.5,5\n";
    const Loaded loaded = load(toml_text, {{"pop.csv", wide}});
    ASSERT_TRUE(loaded.set) << loaded.error;
    const auto& population = loaded.set->variants[0].population;
    EXPECT_EQ(population.at(2020)[0], 1000.0);
    EXPECT_EQ(population.at(2021)[3], 100.0);
    EXPECT_EQ(population.at(2022)[3], 50.5);
    const Loaded bad = load(toml_text, {{"pop.csv", "year,0,1,2,3\n2020,100,100,x,100\n"}});
    ASSERT_FALSE(bad.set);
    EXPECT_TRUE(contains(bad.error, "dir/pop.csv:2:14: population: expected a non-negative number, found 'x'"))
        << bad.error;
}

// ------------------------------------------------------------ items 11 and 15: magnitudes

TEST(Magnitudes, CountsBeyondWhatTheEngineRepresentsAreRefused) {
    // 2^63 - 1: parsed as an int64 it passed validation, and the run went negative.
    const Loaded huge = load(toml_text, {{"stock.csv", "age,need,placement,count\n1,A,ms,9223372036854775807\n"}});
    ASSERT_FALSE(huge.set);
    EXPECT_TRUE(contains(huge.error, "dir/stock.csv:2:8: count: count 9223372036854775807 is above 2^40")) << huge.error;
    // Beyond int64: was "not an integer"; now says why.
    const Loaded beyond = load(toml_text, {{"stock.csv", "age,need,placement,count\n1,A,ms,1e30\n"}});
    ASSERT_FALSE(beyond.set);
    EXPECT_TRUE(contains(beyond.error, "count '1e30' is above 2^40")) << beyond.error;
    // Each cell within the bound, their total not.
    const Loaded total = load(toml_text, {{"stock.csv", "age,need,placement,count\n1,A,ms,1000000000000\n"
                                                         "2,A,ms,1000000000000\n"}});
    ASSERT_FALSE(total.set);
    EXPECT_TRUE(contains(total.error, "the stock adds up to 2e+12 plans, above 2^40")) << total.error;
    const Loaded residents = load(toml_text, {{"pop.csv", with(pop_csv, "2020,1,100", "2020,1,1e13")}});
    ASSERT_FALSE(residents.set);
    EXPECT_TRUE(contains(residents.error, "dir/pop.csv:3:8: population: population 1e13 is above 2^40"))
        << residents.error;
}

TEST(Magnitudes, LikelySlipsWarnNameTheKeyAndTheRunGoesOn) {
    std::string slips = with(toml_text, "unit_cost = { ms = 8000, sp = 20000 }", "unit_cost = { ms = 80, sp = 2.0e7 }");
    slips = with(slips, "request_rate = 0.01", "request_rate = 2.5");
    const Loaded refused = load(slips);
    ASSERT_FALSE(refused.set);  // a rate of 2.5 is outside [0, 1]: an error, not a warning
    slips = with(slips, "request_rate = 2.5", "request_rate = { young = 0.3, old = 0.01 }");
    slips += "cost_inflation = { default = 3 }\nother = { spend = 1.0e5, growth = 0.02 }\n";
    const Loaded loaded = load(slips);
    ASSERT_TRUE(loaded.set) << loaded.error;
    const std::vector<std::string>& w = loaded.set->warnings;
    ASSERT_EQ(w.size(), 4u) << ::testing::PrintToString(w);
    const auto has = [&](const std::string& part) {
        return std::any_of(w.begin(), w.end(), [&](const std::string& x) { return contains(x, part); });
    };
    EXPECT_TRUE(has("dir/mini.toml:30:20: money.unit_cost.ms: a unit cost of GBP 80 a year per plan is under GBP 1,000"));
    EXPECT_TRUE(has("money.unit_cost.sp: a unit cost of GBP 2e+07 a year per plan is over GBP 1m"));
    EXPECT_TRUE(has("demand.request_rate.young: a request rate of 0.3 a year"));
    EXPECT_TRUE(has("money.cost_inflation.default: a rate of 3 a year (300%) is above 0.5: was a percentage"));
    // The plausible minimal scenario has none.
    EXPECT_TRUE(load(toml_text).set->warnings.empty());
}

TEST(Magnitudes, AMixInPercentSaysSo) {
    const Loaded loaded = load(with(toml_text, "need_mix.default = { A = 0.5, B = 0.5 }", "need_mix.default = { A = 45, B = 55 }"));
    ASSERT_FALSE(loaded.set);
    EXPECT_TRUE(contains(loaded.error, "demand.need_mix.default: the weights sum to 100: they look like percentages"))
        << loaded.error;
}

}  // namespace
}  // namespace ehcpsim
