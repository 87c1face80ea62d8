// The DSG deficit management plan in the DfE template's shape
// (docs/dsg-plan.md): per variant, the financial summary wide by financial
// year in £000s (median, a band and the mean of each line, the named funding
// adjustments as lines of their own) and the children and young people
// table (plans by placement and census year, rounded so that they add up).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "common.h"

namespace ehcpsim {
namespace summary_detail {
namespace {

constexpr double thousand = 1000.0;

std::string percent_text(double p) {
    const double x = p * 100.0;
    return std::fabs(x - std::round(x)) < 1e-9 ? std::to_string(std::lround(x)) : plain(x);
}

// Median, band and mean of one line's values (NaN left out), in £000s.
struct LineStats {
    double median = nan_value, low = nan_value, high = nan_value, mean = nan_value;
};

LineStats stats_of(const std::vector<double>& values, double low_p, double high_p) {
    std::vector<double> column;
    double sum = 0.0;
    for (double x : values) {
        if (std::isnan(x)) continue;
        sum += x;
        column.push_back(x);
    }
    LineStats s;
    if (column.empty()) return s;
    s.mean = sum / static_cast<double>(column.size()) / thousand;
    const std::vector<double> q = quantiles_of(column, {0.5, low_p, high_p});
    s.median = q[0] / thousand;
    s.low = q[1] / thousand;
    s.high = q[2] / thousand;
    return s;
}

// One replicate-by-year series of a line: values[year][replicate].
using Series = std::vector<std::vector<double>>;

PlanTable financial_summary(const ResultReader& reader, const RunInfo& info, std::size_t v, double low_p,
                            double high_p) {
    const std::string& variant = info.variants[v];
    const std::size_t years = info.years.size();
    const std::size_t replicates = replicates_of(info);
    const auto read = [&](int metric) {
        Series series(years);
        for (std::size_t y = 0; y < years; ++y) {
            series[y] = read_column(reader, info, variant, metric, y, 0);
            if (series[y].size() != replicates) series[y].assign(replicates, nan_value);
        }
        return series;
    };
    const Series funding = read(m_funding), spend = read(m_spend), in_year = read(m_in_year_deficit),
                 cumulative = read(m_cumulative_deficit);

    // The named adjustments, per replicate: the fixed amount, or the
    // variant's draw of money.adjustments.<name>.amount.
    const std::vector<RunInfo::Adjustment> none;
    const std::vector<RunInfo::Adjustment>& adjustments = v < info.adjustments.size() ? info.adjustments[v] : none;
    const std::vector<std::string>& names =
        v < info.parameter_names.size() ? info.parameter_names[v] : std::vector<std::string>();
    std::vector<double> draws;
    if (std::any_of(adjustments.begin(), adjustments.end(), [](const auto& a) { return std::isnan(a.amount); }))
        draws = reader.read_parameters(variant);
    std::vector<Series> adjustment_series;
    for (const RunInfo::Adjustment& a : adjustments) {
        Series series(years, std::vector<double>(replicates, 0.0));
        std::vector<double> amount(replicates, a.amount);
        if (std::isnan(a.amount)) {
            const auto it = std::find(names.begin(), names.end(), "money.adjustments." + a.name + ".amount");
            const std::size_t k = static_cast<std::size_t>(it - names.begin());
            for (std::size_t r = 0; r < replicates; ++r)
                amount[r] = it == names.end() || (r + 1) * names.size() > draws.size() ? nan_value
                                                                                        : draws[r * names.size() + k];
        }
        for (std::size_t y = 0; y < years; ++y)
            if (info.years[y] == a.year) series[y] = amount;
        adjustment_series.push_back(std::move(series));
    }

    PlanTable table;
    const AmbitionLevel level = variant_level(info, v);
    const std::string compare_to = v < info.compare_to.size() ? info.compare_to[v] : std::string();
    table.title = "Financial summary: " + variant +
                  (level == AmbitionLevel::none ? std::string(" (unmitigated)")
                                                : " (mitigated, " + std::string(ambition_level_name(level)) +
                                                      (compare_to.empty() ? "" : ", against " + compare_to) + ")");
    table.notes = {"£000s at each year's prices; positions: surplus positive, deficit negative (DfE convention).",
                   "Median and P" + percent_text(low_p) + "-P" + percent_text(high_p) +
                       " over replicates of each line on its own: medians and percentiles do not add up across "
                       "lines; the means do (cumulative = previous cumulative + in-year + write-offs).",
                   "The first year is the base year (outturn as given), the others forecast."};
    table.label_headers = {"line", "statistic"};
    for (int year : info.years) table.value_headers.push_back(financial_year(year));
    const auto add = [&](const std::string& line, const auto& value) {
        std::vector<LineStats> stats;
        for (std::size_t y = 0; y < years; ++y) {
            std::vector<double> column(replicates);
            for (std::size_t r = 0; r < replicates; ++r) column[r] = value(y, r);
            stats.push_back(stats_of(column, low_p, high_p));
        }
        const std::pair<std::string, double LineStats::*> statistics[] = {
            {"median", &LineStats::median},
            {"P" + percent_text(low_p), &LineStats::low},
            {"P" + percent_text(high_p), &LineStats::high},
            {"mean", &LineStats::mean}};
        for (const auto& [name, member] : statistics) {
            PlanRow row{{line, name}, {}};
            for (const LineStats& s : stats) row.cells.push_back(s.*member);
            table.rows.push_back(std::move(row));
        }
    };
    const auto funding_adjustment = [&](std::size_t y, std::size_t r) {
        double sum = 0.0;
        for (std::size_t i = 0; i < adjustments.size(); ++i)
            if (adjustments[i].kind == "funding") sum += adjustment_series[i][y][r];
        return sum;
    };
    const bool any_funding = std::any_of(adjustments.begin(), adjustments.end(),
                                         [](const auto& a) { return a.kind == "funding"; });
    if (any_funding) {
        add("High needs funding: allocation",
            [&](std::size_t y, std::size_t r) { return funding[y][r] - funding_adjustment(y, r); });
        for (std::size_t i = 0; i < adjustments.size(); ++i)
            if (adjustments[i].kind == "funding")
                add("Funding adjustment: " + adjustments[i].name,
                    [&](std::size_t y, std::size_t r) { return adjustment_series[i][y][r]; });
    }
    add("High needs funding", [&](std::size_t y, std::size_t r) { return funding[y][r]; });
    add("High needs spend", [&](std::size_t y, std::size_t r) { return spend[y][r]; });
    add("In-year position", [&](std::size_t y, std::size_t r) { return 0.0 - in_year[y][r]; });
    for (std::size_t i = 0; i < adjustments.size(); ++i)
        if (adjustments[i].kind == "write_off")
            add("Deficit written off: " + adjustments[i].name,
                [&](std::size_t y, std::size_t r) { return adjustment_series[i][y][r]; });
    add("Cumulative position", [&](std::size_t y, std::size_t r) { return 0.0 - cumulative[y][r]; });
    return table;
}

// The age groups of the children and young people tables: SEN2's bands of
// the age at 31 August (docs/dsg-plan.md), the first open below and the last
// open above.
struct AgeGroup {
    std::string name;
    int first, last;  // inclusive
};
const std::vector<AgeGroup>& age_groups() {
    static const std::vector<AgeGroup> groups = {{"Under 5", -1000, 4},
                                                 {"5 to 10", 5, 10},
                                                 {"11 to 15", 11, 15},
                                                 {"16 to 19", 16, 19},
                                                 {"20 to 25", 20, 1000}};
    return groups;
}
std::size_t age_group_of(int age) {
    const auto& groups = age_groups();
    for (std::size_t g = 0; g < groups.size(); ++g)
        if (age >= groups[g].first && age <= groups[g].last) return g;
    return groups.size() - 1;
}

// One census year of the children and young people by placement, age group
// and need (means of stock_by_placement_age_need), rounded top down by
// largest remainder: the total; the placements to it; each placement's age
// groups to the placement; each (placement, age group)'s needs to that. The
// subtotal and total rows are sums of the rounded rows below them, so every
// row and every column adds up exactly.
PlanTable cyp_year_table(const RunInfo& info, const std::string& variant, int year, const std::vector<double>& means,
                         std::vector<double>& placement_totals) {
    const std::size_t P = info.placements.size(), A = info.ages.size(), N = info.needs.size();
    const std::size_t G = age_groups().size();
    // group[p][g][n]: the means summed over the ages of each group.
    std::vector<double> grouped(P * G * N, 0.0);
    for (std::size_t p = 0; p < P; ++p)
        for (std::size_t a = 0; a < A; ++a) {
            const std::size_t g = age_group_of(info.ages[a]);
            for (std::size_t n = 0; n < N; ++n) grouped[(p * G + g) * N + n] += means[(p * A + a) * N + n];
        }
    std::vector<double> by_placement(P, 0.0), by_group(P * G, 0.0);
    for (std::size_t p = 0; p < P; ++p)
        for (std::size_t g = 0; g < G; ++g)
            for (std::size_t n = 0; n < N; ++n) {
                by_group[p * G + g] += grouped[(p * G + g) * N + n];
                by_placement[p] += grouped[(p * G + g) * N + n];
            }
    placement_totals = largest_remainder(by_placement);
    PlanTable table;
    table.whole = true;
    table.title = "Children and young people with an EHCP: " + variant + ", January " + std::to_string(year);
    table.notes = {"Plans by placement, age group (age at 31 August before the census) and primary need: means over "
                   "replicates, rounded by largest remainder from the total down (placements, then age groups, "
                   "then needs), so that every row and column adds up exactly."};
    table.label_headers = {"placement", "age group"};
    table.value_headers = info.needs;
    table.value_headers.push_back("Total");
    std::vector<double> all(N + 1, 0.0);
    for (std::size_t p = 0; p < P; ++p) {
        const std::vector<double> groups =
            largest_remainder(std::vector<double>(by_group.begin() + static_cast<std::ptrdiff_t>(p * G),
                                                  by_group.begin() + static_cast<std::ptrdiff_t>((p + 1) * G)),
                              placement_totals[p]);
        std::vector<double> subtotal(N + 1, 0.0);
        for (std::size_t g = 0; g < G; ++g) {
            const auto first = grouped.begin() + static_cast<std::ptrdiff_t>((p * G + g) * N);
            std::vector<double> cells = largest_remainder(std::vector<double>(first, first + static_cast<std::ptrdiff_t>(N)), groups[g]);
            cells.push_back(groups[g]);
            for (std::size_t n = 0; n <= N; ++n) subtotal[n] += cells[n];
            table.rows.push_back(PlanRow{{info.placements[p], age_groups()[g].name}, std::move(cells)});
        }
        for (std::size_t n = 0; n <= N; ++n) all[n] += subtotal[n];
        table.rows.push_back(PlanRow{{info.placements[p], "All ages"}, std::move(subtotal)});
    }
    table.rows.push_back(PlanRow{{"All placements", "All ages"}, std::move(all)});
    return table;
}

// The children and young people table: mean plans by placement at each
// census, rounded by largest remainder to the rounded mean total (from the
// plan detail when the file has it, so it agrees with the detailed tables).
PlanTable cyp_table(const ResultReader& reader, const RunInfo& info, std::size_t v,
                    const std::vector<std::vector<double>>& detail_totals) {
    const std::string& variant = info.variants[v];
    PlanTable table;
    table.whole = true;
    table.title = "Children and young people with an EHCP: " + variant;
    table.notes = {"Plans at the January census of each year (mean over replicates), by the scenario's placements; "
                   "rounded by largest remainder so that the placements add to the total exactly."};
    if (!info.plan_detail)
        table.notes.push_back("The split by age group at 31 August and by primary need needs the plan detail: run "
                              "with --plan-detail (docs/dsg-plan.md).");
    table.label_headers = {"placement"};
    for (int year : info.years) table.value_headers.push_back("January " + std::to_string(year));
    const std::size_t P = info.placements.size(), years = info.years.size();
    std::vector<std::vector<double>> means(years, std::vector<double>(P, nan_value));
    for_each_column(reader, info, variant, m_stock_by_placement, SummaryOptions().read_budget_bytes,
                    [&](std::size_t y, std::size_t p, const std::vector<double>& column) {
                        Present present;
                        for (double x : column)
                            if (!std::isnan(x)) {
                                present.values.push_back(x);
                                present.sum += x;
                            }
                        means[y][p] = present.mean();
                    });
    std::vector<std::vector<double>> rounded(years);
    std::vector<double> totals(years, nan_value);
    for (std::size_t y = 0; y < years; ++y) {
        if (y < detail_totals.size() && !detail_totals[y].empty()) {  // the detailed tables' own placement totals
            rounded[y] = detail_totals[y];
            totals[y] = std::accumulate(rounded[y].begin(), rounded[y].end(), 0.0);
            continue;
        }
        if (std::any_of(means[y].begin(), means[y].end(), [](double x) { return std::isnan(x); })) {
            rounded[y].assign(P, nan_value);
            continue;
        }
        rounded[y] = largest_remainder(means[y]);
        totals[y] = std::accumulate(rounded[y].begin(), rounded[y].end(), 0.0);
    }
    for (std::size_t p = 0; p < P; ++p) {
        PlanRow row{{info.placements[p]}, {}};
        for (std::size_t y = 0; y < years; ++y) row.cells.push_back(rounded[y][p]);
        table.rows.push_back(std::move(row));
    }
    table.rows.push_back(PlanRow{{"Total"}, totals});
    return table;
}

}  // namespace

std::vector<std::vector<double>> stock_cell_means(const ResultReader& reader, const RunInfo& info,
                                                  const std::string& variant) {
    if (!info.plan_detail) return {};
    const std::size_t cells = info.placements.size() * info.ages.size() * info.needs.size();
    std::vector<std::vector<double>> means(info.years.size(), std::vector<double>(cells, nan_value));
    for_each_column(reader, info, variant, m_stock_by_placement_age_need, SummaryOptions().read_budget_bytes,
                    [&](std::size_t y, std::size_t c, const std::vector<double>& column) {
                        double sum = 0.0;
                        std::size_t n = 0;
                        for (double x : column)
                            if (!std::isnan(x)) {
                                sum += x;
                                ++n;
                            }
                        if (n > 0) means[y][c] = sum / static_cast<double>(n);
                    });
    return means;
}

}  // namespace summary_detail

using namespace summary_detail;

std::vector<double> largest_remainder(const std::vector<double>& values, double total) {
    std::vector<double> clean(values.size()), out(values.size());
    double floors = 0.0, sum = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        clean[i] = std::isnan(values[i]) || values[i] < 0.0 ? 0.0 : values[i];
        out[i] = std::floor(clean[i]);
        floors += out[i];
        sum += clean[i];
    }
    if (std::isnan(total)) total = std::round(sum);
    // Whole units left to hand out: to the largest remainders, ties to the earlier entry.
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return clean[a] - out[a] > clean[b] - out[b]; });
    auto left = static_cast<std::int64_t>(std::llround(total - floors));
    for (std::size_t k = 0; left > 0 && k < order.size(); ++k, --left) out[order[k]] += 1.0;
    return out;
}

std::vector<PlanTable> dsg_plan(const ResultReader& reader, const DsgPlanOptions& options) {
    if (!(options.band > 0.0 && options.band < 100.0))
        throw std::invalid_argument("--band must be a percentage between 0 and 100 (80 = P10 to P90)");
    const double low_p = (100.0 - options.band) / 200.0, high_p = 1.0 - low_p;
    const RunInfo& info = reader.info();
    std::vector<PlanTable> tables;
    for (std::size_t v = 0; v < info.variants.size(); ++v) tables.push_back(financial_summary(reader, info, v, low_p, high_p));
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::vector<std::vector<double>> means = stock_cell_means(reader, info, info.variants[v]);
        std::vector<PlanTable> years;
        std::vector<std::vector<double>> totals(means.size());
        for (std::size_t y = 0; y < means.size(); ++y) {
            if (std::any_of(means[y].begin(), means[y].end(), [](double x) { return std::isnan(x); })) continue;
            years.push_back(cyp_year_table(info, info.variants[v], info.years[y], means[y], totals[y]));
        }
        tables.push_back(cyp_table(reader, info, v, totals));
        for (PlanTable& table : years) tables.push_back(std::move(table));
    }
    return tables;
}

}  // namespace ehcpsim
