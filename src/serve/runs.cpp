// The runs of `ehcpsim serve` (serve_runs.h): one in the background at a
// time, into a file, read back through the summary stage.
#include "ehcpsim/serve_runs.h"


#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>

#include "ehcpsim/error.h"
#include "ehcpsim/file_sink.h"
#include "ehcpsim/output.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/summary.h"
#include "ehcpsim/summary_levers.h"
#include "ehcpsim/version.h"

namespace ehcpsim {

using Json = nlohmann::ordered_json;

struct RunManager::Finished {
    std::int64_t run = 0;
    std::filesystem::path file;
    Json views;                                   // everything but the exceedance
    int horizon_year = 0;
    std::vector<std::string> variants;
    std::vector<std::vector<double>> horizon_deficit;  // [variant][replicate]
    ~Finished() {
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
    }
};

namespace {

// NaN and infinity have no JSON number: null.
Json number(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

Json numbers(const std::vector<double>& xs) {
    Json out = Json::array();
    for (double x : xs) out.push_back(number(x));
    return out;
}

// Mean and the summary's quantiles by year of a [replicate][year] metric.
Json fan(const std::vector<double>& values, std::size_t replicates, std::size_t years) {
    Json out;
    std::vector<double> mean(years), column(replicates);
    std::vector<std::vector<double>> q(summary_probabilities.size(), std::vector<double>(years));
    for (std::size_t y = 0; y < years; ++y) {
        double sum = 0.0;
        std::size_t n = 0;
        for (std::size_t r = 0; r < replicates; ++r) {
            column[r] = values[r * years + y];
            if (!std::isnan(column[r])) {
                sum += column[r];
                ++n;
            }
        }
        mean[y] = n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
        std::vector<double> sorted = column;
        std::sort(sorted.begin(), sorted.end(), [](double a, double b) {
            return std::isnan(b) ? !std::isnan(a) : (!std::isnan(a) && a < b);
        });
        for (std::size_t p = 0; p < summary_probabilities.size(); ++p)
            q[p][y] = quantile_sorted(sorted, summary_probabilities[p]);
    }
    out["mean"] = numbers(mean);
    for (std::size_t p = 0; p < summary_probabilities.size(); ++p)
        out["p" + std::to_string(static_cast<int>(std::lround(summary_probabilities[p] * 100)))] = numbers(q[p]);
    return out;
}

Json statistics_json(const Statistics& s) {
    return {{"mean", number(s.mean)}, {"p5", number(s.p5)}, {"p50", number(s.p50)}, {"p95", number(s.p95)}};
}

Json series_json(const DbvSeries& s) {
    return {{"p5", numbers(s.p5)}, {"p50", numbers(s.p50)}, {"p95", numbers(s.p95)},
            {"deterministic", numbers(s.deterministic)}};
}

Json dbv_json(const DbvSummary& dbv) {
    Json out;
    out["horizon"] = dbv.horizon_year;
    Json opportunities = Json::array();
    for (const DbvBound& bound : dbv.bounds) {
        const auto one = [&](const Opportunity& o) {
            Json row = statistics_json(o.statistics);
            row["variant"] = o.variant;
            row["compare_to"] = o.compare_to;
            row["level"] = std::string(ambition_level_name(o.level));
            row["range"] = o.range;
            row["deterministic"] = number(o.deterministic);
            row["variance_reduction"] = number(o.variance_reduction);
            return row;
        };
        for (const Opportunity& o : bound.opportunities) opportunities.push_back(one(o));
        if (bound.range) opportunities.push_back(one(*bound.range));
    }
    out["opportunities"] = opportunities;
    Json table = Json::array();
    for (const DbvTableEntry& e : dbv.table)
        table.push_back({{"variant", e.variant},
                         {"level", std::string(ambition_level_name(e.level))},
                         {"compare_to", e.compare_to},
                         {"spend", series_json(e.spend)},
                         {"cumulative_deficit", series_json(e.cumulative_deficit)}});
    out["table"] = table;
    return out;
}

Json places_json(const std::vector<VariantPlaces>& places) {
    Json out = Json::array();
    for (const VariantPlaces& v : places) {
        Json entries = Json::array();
        for (const PlacePlanning& p : v.entries) {
            Json e;
            e["name"] = p.name;
            e["overflow_to"] = p.overflow_to;
            e["capacity"] = numbers(p.capacity);
            e["demand_mean"] = numbers(p.demand_mean);
            for (std::size_t i = 0; i < summary_probabilities.size() && i < p.demand.size(); ++i)
                e["demand_p" + std::to_string(static_cast<int>(std::lround(summary_probabilities[i] * 100)))] =
                    numbers(p.demand[i]);
            e["p_shortfall"] = numbers(p.p_shortfall);
            e["overflow_mean"] = numbers(p.overflow_mean);
            entries.push_back(e);
        }
        out.push_back({{"variant", v.variant}, {"entries", entries}});
    }
    return out;
}

}  // namespace

RunManager::RunManager(std::filesystem::path work_dir) : work_dir_(std::move(work_dir)) {}

RunManager::~RunManager() {
    cancel_.store(true);
    if (worker_.joinable()) worker_.join();
}

std::int64_t RunManager::start(ScenarioSet scenario, RunSettings settings) {
    std::lock_guard starting(start_mutex_);
    cancel_.store(true);
    if (worker_.joinable()) worker_.join();
    cancel_.store(false);
    std::lock_guard lock(mutex_);
    const std::int64_t id = ++run_;
    state_ = "running";
    error_.clear();
    done_.store(0);
    total_.store(settings.replicates);
    seconds_ = 0.0;
    started_ = std::chrono::steady_clock::now();
    worker_ = std::thread([this, id, scenario = std::move(scenario), settings]() mutable {
        work(id, std::move(scenario), settings);
    });
    changed_.notify_all();
    return id;
}

namespace {

// Each lever's worth as the page draws it: per variant, its opportunity and
// each lever's standalone worth, Shapley share and per cent (mean, P10, P50,
// P90); [] for a run without it.
Json lever_worth_json(const std::vector<VariantLeverWorth>& worth) {
    const auto spread = [](const WorthSpread& s) {
        const auto number = [](double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); };
        return Json{{"mean", number(s.mean)}, {"p10", number(s.p10)}, {"p50", number(s.p50)}, {"p90", number(s.p90)}};
    };
    Json out = Json::array();
    for (const VariantLeverWorth& v : worth) {
        Json levers = Json::array();
        for (const LeverWorthRow& row : v.levers)
            levers.push_back({{"lever", row.lever},
                              {"alone", spread(row.alone)},
                              {"share", spread(row.shapley)},
                              {"percent", spread(row.percent)}});
        out.push_back({{"variant", v.variant},
                       {"compare_to", v.compare_to},
                       {"opportunity", spread(v.opportunity)},
                       {"levers", levers}});
    }
    return out;
}

}  // namespace

void RunManager::work(std::int64_t id, ScenarioSet scenario, RunSettings settings) {
    std::string state = "done", error;
    std::shared_ptr<Finished> finished;
    try {
        RunOptions options;
        options.seed = settings.seed;
        options.replicates = settings.replicates;
        options.threads = settings.threads;
        options.cancel = &cancel_;
        // About eight blocks, so the page's progress moves (the numbers do not depend on it).
        options.block_size = settings.block_size > 0 ? settings.block_size
                                                     : std::clamp<std::int64_t>(settings.replicates / 8, 32, 2048);
        options.progress = [this](std::int64_t done, std::int64_t total) {
            done_.store(done);
            total_.store(total);
        };
        const Runner runner(scenario, options, EHCPSIM_VERSION);
        if (settings.lever_worth) runner.check_lever_worth();  // before the run, not after it
        auto result = std::make_shared<Finished>();
        result->run = id;
        result->file = work_dir_ / ("run-" + std::to_string(id) + ".h5");
        const auto t0 = std::chrono::steady_clock::now();
        {
            ResultWriter writer(result->file.string(), runner.info(), true);
            FileSink sink(writer, nullptr);
            runner.run(sink);
            if (settings.lever_worth) writer.write_lever_subsets(runner.lever_subsets());
            writer.finish();
        }
        const auto t1 = std::chrono::steady_clock::now();
        const ResultReader reader(result->file.string());
        const RunInfo& info = reader.info();
        SummaryViews views = SummaryViews::none();
        views.dbv = true;
        views.places = true;
        const Summary summary = summarise(reader, SummaryOptions({}, views));
        const std::size_t years = info.years.size(), replicates = static_cast<std::size_t>(info.replicates);
        Json variants = Json::array();
        for (std::size_t v = 0; v < info.variants.size(); ++v) {
            Json fans;
            for (const auto& [name, metric] : {std::pair{"total_stock", m_total_stock}, std::pair{"spend", m_spend},
                                               std::pair{"cumulative_deficit", m_cumulative_deficit}}) {
                const std::vector<double> values = reader.read_metric(info.variants[v], metric);
                fans[name] = fan(values, replicates, years);
                if (metric == m_cumulative_deficit) {
                    std::vector<double> last(replicates);
                    for (std::size_t r = 0; r < replicates; ++r) last[r] = values[r * years + years - 1];
                    result->horizon_deficit.push_back(std::move(last));
                }
            }
            variants.push_back({{"name", info.variants[v]},
                                {"level", info.levels[v]},
                                {"compare_to", info.compare_to[v]},
                                {"fans", fans}});
            result->variants.push_back(info.variants[v]);
        }
        Json& out = result->views;
        out["run"] = id;
        out["scenario"] = info.scenario_name;
        out["seed"] = info.seed;
        out["replicates"] = info.replicates;
        out["years"] = info.years;
        out["variants"] = variants;
        out["dbv"] = dbv_json(summary.dbv);
        out["places"] = places_json(summary.places);
        out["lever_worth"] = lever_worth_json(lever_worth(reader));
        result->horizon_year = info.years.empty() ? 0 : info.years.back();
        // Where the time went: the run into its file, then the views read back from it.
        out["timing"] = {{"run_and_file", std::chrono::duration<double>(t1 - t0).count()},
                         {"views", std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count()}};
        finished = std::move(result);
    } catch (const Interrupted&) {
        state = "cancelled";
        ++cancelled_;
    } catch (const ScenarioError& e) {
        state = "failed";
        error = e.what();
    } catch (const std::exception& e) {
        state = "failed";
        error = e.what();
    }
    std::lock_guard lock(mutex_);
    if (id != run_) return;  // superseded (cannot happen: start() waits for this thread)
    state_ = state;
    error_ = error;
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (finished) {
        finished->views["seconds"] = seconds_;
        finished_ = std::move(finished);
    }
    changed_.notify_all();
}

Json RunManager::status() const {
    std::lock_guard lock(mutex_);
    Json out;
    out["run"] = run_;
    out["state"] = state_;
    out["done"] = done_.load();
    out["total"] = total_.load();
    out["seconds"] = state_ == "running"
                         ? std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()
                         : seconds_;
    out["results_run"] = finished_ ? finished_->run : 0;
    out["cancelled_runs"] = cancelled_.load();
    if (!error_.empty()) out["error"] = error_;
    return out;
}

bool RunManager::wait(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return state_ != "running"; });
}

std::optional<Json> RunManager::results(double x) const {
    std::shared_ptr<const Finished> finished;
    {
        std::lock_guard lock(mutex_);
        finished = finished_;
    }
    if (!finished) return std::nullopt;
    Json out = finished->views;
    Json probability = Json::object();
    for (std::size_t v = 0; v < finished->variants.size(); ++v) {
        std::size_t above = 0, n = 0;
        for (double d : finished->horizon_deficit[v]) {
            if (std::isnan(d)) continue;
            ++n;
            if (d > x) ++above;
        }
        probability[finished->variants[v]] = n ? Json(static_cast<double>(above) / static_cast<double>(n)) : Json(nullptr);
    }
    out["exceedance"] = {{"x", x}, {"year", finished->horizon_year}, {"probability", probability}};
    return out;
}

bool RunManager::copy_results(const std::filesystem::path& to) const {
    std::shared_ptr<const Finished> finished;
    {
        std::lock_guard lock(mutex_);
        finished = finished_;
    }
    if (!finished) return false;
    std::filesystem::copy_file(finished->file, to, std::filesystem::copy_options::overwrite_existing);
    return true;
}

}  // namespace ehcpsim
