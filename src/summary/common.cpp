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

namespace {

// The shape of a metric's columns: years, categories along the first
// dimension after year, and values per category along the rest (the
// placement x phase split has phases per placement).
struct ColumnShape {
    std::size_t years = 0, categories = 1, inner = 1;
    std::size_t columns_per_year() const { return categories * inner; }
};

ColumnShape column_shape(const RunInfo& info, int metric) {
    ColumnShape shape;
    shape.years = info.years.size();
    switch (metric_catalogue()[static_cast<std::size_t>(metric)].extent) {
        case Extent::year: break;
        case Extent::year_placement: shape.categories = info.placements.size(); break;
        case Extent::year_need: shape.categories = info.needs.size(); break;
        case Extent::year_phase: shape.categories = info.phases.size(); break;
        case Extent::year_placement_phase:
            shape.categories = info.placements.size();
            shape.inner = info.phase_detail ? info.phases.size() : 0;
            break;
        case Extent::year_placement_age_need:
            shape.categories = info.placements.size();
            shape.inner = info.plan_detail ? info.ages.size() * info.needs.size() : 0;
            break;
    }
    return shape;
}

}  // namespace

bool for_each_column(const ResultReader& reader, const RunInfo& info, const std::string& variant, int metric,
                     std::size_t budget, const ColumnVisitor& visit) {
    const std::size_t replicates = replicates_of(info);
    const ColumnShape shape = column_shape(info, metric);
    if (replicates == 0 || shape.years == 0 || shape.columns_per_year() == 0) return false;
    const std::size_t fit = std::max<std::size_t>(1, budget / (replicates * sizeof(double)));  // columns a slab
    // Whole years when one fits, else one year and as many categories as fit.
    const std::size_t years_per_slab = fit >= shape.columns_per_year() ? fit / shape.columns_per_year() : 1;
    const std::size_t categories_per_slab =
        fit >= shape.columns_per_year() ? shape.categories : std::max<std::size_t>(1, fit / shape.inner);
    std::vector<double> column(replicates);
    for (std::size_t y0 = 0; y0 < shape.years; y0 += years_per_slab) {
        const std::size_t ny = std::min(years_per_slab, shape.years - y0);
        for (std::size_t c0 = 0; c0 < shape.categories; c0 += categories_per_slab) {
            const std::size_t nc = std::min(categories_per_slab, shape.categories - c0);
            const std::vector<double> slab = reader.read_metric_columns(variant, MetricId(metric), y0, ny, c0, nc);
            const std::size_t width = nc * shape.inner;  // columns a year in the slab
            for (std::size_t y = 0; y < ny; ++y) {
                for (std::size_t c = 0; c < width; ++c) {
                    for (std::size_t r = 0; r < replicates; ++r) column[r] = slab[(r * ny + y) * width + c];
                    visit(y0 + y, c0 * shape.inner + c, column);
                }
            }
        }
    }
    return true;
}

std::vector<double> read_column(const ResultReader& reader, const RunInfo& info, const std::string& variant,
                                int metric, std::size_t year, std::size_t category) {
    const ColumnShape shape = column_shape(info, metric);
    if (replicates_of(info) == 0 || year >= shape.years || category >= shape.columns_per_year()) return {};
    const std::size_t outer = category / shape.inner, inner = category % shape.inner;
    const std::vector<double> slab = reader.read_metric_columns(variant, MetricId(metric), year, 1, outer, 1);
    std::vector<double> column;
    column.reserve(replicates_of(info));
    for (std::size_t r = 0; r < replicates_of(info); ++r) column.push_back(slab[r * shape.inner + inner]);
    return column;
}

std::vector<std::vector<double>> final_year_values(const ResultReader& reader, const RunInfo& info, int metric) {
    std::vector<std::vector<double>> result;
    for (const std::string& variant : info.variants) {
        // (empty for a metric the file leaves out, no replicates or no years)
        result.push_back(info.years.empty() ? std::vector<double>()
                                            : read_column(reader, info, variant, metric, info.years.size() - 1, 0));
    }
    return result;
}

}  // namespace ehcpsim::summary_detail
