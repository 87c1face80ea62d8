// `ehcpsim report` (scripts/report.py, docs/report.md) end to end: a real run
// of the small scenario, the report drawn from it, and every chart, the page
// and the refusals checked from outside.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ehcpsim/version.h"
#include "test_support.h"

namespace ehcpsim {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::small_scenario;
using testing::source_path;
using testing::TempDir;

const char* const python = "/usr/bin/python3";
constexpr int chart_width = 1200, chart_height = 750;  // 8 x 5 in at 150 dpi

CommandResult run(const std::string& arguments) { return testing::run_ehcpsim(arguments); }
CommandResult shell(const std::string& command) { return testing::run_shell(command); }

// The report needs Debian's python3 with matplotlib and h5py. Found, not
// imported (importing matplotlib alone takes a tenth of a second): a module
// that is installed but broken fails the report, and with it the test.
bool have_python() {
    static const bool ok = shell(std::string(python) +
                                 " -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in "
                                 "(\"matplotlib\", \"h5py\", \"numpy\", \"PIL\")))'")
                               .code == 0;
    return ok;
}
#define REQUIRE_PYTHON()                                                                    \
    if (!have_python()) GTEST_SKIP() << python << " with matplotlib and h5py is not installed"

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs Python code (written to a scratch file: no shell quoting) with one argument.
CommandResult run_python(const std::string& code, const std::string& argument) {
    TempDir scratch;
    const std::string path = scratch / "check.py";
    std::ofstream(path) << code;
    return shell(std::string(python) + " " + path + " " + argument);
}

// Width and height from a PNG's IHDR chunk: the 8-byte signature, the chunk
// length and type ("IHDR"), then width and height as big-endian 32-bit
// integers at bytes 16-23.
struct PngSize {
    bool valid = false;
    std::uint32_t width = 0, height = 0;
};
PngSize png_size(const std::string& path) {
    const std::string bytes = slurp(path);
    PngSize size;
    if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || bytes.compare(12, 4, "IHDR") != 0)
        return size;
    auto be32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
        return v;
    };
    size.valid = true;
    size.width = be32(16);
    size.height = be32(20);
    return size;
}

std::set<std::string> files_in(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
    return names;
}

// Every PNG has ink and paper and more than a few grey levels (not blank, not
// one colour); every SVG parses as XML with an <svg> root of 8 x 5 in and no
// date in it. Exit 0, or a line per failure.
CommandResult check_images(const std::string& dir) {
    const std::string code =
        "import sys, glob, os, numpy, xml.etree.ElementTree as ET\n"
        "from PIL import Image\n"
        "bad = []\n"
        "for p in sorted(glob.glob(os.path.join(sys.argv[1], '*.png'))):\n"
        "    im = Image.open(p)  # pixels counted by grey level 0..255 (a third of the time of float arrays)\n"
        "    grey = numpy.asarray(im if im.mode == 'L' else im.convert('L'))\n"
        "    count = numpy.bincount(grey.ravel(), minlength=256)\n"
        "    levels = numpy.flatnonzero(count)  # below, 0..1 as matplotlib.image.imread reads an 8-bit PNG\n"
        "    if len(levels) < 8 or levels[0] / 255 > 0.2 or levels[-1] / 255 < 0.9: bad.append('blank ' + p)\n"
        "    if count[:128].sum() / grey.size < 0.005: bad.append('almost no ink ' + p)  # grey < 0.5\n"
        "for p in sorted(glob.glob(os.path.join(sys.argv[1], '*.svg'))):\n"
        "    root = ET.parse(p).getroot()\n"
        "    if not root.tag.endswith('svg') or root.get('width') != '576pt' or root.get('height') != '360pt':\n"
        "        bad.append('svg root ' + p)\n"
        "    if 'dc:date' in open(p, encoding='utf-8').read(): bad.append('dated ' + p)\n"
        "print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n";
    return run_python(code, dir);
}

// Values of the engine's own summary JSON, each formatted by a Python
// expression over `d` (so the test formats them the way the page must); one
// interpreter for all of them.
std::vector<std::string> from_summary(const std::string& json_path, const std::vector<std::string>& expressions) {
    std::string code = "import json, sys\nd = json.load(open(sys.argv[1]))\n";
    for (const std::string& expression : expressions) code += "print(" + expression + ")\n";
    const CommandResult r = run_python(code, json_path);
    EXPECT_EQ(r.code, 0) << r.output;
    std::vector<std::string> values;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
        while (!line.empty() && line.back() == '\r') line.pop_back();
        values.push_back(line);
    }
    EXPECT_EQ(values.size(), expressions.size()) << r.output;
    values.resize(expressions.size());
    return values;
}

TEST(Report, ChartsAndPageFromARealRun) {
    REQUIRE_PYTHON();
    TempDir dir;
    const std::string file = dir / "small.h5";
    CommandResult r =
        run("run " + small_scenario() + " -n 300 --seed 4242 --variants lower,target,stretch --lever-worth -q -o " +
            file);
    ASSERT_EQ(r.code, 0) << r.output;
    const std::string out = dir / "report";
    r = run("report " + file + " -o " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("index.html"), std::string::npos) << r.output;

    // Exactly the expected charts, each as PNG and SVG, with the page and its manifest.
    std::vector<std::string> stems = {"compare_lower_cumulative_deficit", "compare_lower_spend",
                                      // the horizon (2027-28) and the middle forecast year (2024-25)
                                      "exceedance_2025", "exceedance_2028", "funding_lower"};
    for (const std::string v : {"lower", "target", "stretch"}) {
        for (const std::string m : {"total_stock", "new_plans", "spend", "cumulative_deficit"})
            stems.push_back("fan_" + v + "_" + m);
        stems.push_back("placement_" + v);
        stems.push_back("tornado_" + v + "_cumulative_deficit");
        stems.push_back("tornado_" + v + "_spend");
        stems.push_back("places_" + v + "_special");
    }
    std::set<std::string> expected = {"index.html", "manifest.json", "brief.html", "workbook.xlsx"};
    for (const std::string& s : stems) expected.insert({s + ".png", s + ".svg"});
    EXPECT_EQ(files_in(out), expected);
    for (const std::string& s : stems) {
        const std::string png = out + "/" + s + ".png";
        const PngSize size = png_size(png);
        ASSERT_TRUE(size.valid) << png << " is not a PNG";
        EXPECT_EQ(size.width, static_cast<std::uint32_t>(chart_width)) << png;
        EXPECT_EQ(size.height, static_cast<std::uint32_t>(chart_height)) << png;
        EXPECT_GT(fs::file_size(png), 15000u) << png;
        EXPECT_GT(fs::file_size(out + "/" + s + ".svg"), 15000u) << s;
    }
    r = check_images(out);
    EXPECT_EQ(r.code, 0) << r.output;
    // Nothing left beside the report (the staging directory was renamed into place).
    EXPECT_EQ(files_in(dir / ""), (std::set<std::string>{"small.h5", "report"}));

    // The page: provenance, the engine's DBV numbers as the page formats them,
    // every chart embedded, nothing fetched from elsewhere.
    const std::string html = slurp(out + "/index.html");
    for (const std::string& needle :
         {std::string("Small test authority"), std::string("4242"), std::string("<td>300</td>"),
          std::string("ehcpsim ") + EHCPSIM_VERSION, file, std::string("How to read a fan chart"),
          std::string("Common random numbers"), std::string("Bound: lower"), std::string("2027-28")})
        EXPECT_NE(html.find(needle), std::string::npos) << "index.html lacks " << needle;
    const std::string json = dir / "summary.json";
    ASSERT_EQ(shell(std::string(EHCPSIM_BINARY) + " summary " + file + " --format json --dbv > " + json).code, 0);
    const std::vector<std::string> expressions = {
        "format(d['dbv']['bounds']['lower']['opportunity']['target']['p50'] / 1e6, '.2f')",
        "format(d['dbv']['bounds']['lower']['opportunity']['stretch']['p95'] / 1e6, '.2f')",
        "format(d['dbv']['table']['lower']['cumulative_deficit']['p50'][-1] / 1e6, '.1f')",
        "format(d['dbv']['table']['target']['spend']['deterministic'][-1] / 1e6, '.1f')"};
    const std::vector<std::string> values = from_summary(json, expressions);
    for (std::size_t i = 0; i < expressions.size(); ++i) {
        const std::string cell = "<td class=\"n\">" + values[i] + "</td>";
        EXPECT_NE(html.find(cell), std::string::npos) << "index.html lacks " << cell << " (" << expressions[i] << ")";
    }
    std::size_t embedded = 0;
    for (std::size_t at = html.find("src=\"data:image/png;base64,"); at != std::string::npos;
         at = html.find("src=\"data:image/png;base64,", at + 1))
        ++embedded;
    EXPECT_EQ(embedded, stems.size());
    for (const char* external : {"src=\"http", "href=\"http", "<link", "<script", "url(", "@import"})
        EXPECT_EQ(html.find(external), std::string::npos) << "index.html refers outside itself: " << external;
    EXPECT_EQ(html.find("No tornado chart"), std::string::npos);
    // The DSG plan and SCAP tables: the engine's exports, as the page formats them.
    const std::string exports = dir / "exports.py";
    std::ofstream(exports) << "import csv, subprocess, sys\n"
                              "def rows(flag):\n"
                              "    out = subprocess.run([sys.argv[1], 'summary', sys.argv[2], flag], capture_output=True,"
                              " text=True).stdout\n"
                              "    return list(csv.DictReader(out.splitlines()))\n"
                              "d = [r for r in rows('--dsg') if r['variant'] == 'target' and r['line'] == "
                              "'cumulative_position' and r['year'] == '2027']\n"
                              "s = [r for r in rows('--scap') if r['variant'] == 'lower' and r['phase'] == 'secondary'"
                              " and r['year'] == '2028']\n"
                              "print('%.2f' % (float(d[0]['p50']) / 1e6))\n"
                              "print('{:,.0f}'.format(float(s[0]['p80'])))\n";
    r = shell(std::string(python) + " " + exports + " " + EHCPSIM_BINARY + " " + file);
    ASSERT_EQ(r.code, 0) << r.output;
    std::istringstream cells(r.output);
    for (std::string cell; std::getline(cells, cell);)
        EXPECT_NE(html.find("<td class=\"n\">" + cell + "</td>"), std::string::npos) << "index.html lacks " << cell;
    for (const char* section : {"id=\"dsg\"", "id=\"scap\"", "Cumulative position (surplus +, deficit -)",
                                "href=\"workbook.xlsx\"", "href=\"brief.html\""})
        EXPECT_NE(html.find(section), std::string::npos) << "index.html lacks " << section;

    // The brief: one page of the same numbers in words (£m to one decimal), the baseline's fan
    // chart embedded, nothing fetched from elsewhere, and print rules for one A4 page.
    const std::string brief = slurp(out + "/brief.html");
    const std::vector<std::string> words = from_summary(json, {
        "'£%.1fm' % (d['dbv']['table']['lower']['cumulative_deficit']['p50'][-1] / 1e6)",
        "'£%.1fm' % (abs(d['dbv']['bounds']['lower']['opportunity']['target']['p50']) / 1e6)"});
    for (const std::string& needle : {words[0], words[1], std::string("@page { size: A4"),
                                      std::string("What the mitigations are worth"),
                                      std::string("What drives the uncertainty"), std::string("2027-28")})
        EXPECT_NE(brief.find(needle), std::string::npos) << "brief.html lacks " << needle;
    EXPECT_NE(brief.find("src=\"data:image/png;base64,"), std::string::npos);
    // Each lever's worth (the run had --lever-worth): on the page, target's share medians in £m to two
    // decimals as `summary --levers --format csv` gives them; in the brief, its section and the levers.
    r = shell(std::string(EHCPSIM_BINARY) + " summary " + file + " --levers --format csv | " + python +
              " -c \"import csv,sys\nfor r in csv.DictReader(sys.stdin):\n"
              "    if r['variant'] == 'target' and r['measure'] == 'share' and r['units'] == 'GBP':"
              " print('%.2f' % (float(r['p50']) / 1e6))\"");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(html.find("id=\"levers\""), std::string::npos);
    std::istringstream shares(r.output);
    int share_cells = 0;
    for (std::string cell; std::getline(shares, cell); ++share_cells)
        EXPECT_NE(html.find("<td class=\"n\">" + cell + "</td>"), std::string::npos) << "index.html lacks " << cell;
    EXPECT_EQ(share_cells, 2) << r.output;  // the small scenario's two levers
    for (const char* needle : {"What each lever is worth", "early_help", "resourced_not_special"})
        EXPECT_NE(brief.find(needle), std::string::npos) << "brief.html lacks " << needle;
    for (const char* external : {"src=\"http", "<link", "<script", "url(", "@import"})
        EXPECT_EQ(brief.find(external), std::string::npos) << "brief.html refers outside itself: " << external;
}

// Without "drivers" in the summary (an engine without the analysis) the page
// says so and draws no tornado; --overwrite replaces an earlier report; and
// the charts of one file are the same bytes every time: those of the first
// report (without drivers) are drawn again by the second (with them, so
// other charts share the worker processes) and compared byte for byte.
TEST(Report, WithoutDriversNoTornadoAndChartsAreReproducible) {
    REQUIRE_PYTHON();
    TempDir dir;
    const std::string file = dir / "one.h5";
    CommandResult r = run("run " + small_scenario() + " -n 60 --variants lower -q -o " + file);
    ASSERT_EQ(r.code, 0) << r.output;
    const std::string engine = dir / "no-drivers.sh";
    std::ofstream(engine) << "#!/bin/sh\ncase \"$*\" in *json*) ;; *) exec " << EHCPSIM_BINARY
                          << " \"$@\";; esac\nif [ \"$1\" = summary ]; then\n  " << EHCPSIM_BINARY
                          << " \"$@\" | " << python
                          << " -c 'import json, sys; d = json.load(sys.stdin); d.pop(\"drivers\", None); "
                             "json.dump(d, sys.stdout)'\nelse\n  exec "
                          << EHCPSIM_BINARY << " \"$@\"\nfi\n";
    fs::permissions(engine, fs::perms::owner_all);
    const std::string script = std::string(python) + " " + source_path("scripts/report.py");
    r = shell(script + " " + file + " -o " + (dir / "a") + " --ehcpsim " + engine);
    ASSERT_EQ(r.code, 0) << r.output;
    const std::set<std::string> files = files_in(dir / "a");
    for (const std::string& name : files) EXPECT_EQ(name.rfind("tornado_", 0), std::string::npos) << name;
    EXPECT_TRUE(files.count("fan_lower_cumulative_deficit.png"));
    EXPECT_NE(slurp(dir / "a/index.html").find("No tornado chart"), std::string::npos);
    std::map<std::string, std::string> first;
    for (const std::string& name : files)
        if (name != "index.html" && name != "manifest.json" && name != "brief.html" &&
            name != "workbook.xlsx")  // these hold the creation time
            first[name] = slurp(dir / ("a/" + name));
    EXPECT_GE(first.size(), 16u);  // 8 charts, PNG and SVG

    r = run("report " + file + " -o " + (dir / "a"));
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("--overwrite"), std::string::npos) << r.output;
    r = run("report " + file + " -o " + (dir / "a") + " --overwrite");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(fs::exists(dir / "a/tornado_lower_spend.png"));  // the real engine has drivers
    for (const auto& [name, bytes] : first)
        EXPECT_TRUE(slurp(dir / ("a/" + name)) == bytes) << name << " differs between runs";
}

// One expected-value projection: lines without bands, and no drivers to rank.
// Text from the file is escaped on the page and is not mathtext on the charts.
// The report goes into an existing empty directory, which is allowed.
TEST(Report, DeterministicFileWithAnAwkwardName) {
    REQUIRE_PYTHON();
    TempDir dir;
    fs::create_directories(dir / "scn");
    for (const char* name : {"stock.csv", "population.csv"})
        fs::copy_file(source_path(std::string("tests/scenarios/small/") + name), dir / ("scn/" + std::string(name)));
    std::string toml = slurp(small_scenario());
    const std::string old_name = "name = \"Small test authority\"";
    ASSERT_NE(toml.find(old_name), std::string::npos);
    toml.replace(toml.find(old_name), old_name.size(),
                 "name = \"Small <b>&amp; 'Co' $x$\"\nbaseline_label = \"Lower <i>bound</i>\"");
    std::ofstream(dir / "scn/small.toml") << toml;
    const std::string file = dir / "det.h5";
    CommandResult r = run("run " + (dir / "scn/small.toml") + " --deterministic --variants lower,target -q -o " + file);
    ASSERT_EQ(r.code, 0) << r.output;
    fs::create_directories(dir / "out");  // an empty directory is fine
    r = run("report " + file + " -o " + (dir / "out"));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(fs::exists(dir / "out/index.html"));
    for (const std::string s : {"compare_lower_spend", "fan_target_total_stock", "placement_lower"}) {
        const PngSize size = png_size(dir / ("out/" + s + ".png"));
        EXPECT_TRUE(size.valid && size.width == chart_width && size.height == chart_height) << s;
    }
    const std::string html = slurp(dir / "out/index.html");
    EXPECT_NE(html.find("No tornado chart"), std::string::npos);
    EXPECT_NE(html.find("A deterministic projection"), std::string::npos);
    EXPECT_NE(html.find("Small &lt;b&gt;&amp;amp; &#x27;Co&#x27; $x$"), std::string::npos);
    EXPECT_EQ(html.find("<b>&amp;"), std::string::npos);
    // The baseline's label, escaped, names it on the page and in its charts' titles (the manifest).
    EXPECT_NE(html.find("Bound: Lower &lt;i&gt;bound&lt;/i&gt; (lower)"), std::string::npos);
    EXPECT_NE(slurp(dir / "out/manifest.json").find("Cumulative High Needs deficit (\\u00a3m, cash), Lower <i>bound</i>"),
              std::string::npos);
}

TEST(Report, RefusesForeignFilesAndNonEmptyDirectories) {
    REQUIRE_PYTHON();
    TempDir dir;
    const std::string out = dir / "out";
    CommandResult r = run("report " + (dir / "missing.h5") + " -o " + out);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("missing.h5"), std::string::npos) << r.output;

    std::ofstream(dir / "text.h5") << "not hdf5";
    r = run("report " + (dir / "text.h5") + " -o " + out);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("text.h5: not an ehcpsim ensemble file"), std::string::npos) << r.output;

    ASSERT_EQ(run_python("import h5py, sys\nh5py.File(sys.argv[1], 'w').attrs['format'] = 'other'\n", dir / "other.h5")
                  .code,
              0);
    r = run("report " + (dir / "other.h5") + " -o " + out);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("other.h5: not an ehcpsim ensemble file"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));

    // A directory with someone's files in it is never replaced, even with --overwrite.
    const std::string file = dir / "det.h5";
    ASSERT_EQ(run("run " + small_scenario() + " --deterministic --variants lower -q -o " + file).code, 0);
    fs::create_directories(out);
    std::ofstream(out + "/precious.txt") << "keep me";
    r = run("report " + file + " -o " + out);
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("not empty"), std::string::npos) << r.output;
    r = run("report " + file + " -o " + out + " --overwrite");
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("not a directory written by"), std::string::npos) << r.output;
    EXPECT_EQ(files_in(out), std::set<std::string>{"precious.txt"});
    EXPECT_EQ(slurp(out + "/precious.txt"), "keep me");
    // No staging directory left behind by any of these.
    EXPECT_EQ(files_in(dir / ""), (std::set<std::string>{"text.h5", "other.h5", "det.h5", "out"}));

    // An empty directory is fine: Report.DeterministicFileWithAnAwkwardName
    // draws its report into one.

    EXPECT_EQ(run("report " + file).code, 2);  // -o is required
}

TEST(Report, MissingInterpreterOrScriptIsAClearError) {
    TempDir dir;
    CommandResult r = shell("EHCPSIM_PYTHON=/nonexistent/python3 " + std::string(EHCPSIM_BINARY) + " report x.h5 -o " +
                            (dir / "out"));
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("/nonexistent/python3"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("matplotlib"), std::string::npos) << r.output;
    r = shell("EHCPSIM_SCRIPTS_DIR=/nonexistent " + std::string(EHCPSIM_BINARY) + " report x.h5 -o " + (dir / "out"));
    EXPECT_EQ(r.code, 3) << r.output;
    EXPECT_NE(r.output.find("/nonexistent/report.py"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("EHCPSIM_SCRIPTS_DIR"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ehcpsim
