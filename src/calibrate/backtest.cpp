// The backtest loop (backtest.h): origins x authorities, the cut, the
// forecaster and the benchmarks, the pairing with outturns and the scores.
#include "ehcpsim/backtest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <string_view>
#include <tuple>

#include "ehcpsim/error.h"

namespace ehcpsim::calibrate {

namespace {

constexpr int max_horizon = 50;
constexpr std::size_t n_benchmarks = std::size(all_benchmarks);

// Everything known about one (authority, origin, series, horizon).
struct PairData {
    std::optional<double> benchmark[n_benchmarks];
    std::optional<Quantiles> model;
    std::optional<double> outturn;
};

struct PairKey {
    std::string la_code;
    int origin;
    SeriesKey key;
    int horizon;
    auto operator<=>(const PairKey&) const = default;
};

std::string where(const std::string& la_code, int origin) {
    return "the forecaster's answer for " + la_code + " at origin " + std::to_string(origin);
}

// The forecaster's answer, checked: a malformed answer is a bug in the
// forecaster, reported with what was wrong rather than scored.
void check_forecasts(const std::vector<QuantileForecast>& forecasts, const std::string& la_code, int origin,
                     int horizon) {
    std::set<std::tuple<std::string, std::string, int>> seen;
    for (const QuantileForecast& f : forecasts) {
        const std::string what = where(la_code, origin) + ", " + f.series + " " + f.breakdown + " horizon " +
                                 std::to_string(f.horizon);
        if (f.horizon < 1 || f.horizon > horizon)
            throw RuntimeError(what + ": the horizon must be 1 to " + std::to_string(horizon));
        if (f.year != target_year(f.series, origin, f.horizon))
            throw RuntimeError(what + ": year " + std::to_string(f.year) + " should be " +
                               std::to_string(target_year(f.series, origin, f.horizon)));
        if (!std::isfinite(f.mean))
            throw RuntimeError(what + ": the mean is not a number");
        for (std::size_t k = 0; k < f.quantiles.size(); ++k) {
            if (!std::isfinite(f.quantiles[k]))
                throw RuntimeError(what + ": a quantile is not a number");
            if (k > 0 && f.quantiles[k] < f.quantiles[k - 1])
                throw RuntimeError(what + ": the quantiles decrease");
        }
        if (!seen.emplace(f.series, f.breakdown, f.horizon).second)
            throw RuntimeError(what + ": forecast twice");
    }
}

std::vector<std::string> chosen_authorities(const Panel& history, const BacktestOptions& options) {
    if (options.authorities.empty()) return history.authorities();
    std::vector<std::string> out;
    for (const std::string& code : options.authorities) {
        if (!history.has_authority(code))
            throw ScenarioError(SourceLocation{"", "authorities", 0, 0},
                                "the panel has no authority " + code +
                                    " (la_code as the panel writes it, such as E06000006)");
        if (std::find(out.begin(), out.end(), code) == out.end()) out.push_back(code);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void check_options(const BacktestOptions& options) {
    if (options.horizon < 1 || options.horizon > max_horizon)
        throw ScenarioError(SourceLocation{"", "horizon", 0, 0},
                            "the horizon must be 1 to " + std::to_string(max_horizon) + " years, not " +
                                std::to_string(options.horizon));
    if (options.first_origin > options.last_origin)
        throw ScenarioError(SourceLocation{"", "origins", 0, 0},
                            "the first origin " + std::to_string(options.first_origin) + " is after the last " +
                                std::to_string(options.last_origin));
    for (const Benchmark b : all_benchmarks)
        if (options.model_name == benchmark_name(b))
            throw ScenarioError(SourceLocation{"", "model", 0, 0},
                                "the model cannot be named like a benchmark ('" + options.model_name + "')");
}

// Output order: the measures in the order chosen, `all` first, then the
// breakdowns in text order (age bands by their lower age).
struct SeriesOrder {
    const std::vector<std::string>& measures;
    std::tuple<std::size_t, int, int, std::string> rank(const SeriesKey& key) const {
        const auto at = std::find(measures.begin(), measures.end(), key.series);
        const std::size_t measure = static_cast<std::size_t>(at - measures.begin());
        int group = key.breakdown == "all" ? 0 : 1, age = 0;
        if (key.breakdown.starts_with("age:"))
            if (const std::optional<AgeRange> range = parse_age(key.breakdown.substr(4))) {
                group = 2;
                age = range->lo;
            }
        return {measure, group, age, key.breakdown};
    }
    bool operator()(const SeriesKey& a, const SeriesKey& b) const {
        const auto ra = rank(a), rb = rank(b);
        return ra != rb ? ra < rb : a.series < b.series;
    }
};

// The place of each series key of a result in SeriesOrder, ranked once: the
// sorts of the (hundreds of thousands of) rows then compare two numbers where
// ranking both keys at every comparison took most of a backtest's time.
// SeriesOrder is a strict total order on distinct keys, so sorting by the
// position gives the same order as sorting by SeriesOrder.
class KeyPositions {
public:
    KeyPositions(const BacktestResult& result, const SeriesOrder& order) {
        std::set<SeriesKey> keys;
        for (const auto& [at, f] : result.forecasts) keys.insert(SeriesKey{f.series, f.breakdown});
        const SeriesKey* last = nullptr;  // a key's rows come together: insert each run once
        for (const BenchmarkForecast& b : result.benchmarks)
            if (!last || b.key != *last) keys.insert(*(last = &b.key));
        for (const ScoreRow& row : result.scores_by_authority) keys.insert(row.key);
        std::vector<SeriesKey> sorted(keys.begin(), keys.end());
        std::sort(sorted.begin(), sorted.end(), order);
        for (std::size_t i = 0; i < sorted.size(); ++i) position_.emplace(sorted[i], i);
    }
    std::size_t operator()(const SeriesKey& key) const { return position_.at(key); }
    std::size_t operator()(const std::string& series, const std::string& breakdown) const {
        return position_.at(SeriesKey{series, breakdown});
    }

private:
    std::map<SeriesKey, std::size_t> position_;
};

// Sorts rows by the tuple `sort_key` gives each, keeping the order of rows
// with equal keys (std::stable_sort), computing each row's key once and
// moving each row once.
template <class Row, class SortKey>
void stable_sort_rows(std::vector<Row>& rows, const SortKey& sort_key) {
    using Key = decltype(sort_key(rows.front()));
    std::vector<Key> keys;
    keys.reserve(rows.size());
    for (const Row& row : rows) keys.push_back(sort_key(row));
    std::vector<std::size_t> index(rows.size());
    std::iota(index.begin(), index.end(), std::size_t{0});
    std::stable_sort(index.begin(), index.end(), [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    std::vector<Row> sorted;
    sorted.reserve(rows.size());
    for (const std::size_t i : index) sorted.push_back(std::move(rows[i]));
    rows = std::move(sorted);
}

// The benchmark rows one (authority, origin) added, [begin, end) of
// result.benchmarks.
struct Chunk {
    std::string_view la_code;
    int origin = 0;
    std::size_t begin = 0, end = 0;
};

// The rows in file order, by (authority, origin, series in SeriesOrder,
// horizon), benchmarks of one horizon in the order they were made: what one
// stable sort of all of them by that key gives, since each (authority,
// origin) made its rows together, as one chunk. The chunks are put in order,
// then each chunk's rows: no sort of hundreds of thousands of rows at once.
void sort_benchmarks(std::vector<BenchmarkForecast>& rows, std::vector<Chunk> chunks, const KeyPositions& position) {
    std::stable_sort(chunks.begin(), chunks.end(), [](const Chunk& a, const Chunk& b) {
        return std::tie(a.la_code, a.origin) < std::tie(b.la_code, b.origin);
    });
    std::vector<BenchmarkForecast> sorted;
    sorted.reserve(rows.size());
    std::vector<std::tuple<std::size_t, int, std::size_t>> keys;  // (series place, horizon, row)
    for (const Chunk& chunk : chunks) {
        keys.clear();
        const SeriesKey* last = nullptr;
        std::size_t place = 0;
        for (std::size_t i = chunk.begin; i < chunk.end; ++i) {
            const BenchmarkForecast& b = rows[i];
            if (!last || b.key != *last) place = position(*(last = &b.key));
            keys.emplace_back(place, b.horizon, i);
        }
        std::sort(keys.begin(), keys.end());  // the row number last: stable
        for (const auto& [p, h, i] : keys) sorted.push_back(std::move(rows[i]));
    }
    if (sorted.size() != rows.size()) throw RuntimeError("backtest: a benchmark row outside every chunk (a bug)");
    rows = std::move(sorted);
}

// Scores of one group of pairs for every model, and the wins.
void score_group(const std::vector<const PairData*>& group, bool has_model, const std::string& model_name,
                 const std::string& la_code, const SeriesKey& key, int horizon, std::vector<ScoreRow>& rows,
                 std::vector<WinRow>* wins) {
    if (group.empty()) return;
    std::vector<std::string> names;
    std::vector<std::vector<ScoredPair>> pairs;
    if (has_model) {
        names.push_back(model_name);
        pairs.emplace_back();
        for (const PairData* p : group) pairs.back().push_back({*p->model, *p->outturn});
    }
    for (std::size_t b = 0; b < n_benchmarks; ++b) {
        names.emplace_back(benchmark_name(all_benchmarks[b]));
        pairs.emplace_back();
        for (const PairData* p : group) pairs.back().push_back({point_quantiles(*p->benchmark[b]), *p->outturn});
    }
    const std::size_t first_benchmark = has_model ? 1 : 0;
    for (std::size_t m = 0; m < names.size(); ++m)
        rows.push_back({la_code, key, horizon, names[m], score_pairs(pairs[m], m >= first_benchmark)});
    if (!wins) return;
    for (std::size_t m = 0; m < names.size(); ++m)
        for (std::size_t b = first_benchmark; b < names.size(); ++b)
            if (b != m)
                wins->push_back({key, horizon, names[m], names[b], group.size(), share_won(pairs[m], pairs[b])});
}

}  // namespace

std::optional<std::pair<int, int>> default_origins(const Panel& panel) {
    const std::optional<YearSpan> stocks = panel.years(Dating::census);
    if (!stocks || stocks->last - stocks->first < 2) return std::nullopt;
    return std::make_pair(stocks->first + 1, stocks->last - 1);
}

BacktestResult compute_backtest(const Panel& panel, const BacktestOptions& options, const Forecaster& forecaster,
                                const BacktestProgressFn& progress) {
    return compute_backtest(panel, panel, options, forecaster, progress);
}

BacktestResult compute_backtest(const Panel& history, const Panel& outturns, const BacktestOptions& options,
                                const Forecaster& forecaster, const BacktestProgressFn& progress) {
    check_options(options);
    BacktestResult result;
    result.authorities = chosen_authorities(history, options);
    result.first_origin = options.first_origin;
    result.last_origin = options.last_origin;
    result.horizon = options.horizon;
    result.has_model = static_cast<bool>(forecaster);

    std::map<std::string, std::map<SeriesKey, Series>> published;
    for (const std::string& la : result.authorities) published[la] = backtest_series(outturns, la, options.series);

    std::map<PairKey, PairData> pairs;
    const std::size_t total =
        result.authorities.size() * static_cast<std::size_t>(options.last_origin - options.first_origin + 1);
    std::size_t done = 0;
    std::vector<Chunk> chunks;  // result.benchmarks, by (authority, origin)
    std::mutex progress_mutex;
    for (int origin = options.first_origin; origin <= options.last_origin; ++origin) {
        const Panel cut = history.cut_after(origin);
        // The forecaster's answers for this origin, in authority order.
        std::vector<std::vector<QuantileForecast>> answers(result.authorities.size());
        if (forecaster) {
            const auto one = [&](std::size_t i) {
                const std::string& la = result.authorities[i];
                answers[i] = forecaster(cut, la, origin, options.horizon);
                check_forecasts(answers[i], la, origin, options.horizon);
                const std::lock_guard<std::mutex> lock(progress_mutex);
                ++done;
                if (progress) progress({done, total, origin, la});
            };
            if (options.parallel_for) {
                options.parallel_for(result.authorities.size(), one);
            } else {
                for (std::size_t i = 0; i < result.authorities.size(); ++i) one(i);
            }
        }
        for (std::size_t unit = 0; unit < result.authorities.size(); ++unit) {
            const std::string& la = result.authorities[unit];
            chunks.push_back({la, origin, result.benchmarks.size(), 0});
            const std::map<SeriesKey, Series>& truth = published[la];
            const auto outturn_of = [&](const SeriesKey& key, int year) -> std::optional<double> {
                const auto series = truth.find(key);
                if (series == truth.end()) return std::nullopt;
                const auto cell = series->second.find(year);
                return cell == series->second.end() ? std::nullopt : std::optional<double>(cell->second);
            };
            for (const auto& [key, series] : backtest_series(cut, la, options.series)) {
                const int last = last_known_year(key.series, origin);
                for (int h = 1; h <= options.horizon; ++h) {
                    PairData& pair = pairs[{la, origin, key, h}];
                    const int year = last + h;
                    pair.outturn = outturn_of(key, year);
                    for (std::size_t b = 0; b < n_benchmarks; ++b) {
                        pair.benchmark[b] = benchmark_forecast(all_benchmarks[b], series, last, h);
                        if (pair.benchmark[b])
                            result.benchmarks.push_back({la, origin, key, year, h,
                                                         std::string(benchmark_name(all_benchmarks[b])),
                                                         *pair.benchmark[b], pair.outturn});
                    }
                }
            }
            chunks.back().end = result.benchmarks.size();
            if (forecaster) {
                for (QuantileForecast& f : answers[unit]) {
                    const SeriesKey key{f.series, f.breakdown};
                    if (const auto it = pairs.find({la, origin, key, f.horizon}); it != pairs.end())
                        it->second.model = f.quantiles;
                    result.forecasts.push_back({{la, origin}, std::move(f)});
                }
            }
            answers[unit] = {};
            if (!forecaster) {
                ++done;
                if (progress) progress({done, total, origin, la});
            }
        }
    }

    // Pool the eligible pairs: by (series, horizon) and by (authority, series, horizon).
    std::map<std::pair<SeriesKey, int>, std::vector<const PairData*>> pooled;
    std::map<std::tuple<std::string, SeriesKey, int>, std::vector<const PairData*>> by_authority;
    for (const auto& [at, pair] : pairs) {
        if (!pair.outturn || *pair.outturn <= 0) continue;
        if (result.has_model && !pair.model) continue;
        if (!std::all_of(std::begin(pair.benchmark), std::end(pair.benchmark),
                         [](const std::optional<double>& b) { return b.has_value(); }))
            continue;
        pooled[{at.key, at.horizon}].push_back(&pair);
        by_authority[{at.la_code, at.key, at.horizon}].push_back(&pair);
    }
    const SeriesOrder order{options.series.measures};
    std::vector<std::pair<SeriesKey, int>> groups;
    for (const auto& [group, members] : pooled) groups.push_back(group);
    std::stable_sort(groups.begin(), groups.end(), [&order](const auto& a, const auto& b) {
        if (order(a.first, b.first)) return true;
        if (order(b.first, a.first)) return false;
        return a.second < b.second;
    });
    for (const auto& group : groups)
        score_group(pooled[group], result.has_model, options.model_name, "", group.first, group.second,
                    result.scores, &result.wins);
    for (const auto& [group, members] : by_authority)
        score_group(members, result.has_model, options.model_name, std::get<0>(group), std::get<1>(group),
                    std::get<2>(group), result.scores_by_authority, nullptr);

    // Files list rows by authority, origin, series (in the order above), horizon.
    const KeyPositions position(result, order);
    stable_sort_rows(result.forecasts, [&position](const auto& row) {
        const QuantileForecast& f = row.second;
        return std::tuple(std::string_view(row.first.first), row.first.second, position(f.series, f.breakdown),
                          f.horizon);
    });
    sort_benchmarks(result.benchmarks, chunks, position);
    stable_sort_rows(result.scores_by_authority, [&position](const ScoreRow& row) {
        return std::tuple(std::string_view(row.la_code), position(row.key), row.horizon);
    });
    return result;
}

BacktestResult run_backtest(const Panel& panel, const BacktestOptions& options, const Forecaster& forecaster,
                            const BacktestProgressFn& progress, const std::filesystem::path& directory,
                            bool overwrite) {
    BacktestResult result = compute_backtest(panel, options, forecaster, progress);
    write_backtest(result, directory, overwrite);
    return result;
}

}  // namespace ehcpsim::calibrate
