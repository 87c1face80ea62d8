// Helpers for the in-process tests of the app (tests/test_app_*.cpp): a
// command run with its streams held, stopped after a chosen block, and two
// results files compared dataset by dataset.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "ehcpsim/app.h"
#include "ehcpsim/output.h"
#include "ehcpsim/results.h"
#include "test_support.h"

namespace ehcpsim::testing {

// What a command printed and the exit code it ended with, as the command
// line would give them (a failure through explain_failure).
struct AppOutcome {
    int code = -1;
    std::string out, err;
};

// Runs `command` with a Console whose streams are held. A stop is requested
// once `stop_after_blocks` blocks have been handed on (never when < 0), as
// Ctrl-C would, but at an exact block rather than a moment.
template <typename Command>
AppOutcome run_in_process(Command command, int stop_after_blocks = -1) {
    std::ostringstream out, err;
    std::atomic<bool> stop{false};
    int blocks = 0;
    const Console console{out, err,
                          [&](std::int64_t, std::int64_t) {
                              if (stop_after_blocks >= 0 && ++blocks >= stop_after_blocks) stop = true;
                          },
                          &stop, World{}};
    AppOutcome outcome;
    try {
        outcome.code = command(console);
    } catch (...) {
        outcome.code = explain_failure(std::current_exception(), err);
    }
    outcome.out = out.str();
    outcome.err = err.str();
    return outcome;
}

inline AppOutcome run_request(const RunRequest& request, int stop_after_blocks = -1) {
    return run_in_process([&](const Console& console) { return run_command(request, console); }, stop_after_blocks);
}

// A quiet run of the small test scenario to `target` ("" = no -o) on one
// thread: `replicates` in blocks of `block_size`, seed `seed`.
inline RunRequest small_run(const std::string& target, std::int64_t replicates, std::uint64_t seed = 5,
                            std::int64_t block_size = 10) {
    RunRequest request;
    request.scenario = small_scenario();
    request.replicates = replicates;
    request.seed = seed;
    request.block_size = block_size;
    request.threads = 1;
    request.quiet = true;
    request.output = target;
    return request;
}

// A file's bytes.
inline std::string contents(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every dataset compared value by value (bits, so NaN equals NaN), through
// the reader.
inline void expect_same_results(const std::string& a, const std::string& b) {
    const ResultReader x(a), y(b);
    ASSERT_EQ(x.info().variants, y.info().variants);
    EXPECT_EQ(x.info().replicates, y.info().replicates);
    EXPECT_EQ(x.info().first_replicate, y.info().first_replicate);
    const auto same = [](const std::vector<double>& p, const std::vector<double>& q) { return same_bits(p, q); };
    for (const std::string& variant : x.info().variants) {
        for (int m = 0; m < metric_count; ++m) {
            const std::string& name = metric_catalogue()[static_cast<std::size_t>(m)].name;
            EXPECT_TRUE(same(x.read_metric(variant, MetricId(m)), y.read_metric(variant, MetricId(m))))
                << variant << "/" << name;
            EXPECT_TRUE(same(x.read_expected(variant, MetricId(m)), y.read_expected(variant, MetricId(m))))
                << variant << "/expected/" << name;
        }
        EXPECT_TRUE(same(x.read_parameters(variant), y.read_parameters(variant))) << variant << "/parameters";
    }
}

}  // namespace ehcpsim::testing
