// summary.md of a backtest (backtest_summary.h): tables by series and
// horizon, and the verdicts in words.
#include "ehcpsim/backtest_summary.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace ehcpsim::calibrate {

namespace {

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string opt(const std::optional<double>& v, int digits) { return v ? fixed(*v, digits) : "-"; }

std::string horizons_text(const std::vector<int>& hs) {
    if (hs.empty()) return "none";
    std::string out;
    for (std::size_t i = 0; i < hs.size(); ++i) out += (i ? (i + 1 == hs.size() ? " and " : ", ") : "") + std::to_string(hs[i]);
    return out;
}

std::string pretty_benchmark(const std::string& name) {
    if (name == "no_change") return "no change";
    if (name == "three_year_trend") return "three-year trend";
    return name;
}

// The rows of one (series, breakdown): per horizon, per model.
struct Group {
    SeriesKey key;
    std::map<int, std::map<std::string, const Scores*>> by_horizon;
    std::map<int, std::map<std::string, double>> won;  // horizon -> benchmark -> share the model won
};

std::string table(const Group& g, const std::string& model, bool has_model) {
    std::ostringstream t;
    const std::vector<std::string> benchmarks = {"persistence", "no_change", "three_year_trend"};
    if (has_model) {
        t << "| h | pairs | " << model << " mdape % | P5-P95 covers | P25-P75 covers | PIT variance |";
        for (const auto& b : benchmarks) t << " " << pretty_benchmark(b) << " mdape % |";
        t << " " << model << " beat persistence / no change / trend |\n|---|---|---|---|---|---|---|---|---|---|\n";
    } else {
        t << "| h | pairs |";
        for (const auto& b : benchmarks) t << " " << pretty_benchmark(b) << " mdape % |";
        t << "\n|---|---|---|---|---|\n";
    }
    for (const auto& [h, models] : g.by_horizon) {
        const Scores* first = models.begin()->second;
        t << "| " << h << " | " << first->n_pairs << " |";
        if (has_model) {
            const auto it = models.find(model);
            if (it == models.end()) continue;
            const Scores& s = *it->second;
            t << " " << fixed(s.mdape, 1) << " | " << opt(s.cov_p5_p95, 2) << " | " << opt(s.cov50, 2) << " | "
              << opt(s.pit_var, 3) << " |";
        }
        for (const auto& b : benchmarks) {
            const auto it = models.find(b);
            t << " " << (it == models.end() ? std::string("-") : fixed(it->second->mdape, 1)) << " |";
        }
        if (has_model) {
            t << " ";
            for (std::size_t i = 0; i < benchmarks.size(); ++i) {
                const auto hw = g.won.find(h);
                const bool have = hw != g.won.end() && hw->second.count(benchmarks[i]);
                t << (i ? " / " : "") << (have ? fixed(100.0 * hw->second.at(benchmarks[i]), 0) + "%" : "-");
            }
            t << " |";
        }
        t << "\n";
    }
    return t.str();
}

// The verdict on one series, in words.
std::string verdict(const Group& g, const std::string& model) {
    std::ostringstream v;
    const std::vector<std::string> benchmarks = {"persistence", "no_change", "three_year_trend"};
    v << "**" << g.key.series << " (" << g.key.breakdown << ")**";
    bool beats_all = true;
    std::vector<std::string> parts;
    for (const auto& b : benchmarks) {
        std::vector<int> won, lost;
        for (const auto& [h, models] : g.by_horizon) {
            const auto m = models.find(model), k = models.find(b);
            if (m == models.end() || k == models.end()) continue;
            (m->second->mdape < k->second->mdape ? won : lost).push_back(h);
        }
        if (!lost.empty()) beats_all = false;
        if (lost.empty()) parts.push_back("beats " + pretty_benchmark(b) + " at every horizon");
        else if (won.empty()) parts.push_back("loses to " + pretty_benchmark(b) + " at every horizon");
        else parts.push_back("beats " + pretty_benchmark(b) + " at horizon " + horizons_text(won) + ", not at " +
                             horizons_text(lost));
    }
    v << ": median error " << (beats_all ? "below every benchmark's at every horizon" : "not below every "
                                                                                        "benchmark's")
      << " (";
    for (std::size_t i = 0; i < parts.size(); ++i) v << (i ? "; " : "") << parts[i];
    v << "). ";
    // Bands, horizon by horizon.
    std::vector<int> narrow, wide, honest;
    std::string cov_text, pit_text;
    for (const auto& [h, models] : g.by_horizon) {
        const auto m = models.find(model);
        if (m == models.end() || !m->second->cov_p5_p95 || !m->second->pit_var) continue;
        const double cov = *m->second->cov_p5_p95, pv = *m->second->pit_var;
        cov_text += (cov_text.empty() ? "" : ", ") + fixed(cov, 2);
        pit_text += (pit_text.empty() ? "" : ", ") + fixed(pv, 3);
        if (cov < coverage_target_lo || pv > pit_var_target_hi) narrow.push_back(h);
        else if (cov > coverage_target_hi || pv < pit_var_target_lo) wide.push_back(h);
        else honest.push_back(h);
    }
    if (cov_text.empty()) return v.str();
    v << "At horizon " << g.by_horizon.begin()->first << " to " << g.by_horizon.rbegin()->first
      << " the P5-P95 band covers " << cov_text << " of outturns (target "
      << fixed(coverage_target_lo, 2) << "-" << fixed(coverage_target_hi, 2) << "), the PIT variance is " << pit_text
      << " (target " << fixed(pit_var_target_lo, 2) << "-" << fixed(pit_var_target_hi, 2) << "): ";
    if (narrow.empty() && wide.empty()) {
        v << "the bands are honest at every horizon.";
    } else {
        std::vector<std::string> said;
        if (!narrow.empty())
            said.push_back("**too narrow** at horizon " + horizons_text(narrow) +
                           " (outturns fall outside more often than the bands say)");
        if (!wide.empty())
            said.push_back("**too wide** at horizon " + horizons_text(wide) + " (the bands promise less than the "
                           "forecasts deliver)");
        if (!honest.empty()) said.push_back("honest at horizon " + horizons_text(honest));
        v << "the bands are ";
        for (std::size_t i = 0; i < said.size(); ++i) v << (i ? "; " : "") << said[i];
        v << ".";
    }
    return v.str();
}

}  // namespace

BacktestSummaryText backtest_summary(const BacktestResult& result, const std::string& model_name,
                                     const std::vector<std::string>& run_lines,
                                     const std::vector<std::string>& notes) {
    std::vector<Group> groups;
    std::map<SeriesKey, std::size_t> index;
    for (const ScoreRow& row : result.scores) {
        auto [it, fresh] = index.emplace(row.key, groups.size());
        if (fresh) groups.push_back(Group{row.key, {}, {}});
        groups[it->second].by_horizon[row.horizon][row.model] = &row.scores;
    }
    for (const WinRow& w : result.wins)
        if (w.model == model_name)
            if (const auto it = index.find(w.key); it != index.end()) groups[it->second].won[w.horizon][w.benchmark] = w.share_won;

    const bool has_model = result.has_model;
    std::ostringstream head, rest;
    head << "## Verdict\n\n";
    if (!has_model) {
        head << "Benchmarks only (no model was run): the tables give the median absolute % error each benchmark "
                "achieves, the bar a model must clear.\n\n";
    } else {
        bool any = false;
        for (const Group& g : groups)
            if (g.key.breakdown == "all") {
                head << "* " << verdict(g, model_name) << "\n";
                any = true;
            }
        if (!any) head << "No series could be scored (no pair had an outturn and every model's forecast).\n";
        head << "\n";
    }
    head << "## All plans, by horizon\n\n";
    for (const Group& g : groups)
        if (g.key.breakdown == "all") head << "### " << g.key.series << "\n\n" << table(g, model_name, has_model) << "\n";
    bool any_breakdown = false;
    for (const Group& g : groups)
        if (g.key.breakdown != "all") {
            if (!any_breakdown) rest << "## By placement group and age band\n\n";
            any_breakdown = true;
            rest << "### " << g.key.series << ", " << g.key.breakdown << "\n\n" << table(g, model_name, has_model);
            if (has_model) rest << "\n" << verdict(g, model_name) << "\n";
            rest << "\n";
        }

    std::ostringstream md;
    md << "# Backtest summary\n\n";
    for (const std::string& line : run_lines) md << "* " << line << "\n";
    md << "\nHow to read it (docs/backtest.md has the guide): *mdape* is the median absolute error of the median "
          "forecast, in % of what was published; a model *beats* a benchmark on a series and horizon when its "
          "mdape is lower, and the last column says on what share of the same forecasts it was closer. The "
          "P5-P95 band should hold 85-95% of outturns and the P25-P75 band about half; a PIT variance near "
          "1/12 = 0.083 (0.07-0.10) means the spread is right, above it too narrow, below it too wide.\n\n";
    md << head.str() << rest.str();
    if (!notes.empty()) {
        md << "## Notes\n\n";
        for (const std::string& n : notes) md << "* " << n << "\n";
    }
    return {md.str(), head.str()};
}

}  // namespace ehcpsim::calibrate
