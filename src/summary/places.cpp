// The place-planning view (MODEL.md section 4 step 6 and section 8): for each
// capacity entry with a limit, demand beside capacity, the places needed for
// 50/80/95% confidence, P(demand > capacity), overflow and the extra spend it
// causes.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "common.h"

namespace ehcpsim {
namespace summary_detail {
namespace {

// The columns the entries of a variant need, (metric, category, year) ->
// every replicate's value (NaN where the file has none), read a group of
// years at a time: as many years as keep the wanted columns within the
// summary's read budget. Each metric's columns come from one read of the
// group's years (all placements), so each dataset is decompressed once a
// group, not once a column; the split by placement and phase is read a
// column at a time.
class YearColumns {
public:
    YearColumns(const ResultReader& reader, const RunInfo& info, const std::string& variant)
        : reader_(reader), info_(info), variant_(variant) {}
    void want(int metric, std::size_t category) {
        if (wanted_[metric].insert(category).second) ++count_;
    }
    // Years a group: at least one.
    std::size_t years_per_group(std::size_t budget) const {
        const std::size_t column_bytes = std::max<std::size_t>(1, replicates_of(info_)) * sizeof(double);
        return std::max<std::size_t>(1, budget / (column_bytes * std::max<std::size_t>(1, count_)));
    }
    void read(std::size_t first_year, std::size_t years) {
        columns_.clear();
        const std::size_t replicates = replicates_of(info_);
        const std::size_t placements = info_.placements.size();
        for (const auto& [metric, categories] : wanted_) {
            const bool split = metric_catalogue()[static_cast<std::size_t>(metric)].extent != Extent::year_placement;
            std::vector<double> slab;
            if (!split) {
                slab = reader_.read_metric_columns(variant_, MetricId(metric), first_year, years, 0, placements);
            }
            for (std::size_t y = 0; y < years; ++y) {
                for (const std::size_t c : categories) {
                    std::vector<double> column;
                    if (split) {
                        column = read_column(reader_, info_, variant_, metric, first_year + y, c);
                    } else if (slab.size() == replicates * years * placements) {
                        column.resize(replicates);
                        for (std::size_t r = 0; r < replicates; ++r) column[r] = slab[(r * years + y) * placements + c];
                    }
                    if (column.size() != replicates) column.assign(replicates, nan_value);
                    columns_[{metric, c, first_year + y}] = std::move(column);
                }
            }
        }
    }
    const std::vector<double>& at(int metric, std::size_t category, std::size_t year) const {
        return columns_.at({metric, category, year});
    }

private:
    const ResultReader& reader_;
    const RunInfo& info_;
    const std::string& variant_;
    std::map<int, std::set<std::size_t>> wanted_;
    std::size_t count_ = 0;
    std::map<std::tuple<int, std::size_t, std::size_t>, std::vector<double>> columns_;
};

// Unit cost of a placement in replicate r: spend / stock where the stock is
// positive; NaN where the file does not give it (spend and stock are the
// placement's columns in the year).
double unit_cost(const std::vector<double>& spend, const std::vector<double>& stock, std::size_t r) {
    const double n = stock[r];
    const double x = spend[r];
    if (!(n > 0) || !std::isfinite(x)) return nan_value;
    return x / n;
}

// The mean of the unit costs a placement has in a year over the replicates
// that give one: the stand-in for a replicate in which it has no pupils.
double mean_unit_cost(const std::vector<double>& spend, const std::vector<double>& stock, std::size_t replicates) {
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t r = 0; r < replicates; ++r) {
        const double u = unit_cost(spend, stock, r);
        if (std::isnan(u)) continue;
        sum += u;
        ++n;
    }
    return n == 0 ? nan_value : sum / static_cast<double>(n);
}

// The plan of an entry before its years are filled in (plan_year).
PlacePlanning start_plan(const RunInfo& info, const RunInfo::CapacityEntry& entry) {
    const std::size_t years = info.years.size();
    const auto p = static_cast<std::size_t>(entry.placement);
    const int to = entry.overflow;

    PlacePlanning plan;
    plan.name = capacity_entry_name(info, entry);  // "mss", or "mss/primary" for one phase
    plan.placement = info.placements[p];
    plan.phase = entry.phase >= 0 ? info.phases[static_cast<std::size_t>(entry.phase)] : std::string();
    plan.overflow_to = to >= 0 ? info.placements[static_cast<std::size_t>(to)] : std::string();
    plan.capacity = entry.places;
    plan.capacity.resize(years, infinity);
    plan.demand_mean.assign(years, nan_value);
    plan.demand.assign(summary_probabilities.size(), std::vector<double>(years, nan_value));
    plan.needed.assign(places_probabilities.size(), std::vector<double>(years, nan_value));
    plan.p_shortfall.assign(years, nan_value);
    plan.overflow_mean.assign(years, nan_value);
    plan.overflow_extra_spend.assign(years, nan_value);
    return plan;
}

// An entry's demand and overflow columns: its placement's, or its
// placement and phase's.
struct EntryColumns {
    int demand_metric, overflow_metric;
    std::size_t category;
};

EntryColumns entry_columns(const RunInfo& info, const RunInfo::CapacityEntry& entry) {
    const auto p = static_cast<std::size_t>(entry.placement);
    if (entry.phase < 0) return {m_demand_by_placement, m_overflow_by_placement, p};
    return {m_demand_by_placement_phase, m_overflow_by_placement_phase,
            p * info.phases.size() + static_cast<std::size_t>(entry.phase)};
}

// Year y of an entry's plan: demand and overflow are the entry's own columns;
// the unit costs are the placements' (there is no spend by phase).
void plan_year(PlacePlanning& plan, const RunInfo& info, const RunInfo::CapacityEntry& entry, std::size_t y,
               const YearColumns& year_columns) {
    const auto replicates = static_cast<std::size_t>(std::max<std::int64_t>(0, info.replicates));
    const auto p = static_cast<std::size_t>(entry.placement);
    const int to = entry.overflow;
    const EntryColumns columns = entry_columns(info, entry);
    std::vector<double> probabilities = summary_probabilities;
    probabilities.insert(probabilities.end(), places_probabilities.begin(), places_probabilities.end());
    std::vector<double> column;
    column.reserve(replicates);
    {
        // Demand: mean, quantiles, places needed, P(demand > capacity).
        const std::vector<double>& demand = year_columns.at(columns.demand_metric, columns.category, y);
        column.clear();
        double sum = 0.0;
        std::size_t short_of = 0;
        for (std::size_t r = 0; r < replicates; ++r) {
            const double x = demand[r];
            if (std::isnan(x)) continue;
            sum += x;
            short_of += x > plan.capacity[y];
            column.push_back(x);
        }
        if (!column.empty()) {
            const double n = static_cast<double>(column.size());
            plan.demand_mean[y] = sum / n;
            if (plan.capacity[y] < infinity) plan.p_shortfall[y] = static_cast<double>(short_of) / n;
            const auto q = quantiles_of(column, probabilities);
            for (std::size_t k = 0; k < summary_probabilities.size(); ++k) plan.demand[k][y] = q[k];
            for (std::size_t k = 0; k < places_probabilities.size(); ++k) {
                plan.needed[k][y] = places_needed(q[summary_probabilities.size() + k]);
            }
        }

        // Overflow and the extra spend it causes this year.
        double moved = 0.0, extra = 0.0;
        std::size_t n = 0;
        bool unknown = to < 0;
        double stand_in_from = nan_value, stand_in_to = nan_value;  // computed when first needed
        bool stand_ins = false;
        const std::vector<double>& overflow = year_columns.at(columns.overflow_metric, columns.category, y);
        for (std::size_t r = 0; r < replicates; ++r) {
            const double o = overflow[r];
            if (std::isnan(o)) continue;
            ++n;
            moved += o;
            if (o == 0.0 || unknown) continue;
            const auto q = static_cast<std::size_t>(to);
            const std::vector<double>& spend_from = year_columns.at(m_spend_by_placement, p, y);
            const std::vector<double>& stock_from = year_columns.at(m_stock_by_placement, p, y);
            const std::vector<double>& spend_to = year_columns.at(m_spend_by_placement, q, y);
            const std::vector<double>& stock_to = year_columns.at(m_stock_by_placement, q, y);
            double from_cost = unit_cost(spend_from, stock_from, r);
            double to_cost = unit_cost(spend_to, stock_to, r);
            if ((std::isnan(from_cost) || std::isnan(to_cost)) && !stand_ins) {
                stand_in_from = mean_unit_cost(spend_from, stock_from, replicates);
                stand_in_to = mean_unit_cost(spend_to, stock_to, replicates);
                stand_ins = true;
            }
            if (std::isnan(from_cost)) from_cost = stand_in_from;
            if (std::isnan(to_cost)) to_cost = stand_in_to;
            if (std::isnan(from_cost) || std::isnan(to_cost)) {
                unknown = true;
                continue;
            }
            extra += o * (to_cost - from_cost);
        }
        if (n > 0) {
            plan.overflow_mean[y] = moved / static_cast<double>(n);
            if (!unknown || moved == 0.0) plan.overflow_extra_spend[y] = extra / static_cast<double>(n);
        }
        if (plan.p_shortfall[y] > 0.5) {
            if (!plan.first_year_shortfall_likely) plan.first_year_shortfall_likely = info.years[y];
            plan.shortfall_likely_years.push_back(info.years[y]);
        }
    }
}

}  // namespace

bool limited(const RunInfo::CapacityEntry& entry) {
    return std::any_of(entry.places.begin(), entry.places.end(), [](double k) { return k < infinity; });
}

std::vector<VariantPlaces> places_of(const ResultReader& reader, const RunInfo& info, std::size_t budget) {
    std::vector<VariantPlaces> result;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        VariantPlaces places{info.variants[v], {}};
        std::vector<const RunInfo::CapacityEntry*> entries;
        if (v < info.capacity.size()) {
            for (const auto& entry : info.capacity[v]) {
                if (limited(entry)) entries.push_back(&entry);
            }
        }
        // A year's columns at a time, so memory does not grow with the
        // years or the metrics.
        YearColumns year_columns(reader, info, info.variants[v]);
        for (const RunInfo::CapacityEntry* entry : entries) {
            places.entries.push_back(start_plan(info, *entry));
            const EntryColumns columns = entry_columns(info, *entry);
            year_columns.want(columns.demand_metric, columns.category);
            year_columns.want(columns.overflow_metric, columns.category);
            if (entry->overflow >= 0) {
                for (const auto placement : {entry->placement, entry->overflow}) {
                    year_columns.want(m_spend_by_placement, static_cast<std::size_t>(placement));
                    year_columns.want(m_stock_by_placement, static_cast<std::size_t>(placement));
                }
            }
        }
        const std::size_t group = year_columns.years_per_group(budget);
        for (std::size_t y0 = 0; !entries.empty() && y0 < info.years.size(); y0 += group) {
            const std::size_t years = std::min(group, info.years.size() - y0);
            year_columns.read(y0, years);
            for (std::size_t y = y0; y < y0 + years; ++y) {
                for (std::size_t e = 0; e < entries.size(); ++e)
                    plan_year(places.entries[e], info, *entries[e], y, year_columns);
            }
        }
        result.push_back(std::move(places));
    }
    return result;
}
namespace {

// The years of a likely shortfall as a reader would say them: "in 2025
// only", "in 2024-2026", "in 2024-2025 and 2028"; runs of consecutive years
// as ranges. Never "from" a year: a shortfall may end.
std::string shortfall_years_text(const std::vector<int>& years) {
    if (years.empty()) return "no year with a likely shortfall (P > 50%)";
    std::vector<std::string> runs;
    for (std::size_t i = 0; i < years.size();) {
        std::size_t j = i;
        while (j + 1 < years.size() && years[j + 1] == years[j] + 1) ++j;
        runs.push_back(j == i ? std::to_string(years[i]) : std::to_string(years[i]) + "-" + std::to_string(years[j]));
        i = j + 1;
    }
    std::string text = "shortfall likely (P > 50%) in ";
    for (std::size_t k = 0; k < runs.size(); ++k) {
        if (k > 0) text += k + 1 == runs.size() ? " and " : ", ";
        text += runs[k];
    }
    if (years.size() == 1) text += " only";
    return text;
}

std::string plans_text(double value, int decimals) { return std::isnan(value) ? "-" : fixed(value, decimals); }

}  // namespace

void print_places_table(const Summary& summary, std::ostream& out) {
    const RunInfo& info = summary.info;
    const std::size_t years = info.years.size();
    const bool ranges = info.replicates > 1;
    const std::size_t median = probability_index(0.50);
    const std::size_t low = probability_index(0.05);
    const std::size_t high = probability_index(0.95);
    out << "\n== Place planning: capacity limits ==\n"
        << "One block per capacity: a placement, or one phase of it (placement/phase). Demand = plans wanting it\n"
        << "(for a phase, pupils of that phase's ages) had it never been full: pupils moved on by overflow in\n"
        << "earlier years still count. Places for N% = the Nth percentile of demand, rounded up. Overflow =\n"
        << "arrivals moved to the overflow placement in that year; extra spend = their mean extra cost that year,\n"
        << "£m (see docs/output.md). \"none\" = no limit that year.\n";
    if (!has_capacity(summary.info)) out << "No variant has a capacity limit.\n";
    for (const VariantPlaces& variant : summary.places) {
        for (const PlacePlanning& plan : variant.entries) {
            out << "\n" << variant_shown(summary.info, variant.variant) << ": " << plan.name
                << (plan.overflow_to.empty() ? std::string(" (no overflow placement)")
                                             : " (overflow to " + plan.overflow_to + ")")
                << "; " << shortfall_years_text(plan.shortfall_likely_years) << "\n";
            std::vector<YearRow> rows;
            const auto row = [&](const std::string& label, const auto& cell) {
                YearRow r{label, {}};
                for (std::size_t y = 0; y < years; ++y) r.cells.push_back(cell(y));
                rows.push_back(std::move(r));
            };
            row("  capacity", [&](std::size_t y) {
                return plan.capacity[y] < infinity ? fixed(plan.capacity[y], 0) : std::string("none");
            });
            row("  demand: mean", [&](std::size_t y) { return plans_text(plan.demand_mean[y], 1); });
            row("  demand: median", [&](std::size_t y) { return plans_text(plan.demand[median][y], 0); });
            if (ranges) {
                row("  demand: 5-95%", [&](std::size_t y) {
                    return table_range(plan.demand[low][y], plan.demand[high][y], false);
                });
            }
            for (std::size_t k = 0; k < places_probabilities.size(); ++k) {
                row("  places for " + std::to_string(std::lround(places_probabilities[k] * 100)) + "%",
                    [&](std::size_t y) { return plans_text(plan.needed[k][y], 0); });
            }
            row("  P(demand > capacity)", [&](std::size_t y) { return probability_text(plan.p_shortfall[y]); });
            row("  overflow: mean", [&](std::size_t y) { return plans_text(plan.overflow_mean[y], 1); });
            row("  extra spend: mean £m", [&](std::size_t y) { return millions(plan.overflow_extra_spend[y], 2); });
            print_year_table(rows, info.years, out);
        }
    }
}

namespace {

std::string csv_capacity(double value) { return value < infinity ? csv_number(value) : std::string(); }

}  // namespace

void print_places_csv(const Summary& summary, std::ostream& out) {
    out << "variant,placement,phase,overflow_to,year,capacity,demand_mean";
    for (double p : summary_probabilities) out << ",demand_" << probability_key(p);
    for (double p : places_probabilities) out << ",needed_" << probability_key(p);
    out << ",p_shortfall,overflow_mean,overflow_extra_spend,first_year_shortfall_likely\n";
    for (const VariantPlaces& variant : summary.places) {
        for (const PlacePlanning& plan : variant.entries) {
            const std::string first =
                plan.first_year_shortfall_likely ? std::to_string(*plan.first_year_shortfall_likely) : std::string();
            for (std::size_t y = 0; y < summary.info.years.size(); ++y) {
                out << csv_field(variant.variant) << ',' << csv_field(plan.placement) << ','
                    << csv_field(plan.phase) << ',' << csv_field(plan.overflow_to) << ',' << summary.info.years[y] << ','
                    << csv_capacity(plan.capacity[y]) << ',' << csv_number(plan.demand_mean[y]);
                for (const auto& q : plan.demand) out << ',' << csv_number(q[y]);
                for (const auto& n : plan.needed) out << ',' << csv_number(n[y]);
                out << ',' << csv_number(plan.p_shortfall[y]) << ',' << csv_number(plan.overflow_mean[y]) << ','
                    << csv_number(plan.overflow_extra_spend[y]) << ',' << first << "\n";
            }
        }
    }
}

Json places_json(const Summary& summary) {
    Json places = Json::object();
    for (const VariantPlaces& variant : summary.places) {
        Json& entries = places[variant.variant] = Json::object();
        for (const PlacePlanning& plan : variant.entries) {
            Json demand = {{"mean", json_numbers(plan.demand_mean)}};
            add_quantiles_json(demand, summary_probabilities, plan.demand);
            Json needed = Json::object();
            add_quantiles_json(needed, places_probabilities, plan.needed);
            entries[plan.name] = {
                {"capacity", json_numbers(plan.capacity)},
                {"demand", std::move(demand)},
                {"needed", std::move(needed)},
                {"p_shortfall", json_numbers(plan.p_shortfall)},
                {"overflow_mean", json_numbers(plan.overflow_mean)},
                {"overflow_extra_spend", json_numbers(plan.overflow_extra_spend)},
                {"first_year_shortfall_likely",
                 plan.first_year_shortfall_likely ? Json(*plan.first_year_shortfall_likely) : Json(nullptr)},
                {"shortfall_likely_years", plan.shortfall_likely_years},
                {"placement", plan.placement},
                {"phase", json_string_or_null(plan.phase)},
                {"overflow_to", json_string_or_null(plan.overflow_to)}};
        }
    }
    return places;
}

}  // namespace summary_detail

using namespace summary_detail;

double places_needed(double quantile) {
    if (std::isnan(quantile)) return nan_value;
    const double whole = std::round(quantile);
    return std::fabs(quantile - whole) <= 1e-9 ? whole : std::ceil(quantile);
}

}  // namespace ehcpsim
