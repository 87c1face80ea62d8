// The summary reads a metric a slab of columns at a time
// (SummaryOptions::read_budget_bytes), never every column at once. The
// numbers must not depend on the slab: every view, printed in every format,
// is byte-identical whether a slab is one column, a few (years and
// categories split part-way) or the whole metric (as the summary read it
// before it streamed).
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

class SummaryStream : public ScratchDir {};

// A value that varies with every coordinate and is not sorted by
// replicate, so a column taken from the wrong place, or out of replicate
// order, changes some mean or quantile.
double scrambled(std::size_t v, std::size_t m, std::size_t r, std::size_t i) {
    std::uint64_t x = (v * 131 + m) * 1000003 + r * 7919 + i * 104729;
    x ^= x >> 13;
    x *= 0x9E3779B97F4A7C15ULL;
    x ^= x >> 29;
    return static_cast<double>(x % 100000) / 8.0;  // exact in binary
}

// places_info()'s capacity (whole placements and phases) over 40 replicates
// with the split by phase, every metric and parameter scrambled.
RunInfo stream_info() {
    RunInfo info = places_info();
    info.replicates = 40;
    info.phase_detail = true;
    info.parameter_names = {{"a", "b"}, {"a", "b"}, {"a"}, {"a", "b", "c"}};
    return info;
}

void write_scrambled(const std::string& file, const RunInfo& info) {
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    const auto replicates = static_cast<std::size_t>(info.replicates);
    for (std::size_t v = 0; v < block.variants.size(); ++v) {
        auto& variant = block.variants[v];
        for (std::size_t m = 0; m < variant.metrics.size(); ++m) {
            auto& values = variant.metrics[m];
            const std::size_t per = values.size() / replicates;
            for (std::size_t r = 0; r < replicates; ++r) {
                for (std::size_t i = 0; i < per; ++i) {
                    double& x = values[r * per + i];
                    if (!std::isnan(x)) x = scrambled(v, m, r, i);  // flows stay NaN in the base year
                }
            }
        }
        for (std::size_t k = 0; k < variant.parameters.size(); ++k) variant.parameters[k] = scrambled(v, 99, k, 0);
    }
    ResultWriter writer(file, info, false);
    writer.write(block);
    writer.finish();
}

// Every view in every format it prints, one after the other.
std::string every_view(const ResultReader& reader, std::size_t budget) {
    SummaryOptions options({20000.0, 40000.0});
    options.read_budget_bytes = budget;
    const Summary summary = summarise(reader, options);
    std::ostringstream out;
    std::vector<PrintOptions> choices(7);
    choices[1].dbv = true;
    choices[2].places = true;
    choices[3].scap = true;
    choices[4].dsg = true;
    choices[5].drivers = true;
    choices[6].dbv = choices[6].places = choices[6].drivers = true;
    for (const SummaryFormat format : {SummaryFormat::table, SummaryFormat::csv, SummaryFormat::json}) {
        for (const PrintOptions& choice : choices) {
            try {
                print_summary(summary, format, out, choice);
            } catch (const std::invalid_argument&) {
                out << "(not printable)\n";  // --scap in a table, two CSV tables at once
            }
        }
    }
    return out.str();
}

// Where two texts first differ (gtest's own diff of texts this long would
// take the machine's memory).
std::string first_difference(const std::string& a, const std::string& b) {
    if (a == b) return "";
    std::size_t at = 0;
    while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
    const std::size_t from = a.rfind('\n', at) == std::string::npos ? 0 : a.rfind('\n', at) + 1;
    return "first difference at byte " + std::to_string(at) + ", line: " + a.substr(from, 160) + " // against: " +
           b.substr(from, 160);
}

TEST_F(SummaryStream, EveryViewIsTheSameWhateverTheSlab) {
    const RunInfo info = stream_info();
    write_scrambled(path("run.h5"), info);
    write_dbv(path("dbv.h5"), dbv_info(), true);
    for (const std::string file : {"run.h5", "dbv.h5"}) {
        const ResultReader reader(path(file));
        const std::size_t column = static_cast<std::size_t>(reader.info().replicates) * sizeof(double);
        const std::string whole = every_view(reader, std::size_t{1} << 40);
        EXPECT_GT(whole.size(), 10000u) << file;
        EXPECT_EQ(first_difference(every_view(reader, 1), whole), "") << file << ": one column a slab";
        EXPECT_EQ(first_difference(every_view(reader, 3 * column), whole), "") << file << ": three columns a slab";
        EXPECT_EQ(first_difference(every_view(reader, 17 * column), whole), "") << file << ": 17 columns a slab";
    }
}

}  // namespace
}  // namespace ehcpsim
