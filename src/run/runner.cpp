#include "ehcpsim/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <limits>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "ehcpsim/rng.h"
#include "ehcpsim/record.h"
#include "ehcpsim/tsan_handover.h"

namespace ehcpsim {

namespace {

// The words shown for a drawn parameter: its [labels] entry, else, for a
// mitigation's parameter ("mitigations.<name>.<what>"), the mitigation's
// label and what the parameter is; "" when there is neither.
std::string label_of(const ScenarioSet& set, const Scenario& variant, const std::string& name) {
    if (const auto found = set.parameter_labels.find(name); found != set.parameter_labels.end())
        return found->second.first;
    const std::string prefix = "mitigations.";
    if (name.rfind(prefix, 0) != 0) return "";
    const std::size_t dot = name.find('.', prefix.size());
    if (dot == std::string::npos) return "";
    const std::string mitigation = name.substr(prefix.size(), dot - prefix.size());
    const std::string what = name.substr(dot + 1);
    for (const Mitigation& m : variant.mitigations) {
        if (m.name != mitigation || m.label.empty()) continue;
        if (what == "annual_cost") return m.label + ": annual cost";
        if (what == "target" || what == "stretch") return m.label + ": effect at " + what;
        return m.label + ": " + what;
    }
    return "";
}

// The [labels] names no variant draws (checked when every variant is
// compiled: a --variants subset may leave its variant out), as warnings.
std::vector<std::string> unused_labels(const ScenarioSet& set, const std::vector<Model>& models) {
    std::vector<std::string> problems;
    for (const auto& [name, label] : set.parameter_labels) {
        const bool drawn = std::any_of(models.begin(), models.end(), [&name = name](const Model& m) {
            return std::find(m.param_names.begin(), m.param_names.end(), name) != m.param_names.end();
        });
        if (!drawn)
            problems.push_back(format_location(label.second) + ": labels names no parameter '" + name +
                               "' of any variant (a parameter's name is the dotted key of its value, as the "
                               "drivers list it); the label is not used");
    }
    return problems;
}

}  // namespace

Runner::Runner(const ScenarioSet& scenario, RunOptions options, std::string engine_version)
    : options_(std::move(options)) {
    std::vector<const Scenario*> selected;
    if (options_.variants.empty()) {
        for (const Scenario& s : scenario.variants) selected.push_back(&s);
    } else {
        std::vector<Diagnostic> problems;
        for (const std::string& name : options_.variants) {
            auto found = std::find_if(scenario.variants.begin(), scenario.variants.end(),
                                      [&](const Scenario& s) { return s.variant == name; });
            if (found == scenario.variants.end()) {
                std::string known;
                for (const Scenario& s : scenario.variants) known += (known.empty() ? "" : ", ") + s.variant;
                problems.push_back({{scenario.sources.empty() ? "" : scenario.sources.front().path, "variants", 0, 0},
                                    "no variant named '" + name + "' (the scenario has: " + known + ")"});
            } else if (std::find(selected.begin(), selected.end(), &*found) == selected.end()) {
                selected.push_back(&*found);
            }
        }
        if (!problems.empty()) throw ScenarioError(std::move(problems));
    }
    for (const Scenario* s : selected) models_.push_back(compile(*s));
    if (selected.size() == scenario.variants.size()) label_warnings_ = unused_labels(scenario, models_);
    const auto varied = std::find_if(models_.begin(), models_.end(), [](const Model& m) { return m.rate_variation; });
    shock_model_ = varied != models_.end() ? static_cast<std::size_t>(varied - models_.begin()) : 0;
    for (const Model& m : models_) {
        std::vector<std::size_t> rows;
        for (std::size_t i = 0; i < m.param_names.size(); ++i) {
            auto same = [&](const SharedParameter& p) {
                return p.key == m.param_keys[i] && p.dist.describe() == m.param_dists[i].describe();
            };
            auto found = std::find_if(shared_parameters_.begin(), shared_parameters_.end(), same);
            rows.push_back(static_cast<std::size_t>(found - shared_parameters_.begin()));
            if (found == shared_parameters_.end()) shared_parameters_.push_back({m.param_dists[i], m.param_keys[i]});
        }
        shared_index_.push_back(std::move(rows));
    }

    const Model& first = models_.front();
    info_.scenario_name = scenario.name;
    info_.mode = options_.deterministic ? "deterministic" : "monte_carlo";
    info_.seed = options_.seed;
    info_.total_replicates = options_.deterministic ? 1 : options_.replicates;
    if (!options_.deterministic && options_.shard_count >= 0) {
        info_.first_replicate = options_.shard_first;
        info_.replicates = options_.shard_count;
    } else {
        info_.first_replicate = 0;
        info_.replicates = info_.total_replicates;
    }
    info_.engine_version = std::move(engine_version);
    for (int t = 0; t <= first.horizon; ++t) info_.years.push_back(first.year_of(t));
    info_.placements = first.placement_names;
    info_.needs = first.need_names;
    info_.phases = first.phase_names;
    info_.common_random_numbers = options_.common_random_numbers;
    info_.fixed_parameters = options_.fixed_parameters && !options_.deterministic;
    for (const Scenario* s : selected) {
        info_.levels.push_back(s->level == AmbitionLevel::target    ? "target"
                               : s->level == AmbitionLevel::stretch ? "stretch"
                                                                    : "none");
        info_.compare_to.push_back(s->compare_to);
    }
    for (const Model& m : models_) {
        std::vector<RunInfo::CapacityEntry> entries;
        for (const Model::CapacityStep& cap : m.capacity)
            entries.push_back({cap.placement, cap.phase, cap.overflow, cap.places});
        info_.capacity.push_back(std::move(entries));
        info_.specialist.push_back(m.specialist);
        std::vector<RunInfo::Adjustment> adjustments;
        for (const Model::Adjustment& a : m.adjustments) {
            const Distribution& dist = m.param_dists[static_cast<std::size_t>(a.amount)];
            adjustments.push_back({a.name, a.write_off ? "write_off" : "funding", m.year_of(a.year),
                                   dist.is_fixed() ? dist.a : std::numeric_limits<double>::quiet_NaN()});
        }
        info_.adjustments.push_back(std::move(adjustments));
    }
    bool labelled = false;
    for (std::size_t v = 0; v < models_.size(); ++v) {
        const Model& m = models_[v];
        info_.variants.push_back(m.variant);
        info_.variant_labels.push_back(selected[v]->label);
        std::vector<std::string> names, labels;
        for (int i : m.uncertain_params) {
            names.push_back(m.param_names[i]);
            labels.push_back(label_of(scenario, *selected[v], m.param_names[i]));
            labelled = labelled || !labels.back().empty();
        }
        labelled = labelled || !selected[v]->label.empty();
        info_.parameter_names.push_back(std::move(names));
        info_.parameter_labels.push_back(std::move(labels));
    }
    if (!labelled) {  // no labels: the file is as it was before labels existed
        info_.variant_labels.clear();
        info_.parameter_labels.clear();
    }
    for (const SourceFile& source : scenario.sources) info_.sources.push_back(SourceText{source.path, source.text});
    shape_.years = static_cast<int>(info_.years.size());
    shape_.placements = first.placements;
    shape_.needs = first.needs;
    shape_.phases = first.phases;
    // The [year, placement, phase] split is kept only for per-phase capacity.
    info_.phase_detail = std::any_of(models_.begin(), models_.end(), [](const Model& m) {
        return std::any_of(m.capacity.begin(), m.capacity.end(), [](const Model::CapacityStep& c) { return c.phase >= 0; });
    });
    shape_.phase_detail = info_.phase_detail;
    info_.plan_detail = options_.record_plan_detail;
    if (info_.plan_detail)
        for (int a = 0; a < first.ages; ++a) info_.ages.push_back(first.min_age + a);
    shape_.plan_detail = info_.plan_detail;
    // Results by age only when asked (in memory: no file stage writes them).
    shape_.by_age = options_.record_by_age;
    shape_.ages = first.ages;
}

void Runner::shared_draws(std::uint64_t replicate, std::vector<double>& shared, std::vector<double>& shocks) const {
    const ReplicateKey key(options_.seed, replicate);
    shared.resize(shared_parameters_.size());
    for (std::size_t g = 0; g < shared_parameters_.size(); ++g)
        shared[g] = options_.fixed_parameters
                        ? shared_parameters_[g].dist.mean()
                        : draw_parameter(shared_parameters_[g].dist, shared_parameters_[g].key, key);
    // Shocks keyed by year (and rate) only, so any variant's draw serves
    // all; one with rate variation also draws its multipliers' normals.
    draw_shocks(models_[shock_model_], options_.seed, replicate, shocks);
}

void Runner::variant_values(std::size_t v, const std::vector<double>& shared, std::vector<double>& values) const {
    values.resize(models_[v].param_names.size());
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = shared[shared_index_[v][i]];
}

bool Runner::stop_requested() const {
    return options_.cancel && options_.cancel->load(std::memory_order_relaxed);
}

ResultBlock Runner::compute_block(std::int64_t first, std::int64_t count, std::uint64_t* uniforms) const {
    ResultBlock block;
    std::vector<std::size_t> params_per_variant;
    for (const Model& m : models_) params_per_variant.push_back(m.uncertain_params.size());
    block.allocate(shape_, first, count, params_per_variant);
    std::atomic<std::uint64_t> total_uniforms{0};

    // Scratch per thread (which thread runs which replicate does not matter:
    // nothing random lives here).
    struct ThreadWork {
        std::vector<double> shared, values, shocks;
        Rates rates;
        Workspace<std::int64_t> random;
        Workspace<double> expected;
    };
    tbb::enumerable_thread_specific<ThreadWork> scratch;

    auto one_replicate = [&](std::int64_t slot, ThreadWork& work) {
        const auto replicate = static_cast<std::uint64_t>(first + slot);
        std::uint64_t used = 0;
        const bool crn = options_.common_random_numbers;
        if (!options_.deterministic && crn) {
            // Same seed, replicate and parameter names in every variant: the
            // variants of a replicate share their draws (common random numbers).
            shared_draws(replicate, work.shared, work.shocks);
        }
        for (std::size_t v = 0; v < models_.size(); ++v) {
            const Model& m = models_[v];
            VariantBlock& out = block.variants[v];
            const std::size_t np = m.uncertain_params.size();
            if (options_.deterministic) {
                project_expected(m, out, slot, work.values, work.shocks, work.rates, work.expected);
                continue;
            }
            const std::uint64_t seed = crn ? options_.seed : variant_seed(v);
            if (crn) {
                variant_values(v, work.shared, work.values);
            } else {
                if (options_.fixed_parameters)
                    work.values = mean_parameters(m);
                else
                    draw_parameters(m, seed, replicate, work.values);
                draw_shocks(m, seed, replicate, work.shocks);
            }
            realise(m, work.values, work.shocks, work.rates);
            for (std::size_t k = 0; k < np; ++k)
                out.parameters[static_cast<std::size_t>(slot) * np + k] = work.values[m.uncertain_params[k]];
            RandomDraws draws{seed, replicate, uniforms ? &used : nullptr, options_.cancel};
            project(m, work.rates, draws, out, shape_, slot, work.random);
        }
        if (uniforms) total_uniforms += used;
    };

    // A stop request is seen before each replicate, not only between blocks,
    // so a run stops within a replicate's time of Ctrl-C. The block is then
    // incomplete and thrown away (Interrupted): what is written never
    // depends on when, or on how many threads, it ran.
    TsanHandOver::publish();
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, count), [&](const tbb::blocked_range<std::int64_t>& range) {
        TsanHandOver::body_begins();
        ThreadWork& work = scratch.local();
        for (std::int64_t slot = range.begin(); slot != range.end() && !stop_requested(); ++slot) one_replicate(slot, work);
        TsanHandOver::body_ends();
    });
    TsanHandOver::collect();
    if (stop_requested()) throw Interrupted();
    if (uniforms) *uniforms += total_uniforms.load();
    return block;
}

// The expected number of pupils the engine handles one by one in a
// simulated year (each pupil who moves placement draws a uniform, each
// transfer in is placed on its own; everything else is a draw per cell),
// averaged over the years and taken at the largest variant. From the
// expected-value projection, so a population or a transfers rate that would
// make a replicate take hours is seen before the run.
double Runner::pupils_per_year() const {
    const ResultBlock expected = compute_expected();
    double pupils = 0.0;
    for (const VariantBlock& v : expected.variants) {
        double sum = 0.0;
        for (int t = 1; t < shape_.years; ++t) {
            const double moves = v.metrics[m_moves][static_cast<std::size_t>(t)];
            const double transfers = v.metrics[m_transfers_in][static_cast<std::size_t>(t)];
            sum += (std::isfinite(moves) ? moves : 0.0) + (std::isfinite(transfers) ? transfers : 0.0);
        }
        pupils = std::max(pupils, sum / std::max(1, shape_.years - 1));
    }
    return pupils;
}

Runner::Estimate Runner::estimate(int threads) const {
    double bytes_per_replicate = 0.0, cells = 0.0, datasets = 0.0;
    for (const Model& m : models_) {
        for (int metric = 0; metric < metric_count; ++metric) {
            const std::size_t values = shape_.values_per_replicate(metric);
            bytes_per_replicate += static_cast<double>(values) * sizeof(double);
            datasets += values > 0 ? 1.0 : 0.0;
        }
        bytes_per_replicate += static_cast<double>(m.uncertain_params.size()) * sizeof(double);
        cells = std::max(cells, static_cast<double>(m.cells()));
    }
    const double replicates = static_cast<double>(info_.replicates);
    const double workers = std::max(1, threads > 0 ? threads : tbb::this_task_arena::max_concurrency());
    Estimate e;
    e.file_bytes = bytes_per_replicate * replicates;
    // Two result blocks of at most ~16 MiB, a chunk cache of at most 1 MiB a
    // dataset, and each worker's state and scratch (a few copies of the cells).
    e.memory_bytes = 2.0 * std::min(16.0 * (1 << 20), bytes_per_replicate * std::min(replicates, 2048.0)) +
                     datasets * (1 << 20) + workers * 8.0 * cells * sizeof(std::int64_t) + 64.0 * (1 << 20);
    // Per cell: the measured 45 us a replicate-year of Halton (2,496 cells),
    // scaled by cells; per pupil handled one by one: 30 ns (measured on the
    // small test scenario with transfers_in.rate = 1e7: 5e7 transfers in
    // 1.5 s; docs/performance.md, "The size guard").
    const double per_year = 45e-6 * std::max(1.0, cells / 2496.0) + 30e-9 * pupils_per_year();
    const double replicate_years = replicates * static_cast<double>(models_.size()) * (shape_.years - 1);
    e.seconds = replicate_years * per_year / workers;
    return e;
}

// Without common random numbers each variant gets a seed of its own, derived
// from the master seed and the variant's name (not its position, so the
// same variant draws the same numbers whatever else is run with it).
std::uint64_t Runner::variant_seed(std::size_t v) const {
    const std::string& name = models_[v].variant;
    return splitmix64(options_.seed ^ hash_name(name.data(), name.size()));
}

void Runner::project_expected(const Model& m, VariantBlock& out, std::int64_t slot, std::vector<double>& values,
                              std::vector<double>& shocks, Rates& rates, Workspace<double>& work) const {
    values = mean_parameters(m);
    shocks.assign(static_cast<std::size_t>(m.horizon) + 1, 0.0);
    realise(m, values, shocks, rates);
    const std::size_t np = m.uncertain_params.size();
    for (std::size_t k = 0; k < np; ++k)
        out.parameters[static_cast<std::size_t>(slot) * np + k] = values[m.uncertain_params[k]];
    project(m, rates, ExpectedDraws{}, out, shape_, slot, work);
}

ResultBlock Runner::compute_expected() const {
    ResultBlock block;
    std::vector<std::size_t> params_per_variant;
    for (const Model& m : models_) params_per_variant.push_back(m.uncertain_params.size());
    block.allocate(shape_, 0, 1, params_per_variant);
    std::vector<double> values, shocks;
    Rates rates;
    Workspace<double> work;
    for (std::size_t v = 0; v < models_.size(); ++v)
        project_expected(models_[v], block.variants[v], 0, values, shocks, rates, work);
    return block;
}

RunStats Runner::run(BlockSink& sink, const std::vector<ReplicateRange>& finished, bool count_uniforms) const {
    sink.expected(compute_expected());
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t total = info_.replicates;  // this file's replicates
    const std::int64_t offset = info_.first_replicate;
    // Blocks big enough to keep every thread busy, small enough that memory
    // stays flat and modest: about 16 MiB of results a block (two are in
    // flight, one computing and one being written), at most 2,048 replicates.
    std::size_t bytes_per_replicate = 0;
    for (const Model& m : models_) {
        for (int metric = 0; metric < metric_count; ++metric) bytes_per_replicate += shape_.values_per_replicate(metric);
        bytes_per_replicate += m.uncertain_params.size();
    }
    bytes_per_replicate *= sizeof(double);
    const auto by_memory = static_cast<std::int64_t>((std::size_t{16} << 20) / std::max<std::size_t>(1, bytes_per_replicate));
    const std::int64_t block_size = options_.block_size > 0
                                        ? options_.block_size
                                        : std::clamp<std::int64_t>(std::min<std::int64_t>(total, by_memory), 1, 2048);
    // The blocks to compute: this file's replicates less those an earlier
    // run finished (which need not fall on this run's block boundaries).
    std::vector<ReplicateRange> saved = finished;
    std::sort(saved.begin(), saved.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<ReplicateRange> blocks;
    std::int64_t next = offset;
    const auto split = [&](std::int64_t end) {
        for (; next < end; next += std::min(block_size, end - next))
            blocks.push_back({next, std::min(block_size, end - next)});
    };
    for (const auto& range : saved) {
        split(range.first);
        next = range.first + range.count;
    }
    split(offset + total);

    const int threads = options_.threads > 0 ? options_.threads : tbb::this_task_arena::max_concurrency();
    tbb::task_arena arena(threads);
    RunStats stats;
    for (const ReplicateRange& range : saved) stats.resumed_replicates += range.count;
    std::int64_t done = stats.resumed_replicates;
    std::uint64_t uniforms = 0;
    const auto cancelled = [this] { return stop_requested(); };
    // Block k is written (one thread, in replicate order) while block k+1 is
    // computed, so I/O hides behind the simulation; the sink prepares each
    // block (compresses it) on the workers first, so the writing thread is
    // not the limit as threads are added. An
    // earlier run's blocks are replayed the same way, first, while the first
    // missing block is computed.
    std::atomic<bool> resumed_all{true};
    ResultBlock writing_block;
    std::future<void> writing;  // declared last: its destructor waits for the task that uses the others
    const auto interrupt = [&] {
        if (writing.valid()) writing.wait();  // let the sink finish with its block first
        sink.stopped();                       // and keep every finished block
        return Interrupted();
    };
    if (stats.resumed_replicates > 0) {
        resumed_all = false;
        writing = std::async(std::launch::async, [&sink, &resumed_all, &cancelled] {
            resumed_all = sink.replay(std::function<bool()>(cancelled));
        });
    }
    for (const ReplicateRange& range : blocks) {
        const std::int64_t first = range.first, count = range.count;  // clang 14 cannot capture a structured binding
        if (cancelled()) throw interrupt();
        ResultBlock block;
        try {
            arena.execute([&] {
                block = compute_block(first, count, count_uniforms ? &uniforms : nullptr);
                sink.prepare(block);  // on the workers: compression is not left to the writing thread
            });
        } catch (const Interrupted&) {
            throw interrupt();  // stopped inside the block: nothing of it is kept
        }
        if (writing.valid()) writing.get();  // rethrows a write failure
        writing_block = std::move(block);
        writing = std::async(std::launch::async, [&sink, &writing_block] { sink.write(writing_block); });
        done += count;
        if (options_.progress) options_.progress(done, total);
    }
    if (writing.valid()) writing.get();
    if (!resumed_all) throw interrupt();  // stopped while the earlier blocks were replayed
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.replicate_years =
        (total - stats.resumed_replicates) * static_cast<std::int64_t>(models_.size()) * (shape_.years - 1);
    stats.uniforms = uniforms;
    return stats;
}

}  // namespace ehcpsim
