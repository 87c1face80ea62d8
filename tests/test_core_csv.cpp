// The shared CSV reader (ehcpsim/csv.h): what each Conventions switch changes,
// so the scenario's tables and the SEN2 panel, which differ only there, keep
// their own behaviour. Their full messages are tested with each reader
// (test_scenario_inputs.cpp, test_calibrate_panel.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ehcpsim/csv.h"

namespace ehcpsim {
namespace {

struct Read {
    std::vector<csv::Row> rows;
    std::vector<std::string> problems;  // "line:column: message"
    bool header = false;
};

Read read(const std::string& text, const csv::Conventions& conventions) {
    Read out;
    csv::Table table(text, {"a", "b"}, conventions, [&out](int line, int column, const std::string& message) {
        out.problems.push_back(std::to_string(line) + ":" + std::to_string(column) + ": " + message);
    });
    out.header = table.read_header().has_value();
    while (std::optional<csv::Row> row = table.next()) out.rows.push_back(std::move(*row));
    return out;
}

TEST(CoreCsv, ExcelHabitsAreReadAlike) {
    const Read r = read("\xEF\xBB\xBF" "a,b\r\n \"x, \"\"y\"\"\" ,2\r\n,\r\n\r3,\"multi\nline\"\n", {});
    ASSERT_TRUE(r.header);
    ASSERT_TRUE(r.problems.empty()) << r.problems.front();
    ASSERT_EQ(r.rows.size(), 2u);
    EXPECT_EQ(r.rows[0].line, 2);
    EXPECT_EQ(r.rows[0].fields[0].text, "x, \"y\"");
    EXPECT_EQ(r.rows[0].fields[0].column, 2);
    EXPECT_TRUE(r.rows[0].fields[0].quoted);
    EXPECT_EQ(r.rows[1].line, 5);  // CRLF, CRLF, then a lone CR: each ends one line
    EXPECT_EQ(r.rows[1].fields[1].text, "multi\nline");
}

TEST(CoreCsv, CommentsOnlyWhenAsked) {
    const std::string text = "# note\na,b\n#x,1\n";
    const Read plain = read(text, {});
    EXPECT_FALSE(plain.header);
    ASSERT_EQ(plain.problems.size(), 1u);
    EXPECT_EQ(plain.problems[0], "1:1: expected the header 'a,b', found '# note'");
    csv::Conventions comments;
    comments.comments = true;
    const Read skipped = read(text, comments);
    EXPECT_TRUE(skipped.header);
    EXPECT_TRUE(skipped.rows.empty());
    EXPECT_TRUE(skipped.problems.empty());
}

TEST(CoreCsv, TrailingEmptyFieldsDroppedOnlyWhenAsked) {
    const std::string text = "a,b,,\n1,2,,\n1,2,,x\n";
    const Read plain = read(text, {});
    EXPECT_FALSE(plain.header);
    csv::Conventions drop;
    drop.drop_trailing_empty_fields = true;
    drop.too_many_fields_hint = "; too many";
    const Read dropped = read(text, drop);
    ASSERT_TRUE(dropped.header);
    ASSERT_EQ(dropped.rows.size(), 1u);
    EXPECT_EQ(dropped.rows[0].fields.size(), 2u);
    ASSERT_EQ(dropped.problems.size(), 1u);
    EXPECT_EQ(dropped.problems[0], "3:0: expected 2 fields (a,b), found 4; too many");
}

TEST(CoreCsv, SeparatorHintsOnlyWhenAsked) {
    const std::string text = "a;b\n1;2\n";
    const Read plain = read(text, {});
    ASSERT_EQ(plain.problems.size(), 1u);
    EXPECT_EQ(plain.problems[0], "1:1: expected the header 'a,b', found 'a;b'");
    csv::Conventions hints;
    hints.separator_hints_for = "the table";
    EXPECT_NE(read(text, hints).problems.at(0).find("found 'a;b': its fields are separated by semicolons"),
              std::string::npos);
    EXPECT_EQ(read("a\tb\n", hints).problems.at(0),
              "1:1: expected the header 'a,b', found 'a\\x09b': its fields are separated by tabs; the table is "
              "comma-separated CSV");
    EXPECT_EQ(read("A,B\n", hints).problems.at(0), "1:1: expected the header 'a,b', found 'A,B' (column names are "
                                                   "lower case)");
}

TEST(CoreCsv, NotTextIsNamedNeverEchoed) {
    const std::string nul("a,b\0", 4);
    EXPECT_EQ(read(nul, {}).problems.at(0),
              "0:0: this file is binary, not CSV text (a NUL byte at offset 3): save it as 'CSV UTF-8 (Comma "
              "delimited)'");
    csv::Conventions utf16;
    utf16.nul_may_be_utf16 = true;
    EXPECT_EQ(read(nul, utf16).problems.at(0),
              "0:0: this file is binary, not CSV text (a NUL byte at offset 3; UTF-16 text without a byte-order mark "
              "looks like this too): save it as 'CSV UTF-8 (Comma delimited)'");
    EXPECT_EQ(read("", {}).problems.at(0), "0:0: the file is empty: expected the header 'a,b'");
}

TEST(CoreCsv, MalformedQuotingEndsTheReading) {
    const std::string text = "a,b\n1,\"2\n3,4\n";  // read in place: it must outlive the table
    csv::Table table(text, {"a", "b"}, {}, [](int, int, const std::string&) {});
    ASSERT_TRUE(table.read_header());
    EXPECT_FALSE(table.next());
    EXPECT_TRUE(table.failed());
}

}  // namespace
}  // namespace ehcpsim
