// The backtest's files (backtest.h): forecasts.csv and scores.csv with the
// fixed headers, and the project's own scores_by_authority.csv,
// benchmarks.csv, wins.csv and pit_histogram.csv, written to temporary names
// and renamed into place together. No field needs quoting: codes, measures
// and breakdowns are restricted by the panel reader to characters without
// commas, quotes or line ends, and numbers are written by shortest_text (ehcpsim/text.h).

#include <cstdio>
#include <sstream>
#include <system_error>

#include "ehcpsim/backtest.h"
#include "ehcpsim/publish.h"
#include "ehcpsim/error.h"
#include "ehcpsim/text.h"

namespace ehcpsim::calibrate {

namespace {

// The shortest text that reads back as the same double, never "-0".
std::string number(double value) { return value == 0 ? "0" : shortest_text(value); }

std::string number(const std::optional<double>& value) { return value ? number(*value) : std::string(); }

std::string score_fields(const ScoreRow& row) {
    const Scores& s = row.scores;
    std::ostringstream out;
    out << row.key.series << ',' << row.key.breakdown << ',' << row.horizon << ',' << row.model << ','
        << s.n_pairs << ',' << number(s.mdape) << ',' << number(s.bias) << ',' << number(s.cov50) << ','
        << number(s.cov80) << ',' << number(s.cov90) << ',' << number(s.cov_p5_p95) << ',' << number(s.pit_mean)
        << ',' << number(s.pit_var) << ',' << number(s.crps);
    return out.str();
}

std::string forecasts_text(const BacktestResult& result) {
    std::ostringstream out;
    out << forecasts_header << '\n';
    for (const auto& [where, f] : result.forecasts) {
        out << where.first << ',' << where.second << ',' << f.year << ',' << f.horizon << ',' << f.series << ','
            << f.breakdown << ',' << number(f.mean);
        for (const double q : f.quantiles) out << ',' << number(q);
        out << '\n';
    }
    return out.str();
}

std::string scores_text(const std::vector<ScoreRow>& rows, bool by_authority) {
    std::ostringstream out;
    out << (by_authority ? "la_code," : "") << scores_header << '\n';
    for (const ScoreRow& row : rows) out << (by_authority ? row.la_code + "," : "") << score_fields(row) << '\n';
    return out.str();
}

std::string benchmarks_text(const BacktestResult& result) {
    std::ostringstream out;
    out << "la_code,origin,year,horizon,series,breakdown,model,forecast,outturn\n";
    for (const BenchmarkForecast& b : result.benchmarks)
        out << b.la_code << ',' << b.origin << ',' << b.year << ',' << b.horizon << ',' << b.key.series << ','
            << b.key.breakdown << ',' << b.model << ',' << number(b.forecast) << ',' << number(b.outturn) << '\n';
    return out.str();
}

std::string wins_text(const BacktestResult& result) {
    std::ostringstream out;
    out << "series,breakdown,horizon,model,benchmark,n_pairs,share_won\n";
    for (const WinRow& w : result.wins)
        out << w.key.series << ',' << w.key.breakdown << ',' << w.horizon << ',' << w.model << ',' << w.benchmark
            << ',' << w.n_pairs << ',' << number(w.share_won) << '\n';
    return out.str();
}

std::string pit_text(const BacktestResult& result) {
    std::ostringstream out;
    out << "series,breakdown,horizon,model,n_pairs";
    for (int bin = 0; bin < 10; ++bin) out << ",pit_" << bin * 10 << "_" << (bin + 1) * 10;
    out << '\n';
    for (const ScoreRow& row : result.scores) {
        if (!row.scores.pit_mean) continue;  // point forecasts have no PIT
        out << row.key.series << ',' << row.key.breakdown << ',' << row.horizon << ',' << row.model << ','
            << row.scores.n_pairs;
        for (const std::size_t count : row.scores.pit_histogram) out << ',' << count;
        out << '\n';
    }
    return out.str();
}

}  // namespace

void write_backtest(const BacktestResult& result, const std::filesystem::path& directory, bool overwrite) {
    std::error_code error;
    if (std::filesystem::exists(directory, error) && !std::filesystem::is_directory(directory, error))
        throw RuntimeError("cannot write the backtest into " + directory.string() + ": it is a file, not a directory");
    std::filesystem::create_directories(directory, error);
    if (error)
        throw RuntimeError("cannot create the directory " + directory.string() + ": " + error.message());
    if (!overwrite)
        for (const std::string& name : backtest_files)
            if (std::filesystem::exists(directory / name, error))
                throw RuntimeError((directory / name).string() +
                                   " exists: a backtest does not overwrite files without --overwrite");

    std::vector<std::pair<std::filesystem::path, std::string>> files;
    for (auto& [name, text] : backtest_file_texts(result)) files.emplace_back(directory / name, std::move(text));
    publish_files(files);
}

std::vector<std::pair<std::string, std::string>> backtest_file_texts(const BacktestResult& result) {
    return {
        {"forecasts.csv", forecasts_text(result)},
        {"scores.csv", scores_text(result.scores, false)},
        {"scores_by_authority.csv", scores_text(result.scores_by_authority, true)},
        {"benchmarks.csv", benchmarks_text(result)},
        {"wins.csv", wins_text(result)},
        {"pit_histogram.csv", pit_text(result)},
    };
}

}  // namespace ehcpsim::calibrate
