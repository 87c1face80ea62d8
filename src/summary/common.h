// What the views of the summary share, private to src/summary/: reading the
// ensemble one metric at a time, type-7 quantiles over replicates, and the
// text of numbers and tables. Each view's own file computes it from the
// reader and prints it as a table, CSV and JSON.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "ehcpsim/summary.h"

namespace ehcpsim::summary_detail {

// Keys in the order they are inserted: the JSON lists variants, metrics and
// views in run and catalogue order, as before.
using Json = nlohmann::ordered_json;

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------
// Reading (common.cpp).

// Replicates of the file (0 if it says fewer).
std::size_t replicates_of(const RunInfo& info);

// metric (an index in metric_catalogue()) of a variant, [replicate][year][category];
// empty if the file leaves it out. The one place the summary names a metric
// to the reader.
std::vector<double> read_metric(const ResultReader& reader, const std::string& variant, int metric);
// The expected-value projection of a [year] metric; empty if absent.
std::vector<double> read_expected(const ResultReader& reader, const std::string& variant, int metric);

// The columns of a metric of a variant, streamed: visit(year, category,
// column) for every year and category (the flat index over the dimensions
// after year, placement-major), column holding every replicate's value in
// replicate order (NaN included). The metric is read a slab of columns at a
// time, each slab at most `budget` bytes (at least one column), so memory
// holds a slab, never the whole metric. Returns false, calling nothing, when
// the file has no values of it (left out, no replicates or no years).
using ColumnVisitor = std::function<void(std::size_t year, std::size_t category, const std::vector<double>& column)>;
bool for_each_column(const ResultReader& reader, const RunInfo& info, const std::string& variant, int metric,
                     std::size_t budget, const ColumnVisitor& visit);

// One column of a metric of a variant (every replicate's value in the year
// and category, NaN included); empty when the file has no values of it.
std::vector<double> read_column(const ResultReader& reader, const RunInfo& info, const std::string& variant,
                                int metric, std::size_t year, std::size_t category);

// Each variant's values of a [replicate, year] metric in the final year, per
// replicate (run order; empty for a variant without the metric or years).
std::vector<std::vector<double>> final_year_values(const ResultReader& reader, const RunInfo& info, int metric);

// ---------------------------------------------------------------------------
// Quantiles and moments (quantiles.cpp).

// Type-7 quantiles of values (no NaNs; reordered), equal to quantile_sorted()
// on the sorted values. All NaN when values is empty.
std::vector<double> quantiles_of(std::vector<double>& values, const std::vector<double>& probabilities);

// Mean of the values (no NaNs) summed in order; NaN if empty.
double mean_of(const std::vector<double>& values);

// Sum of squared deviations from the mean (two passes): the sample variance
// times n - 1.
double squared_deviations(const std::vector<double>& values);

// The values of a column that are not NaN (in replicate order) and their sum
// in that order, so a mean does not depend on anything else.
struct Present {
    std::vector<double> values;
    double sum = 0.0;
    double mean() const { return values.empty() ? nan_value : sum / static_cast<double>(values.size()); }
};

// ---------------------------------------------------------------------------
// The series (series.cpp): the summaries of one metric of one variant, one
// per category, as SummaryViews::series computes them for every metric.
// Empty when the file has no values of the metric.
std::vector<SeriesSummary> summarise_metric(const ResultReader& reader, const RunInfo& info,
                                            const std::string& variant, int metric, std::size_t budget);
// The series of a [year] metric of variant v: taken from summary.variants
// when the series view was computed, else computed from the reader (the
// same numbers either way).
SeriesSummary other_spend_series(const ResultReader& reader, const RunInfo& info, const std::string& variant);
SeriesSummary year_series(const ResultReader& reader, const Summary& summary, std::size_t v, int metric,
                          std::size_t budget = SummaryOptions().read_budget_bytes);

// ---------------------------------------------------------------------------
// Text (format.cpp).

std::string plain(double value);  // round-trips exactly, never in exponent form
std::string fixed(double value, int decimals);  // printf %.*f without a "-0"
std::size_t display_width(const std::string& text);  // UTF-8 code points
std::string pad_left(const std::string& text, std::size_t width);
std::string pad_right(const std::string& text, std::size_t width);
std::string csv_field(const std::string& text);
std::string csv_number(double value);  // "" for NaN
std::string probability_key(double p);  // 0.05 -> "p5"
std::string level_text(const Opportunity& o);
// What readers are shown for a variant and for one of its drawn parameters:
// the scenario's label, else the name (RunInfo's variant_label()).
std::string variant_shown(const RunInfo& info, const std::string& variant);
std::string parameter_shown(const RunInfo& info, const std::string& variant, const std::string& parameter);  // "target", "stretch" or "range"

std::size_t probability_index(double p);  // of p in summary_probabilities
// A cell of a table: "-" for NaN; money in £m with two decimals, else whole.
std::string table_value(double value, bool money);
std::string table_range(double low, double high, bool money);  // "[low, high]"
std::string millions(double value, int decimals);  // pounds as £m; "-" for NaN
std::string probability_text(double value);        // three decimals; "-" for NaN
std::string threshold_text(double pounds);         // "£30m", "£500k", "£750", "-£2.5m" (exceedance.cpp)

constexpr std::size_t table_width = 120;

// A row of a table over the years: a label, then one right-aligned cell per year.
struct YearRow {
    enum class Kind { cells, heading, width_only };
    std::string label;
    std::vector<std::string> cells;
    // heading: the label alone on its line; width_only: not printed, but its
    // cells widen the columns (the range rows of a one-replicate table, so a
    // table keeps its width).
    Kind kind = Kind::cells;
};

// The rows wrapped to table_width: blocks of as many years as fit, each under
// a line of its years. Columns are as wide as the widest cell (at least 5)
// plus one, the labels as the widest label (at least min_label_width) plus
// one. With no years, the year line and the labels once when print_empty.
// financial_years: the columns headed "2022-23" (money), not "2023".
void print_year_table(const std::vector<YearRow>& rows, const std::vector<int>& years, std::ostream& out,
                      std::size_t min_label_width = 0, bool print_empty = false, bool financial_years = false);

// Rows of cells; the first `left` columns left-aligned, the others right-aligned.
void print_grid(const std::vector<std::vector<std::string>>& rows, std::size_t left, std::ostream& out);
void print_run_heading(const RunInfo& info, std::ostream& out);

// A number in JSON: null when not finite (NaN, as the file's "no value").
Json json_number(double value);
Json json_numbers(const std::vector<double>& values);
// Adds "p5": [...], "p50": [...] ... to `object`: quantiles[k] (one value a
// year) under the key of probabilities[k], in that order.
void add_quantiles_json(Json& object, const std::vector<double>& probabilities,
                        const std::vector<std::vector<double>>& quantiles);
// A string, or null when empty.
Json json_string_or_null(const std::string& text);

// ---------------------------------------------------------------------------
// The views: compute (from the reader) and print. Each file holds one.

// series.cpp
void print_series_table(const Summary& summary, std::ostream& out);
void print_series_csv(const Summary& summary, std::ostream& out);
Json series_json(const Summary& summary);

// dbv.cpp
DbvSummary dbv_of(const ResultReader& reader, const Summary& summary,
                  const std::vector<std::vector<double>>& horizon_deficit);
void print_dbv_headline(const Summary& summary, std::ostream& out);
void print_dbv_table(const Summary& summary, std::ostream& out);
void print_dbv_csv(const Summary& summary, std::ostream& out);
Json dbv_json(const Summary& summary);

// exceedance.cpp
Exceedance exceedance_of(const RunInfo& info, const std::vector<std::vector<double>>& horizon_deficit,
                         const std::vector<double>& thresholds);
void print_exceedance_table(const Summary& summary, std::ostream& out);
void print_exceedance_csv(const Summary& summary, std::ostream& out);
Json exceedance_json(const Summary& summary);

// places.cpp
bool limited(const RunInfo::CapacityEntry& entry);  // a limit in some year
std::vector<VariantPlaces> places_of(const ResultReader& reader, const RunInfo& info, std::size_t budget);
void print_places_table(const Summary& summary, std::ostream& out);
void print_places_csv(const Summary& summary, std::ostream& out);
Json places_json(const Summary& summary);

// scap.cpp
std::vector<ScapRow> scap_of(const ResultReader& reader, const RunInfo& info);
void print_scap_csv(const Summary& summary, std::ostream& out);

// drivers_view.cpp
DriversSummary drivers_of(const ResultReader& reader, const RunInfo& info,
                          const std::vector<std::vector<double>>& horizon_deficit,
                          const std::vector<std::vector<double>>& horizon_spend);
void print_drivers_table(const Summary& summary, std::ostream& out);
void print_drivers_csv(const Summary& summary, std::ostream& out);
Json drivers_json(const Summary& summary);

// dsg.cpp
std::vector<DsgRow> dsg_of(const ResultReader& reader, const Summary& summary);

// dsg_plan.cpp: the mean over replicates of stock_by_placement_age_need,
// [year][(placement * ages + age) * needs + need]; empty when the file has
// no plan detail (run --plan-detail), NaN where no replicate has a value.
std::vector<std::vector<double>> stock_cell_means(const ResultReader& reader, const RunInfo& info,
                                                  const std::string& variant);
void print_dsg_csv(const Summary& summary, std::ostream& out);

}  // namespace ehcpsim::summary_detail
