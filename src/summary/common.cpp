// Reading the ensemble for the views: one metric of one variant at a time.
#include <algorithm>
#include <cstdint>

#include "common.h"

namespace ehcpsim::summary_detail {

std::size_t replicates_of(const RunInfo& info) {
    return static_cast<std::size_t>(std::max<std::int64_t>(0, info.replicates));
}

std::vector<double> read_metric(const ResultReader& reader, const std::string& variant, int metric) {
    return reader.read_metric(variant, MetricId(metric));
}

std::vector<double> read_expected(const ResultReader& reader, const std::string& variant, int metric) {
    return reader.read_expected(variant, MetricId(metric));
}

std::vector<std::vector<double>> final_year_values(const ResultReader& reader, const RunInfo& info, int metric) {
    const std::size_t replicates = replicates_of(info);
    const std::size_t years = info.years.size();
    std::vector<std::vector<double>> result;
    for (const std::string& variant : info.variants) {
        std::vector<double>& last = result.emplace_back();
        if (years == 0) continue;
        const std::vector<double> values = read_metric(reader, variant, metric);
        if (values.empty()) continue;  // a metric the file leaves out (or no replicates)
        for (std::size_t r = 0; r < replicates; ++r) last.push_back(values[r * years + years - 1]);
    }
    return result;
}

}  // namespace ehcpsim::summary_detail
