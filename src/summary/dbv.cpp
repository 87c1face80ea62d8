// The DBV view (MODEL.md sections 7-8): per bound, the cumulative
// opportunity of each mitigated variant against its unmitigated one at the
// horizon, replicate by replicate, and the range between the ambition levels;
// the DBV table of in-year spend and cumulative deficit by year.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "ehcpsim/text.h"

namespace ehcpsim {
namespace summary_detail {
namespace {

const std::vector<double> dbv_probabilities = {0.05, 0.50, 0.95};

DbvSeries dbv_series(const ResultReader& reader, const Summary& summary, std::size_t v, int metric) {
    const std::size_t years = summary.info.years.size();
    DbvSeries result;
    const auto& q = year_series(reader, summary, v, metric).quantiles;
    const auto at = [&](double p) {
        for (std::size_t k = 0; k < summary_probabilities.size(); ++k) {
            if (std::fabs(summary_probabilities[k] - p) < 1e-12) return q[k];
        }
        return std::vector<double>(years, nan_value);
    };
    result.p5 = at(0.05);
    result.p50 = at(0.50);
    result.p95 = at(0.95);
    result.deterministic = read_expected(reader, summary.info.variants[v], metric);
    if (result.deterministic.size() != years) result.deterministic.assign(years, nan_value);
    return result;
}

double last_or_nan(const std::vector<double>& values) { return values.empty() ? nan_value : values.back(); }

}  // namespace

DbvSummary dbv_of(const ResultReader& reader, const Summary& summary,
                  const std::vector<std::vector<double>>& horizon_deficit) {
    const RunInfo& info = summary.info;
    const std::size_t n = info.variants.size();
    const std::size_t years = info.years.size();
    const auto level = [&](std::size_t v) { return variant_level(info, v); };
    const auto compare_to = [&](std::size_t v) { return v < info.compare_to.size() ? info.compare_to[v] : std::string(); };

    DbvSummary dbv;
    dbv.horizon_year = years > 0 ? info.years.back() : 0;
    std::vector<double> expected_horizon(n, nan_value);
    for (std::size_t v = 0; v < n; ++v) {
        DbvTableEntry entry;
        entry.variant = info.variants[v];
        entry.level = level(v);
        entry.compare_to = compare_to(v);
        entry.spend = dbv_series(reader, summary, v, m_spend);
        entry.cumulative_deficit = dbv_series(reader, summary, v, m_cumulative_deficit);
        expected_horizon[v] = last_or_nan(entry.cumulative_deficit.deterministic);
        dbv.table.push_back(std::move(entry));
    }

    const auto index_of = [&](const std::string& name) {
        const auto it = std::find(info.variants.begin(), info.variants.end(), name);
        return it == info.variants.end() ? n : static_cast<std::size_t>(it - info.variants.begin());
    };
    for (std::size_t v = 0; v < n; ++v) {
        if (level(v) != AmbitionLevel::none && index_of(compare_to(v)) == n) dbv.unmatched.push_back(info.variants[v]);
    }
    const auto compare = [&](std::size_t a, std::size_t b, bool range) {
        Opportunity result = compare_deficits(horizon_deficit[a], horizon_deficit[b]);
        result.variant = info.variants[b];
        result.compare_to = info.variants[a];
        result.level = level(b);
        result.range = range;
        result.deterministic = expected_horizon[a] - expected_horizon[b];
        return result;
    };
    for (std::size_t u = 0; u < n; ++u) {
        DbvBound bound;
        bound.unmitigated = info.variants[u];
        std::size_t target = n, stretch = n;
        for (std::size_t v = 0; v < n; ++v) {
            if (level(v) == AmbitionLevel::none || compare_to(v) != info.variants[u]) continue;
            bound.opportunities.push_back(compare(u, v, false));
            if (level(v) == AmbitionLevel::target && target == n) target = v;
            if (level(v) == AmbitionLevel::stretch && stretch == n) stretch = v;
        }
        if (bound.opportunities.empty()) continue;
        if (target < n && stretch < n) bound.range = compare(target, stretch, true);
        dbv.bounds.push_back(std::move(bound));
    }
    return dbv;
}
namespace {

std::string level_title(AmbitionLevel level) { return std::string(ambition_level_title(level)); }

std::string range_millions(double low, double high) {
    if (std::isnan(low) && std::isnan(high)) return "-";
    std::string range = "[";  // built with += (GCC 12's false -Wrestrict, see probability_key)
    range += millions(low, 1);
    range += ", ";
    range += millions(high, 1);
    range += "]";
    return range;
}

std::string factor_text(double value) {
    if (!std::isfinite(value)) return "-";
    return fixed(value, value < 10 ? 2 : value < 1000 ? 1 : 0);
}

}  // namespace

void print_dbv_headline(const Summary& summary, std::ostream& out) {
    const DbvSummary& dbv = summary.dbv;
    const std::string horizon = dbv.horizon_year > 0 ? financial_year(dbv.horizon_year) : std::string("-");
    out << "\n== DBV headline: cumulative opportunity to " << horizon << " (£m) ==\n"
        << "Opportunity = unmitigated minus mitigated cumulative deficit at the end of " << horizon
        << ", replicate by replicate;\n"
        << "range = stretch minus target opportunity. \"deterministic\" = the expected-value projection.\n"
        << "sd = standard deviation of the opportunity over replicates.\n"
        << "var. reduction = (var A + var B) / var(A - B) over replicates (common random numbers "
        << (summary.info.common_random_numbers ? "on" : "off") << ").\n";
    if (summary.info.fixed_parameters)
        out << "Run with --fixed-parameters: every parameter at its mean, so the spread is the engine's own "
               "noise (MODEL.md section 7).\n";
    // No bound at all: either no variant has a level, or every variant with
    // one lacks its comparison variant in this file (run with --variants
    // naming only mitigated ones, say): say which, never the first for the second.
    if (dbv.bounds.empty() && dbv.unmatched.empty()) out << "No variant has an ambition level: no opportunity to report.\n";
    for (const std::string& variant : dbv.unmatched) {
        const auto entry = std::find_if(dbv.table.begin(), dbv.table.end(),
                                        [&](const DbvTableEntry& e) { return e.variant == variant; });
        const std::string level = entry == dbv.table.end() ? std::string() : std::string(ambition_level_name(entry->level));
        const std::string compare_to = entry == dbv.table.end() ? std::string() : entry->compare_to;
        out << variant << " (ambition level " << level << ") is compared with "
            << (compare_to.empty() ? std::string("no variant") : "'" + compare_to + "'")
            << ", which is not in this file: no opportunity. Run it with its comparison variant (--variants "
            << variant << (compare_to.empty() ? std::string() : "," + compare_to) << ").\n";
    }
    for (const DbvBound& bound : dbv.bounds) {
        out << "\nBound: " << variant_shown(summary.info, bound.unmitigated) << "\n";
        std::vector<std::vector<std::string>> rows = {
            {"", "variant", "mean", "sd", "p5", "p50", "p95", "deterministic", "var. reduction"}};
        const auto row = [&](const std::string& label, const Opportunity& o) {
            rows.push_back({label, variant_shown(summary.info, o.variant), millions(o.statistics.mean, 2), millions(o.sd, 2),
                            millions(o.statistics.p5, 2),
                            millions(o.statistics.p50, 2), millions(o.statistics.p95, 2), millions(o.deterministic, 2),
                            factor_text(o.variance_reduction)});
        };
        for (const Opportunity& o : bound.opportunities) row("  " + level_title(o.level), o);
        if (bound.range) {
            Opportunity range = *bound.range;
            range.variant = variant_shown(summary.info, range.variant) + " - " + variant_shown(summary.info, range.compare_to);
            row("  Range (stretch - target)", range);
        }
        print_grid(rows, 2, out);
    }
}

namespace {

struct DbvRow {
    std::string label;
    const DbvSeries* series;
};

void print_dbv_block(const std::string& title, const std::vector<DbvRow>& rows, const RunInfo& info,
                     std::ostream& out) {
    const bool ranges = info.replicates > 1;
    std::vector<YearRow> table;
    for (const DbvRow& row : rows) {
        const DbvSeries& s = *row.series;
        YearRow median{row.label, {}}, range{"  5-95%", {}}, deterministic{"  deterministic", {}};
        if (!ranges) range.kind = YearRow::Kind::width_only;
        for (std::size_t y = 0; y < info.years.size(); ++y) {
            median.cells.push_back(millions(s.p50[y], 1));
            range.cells.push_back(range_millions(s.p5[y], s.p95[y]));
            deterministic.cells.push_back(millions(s.deterministic[y], 1));
        }
        table.push_back(std::move(median));
        table.push_back(std::move(range));
        table.push_back(std::move(deterministic));
    }
    out << "\n== " << title << " ==\n";
    print_year_table(table, info.years, out, std::string("  deterministic").size(), false, true);
}

// Rows like the DBV template's: the unmitigated variant's expenditure and
// cumulative deficit, then the mitigated variants' expenditures, then their
// cumulative deficits. A label shared by two variants names them.
std::vector<DbvRow> dbv_rows(const std::vector<const DbvTableEntry*>& entries, bool name_all) {
    std::vector<std::string> titles;
    for (const DbvTableEntry* e : entries) titles.push_back(name_all ? e->variant : level_title(e->level));
    std::vector<DbvRow> rows;
    const auto add = [&](std::size_t i, bool spend) {
        std::string label = titles[i] + (spend ? " Expenditure" : " Cumulative Deficit");
        if (!name_all && std::count(titles.begin(), titles.end(), titles[i]) > 1) label += " (" + entries[i]->variant + ")";
        rows.push_back({label, spend ? &entries[i]->spend : &entries[i]->cumulative_deficit});
    };
    if (!entries.empty() && !name_all) {
        add(0, true);
        add(0, false);
        for (std::size_t i = 1; i < entries.size(); ++i) add(i, true);
        for (std::size_t i = 1; i < entries.size(); ++i) add(i, false);
        return rows;
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
        add(i, true);
        add(i, false);
    }
    return rows;
}

}  // namespace

void print_dbv_table(const Summary& summary, std::ostream& out) {
    const DbvSummary& dbv = summary.dbv;
    out << "\nDBV table: in-year expenditure and cumulative deficit, £m: median, "
        << (summary.info.replicates > 1 ? "5-95% range, " : "") << "deterministic projection.\n";
    const auto entry = [&](const std::string& variant) -> const DbvTableEntry* {
        for (const DbvTableEntry& e : dbv.table) {
            if (e.variant == variant) return &e;
        }
        return nullptr;
    };
    std::vector<std::string> shown;
    for (const DbvBound& bound : dbv.bounds) {
        std::vector<const DbvTableEntry*> entries = {entry(bound.unmitigated)};
        std::string title = "DBV table: " + variant_shown(summary.info, bound.unmitigated);
        for (const Opportunity& o : bound.opportunities) {
            entries.push_back(entry(o.variant));
            title += "; " + level_text(o) + " " + variant_shown(summary.info, o.variant);
        }
        for (const DbvTableEntry* e : entries) shown.push_back(e->variant);
        print_dbv_block(title, dbv_rows(entries, false), summary.info, out);
    }
    std::vector<const DbvTableEntry*> others;
    for (const DbvTableEntry& e : dbv.table) {
        if (std::find(shown.begin(), shown.end(), e.variant) == shown.end()) others.push_back(&e);
    }
    if (!others.empty()) {
        print_dbv_block(dbv.bounds.empty() ? "DBV table" : "DBV table: other variants", dbv_rows(others, true),
                        summary.info, out);
    }
}

void print_dbv_csv(const Summary& summary, std::ostream& out) {
    out << "bound,variant,compare_to,level,mean,p5,p50,p95,deterministic,variance_reduction\n";
    const auto row = [&](const std::string& bound, const Opportunity& o) {
        out << csv_field(bound) << ',' << csv_field(o.variant) << ',' << csv_field(o.compare_to) << ','
            << csv_field(level_text(o)) << ',' << csv_number(o.statistics.mean) << ',' << csv_number(o.statistics.p5) << ','
            << csv_number(o.statistics.p50) << ',' << csv_number(o.statistics.p95) << ','
            << csv_number(o.deterministic) << ','
            << (std::isfinite(o.variance_reduction) ? shortest_text(o.variance_reduction) : "") << "\n";
    };
    for (const DbvBound& bound : summary.dbv.bounds) {
        for (const Opportunity& o : bound.opportunities) row(bound.unmitigated, o);
        if (bound.range) row(bound.unmitigated, *bound.range);
    }
}
namespace {

Json opportunity_json(const Opportunity& o) {
    return {{"mean", json_number(o.statistics.mean)},   {"p5", json_number(o.statistics.p5)},
            {"p50", json_number(o.statistics.p50)},     {"p95", json_number(o.statistics.p95)},
            {"deterministic", json_number(o.deterministic)}, {"variance_reduction", json_number(o.variance_reduction)}};
}

Json dbv_series_json(const DbvSeries& s) {
    return {{"p50", json_numbers(s.p50)},
            {"p5", json_numbers(s.p5)},
            {"p95", json_numbers(s.p95)},
            {"deterministic", json_numbers(s.deterministic)}};
}

}  // namespace

Json dbv_json(const Summary& summary) {
    const DbvSummary& dbv = summary.dbv;
    Json bounds = Json::object();
    for (const DbvBound& bound : dbv.bounds) {
        Json opportunity = Json::object();
        for (const Opportunity& o : bound.opportunities) {
            Json entry = {{"level", level_text(o)}};
            entry.update(opportunity_json(o));
            opportunity[o.variant] = std::move(entry);
        }
        Json range = nullptr;
        if (bound.range) {
            range = {{"target", bound.range->compare_to}, {"stretch", bound.range->variant}};
            range.update(opportunity_json(*bound.range));
        }
        bounds[bound.unmitigated] = {{"opportunity", std::move(opportunity)}, {"range", std::move(range)}};
    }
    Json table = Json::object();
    for (const DbvTableEntry& e : dbv.table) {
        table[e.variant] = {{"level", ambition_level_name(e.level)},
                            {"compare_to", json_string_or_null(e.compare_to)},
                            {"spend", dbv_series_json(e.spend)},
                            {"cumulative_deficit", dbv_series_json(e.cumulative_deficit)}};
    }
    return {{"horizon", dbv.horizon_year},
            {"common_random_numbers", summary.info.common_random_numbers},
            {"bounds", std::move(bounds)},
            {"unmatched", dbv.unmatched},
            {"table", std::move(table)}};
}

}  // namespace summary_detail

using namespace summary_detail;

Opportunity compare_deficits(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> as, bs, difference;
    for (std::size_t r = 0; r < std::min(a.size(), b.size()); ++r) {
        if (std::isnan(a[r]) || std::isnan(b[r])) continue;
        as.push_back(a[r]);
        bs.push_back(b[r]);
        difference.push_back(a[r] - b[r]);
    }
    Opportunity result;
    if (difference.empty()) return result;
    result.statistics.mean = mean_of(difference);
    // The sample variances' common 1 / (n - 1) cancels in the ratio.
    const double variance = squared_deviations(difference);
    if (difference.size() >= 2)
        result.sd = std::sqrt(variance / static_cast<double>(difference.size() - 1));
    if (difference.size() >= 2 && variance > 0.0) {
        const double factor = (squared_deviations(as) + squared_deviations(bs)) / variance;
        if (std::isfinite(factor)) result.variance_reduction = factor;
    }
    const auto q = quantiles_of(difference, dbv_probabilities);  // reorders difference
    result.statistics.p5 = q[0];
    result.statistics.p50 = q[1];
    result.statistics.p95 = q[2];
    return result;
}

}  // namespace ehcpsim
