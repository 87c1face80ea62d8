// Each lever's worth: every subset of a mitigated variant's levers projected
// under the variant's own draws (runner.h, Runner::lever_subsets; the shares
// are the summary's, summary_levers.h). A subset is the variant's compiled
// model with only some of Model::levers kept, in their order, so parameters,
// shocks and every keyed stream are the variant's: the all-levers subset is
// the variant bit for bit, and the difference between two subsets carries
// only the noise of the pupils the levers in between touch (MODEL.md 7).
#include <stdexcept>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "ehcpsim/error.h"
#include "ehcpsim/record.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/tsan_handover.h"

namespace ehcpsim {

void Runner::check_lever_worth() const {
    std::vector<Diagnostic> problems;
    for (const Model& m : models_) {
        if (m.levers.size() <= static_cast<std::size_t>(max_worth_levers)) continue;
        Diagnostic& problem = problems.emplace_back();
        problem.where.file = info_.sources.empty() ? std::string() : info_.sources.front().path;
        problem.where.key = "variants." + m.variant;
        problem.message = "variant '" + m.variant + "' has " + std::to_string(m.levers.size()) +
                          " levers; each lever's worth runs every subset of them (2^k projections a replicate), "
                          "so at most " + std::to_string(max_worth_levers) +
                          " are allowed: leave that variant out (--variants) or run without --lever-worth";
    }
    if (!problems.empty()) throw ScenarioError(std::move(problems));
}

std::vector<LeverSubsets> Runner::lever_subsets() const {
    if (options_.deterministic || !options_.common_random_numbers)
        throw std::logic_error("lever_subsets: a Monte Carlo run with common random numbers only");
    check_lever_worth();
    std::vector<std::size_t> mitigated;
    std::vector<LeverSubsets> out;
    for (std::size_t v = 0; v < models_.size(); ++v) {
        const Model& m = models_[v];
        if (m.levers.empty()) continue;
        mitigated.push_back(v);
        LeverSubsets& subsets = out.emplace_back();
        subsets.variant = m.variant;
        for (const Model::Lever& lever : m.levers) subsets.levers.push_back(lever.name);
        subsets.deficit.assign(static_cast<std::size_t>(info_.replicates) * subsets.subsets(), 0.0);
    }
    if (mitigated.empty()) return out;

    // Each subset's levers, per mitigated variant: [variant][subset].
    std::vector<std::vector<std::vector<Model::Lever>>> subset_levers;
    for (std::size_t v : mitigated) {
        const std::vector<Model::Lever>& all = models_[v].levers;
        auto& per_subset = subset_levers.emplace_back(std::size_t{1} << all.size());
        for (std::size_t s = 0; s < per_subset.size(); ++s)
            for (std::size_t j = 0; j < all.size(); ++j)
                if (s >> j & 1U) per_subset[s].push_back(all[j]);
    }

    const std::size_t horizon = static_cast<std::size_t>(shape_.years - 1);
    struct ThreadWork {
        std::vector<double> shared, values, shocks;
        Rates rates;
        Workspace<std::int64_t> random;
        std::vector<Model> models;  // a copy of each mitigated variant, its levers swapped per subset
        ResultBlock block;          // one replicate
    };
    tbb::enumerable_thread_specific<ThreadWork> scratch;
    auto one_replicate = [&](std::int64_t slot, ThreadWork& work) {
        if (work.models.empty()) {
            for (std::size_t v : mitigated) work.models.push_back(models_[v]);
            std::vector<std::size_t> params;
            for (const Model& m : models_) params.push_back(m.uncertain_params.size());
            work.block.allocate(shape_, 0, 1, params);
        }
        const auto replicate = static_cast<std::uint64_t>(info_.first_replicate + slot);
        shared_draws(replicate, work.shared, work.shocks);
        for (std::size_t i = 0; i < mitigated.size(); ++i) {
            const std::size_t v = mitigated[i];
            variant_values(v, work.shared, work.values);
            Model& m = work.models[i];
            VariantBlock& block = work.block.variants[v];
            const std::size_t subsets = subset_levers[i].size();
            for (std::size_t s = 0; s < subsets; ++s) {
                m.levers = subset_levers[i][s];
                realise(m, work.values, work.shocks, work.rates);
                const RandomDraws draws{options_.seed, replicate, nullptr, options_.cancel};
                if (!project(m, work.rates, draws, block, shape_, 0, work.random)) return;
                out[i].deficit[static_cast<std::size_t>(slot) * subsets + s] = block.metrics[m_cumulative_deficit][horizon];
            }
        }
    };
    const int threads = options_.threads > 0 ? options_.threads : tbb::this_task_arena::max_concurrency();
    tbb::task_arena arena(threads);
    TsanHandOver::publish();
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, info_.replicates),
                          [&](const tbb::blocked_range<std::int64_t>& range) {
                              TsanHandOver::body_begins();
                              ThreadWork& work = scratch.local();
                              for (std::int64_t slot = range.begin(); slot != range.end() && !stop_requested(); ++slot)
                                  one_replicate(slot, work);
                              TsanHandOver::body_ends();
                          });
    });
    TsanHandOver::collect();
    if (stop_requested()) throw Interrupted();
    return out;
}

}  // namespace ehcpsim
