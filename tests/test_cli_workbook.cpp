// `ehcpsim summary --xlsx` (the workbook, workbook.h) end to end: a real run
// of the small scenario, its workbook read back with openpyxl (Debian
// python3-openpyxl) and every number-bearing cell of every sheet compared
// with the summary's own CSV of that view, to 16 significant digits (what
// libxlsxwriter writes: far inside a penny); and the
// labels the scenario gives shown in place of the names; the
// refusals: a flag that cannot go with --xlsx, a file that cannot be written.
// The run has --lever-worth, so the workbook has each lever's worth too,
// checked against `summary --levers --format csv`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "test_support.h"

namespace ehcpsim {
namespace {

using testing::CommandResult;
using testing::small_scenario;
using testing::TempDir;

const char* const python = "/usr/bin/python3";

bool have_openpyxl() {
    static const bool ok =
        testing::run_shell(std::string(python) + " -c 'import openpyxl'").code == 0;
    return ok;
}

// Compares each sheet with the CSV of its view: sheet columns in order, each
// named by its CSV column ("" for a column only the sheet has). Numbers must
// agree to 1e-15 relative, text equal, an empty CSV field an empty cell; the row
// counts must agree. Prints what it checked.
const char* const compare_script = R"(
import csv, math, sys
import openpyxl

directory = sys.argv[1]
book = openpyxl.load_workbook(directory + "/run.xlsx")
sheets = {
    "Headline": ("dbv.csv", ["bound", "variant", "compare_to", "level", "mean", "p5", "p50", "p95",
                             "deterministic", "variance_reduction"]),
    "Quantiles": ("series.csv", ["variant", "metric", "", "year", "", "mean", "p5", "p10", "p25", "p50", "p75",
                                 "p90", "p95"]),
    "DSG plan": ("dsg.csv", ["variant", "level", "compare_to", "financial_year", "year", "line", "mean", "p5",
                             "p10", "p25", "p50", "p75", "p90", "p95", "deterministic"]),
    "SCAP": ("scap.csv", ["variant", "year", "", "phase", "mean", "p50", "p80", "p95"]),
    "Places": ("places.csv", ["variant", "placement", "phase", "overflow_to", "year", "", "capacity", "demand_mean",
                              "demand_p5", "demand_p10", "demand_p25", "demand_p50", "demand_p75", "demand_p90",
                              "demand_p95", "needed_p50", "needed_p80", "needed_p95", "p_shortfall",
                              "overflow_mean", "overflow_extra_spend", "first_year_shortfall_likely"]),
    "Drivers": ("drivers.csv", ["variant", "output", "year", "rank", "parameter", "srrc", "share", "r2"]),
    "Exceedance": ("exceedance.csv", ["variant", "year", "threshold", "probability"]),
}
assert book.sheetnames == ["Headline", "Lever worth", "Quantiles", "DSG plan", "DSG financial summary",
                           "DSG CYP by placement", "SCAP", "Places", "Drivers", "Exceedance", "Provenance"], \
    book.sheetnames
provenance = {row[0].value: row[1].value for row in book["Provenance"].iter_rows(min_row=3) if row[0].value}
# The sheets show labels where the CSV has names: variants (from the provenance sheet) and the one labelled parameter.
labels = {key[len("variant "):]: value.split(";")[0] for key, value in provenance.items() if key.startswith("variant ")}
assert labels["lower"] == "Lower bound, unmitigated" and labels["target"] == "Mitigations at target", labels
assert labels["upper"] == "upper", labels
labels["money.unit_cost.independent"] = "Unit cost of independent places"
relabelled = {}
checked = 0
for name, (csv_name, columns) in sheets.items():
    sheet = book[name]
    header = [cell.value for cell in sheet[2]]
    assert len(header) == len(columns), (name, header)
    assert sheet.freeze_panes == "A3", (name, sheet.freeze_panes)
    with open(directory + "/" + csv_name, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert rows, csv_name
    for i, expected in enumerate(rows):
        cells = [cell.value for cell in sheet[i + 3]][:len(columns)]
        cells += [None] * (len(columns) - len(cells))
        for column, value in zip(columns, cells):
            if not column:
                continue
            want = expected[column]
            if want == "":
                assert value is None, (name, i, column, value)
            elif isinstance(value, str):
                if column in ("variant", "compare_to", "bound", "parameter") and want in labels:
                    relabelled[column] = relabelled.get(column, 0) + 1
                    want = labels[want]
                assert value == want, (name, i, column, value, want)
            else:
                assert value is not None, (name, i, column, want)
                # libxlsxwriter writes 16 significant digits (%.16G; Excel shows 15), the CSV 17:
                # equal to 1e-15 relative is well inside a penny for any amount below 10^12 pounds.
                assert math.isclose(float(value), float(want), rel_tol=1e-15, abs_tol=0), \
                    (name, i, column, repr(value), want)
                checked += 1
    after = sheet.cell(row=len(rows) + 3, column=1).value
    assert after is None, (name, "more rows than the CSV", after)
    money = {"Headline": "mean", "DSG plan": "mean", "Exceedance": "threshold"}
    if name in money:
        cell = sheet.cell(row=3, column=columns.index(money[name]) + 1)
        assert cell.number_format == "\u00a3#,##0", (name, cell.number_format)
assert set(relabelled) == {"variant", "compare_to", "bound", "parameter"}, relabelled
# Each lever's worth (a run with --lever-worth): the sheet is wide (alone, share, per cent; mean P10 P50 P90),
# the CSV long (one line per measure and units).
with open(directory + "/levers.csv", newline="") as stream:
    long = {(r["variant"], r["lever"], r["measure"], r["units"]): r for r in csv.DictReader(stream)}
sheet = book["Lever worth"]
assert [c.value for c in sheet[2]][:4] == ["variant", "compared with", "lever", "alone mean"], [c.value for c in sheet[2]]
names = {label: name for name, label in labels.items()}
levers = 0
for row in sheet.iter_rows(min_row=3):
    if row[0].value is None:
        break
    variant, lever = names.get(row[0].value, row[0].value), row[2].value
    blocks = [("opportunity", "GBP", 7), (None, None, 11)] if lever.startswith("total") else \
             [("alone", "GBP", 3), ("share", "GBP", 7), ("share", "percent", 11)]
    for measure, units, first in blocks:
        if measure is None:
            assert row[first].value == 100.0, (lever, row[first].value)
            continue
        want = long[(variant, "" if lever.startswith("total") else lever, measure, units)]
        for offset, stat in enumerate(["mean", "p10", "p50", "p90"]):
            value = row[first + offset].value
            if want[stat] in ("", "nan"):
                assert value is None, (lever, measure, stat, value)
            else:
                assert math.isclose(float(value), float(want[stat]), rel_tol=1e-15, abs_tol=1e-9), \
                    (variant, lever, measure, units, stat, value, want[stat])
                checked += 1
    levers += 1
assert levers >= 2, levers
# The DSG plan in the template's shape: each stacked table's cells against `--dsg-plan --format csv`
# (table, label_1, label_2, column, value).
with open(directory + "/dsgplan.csv", newline="") as stream:
    plan = {(r["table"], r["label_1"], r["label_2"], r["column"]): r["value"] for r in csv.DictReader(stream)}
plan_cells = 0
for name in ("DSG financial summary", "DSG CYP by placement"):
    sheet = book[name]
    kind = sheet.cell(row=1, column=1).value
    header = [c.value for c in sheet[2]]
    labels_n = 2 if header[2] == "statistic" else 1
    for row in sheet.iter_rows(min_row=3):
        if row[0].value is None:
            break
        title = kind + ": " + row[0].value
        keys = [c.value for c in row[1:1 + labels_n]] + [""] * (2 - labels_n)
        for column, cell in zip(header[1 + labels_n:], row[1 + labels_n:]):
            want = plan[(title, keys[0], keys[1], column)]
            if want in ("", "nan"):
                assert cell.value is None, (name, title, keys, column, cell.value)
            else:
                assert math.isclose(float(cell.value), float(want), rel_tol=1e-15), (name, title, keys, column, cell.value, want)
                plan_cells += 1
assert plan_cells > 50, plan_cells
checked += plan_cells
assert provenance["scenario"] == "Small test authority", provenance
assert provenance["seed"] == sys.argv[2] and provenance["replicates"] == "120", provenance
assert provenance["ensemble file"] == "run.h5", provenance
print("checked", checked, "numbers")
)";

// The small scenario with labels on two variants and one parameter.
std::string labelled_small(const TempDir& dir) {
    namespace fs = std::filesystem;
    const fs::path from = fs::path(small_scenario()).parent_path();
    for (const char* name : {"stock.csv", "population.csv"}) fs::copy_file(from / name, dir / name);
    std::ifstream in(small_scenario());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto after = [&text](const std::string& line, const std::string& added) {
        const auto at = text.find(line + "\n");
        if (at == std::string::npos) throw std::logic_error("no line '" + line + "' in small.toml");
        text.insert(at + line.size() + 1, added + "\n");
    };
    after("name = \"Small test authority\"", "baseline_label = \"Lower bound, unmitigated\"");
    after("level = \"target\"", "label = \"Mitigations at target\"");
    text += "\n[labels]\n\"money.unit_cost.independent\" = \"Unit cost of independent places\"\n";
    std::ofstream(dir / "small.toml") << text;
    return dir / "small.toml";
}

TEST(Workbook, EverySheetAgreesWithTheSummaryCsv) {
    if (!have_openpyxl()) GTEST_SKIP() << python << " with openpyxl is not installed";
    TempDir dir;
    const std::string run = dir / "run.h5";
    const CommandResult ran =
        testing::run_ehcpsim("run " + labelled_small(dir) + " -n 120 --seed 77 --lever-worth -q -o " + run);
    ASSERT_EQ(ran.code, 0) << ran.output;
    const CommandResult wrote = testing::run_ehcpsim("summary " + run + " --exceed 1m --exceed 2.5m --xlsx " +
                                                     dir / "run.xlsx");
    ASSERT_EQ(wrote.code, 0) << wrote.output;
    for (const auto& [flags, to] : {std::pair<std::string, std::string>{"--dbv --format csv", "dbv.csv"},
                                    {"--format csv", "series.csv"},
                                    {"--dsg", "dsg.csv"},
                                    {"--scap", "scap.csv"},
                                    {"--places --format csv", "places.csv"},
                                    {"--drivers --format csv", "drivers.csv"},
                                    {"--exceed 1m --exceed 2.5m --format csv", "exceedance.csv"},
                                    {"--levers --format csv", "levers.csv"},
                                    {"--dsg-plan --format csv", "dsgplan.csv"}}) {
        const CommandResult printed = testing::run_shell(std::string(EHCPSIM_BINARY) + " summary " + run + " " +
                                                         flags + " 2>/dev/null >" + dir / to);
        ASSERT_EQ(printed.code, 0) << flags << ": " << printed.output;
    }
    const std::string script = dir / "compare.py";
    std::ofstream(script) << compare_script;
    const CommandResult compared = testing::run_shell(std::string(python) + " " + script + " " + dir / "" + " 77");
    EXPECT_EQ(compared.code, 0) << compared.output;
    EXPECT_NE(compared.output.find("checked"), std::string::npos) << compared.output;
}

TEST(Workbook, RefusesViewFlagsAndUnwritableFilesWithoutLeavingOne) {
    TempDir dir;
    const std::string run = dir / "run.h5";
    ASSERT_EQ(testing::run_ehcpsim("run " + small_scenario() + " -n 20 -q -o " + run).code, 0);
    const CommandResult mixed = testing::run_ehcpsim("summary " + run + " --dbv --xlsx " + dir / "a.xlsx");
    EXPECT_EQ(mixed.code, 2) << mixed.output;
    EXPECT_NE(mixed.output.find("--xlsx"), std::string::npos) << mixed.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "a.xlsx"));
    const std::string unwritable = dir / "no-such-directory/b.xlsx";
    const CommandResult failed = testing::run_ehcpsim("summary " + run + " --xlsx " + unwritable);
    EXPECT_EQ(failed.code, 3) << failed.output;
    EXPECT_NE(failed.output.find(unwritable), std::string::npos) << failed.output;
    EXPECT_FALSE(std::filesystem::exists(unwritable));
}

// A [labels] name no variant draws is a warning at its line (the runner
// checks it once the models are compiled); the run goes on: a label changes
// no number, and a template may label parameters its scenario drops.
TEST(Workbook, ALabelForNoParameterIsALocatedWarning) {
    TempDir dir;
    const std::string scenario = labelled_small(dir);
    std::ofstream(scenario, std::ios::app) << "\"money.unit_cost.independnt\" = \"Typo\"\n";
    const CommandResult ran = testing::run_ehcpsim("run " + scenario + " -n 5 -q -o " + dir / "run.h5");
    EXPECT_EQ(ran.code, 0) << ran.output;
    EXPECT_NE(ran.output.find("warning: " + dir / "small.toml" + ":166:32: labels.money.unit_cost.independnt: "
                                                                "labels names no parameter 'money.unit_cost.independnt'"),
              std::string::npos)
        << ran.output;
}

}  // namespace
}  // namespace ehcpsim
