// `ehcpsim compare` (compare.h, docs/compare.md): two runs' scenarios key by
// key, their headline figures, and the change split into the part of each
// changed input by re-running OLD's scenario with that one key changed.
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>

#include <tbb/task_arena.h>

#include "ehcpsim/app.h"
#include "ehcpsim/compare.h"
#include "ehcpsim/error.h"
#include "ehcpsim/output.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/summary_headline.h"
#include "ehcpsim/version.h"

namespace ehcpsim {

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

std::vector<SourceFile> sources_of(const RunInfo& info) {
    std::vector<SourceFile> sources;
    for (const SourceText& s : info.sources) sources.push_back(SourceFile{s.path, s.text});
    return sources;
}

// The run settings (not scenario keys) that differ, in words.
std::vector<std::string> settings_differing(const RunInfo& a, const RunInfo& b) {
    std::vector<std::string> out;
    const auto add = [&](const std::string& what, const std::string& x, const std::string& y) {
        if (x != y) out.push_back(what + " " + x + " -> " + y);
    };
    add("seed", std::to_string(a.seed), std::to_string(b.seed));
    add("replicates", std::to_string(a.replicates), std::to_string(b.replicates));
    add("engine", a.engine_version, b.engine_version);
    add("mode", a.mode, b.mode);
    add("common random numbers", a.common_random_numbers ? "on" : "off", b.common_random_numbers ? "on" : "off");
    add("fixed parameters", a.fixed_parameters ? "on" : "off", b.fixed_parameters ? "on" : "off");
    // Joined with += : GCC 12 warns falsely (-Wrestrict, bug 105329) on "literal" + std::string.
    const auto joined = [](const std::vector<std::string>& names) {
        std::string text;
        for (const std::string& name : names) {
            if (!text.empty()) text += ',';
            text += name;
        }
        return text;
    };
    add("variants", joined(a.variants), joined(b.variants));
    return out;
}

// OLD's run (seed, replicates, variants, settings) of `sources`, in memory:
// its headline figures. ScenarioError when the sources are not a valid
// scenario or lack one of OLD's variants.
HeadlineFigures rerun(const std::vector<SourceFile>& sources, const RunInfo& info, int threads,
                      const std::atomic<bool>* cancel) {
    const ScenarioSet scenario = load_scenario(sources.front().path, sources.front().text, sources_reader(sources));
    RunOptions options;
    options.seed = info.seed;
    options.deterministic = info.mode == "deterministic";
    options.replicates = info.total_replicates > 0 ? info.total_replicates : info.replicates;
    if (!options.deterministic) {
        options.shard_first = info.first_replicate;
        options.shard_count = info.replicates;
    }
    options.threads = threads;
    options.variants = info.variants;
    options.common_random_numbers = info.common_random_numbers;
    options.fixed_parameters = info.fixed_parameters;
    options.cancel = cancel;
    const Runner runner(scenario, options, EHCPSIM_VERSION);
    const Shape shape = runner.shape();
    const std::size_t years = static_cast<std::size_t>(shape.years), variants = info.variants.size();
    std::vector<std::vector<double>> deficit(variants), stock(variants);
    const auto take = [&](const ResultBlock& block) {
        for (std::size_t v = 0; v < variants; ++v)
            for (std::int64_t r = 0; r < block.count; ++r) {
                const std::size_t at = static_cast<std::size_t>(r) * years + years - 1;
                deficit[v].push_back(block.variants[v].metrics[m_cumulative_deficit][at]);
                stock[v].push_back(block.variants[v].metrics[m_total_stock][at]);
            }
    };
    tbb::task_arena arena(threads > 0 ? threads : tbb::this_task_arena::max_concurrency());
    arena.execute([&] {
        if (options.deterministic) {
            take(runner.compute_expected());
            return;
        }
        const std::int64_t end = info.first_replicate + info.replicates;
        for (std::int64_t first = info.first_replicate; first < end; first += 256)
            take(runner.compute_block(first, std::min<std::int64_t>(256, end - first)));
    });
    return headline_figures(runner.info(), deficit, stock);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::size_t index_of(const std::vector<std::string>& names, const std::string& name) {
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

}  // namespace

CompareReport compare_runs(const CompareRequest& request, const std::atomic<bool>* cancel) {
    const ResultReader old_reader(request.old_file), new_reader(request.new_file);
    const RunInfo& a = old_reader.info();
    const RunInfo& b = new_reader.info();
    CompareReport report;
    report.old_horizon = a.years.empty() ? 0 : a.years.back();
    report.new_horizon = b.years.empty() ? 0 : b.years.back();
    const std::vector<SourceFile> old_sources = sources_of(a), new_sources = sources_of(b);
    if (old_sources.empty() || new_sources.empty())
        throw RuntimeError((old_sources.empty() ? request.old_file : request.new_file) +
                           ": the file stores no scenario, so its keys cannot be compared");
    report.keys = differing_keys(old_sources, new_sources);
    report.settings = settings_differing(a, b);
    const HeadlineFigures old_figures = headline_figures(old_reader), new_figures = headline_figures(new_reader);
    const auto& names = headline_figure_names();
    for (std::size_t v = 0; v < a.variants.size(); ++v) {
        const std::size_t w = index_of(b.variants, a.variants[v]);
        if (w == b.variants.size()) continue;
        const std::vector<double> x = figure_values(old_figures, v), y = figure_values(new_figures, w);
        for (std::size_t f = 0; f < names.size(); ++f) {
            FigureChange& change = report.figures.emplace_back();
            change.variant = a.variants[v];
            change.figure = names[f];
            change.old_value = x[f];
            change.new_value = y[f];
            change.change = y[f] - x[f];
            change.remainder = change.change;
        }
    }
    if (!request.attribute) return report;
    if (a.seed != b.seed) {
        report.not_attributed = "the runs have different seeds (" + std::to_string(a.seed) + " and " +
                                std::to_string(b.seed) + "): re-runs could not tell the inputs from the noise";
        return report;
    }
    if (report.keys.empty()) {
        report.attributed = true;  // nothing to split: the whole change (if any) is the remainder
        return report;
    }
    HeadlineFigures base;
    try {
        base = rerun(old_sources, a, request.threads, cancel);
    } catch (const ScenarioError& e) {
        report.not_attributed = "OLD's stored scenario cannot be re-run by this engine: " + std::string(e.what());
        return report;
    }
    // The parts are measured against the re-run; when it reproduces OLD they are against OLD itself.
    for (std::size_t v = 0; v < a.variants.size(); ++v)
        for (std::size_t f = 0; f < names.size(); ++f) {
            const double x = figure_values(old_figures, v)[f];
            const double y = figure_values(base, v)[f];
            if (!same_bits(x, y) && !(std::isnan(x) && std::isnan(y))) report.old_reproduced = false;
        }
    for (const KeyDifference& key : report.keys) {
        std::string note;
        HeadlineFigures moved;
        try {
            moved = rerun(with_key_of(old_sources, new_sources, key.key), a, request.threads, cancel);
        } catch (const ScenarioError& e) {
            note = "OLD's scenario with only this key changed is not valid: " + std::string(e.what());
        }
        report.key_notes.push_back(note);
        std::size_t i = 0;
        for (std::size_t v = 0; v < a.variants.size(); ++v) {
            if (index_of(b.variants, a.variants[v]) == b.variants.size()) continue;
            for (std::size_t f = 0; f < names.size(); ++f, ++i) {
                FigureChange& change = report.figures[i];
                const double part = note.empty() ? figure_values(moved, v)[f] - figure_values(base, v)[f] : nan_value;
                change.parts.push_back(part);
            }
        }
    }
    for (FigureChange& change : report.figures) {
        double sum = 0.0;
        for (double part : change.parts)
            if (!std::isnan(part)) sum += part;
        change.remainder = change.change - sum;
    }
    report.attributed = true;
    return report;
}

namespace {

std::string number_text(const std::string& figure, double value) {
    if (std::isnan(value)) return "-";
    std::ostringstream text;
    text.setf(std::ios::fixed);
    if (figure == "total_stock") {
        text.precision(1);
        text << value;
    } else {
        text.precision(3);
        text << value / 1e6;
    }
    std::string out = text.str();
    if (out == "-0.000" || out == "-0.0") out.erase(0, 1);
    return out;
}

std::string csv_text(double value) {
    if (std::isnan(value)) return "";
    std::ostringstream text;
    text.precision(17);
    text << value;
    return text.str();
}

void print_grid(const std::vector<std::vector<std::string>>& rows, std::size_t left, std::ostream& out) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (c > 0) line += "  ";
            const std::string pad(widths[c] - row[c].size(), ' ');
            line += c < left ? row[c] + pad : pad + row[c];
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

void print_report(const CompareReport& report, const CompareRequest& request, std::ostream& out) {
    if (request.csv) {
        out << "variant,figure,old,new,change,part,value\n";
        for (const FigureChange& c : report.figures) {
            const std::string head = c.variant + "," + c.figure + "," + csv_text(c.old_value) + "," +
                                     csv_text(c.new_value) + "," + csv_text(c.change) + ",";
            if (!report.attributed) {
                out << head << ",\n";
                continue;
            }
            for (std::size_t k = 0; k < c.parts.size(); ++k)
                out << head << '"' << report.keys[k].key << "\"," << csv_text(c.parts[k]) << '\n';
            out << head << "remainder," << csv_text(c.remainder) << '\n';
        }
        return;
    }
    out << "Comparing " << request.old_file << " (OLD) with " << request.new_file << " (NEW)\n\n";
    out << "Scenario keys that differ: " << (report.keys.empty() ? "none" : std::to_string(report.keys.size())) << '\n';
    for (std::size_t k = 0; k < report.keys.size(); ++k) {
        const KeyDifference& key = report.keys[k];
        out << "  [" << k + 1 << "] " << key.key << ": ";
        if (key.key.rfind("file:", 0) == 0)
            out << (key.old_present && key.new_present ? key.old_value
                    : key.old_present                  ? "only in OLD (" + key.old_value + ")"
                                                       : "only in NEW (" + key.new_value + ")");
        else
            out << (key.old_present ? key.old_value : "(absent)") << " -> "
                << (key.new_present ? key.new_value : "(absent)");
        out << '\n';
    }
    out << "Run settings that differ:" << (report.settings.empty() ? " none" : "") << '\n';
    for (const std::string& s : report.settings) out << "  " << s << '\n';
    out << "\nHeadline figures at the horizon (" << report.old_horizon
        << (report.old_horizon != report.new_horizon ? " and " + std::to_string(report.new_horizon) : std::string())
        << "), medians over replicates; money in GBP m, stock in plans.\n";
    if (report.attributed && !report.keys.empty())
        out << "[k]: the part of the change from key k alone (OLD's scenario with that key as in NEW, re-run under "
               "the same seed, minus OLD re-run); remainder: the rest (interactions, run settings).\n";
    else if (!report.not_attributed.empty())
        out << "Not split into parts: " << report.not_attributed << ".\n";
    if (report.attributed && !report.old_reproduced)
        out << "note: re-running OLD's scenario with this engine (" << EHCPSIM_VERSION
            << ") does not give OLD's figures exactly; the parts are measured against that re-run, and the "
               "difference is in the remainder.\n";
    for (std::size_t k = 0; k < report.key_notes.size(); ++k)
        if (!report.key_notes[k].empty())
            out << "note: [" << k + 1 << "] has no part of its own (it is in the remainder): " << report.key_notes[k]
                << '\n';
    std::vector<std::vector<std::string>> rows{{"variant", "figure", "OLD", "NEW", "change"}};
    const bool parts = report.attributed && !report.keys.empty();
    if (parts) {
        for (std::size_t k = 0; k < report.keys.size(); ++k) {
            std::string label = "[";  // += : GCC 12's false -Wrestrict (bug 105329) on "literal" + std::string
            label += std::to_string(k + 1);
            label += ']';
            rows[0].push_back(std::move(label));
        }
        rows[0].push_back("remainder");
    }
    for (const FigureChange& c : report.figures) {
        std::vector<std::string> row{c.variant, c.figure, number_text(c.figure, c.old_value),
                                     number_text(c.figure, c.new_value), number_text(c.figure, c.change)};
        if (parts) {
            for (double part : c.parts) row.push_back(number_text(c.figure, part));
            row.push_back(number_text(c.figure, c.remainder));
        }
        rows.push_back(std::move(row));
    }
    print_grid(rows, 2, out);
}

}  // namespace

int compare_command(const CompareRequest& request, const Console& console) {
    const CompareReport report = compare_runs(request, console.cancel);
    print_report(report, request, console.out);
    return exit_ok;
}

}  // namespace ehcpsim
