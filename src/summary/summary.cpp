// summarise() and print_summary(): which views a request needs, computing
// only those (each in its own file), and printing them as a table, CSV or
// JSON.
#include "ehcpsim/summary.h"

#include <algorithm>
#include <stdexcept>

#include "common.h"

namespace ehcpsim {

using namespace summary_detail;

AmbitionLevel variant_level(const RunInfo& info, std::size_t v) {
    if (v >= info.levels.size()) return AmbitionLevel::none;
    // The reader accepts only the three names; anything else reads as none.
    return parse_ambition_level(info.levels[v]).value_or(AmbitionLevel::none);
}

bool has_levels(const RunInfo& info) {
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        if (variant_level(info, v) != AmbitionLevel::none) return true;
    }
    return false;
}

bool has_capacity(const RunInfo& info) {
    for (std::size_t v = 0; v < info.capacity.size() && v < info.variants.size(); ++v) {
        if (std::any_of(info.capacity[v].begin(), info.capacity[v].end(), limited)) return true;
    }
    return false;
}

SummaryViews views_to_print(const RunInfo& info, SummaryFormat format, const PrintOptions& options,
                            bool exceedance) {
    SummaryViews views = SummaryViews::none();
    views.dbv = options.dbv;
    views.places = options.places;
    views.scap = options.scap;
    views.dsg = options.dsg;
    views.drivers = options.drivers;
    switch (format) {
        case SummaryFormat::table: views.series = !options.dbv && !options.places && !options.drivers; break;
        case SummaryFormat::csv:
            views.series =
                !options.dbv && !exceedance && !options.places && !options.scap && !options.dsg && !options.drivers;
            break;
        case SummaryFormat::json:
            views.series = true;
            views.dbv = views.dbv || has_levels(info);
            views.places = views.places || has_capacity(info);
            views.drivers = true;  // null for a deterministic file, and then only when asked for
            break;
    }
    return views;
}

void check_print_options(SummaryFormat format, const PrintOptions& options, bool exceedance) {
    if (options.scap && format != SummaryFormat::csv) throw std::invalid_argument("--scap writes CSV only");
    if (options.dsg && format != SummaryFormat::csv) throw std::invalid_argument("--dsg writes CSV only");
    const int tables = static_cast<int>(options.dbv) + static_cast<int>(exceedance) + static_cast<int>(options.places) +
                       static_cast<int>(options.scap) + static_cast<int>(options.dsg) +
                       static_cast<int>(options.drivers);
    if (format == SummaryFormat::csv && tables > 1) {
        throw std::invalid_argument("--format csv prints one table: give one of --dbv, --exceed, --places, --scap, "
                                    "--dsg, --drivers");
    }
}

Summary summarise(const ResultReader& reader, const SummaryOptions& options) {
    Summary summary;
    summary.info = reader.info();
    summary.computed = options.views;
    const RunInfo& info = summary.info;
    const SummaryViews& views = options.views;
    const bool exceedance = !options.exceedance_thresholds.empty();

    if (views.series) {
        for (const std::string& variant : info.variants) {
            VariantSummary variant_summary{variant, {}, {}};
            for (std::size_t m = 0; m < metric_catalogue().size(); ++m) {
                // A slab of one metric's columns in memory at a time; nothing
                // for a metric the file leaves out (or no replicates).
                for (SeriesSummary& series :
                     summarise_metric(reader, info, variant, static_cast<int>(m), options.read_budget_bytes))
                    variant_summary.series.push_back(std::move(series));
            }
            variant_summary.other_spend = other_spend_series(reader, info, variant);
            summary.variants.push_back(std::move(variant_summary));
        }
    }
    // Each variant's cumulative deficit at the horizon, per replicate: the
    // DBV opportunity, the exceedance probabilities and the drivers come
    // from these.
    std::vector<std::vector<double>> horizon_deficit;
    if (views.dbv || views.drivers || exceedance) horizon_deficit = final_year_values(reader, info, m_cumulative_deficit);
    if (views.dbv) summary.dbv = dbv_of(reader, summary, horizon_deficit);
    if (views.places) summary.places = places_of(reader, info, options.read_budget_bytes);
    if (views.scap) summary.scap = scap_of(reader, info);
    if (views.drivers) {
        // Spend in the final year: the second outcome whose spread is attributed.
        summary.drivers = drivers_of(reader, info, horizon_deficit, final_year_values(reader, info, m_spend));
    }
    if (views.dsg) summary.dsg = dsg_of(reader, summary);
    if (exceedance) summary.exceedance = exceedance_of(info, horizon_deficit, options.exceedance_thresholds);
    return summary;
}

namespace {

void print_json(const Summary& summary, bool dbv, bool places, bool drivers, std::ostream& out) {
    Json json = {{"variants", series_json(summary)},
                 {"years", summary.info.years},
                 {"replicates", summary.info.replicates},
                 {"seed", summary.info.seed}};
    if (dbv || has_levels(summary.info)) json["dbv"] = dbv_json(summary);
    if (!summary.exceedance.thresholds.empty()) json["exceedance"] = exceedance_json(summary);
    if (places || has_capacity(summary.info)) json["places"] = places_json(summary);
    if (drivers || summary.drivers.computed) json["drivers"] = drivers_json(summary);
    // The scenario's labels, only when it gave some: variant -> label, and
    // variant -> parameter -> label (names without a label left out).
    const RunInfo& info = summary.info;
    if (!info.variant_labels.empty() || !info.parameter_labels.empty()) {
        Json variants = Json::object(), parameters = Json::object();
        for (std::size_t v = 0; v < info.variants.size(); ++v) {
            if (v < info.variant_labels.size() && !info.variant_labels[v].empty())
                variants[info.variants[v]] = info.variant_labels[v];
            Json own = Json::object();
            for (std::size_t j = 0; v < info.parameter_labels.size() && j < info.parameter_labels[v].size(); ++j)
                if (!info.parameter_labels[v][j].empty()) own[info.parameter_names[v][j]] = info.parameter_labels[v][j];
            if (!own.empty()) parameters[info.variants[v]] = std::move(own);
        }
        json["labels"] = {{"variants", std::move(variants)}, {"parameters", std::move(parameters)}};
    }
    out << json.dump(2) << '\n';
}

}  // namespace

void print_summary(const Summary& summary, SummaryFormat format, std::ostream& out, const PrintOptions& options) {
    const bool exceedance = !summary.exceedance.thresholds.empty();
    check_print_options(format, options, exceedance);
    const SummaryViews needed = views_to_print(summary.info, format, options, exceedance);
    const SummaryViews& have = summary.computed;
    if ((needed.series && !have.series) || (needed.dbv && !have.dbv) || (needed.places && !have.places) ||
        (needed.scap && !have.scap) || (needed.drivers && !have.drivers) || (needed.dsg && !have.dsg)) {
        throw std::logic_error("print_summary: a view it prints was not computed (see views_to_print)");
    }
    switch (format) {
        case SummaryFormat::table:
            if (options.dbv || options.places || options.drivers) print_run_heading(summary.info, out);
            if (options.dbv) {
                print_dbv_headline(summary, out);
                print_dbv_table(summary, out);
            }
            if (options.places) print_places_table(summary, out);
            if (options.drivers) print_drivers_table(summary, out);
            if (!options.dbv && !options.places && !options.drivers) print_series_table(summary, out);
            if (exceedance) print_exceedance_table(summary, out);
            break;
        case SummaryFormat::csv:
            if (options.dbv) {
                print_dbv_csv(summary, out);
            } else if (exceedance) {
                print_exceedance_csv(summary, out);
            } else if (options.places) {
                print_places_csv(summary, out);
            } else if (options.scap) {
                print_scap_csv(summary, out);
            } else if (options.dsg) {
                print_dsg_csv(summary, out);
            } else if (options.drivers) {
                print_drivers_csv(summary, out);
            } else {
                print_series_csv(summary, out);
            }
            break;
        case SummaryFormat::json: print_json(summary, options.dbv, options.places, options.drivers, out); break;
    }
}

}  // namespace ehcpsim
