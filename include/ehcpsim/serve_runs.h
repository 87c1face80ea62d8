// The runs of `ehcpsim serve`: one at a time, in the background, each of a
// whole scenario with the server's seed (so every run after an edit uses the
// same random numbers as the last: common random numbers across edits). A
// new run cancels the one in flight through the runner's stop flag. A run
// writes its ensemble to a file in the server's work directory, the same
// file `ehcpsim run -o` writes, and its views are the summary stage's own
// (DBV, places) read back from that file, so the page shows what `ehcpsim
// summary` of a direct run would; the fan quantiles are the summary's
// type-7 quantiles of three metrics, and P(cumulative deficit > X) is
// computed for any X from the horizon's deficits kept in memory.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ehcpsim/scenario.h"

namespace ehcpsim {

struct RunSettings {
    std::uint64_t seed = 1;
    std::int64_t replicates = 1000;
    int threads = 0;  // 0 = every core
    std::int64_t block_size = 0;  // 0 = about eight blocks a run, so progress moves
    // Each lever's worth (summary_levers.h): every subset of each mitigated
    // variant's levers under the same draws, 2^k projections a replicate, so
    // much slower than the run itself; off unless the page asks.
    bool lever_worth = false;
};

class RunManager {
public:
    // Results files go to `work_dir` (which must exist).
    explicit RunManager(std::filesystem::path work_dir);
    ~RunManager();  // cancels and waits for the run in flight
    RunManager(const RunManager&) = delete;
    RunManager& operator=(const RunManager&) = delete;

    // Cancels the run in flight (and waits for it to stop), then starts one
    // of `scenario`. Returns the new run's number (1, 2, ...).
    std::int64_t start(ScenarioSet scenario, RunSettings settings);
    // {"run", "state": idle|running|done|cancelled|failed, "done", "total",
    //  "seconds" (start to results ready), "results_run" (the run the
    //  results are of), "cancelled_runs" (runs stopped by a newer one), "error"}.
    nlohmann::ordered_json status() const;
    // Waits until no run is in flight, at most `timeout`; true if none is.
    bool wait(std::chrono::milliseconds timeout) const;
    // The views of the last finished run, with P(cumulative deficit at the
    // horizon > x) per variant; nullopt before any run finished.
    std::optional<nlohmann::ordered_json> results(double x) const;
    // The last finished run's ensemble file copied to `to` (false before any
    // run finished); the copy is taken while the file is held, so a newer
    // run cannot remove it half-way.
    bool copy_results(const std::filesystem::path& to) const;

private:
    struct Finished;
    void work(std::int64_t id, ScenarioSet scenario, RunSettings settings);

    std::filesystem::path work_dir_;
    std::mutex start_mutex_;  // one start() at a time
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::thread worker_;
    std::atomic<bool> cancel_{false};
    std::int64_t run_ = 0;
    std::string state_ = "idle";
    std::string error_;
    std::atomic<std::int64_t> done_{0}, total_{0};
    std::atomic<std::int64_t> cancelled_{0};  // runs stopped by a newer one
    double seconds_ = 0.0;
    std::chrono::steady_clock::time_point started_;
    std::shared_ptr<const Finished> finished_;
};

}  // namespace ehcpsim
