// The drivers view: what drives the spread (MODEL.md section 8), the
// standardised rank regression (drivers.h) of the cumulative deficit at the
// horizon and of spend in the final year on the parameter draws, per variant.
#include <iterator>

#include "common.h"

namespace ehcpsim::summary_detail {

DriversSummary drivers_of(const ResultReader& reader, const RunInfo& info,
                          const std::vector<std::vector<double>>& horizon_deficit,
                          const std::vector<std::vector<double>>& horizon_spend) {
    DriversSummary drivers;
    drivers.year = info.years.empty() ? 0 : info.years.back();
    if (info.mode == "deterministic") {
        drivers.reason = "a deterministic projection has no spread to attribute";
        return drivers;
    }
    drivers.computed = true;
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        const std::vector<std::string> no_names;
        const std::vector<std::string>& names = v < info.parameter_names.size() ? info.parameter_names[v] : no_names;
        const std::vector<double> draws = names.empty() ? std::vector<double>() : reader.read_parameters(info.variants[v]);
        VariantDrivers entry;
        entry.variant = info.variants[v];
        const std::vector<double> none;
        const std::vector<double>& deficit = v < horizon_deficit.size() ? horizon_deficit[v] : none;
        const std::vector<double>& spend = v < horizon_spend.size() ? horizon_spend[v] : none;
        if (draws.size() != names.size() * deficit.size() || deficit.size() != spend.size()) {
            // Nothing recorded (no years, or no replicates): no fit.
            entry.cumulative_deficit.reason = entry.spend.reason = "no replicate has a value";
        } else {
            std::vector<DriverFit> fits = rank_regressions(draws, names, {deficit, spend});
            entry.cumulative_deficit = std::move(fits[0]);
            entry.spend = std::move(fits[1]);
        }
        drivers.variants.push_back(std::move(entry));
    }
    return drivers;
}
namespace {

constexpr std::size_t drivers_shown = 10;  // per variant and outcome, in the table

struct DriverOutcome {
    const char* key;  // "cumulative_deficit", "spend": the JSON key and the CSV's output
    const DriverFit VariantDrivers::*fit;
};
constexpr DriverOutcome driver_outcomes[] = {{"cumulative_deficit", &VariantDrivers::cumulative_deficit},
                                             {"spend", &VariantDrivers::spend}};

std::string signed_fixed(double value, int decimals) {
    std::string text = fixed(value, decimals);
    if (text[0] == '-' || text.find_first_not_of("0.") == std::string::npos) return text;
    // Appended, not inserted: GCC 12 warns falsely (-Wrestrict) on insert(0, "+") once inlined here.
    std::string with_sign(1, '+');
    with_sign += text;
    return with_sign;
}

}  // namespace

void print_drivers_table(const Summary& summary, std::ostream& out) {
    const DriversSummary& drivers = summary.drivers;
    out << "\n== What drives the spread: " << drivers_method << " ==\n";
    if (!drivers.computed) {
        out << "No drivers: " << drivers.reason << ".\n";
        return;
    }
    out << "Each outcome's ranks over replicates regressed on the ranks of the parameter draws. SRRC: the change in\n"
        << "the outcome, in standard deviations of its rank, per standard deviation of the parameter's rank (sign =\n"
        << "direction). share = SRRC^2, the share of the outcome's rank variance the parameter explains (the\n"
        << "parameters are drawn independently). R2: what they explain together; the rest, 1 - R2, is the year-to-\n"
        << "year shocks and the chance in the flows, which the file does not record per replicate. Top "
        << drivers_shown << " shown.\n";
    for (const VariantDrivers& variant : drivers.variants) {
        for (const DriverOutcome& outcome : driver_outcomes) {
            const DriverFit& fit = variant.*outcome.fit;
            const std::string what = std::string(outcome.key) == "spend"
                                         ? "spend in " + financial_year(drivers.year)
                                         : "cumulative deficit at the end of " + financial_year(drivers.year);
            out << "\n" << variant_shown(summary.info, variant.variant) << ": " << what;
            if (!fit.ok()) {
                out << ": no drivers (" << fit.reason << ")\n";
                continue;
            }
            out << " (" << fit.replicates << " replicates, R2 = " << fixed(fit.r2, 3) << ")\n";
            std::vector<std::vector<std::string>> rows = {{"  rank", "parameter", "SRRC", "share"}};
            for (std::size_t i = 0; i < fit.parameters.size() && i < drivers_shown; ++i) {
                const Driver& d = fit.parameters[i];
                rows.push_back({"  " + pad_left(std::to_string(i + 1), 4),
                                parameter_shown(summary.info, variant.variant, d.name), signed_fixed(d.srrc, 3),
                                fixed(d.share, 3)});
            }
            print_grid(rows, 2, out);
            if (fit.parameters.size() > drivers_shown) {
                double rest = 0.0;
                for (std::size_t i = drivers_shown; i < fit.parameters.size(); ++i) rest += fit.parameters[i].share;
                out << "  ... " << fit.parameters.size() - drivers_shown << " more, share " << fixed(rest, 3)
                    << " together\n";
            }
            const auto list = [&](const std::vector<std::string>& names, const char* why) {
                if (names.empty()) return;
                out << "  " << why << ": ";
                for (std::size_t i = 0; i < names.size(); ++i) out << (i > 0 ? ", " : "") << names[i];
                out << "\n";
            };
            list(fit.constant, "left out, the same in every replicate");
            list(fit.aliased, "left out, determined by the other draws");
        }
    }
}

void print_drivers_csv(const Summary& summary, std::ostream& out) {
    out << "variant,output,year,rank,parameter,srrc,share,r2\n";
    for (const VariantDrivers& variant : summary.drivers.variants) {
        for (const DriverOutcome& outcome : driver_outcomes) {
            const DriverFit& fit = variant.*outcome.fit;
            for (std::size_t i = 0; i < fit.parameters.size(); ++i) {
                const Driver& d = fit.parameters[i];
                out << csv_field(variant.variant) << ',' << outcome.key << ',' << summary.drivers.year << ',' << i + 1
                    << ',' << csv_field(d.name) << ',' << csv_number(d.srrc) << ',' << csv_number(d.share) << ','
                    << csv_number(fit.r2) << "\n";
            }
        }
    }
}

Json drivers_json(const Summary& summary) {
    const DriversSummary& drivers = summary.drivers;
    if (!drivers.computed) return nullptr;
    Json variants = Json::object();
    for (const VariantDrivers& variant : drivers.variants) {
        Json& entry = variants[variant.variant] = Json::object();
        std::vector<std::string> reasons;
        for (const DriverOutcome& outcome : driver_outcomes) {
            const DriverFit& fit = variant.*outcome.fit;
            if (!fit.ok()) {
                entry[outcome.key] = nullptr;
                reasons.push_back(std::string(outcome.key) + ": " + fit.reason);
                continue;
            }
            Json parameters = Json::array();
            for (const Driver& d : fit.parameters) {
                parameters.push_back({{"name", d.name}, {"srrc", json_number(d.srrc)}, {"share", json_number(d.share)}});
            }
            entry[outcome.key] = {{"year", drivers.year},
                                  {"replicates", fit.replicates},
                                  {"r2", json_number(fit.r2)},
                                  {"parameters", std::move(parameters)}};
        }
        if (!reasons.empty()) {
            // One reason when both outcomes have none for the same reason.
            const DriverFit& a = variant.cumulative_deficit;
            const DriverFit& b = variant.spend;
            std::string reason;
            if (!a.ok() && !b.ok() && a.reason == b.reason) {
                reason = a.reason;
            } else {
                for (std::size_t i = 0; i < reasons.size(); ++i) reason += (i > 0 ? "; " : "") + reasons[i];
            }
            entry["reason"] = reason;
        }
    }
    return {{"method", drivers_method}, {"variants", std::move(variants)}};
}

}  // namespace ehcpsim::summary_detail
