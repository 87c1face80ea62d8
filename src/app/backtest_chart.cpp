// The backtest's charts (backtest_chart.h): their data written to a private
// directory, backtest_chart.py run on it (no shell), the PNGs read back.
#include "backtest_chart.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ehcpsim/app.h"
#include "ehcpsim/child_process.h"
#include "ehcpsim/text.h"

namespace ehcpsim {

namespace fs = std::filesystem;
using namespace calibrate;

namespace {

std::string num(double v) { return v == 0 ? "0" : shortest_text(v); }
std::string num(const std::optional<double>& v) { return v ? num(*v) : std::string(); }

bool write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    return static_cast<bool>(out);
}

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string last_line(const std::string& text) {
    std::istringstream in(text);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    return last;
}

// Removes the private directory whatever happens.
struct TempDir {
    fs::path path;
    ~TempDir() {
        std::error_code ignored;
        if (!path.empty()) fs::remove_all(path, ignored);
    }
};

}  // namespace

ChartOutcome draw_backtest_charts(const BacktestResult& result, const Panel& panel, const std::string& fan_authority,
                                  const std::string& model_name, const fs::path& output,
                                  const std::string& executable) {
    ChartOutcome outcome;
    const FoundScript found = find_script(executable, "backtest_chart.py");
    const std::string& script = found.path;
    if (script.empty()) {
        outcome.failure = "cannot find backtest_chart.py (looked for " + found.tried +
                          "); set EHCPSIM_SCRIPTS_DIR to the directory that holds it";
        return outcome;
    }
    const char* python_env = std::getenv("EHCPSIM_PYTHON");
    const std::string python = python_env && *python_env ? python_env : "/usr/bin/python3";
    if (access(python.c_str(), X_OK) != 0) {
        outcome.failure = "cannot run " + python + ": the charts need Debian's python3 with matplotlib "
                          "(apt-get install python3-matplotlib), or EHCPSIM_PYTHON set to one";
        return outcome;
    }

    std::error_code ec;
    fs::create_directories(output, ec);
    TempDir work{output / (".charts-" + std::to_string(getpid()))};
    fs::create_directories(work.path, ec);
    if (ec) {
        outcome.failure = "cannot create " + work.path.string() + ": " + ec.message();
        work.path.clear();
        return outcome;
    }
    std::ostringstream scores, fan, history;
    bool has_scores = false, has_fan = false;  // the script draws a chart only from rows it is given
    scores << "series,breakdown,horizon,model,n_pairs,mdape,cov_p5_p95,cov50,pit_var\n";
    for (const ScoreRow& row : result.scores) {
        if (row.key.breakdown != "all") continue;
        has_scores = true;
        scores << row.key.series << ',' << row.key.breakdown << ',' << row.horizon << ',' << row.model << ','
               << row.scores.n_pairs << ',' << num(row.scores.mdape) << ',' << num(row.scores.cov_p5_p95) << ','
               << num(row.scores.cov50) << ',' << num(row.scores.pit_var) << '\n';
    }
    fan << "origin,year,horizon,mean,p5,p10,p25,p50,p75,p90,p95\n";
    for (const auto& [at, f] : result.forecasts)
        if (at.first == fan_authority && f.series == "stock" && f.breakdown == "all") {
            has_fan = true;
            fan << at.second << ',' << f.year << ',' << f.horizon << ',' << num(f.mean);
            for (double q : f.quantiles) fan << ',' << num(q);
            fan << '\n';
        }
    history << "year,value\n";
    for (const auto& [year, value] : panel.series(fan_authority, "stock", "all")) history << year << ',' << num(value) << '\n';
    if (!write_text(work.path / "scores.csv", scores.str()) || !write_text(work.path / "fan.csv", fan.str()) ||
        !write_text(work.path / "history.csv", history.str())) {
        outcome.failure = "cannot write the chart data in " + work.path.string();
        return outcome;
    }

    const std::string fan_png = "backtest_fan_" + fan_authority + ".png";
    std::vector<std::string> args{python,
                                  script,
                                  "--scores", (work.path / "scores.csv").string(),
                                  "--fan", (work.path / "fan.csv").string(),
                                  "--history", (work.path / "history.csv").string(),
                                  "--authority", fan_authority,
                                  "--name", panel.name_of(fan_authority),
                                  "--model", model_name,
                                  "--scores-png", (work.path / "backtest_scores.png").string(),
                                  "--fan-png", (work.path / fan_png).string()};
    const std::string log = (work.path / "log.txt").string();
    const ChildExit ran = run_logged(python, std::move(args), log);
    if (ran.spawn_error != 0) {
        outcome.failure = "cannot run " + python + ": " + std::strerror(ran.spawn_error);
        return outcome;
    }
    if (!ran.ok()) {
        const std::string why = last_line(read_all(log));
        outcome.failure = "backtest_chart.py " + ran.what() + (why.empty() ? "" : ": " + why);
        return outcome;
    }
    for (const auto& [name, expected] : {std::pair<std::string, bool>{"backtest_scores.png", has_scores}, {fan_png, has_fan}}) {
        if (!expected) continue;
        if (!fs::exists(work.path / name)) {  // given its rows and not drawn: a failure, said as one
            outcome.files.clear();
            outcome.failure = "backtest_chart.py exited 0 but wrote no " + name;
            return outcome;
        }
        outcome.files.emplace_back(name, read_all(work.path / name));
    }
    return outcome;
}

}  // namespace ehcpsim
