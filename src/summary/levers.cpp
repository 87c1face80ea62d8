// Each lever's worth: the standalone opportunity and the exact Shapley share
// of every lever, from the subsets a run with --lever-worth stored
// (summary_levers.h; docs/output.md, "Lever worth").
#include "ehcpsim/summary_levers.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "common.h"
#include "ehcpsim/text.h"

namespace ehcpsim {

using namespace summary_detail;

std::vector<double> shapley_shares(const double* deficit, std::size_t k) {
    // weight[s] = s! (k - s - 1)! / k!: the share of the k! orders in which
    // a lever comes right after a given set of s others.
    std::vector<double> weight(k, 0.0);
    for (std::size_t s = 0; s < k; ++s) {
        double w = 1.0;
        for (std::size_t i = 1; i <= s; ++i) w *= static_cast<double>(i);
        for (std::size_t i = 1; i <= k - s - 1; ++i) w *= static_cast<double>(i);
        for (std::size_t i = 1; i <= k; ++i) w /= static_cast<double>(i);
        weight[s] = w;
    }
    std::vector<double> shares(k, 0.0);
    const std::size_t subsets = std::size_t{1} << k;
    for (std::size_t j = 0; j < k; ++j) {
        const std::size_t bit = std::size_t{1} << j;
        double sum = 0.0;
        for (std::size_t s = 0; s < subsets; ++s) {
            if (s & bit) continue;
            const auto size = static_cast<std::size_t>(__builtin_popcountll(static_cast<unsigned long long>(s)));
            sum += weight[size] * (deficit[s] - deficit[s | bit]);
        }
        shares[j] = sum;
    }
    return shares;
}

namespace {

WorthSpread spread_of(std::vector<double> values) {
    WorthSpread spread;
    values.erase(std::remove_if(values.begin(), values.end(), [](double x) { return std::isnan(x); }), values.end());
    if (values.empty()) return spread;
    spread.mean = mean_of(values);
    const std::vector<double> q = quantiles_of(values, {0.10, 0.50, 0.90});
    spread.p10 = q[0];
    spread.p50 = q[1];
    spread.p90 = q[2];
    return spread;
}

// Per cent of the opportunity (summary_levers.h, LeverWorthRow::percent).
WorthSpread percent_of(const std::vector<double>& share, const std::vector<double>& opportunity,
                       double mean_opportunity) {
    std::vector<double> ratio;
    for (std::size_t r = 0; r < share.size(); ++r)
        if (opportunity[r] != 0.0 && !std::isnan(opportunity[r]) && !std::isnan(share[r]))
            ratio.push_back(100.0 * share[r] / opportunity[r]);
    WorthSpread percent = spread_of(std::move(ratio));
    std::vector<double> present;
    for (double x : share)
        if (!std::isnan(x)) present.push_back(x);
    percent.mean = mean_opportunity != 0.0 && !present.empty() ? 100.0 * mean_of(present) / mean_opportunity
                                                                : std::numeric_limits<double>::quiet_NaN();
    return percent;
}

}  // namespace

std::vector<VariantLeverWorth> lever_worth(const ResultReader& reader) {
    const RunInfo& info = reader.info();
    std::vector<VariantLeverWorth> all;
    const std::size_t R = replicates_of(info);
    for (const LeverSubsets& subsets : reader.read_lever_subsets()) {
        VariantLeverWorth& worth = all.emplace_back();
        worth.variant = subsets.variant;
        const std::size_t v = static_cast<std::size_t>(
            std::find(info.variants.begin(), info.variants.end(), subsets.variant) - info.variants.begin());
        const std::string compare_to = v < info.compare_to.size() ? info.compare_to[v] : "";
        std::vector<double> unmitigated;
        if (!compare_to.empty() && !info.years.empty() &&
            std::find(info.variants.begin(), info.variants.end(), compare_to) != info.variants.end()) {
            worth.compare_to = compare_to;
            unmitigated = read_column(reader, info, compare_to, m_cumulative_deficit, info.years.size() - 1, 0);
        }
        const std::size_t k = subsets.levers.size(), n = subsets.subsets();
        std::vector<std::vector<double>> alone(k), share(k);
        std::vector<double> other, opportunity;
        bool any_other = false;
        for (std::size_t r = 0; r < R; ++r) {
            const double* d = subsets.deficit.data() + r * n;
            const std::vector<double> phi = shapley_shares(d, k);
            double sum = 0.0;
            for (std::size_t j = 0; j < k; ++j) {
                alone[j].push_back(d[0] - d[std::size_t{1} << j]);
                share[j].push_back(phi[j]);
                sum += phi[j];
            }
            const double levers_opportunity = d[0] - d[n - 1];
            if (std::isfinite(sum) && std::isfinite(levers_opportunity))
                worth.largest_residual = std::max(worth.largest_residual, std::abs(sum - levers_opportunity));
            const double rest = unmitigated.empty() ? 0.0 : unmitigated[r] - d[0];
            any_other = any_other || rest != 0.0;
            other.push_back(rest);
            opportunity.push_back(levers_opportunity + rest);
        }
        worth.opportunity = spread_of(opportunity);
        for (std::size_t j = 0; j < k; ++j) {
            LeverWorthRow& row = worth.levers.emplace_back();
            row.lever = subsets.levers[j];
            row.alone = spread_of(alone[j]);
            row.shapley = spread_of(share[j]);
            row.percent = percent_of(share[j], opportunity, worth.opportunity.mean);
        }
        if (any_other) {
            LeverWorthRow& row = worth.levers.emplace_back();
            row.lever = "(other)";
            row.shapley = spread_of(other);
            row.percent = percent_of(other, opportunity, worth.opportunity.mean);
        }
    }
    return all;
}

void print_lever_worth_table(const std::vector<VariantLeverWorth>& worth, std::ostream& out) {
    if (worth.empty()) {
        out << "No lever worth in this file: run with --lever-worth to compute it.\n";
        return;
    }
    for (const VariantLeverWorth& variant : worth) {
        out << "Each lever's worth: " << variant.variant << " against "
            << (variant.compare_to.empty() ? "its levers all off" : variant.compare_to)
            << " (cumulative opportunity at the horizon, GBP m; share = Shapley value)\n";
        std::vector<std::vector<std::string>> rows{{"lever", "alone mean", "alone P10", "alone P90", "share mean",
                                                    "share P10", "share P50", "share P90", "% mean", "% P10",
                                                    "% P50", "% P90"}};
        const auto money = [](double x) { return millions(x, 2); };
        const auto pct = [](double x) { return std::isnan(x) ? std::string("-") : fixed(x, 1); };
        for (const LeverWorthRow& row : variant.levers)
            rows.push_back({row.lever, money(row.alone.mean), money(row.alone.p10), money(row.alone.p90),
                            money(row.shapley.mean), money(row.shapley.p10), money(row.shapley.p50),
                            money(row.shapley.p90), pct(row.percent.mean), pct(row.percent.p10),
                            pct(row.percent.p50), pct(row.percent.p90)});
        const WorthSpread& o = variant.opportunity;
        rows.push_back({"total", "", "", "", money(o.mean), money(o.p10), money(o.p50), money(o.p90), pct(100.0), "",
                        "", ""});
        print_grid(rows, 1, out);
        out << "The shares add up to the levers' opportunity in every replicate: largest difference GBP "
            << shortest_text(variant.largest_residual) << " (rounding).\n\n";
    }
}

void print_lever_worth_csv(const std::vector<VariantLeverWorth>& worth, std::ostream& out) {
    out << "variant,compare_to,lever,measure,units,mean,p10,p50,p90\n";
    const auto line = [&](const VariantLeverWorth& v, const std::string& lever, const char* measure,
                          const char* units, const WorthSpread& s) {
        out << csv_field(v.variant) << ',' << csv_field(v.compare_to) << ',' << csv_field(lever) << ',' << measure
            << ',' << units << ',' << csv_number(s.mean) << ',' << csv_number(s.p10) << ',' << csv_number(s.p50)
            << ',' << csv_number(s.p90) << '\n';
    };
    for (const VariantLeverWorth& v : worth) {
        line(v, "", "opportunity", "GBP", v.opportunity);
        for (const LeverWorthRow& row : v.levers) {
            if (!std::isnan(row.alone.mean) || row.lever != "(other)") line(v, row.lever, "alone", "GBP", row.alone);
            line(v, row.lever, "share", "GBP", row.shapley);
            line(v, row.lever, "share", "percent", row.percent);
        }
    }
}

Table lever_worth_sheet(const std::vector<VariantLeverWorth>& worth, const RunInfo& info) {
    Table table{"Lever worth", "Each lever's worth: cumulative opportunity at the horizon (pounds); share = Shapley value",
                {}, {}, {}};
    table.columns = {{"variant", CellFormat::text}, {"compared with", CellFormat::text}, {"lever", CellFormat::text}};
    for (const char* what : {"alone", "share"})
        for (const char* stat : {"mean", "P10", "P50", "P90"})
            table.columns.push_back({std::string(what) + " " + stat, CellFormat::pounds});
    for (const char* stat : {"mean", "P10", "P50", "P90"})
        table.columns.push_back({std::string("% of opportunity ") + stat, CellFormat::decimal});
    const auto cell = [](double x) { return std::isfinite(x) ? Cell(x) : Cell(); };
    const auto add = [&](const VariantLeverWorth& v, const std::string& lever, const WorthSpread& alone,
                         const WorthSpread& share, const WorthSpread& percent) {
        table.rows.push_back({variant_shown(info, v.variant),
                              v.compare_to.empty() ? Cell() : Cell(variant_shown(info, v.compare_to)), lever,
                              cell(alone.mean), cell(alone.p10), cell(alone.p50), cell(alone.p90), cell(share.mean),
                              cell(share.p10), cell(share.p50), cell(share.p90), cell(percent.mean),
                              cell(percent.p10), cell(percent.p50), cell(percent.p90)});
    };
    for (const VariantLeverWorth& v : worth) {
        for (const LeverWorthRow& row : v.levers) add(v, row.lever, row.alone, row.shapley, row.percent);
        WorthSpread hundred;
        hundred.mean = 100.0;
        add(v, "total (the variant's opportunity)", WorthSpread{}, v.opportunity, hundred);
    }
    table.notes = {"alone: the opportunity of the lever on its own (all other levers off), under the variant's own draws.",
                   "share: the lever's Shapley value, the average over every order of adding the levers of what it adds; "
                   "the shares add up to the variant's opportunity in every replicate.",
                   "% of opportunity: the mean share over the mean opportunity (adds up to 100); its percentiles are "
                   "of the ratio replicate by replicate and do not add up."};
    return table;
}

}  // namespace ehcpsim
