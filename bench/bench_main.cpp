// Throughput and memory benchmark for the default (Halton) scenario.
// Not a timed test: it prints one JSON object per measurement, which
// bench/run.sh collects into bench/results.json and docs/performance.md quotes.
//
//   ehcpsim_bench throughput --threads 1 -n 20000   # compute only, no file
//   ehcpsim_bench endtoend   --threads 2 -n 20000   # including the HDF5 writer
//   ehcpsim_bench throughput --threads 1 -n 20000 --by-age  # recording the results by age too
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <tbb/task_arena.h>

#include "ehcpsim/file_sink.h"
#include "ehcpsim/runner.h"
#include "ehcpsim/version.h"

using namespace ehcpsim;

namespace {

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ehcpsim benchmark harness"};
    std::string mode = "throughput", variant = "unmitigated_lower";
    std::int64_t replicates = 20000;
    int threads = 1, repeat = 1;
    app.add_option("mode", mode, "throughput (compute only) or endtoend (with the HDF5 writer)")
        ->check(CLI::IsMember({"throughput", "endtoend"}));
    app.add_option("-n,--replicates", replicates)->check(CLI::PositiveNumber);
    app.add_option("--threads", threads)->check(CLI::PositiveNumber);
    app.add_option("--variant", variant, "Variant to run (\"all\" for every variant)");
    app.add_option("--repeat", repeat, "Throughput: run this many times and report the fastest (shared machines are noisy)")
        ->check(CLI::PositiveNumber);
    bool by_age = false;
    app.add_flag("--by-age", by_age, "Throughput: record the results by age too (RunOptions::record_by_age)");
    CLI11_PARSE(app, argc, argv);

    const ScenarioSet scenario = load_default_scenario();
    RunOptions options;
    options.seed = scenario.default_seed;
    options.replicates = replicates;
    options.threads = threads;
    options.record_by_age = by_age;
    if (variant != "all") options.variants = {variant};
    const Runner runner(scenario, options, EHCPSIM_VERSION);
    const int years = static_cast<int>(runner.info().years.size()) - 1;
    const std::int64_t replicate_years = replicates * years * static_cast<std::int64_t>(runner.models().size());

    double seconds = 0.0;
    std::uint64_t uniforms = 0;
    if (mode == "throughput") {
        tbb::task_arena arena(threads);
        const std::int64_t block = 2048;
        for (int round = 0; round < repeat; ++round) {
            uniforms = 0;
            const auto start = std::chrono::steady_clock::now();
            for (std::int64_t first = 0; first < replicates; first += block)
                arena.execute([&] { runner.compute_block(first, std::min(block, replicates - first), &uniforms); });
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            seconds = round == 0 ? elapsed : std::min(seconds, elapsed);
        }
    } else {
        const std::string path = (std::filesystem::temp_directory_path() / ("ehcpsim-bench-" + std::to_string(getpid()) + ".h5")).string();
        {
            ResultWriter writer(path, runner.info(), true);
            FileSink sink(writer, nullptr);
            const RunStats stats = runner.run(sink, {}, true);
            writer.finish();
            seconds = stats.seconds;
            uniforms = stats.uniforms;
        }
        std::printf("{\"file_bytes\": %ju, ", static_cast<std::uintmax_t>(std::filesystem::file_size(path)));
        std::filesystem::remove(path);
    }
    if (mode == "throughput") std::printf("{");
    std::printf("\"mode\": \"%s\", \"variant\": \"%s\", \"threads\": %d, \"replicates\": %lld, \"years\": %d, "
                "\"replicate_years\": %lld, \"seconds\": %.4f, \"replicate_years_per_second\": %.1f, "
                "\"ns_per_replicate_year\": %.1f, \"uniforms_per_replicate_year\": %.1f, \"peak_rss_kib\": %ld, "
                "\"engine_version\": \"%s\"}\n",
                mode.c_str(), variant.c_str(), threads, static_cast<long long>(replicates), years,
                static_cast<long long>(replicate_years), seconds, static_cast<double>(replicate_years) / seconds,
                seconds * 1e9 / static_cast<double>(replicate_years),
                static_cast<double>(uniforms) / static_cast<double>(replicate_years), peak_rss_kib(), EHCPSIM_VERSION);
    return 0;
}
