// The headline figures of a run by variant (summary_headline.h).
#include "ehcpsim/summary_headline.h"

#include <algorithm>
#include <cmath>

#include "common.h"

namespace ehcpsim {

using namespace summary_detail;

namespace {

double median_of(std::vector<double> values) {
    values.erase(std::remove_if(values.begin(), values.end(), [](double x) { return std::isnan(x); }), values.end());
    return values.empty() ? nan_value : quantiles_of(values, {0.5})[0];
}

}  // namespace

const std::vector<std::string>& headline_figure_names() {
    static const std::vector<std::string> names = {"cumulative_deficit", "opportunity", "total_stock"};
    return names;
}

std::vector<double> figure_values(const HeadlineFigures& figures, std::size_t v) {
    return {figures.deficit[v], figures.opportunity[v], figures.stock[v]};
}

HeadlineFigures headline_figures(const RunInfo& info, const std::vector<std::vector<double>>& horizon_deficit,
                                 const std::vector<std::vector<double>>& horizon_stock) {
    HeadlineFigures figures;
    figures.horizon_year = info.years.empty() ? 0 : info.years.back();
    figures.variants = info.variants;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        figures.deficit.push_back(median_of(horizon_deficit[v]));
        figures.stock.push_back(median_of(horizon_stock[v]));
        const std::string compare_to = v < info.compare_to.size() ? info.compare_to[v] : "";
        const auto found = std::find(info.variants.begin(), info.variants.end(), compare_to);
        if (compare_to.empty() || found == info.variants.end()) {
            figures.opportunity.push_back(nan_value);
            continue;
        }
        const std::vector<double>& a = horizon_deficit[static_cast<std::size_t>(found - info.variants.begin())];
        const std::vector<double>& b = horizon_deficit[v];
        std::vector<double> difference;
        for (std::size_t r = 0; r < std::min(a.size(), b.size()); ++r) difference.push_back(a[r] - b[r]);
        figures.opportunity.push_back(median_of(std::move(difference)));
    }
    return figures;
}

HeadlineFigures headline_figures(const ResultReader& reader) {
    const RunInfo& info = reader.info();
    return headline_figures(info, final_year_values(reader, info, m_cumulative_deficit),
                            final_year_values(reader, info, m_total_stock));
}

}  // namespace ehcpsim
