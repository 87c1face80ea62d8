// calibrate(): cut the panel, fit each family (fit*.cpp), fill the base stock
// (base_stock.cpp), and write the scenario around the template's other
// sections (calibrate.h).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <sstream>

#include "calibrate_detail.h"
#include "ehcpsim/error.h"

namespace ehcpsim::calibrate {

using namespace detail;

namespace {

std::string dist_text(const Distribution& d) {
    switch (d.kind) {
        case Distribution::Kind::fixed: return number(d.a);
        case Distribution::Kind::normal:
        case Distribution::Kind::lognormal:
        case Distribution::Kind::beta:
            return std::string("{ dist = \"") + kind_name(d.kind) + "\", mean = " + number(d.a) + ", sd = " + number(d.b) +
                   " }";
        case Distribution::Kind::uniform:
            return "{ dist = \"uniform\", min = " + number(d.a) + ", max = " + number(d.b) + " }";
        case Distribution::Kind::triangular:
        case Distribution::Kind::pert:
            return std::string("{ dist = \"") + kind_name(d.kind) + "\", min = " + number(d.a) + ", mode = " +
                   number(d.b) + ", max = " + number(d.c) + " }";
    }
    return number(d.a);
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "\"";
}

struct Writer {
    const Calibration& cal;
    std::ostringstream text;

    const FittedParameter* find(const std::string& key) const {
        for (const FittedParameter& p : cal.fitted)
            if (p.key == key) return &p;
        return nullptr;
    }
    // The comment and the key line of a fitted parameter; false when it was not fitted.
    bool fitted(const std::string& key, const std::string& written_as) {
        const FittedParameter* p = find(key);
        if (!p) return false;
        text << "# " << p->family << ": estimate " << fmt(p->mean) << ", 90% interval " << fmt(p->lo90) << " - "
             << fmt(p->hi90) << "; data: " << p->data;
        if (!p->pooled_towards.empty())
            text << "; own data weigh " << fmt(p->own_weight, 3) << ", the rest " << p->pooled_towards;
        text << "\n" << written_as << " = " << p->dist << "\n";
        return true;
    }
    void kept(const std::string& written_as, const Distribution& d) {
        text << written_as << " = " << dist_text(d) << "   # the template's\n";
    }
};

}  // namespace

std::vector<std::string> read_statistical_neighbours(const std::string& csv, const std::string& authority) {
    std::ifstream in(csv, std::ios::binary);
    if (!in) throw ScenarioError(SourceLocation{csv, "", 0, 0}, "cannot read the statistical neighbours");
    std::string line;
    std::vector<std::pair<int, std::string>> found;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (number == 1 || line.empty()) continue;
        // la_code,la_name,sn_rank,sn_code,... : names may be quoted with commas, so count from the code.
        if (line.rfind(authority + ",", 0) != 0) continue;
        std::vector<std::string> f;
        std::string field;
        bool quoted_field = false;
        for (char ch : line) {
            if (ch == '"') quoted_field = !quoted_field;
            else if (ch == ',' && !quoted_field) {
                f.push_back(field);
                field.clear();
            } else field += ch;
        }
        f.push_back(field);
        if (f.size() < 4) throw ScenarioError(SourceLocation{csv, "", number, 1}, "expected la_code,la_name,sn_rank,sn_code,...");
        found.push_back({std::atoi(f[2].c_str()), f[3]});
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (const auto& [rank, code] : found) out.push_back(code);
    return out;
}

std::string check_request(const Panel& panel, const std::string& authority, int origin) {
    if (!panel.has_authority(authority)) {
        const auto codes = panel.authorities();
        std::string examples;
        for (std::size_t i = 0; i < codes.size() && i < 5; ++i) examples += (i ? ", " : "") + codes[i];
        return "authority '" + authority + "' is not in the panel (" + std::to_string(codes.size()) +
               " authorities, e.g. " + examples + ")";
    }
    const Series stock = panel.series(authority, "stock", "all");
    if (stock.empty()) return "authority '" + authority + "' has no January stock (stock, all) in the panel";
    if (!stock.count(origin) || !stock.count(origin - 1))
        return "origin " + std::to_string(origin) + " is outside the years the panel allows for " + authority +
               ": an origin needs its January census and the one before, so " +
               std::to_string(stock.begin()->first + 1) + " to " + std::to_string(stock.rbegin()->first);
    return {};
}

int template_placement(const std::string& group, const Dimensions& dims) { return placement_for(group, dims); }

GroupFitCache::GroupFitCache() : entries_(std::make_unique<Entries>()) {}
GroupFitCache::~GroupFitCache() = default;

Template load_template(const std::string& path) {
    Template tmpl;
    if (path.empty()) {
        tmpl.set = load_default_scenario();
        tmpl.toml_text = default_scenario_files().front().text;
        tmpl.display_name = "the embedded default scenario (Halton DBV)";
    } else {
        tmpl.set = load_scenario(path);
        tmpl.toml_text = tmpl.set.sources.front().text;
        tmpl.display_name = std::filesystem::path(path).filename().string();
    }
    return tmpl;
}

Calibration calibrate(const Panel& panel, const EnglandProfile& england, const Template& tmpl,
                      const CalibrateOptions& options) {
    if (const std::string why = check_request(panel, options.authority, options.origin); !why.empty())
        throw ScenarioError(SourceLocation{options.panel_name, "", 0, 0}, why);
    const int Y = options.origin;
    // Cutting a panel cut at Y again at Y copies the same rows: skip the copy.
    std::optional<Panel> own_cut;
    if (panel.cut_origin() != Y) own_cut = panel.cut_after(Y);
    const Panel& cut = own_cut ? *own_cut : panel;
    const Scenario& base = tmpl.set.variants.front();
    const Dimensions& dims = base.dims;
    Calibration out;
    out.authority = options.authority;
    out.authority_name = cut.name_of(options.authority);
    out.origin = Y;
    out.template_name = tmpl.display_name;
    out.panel_name = options.panel_name;
    out.panel_rows_after_cut = cut.size();
    FitContext c{cut, england, base, dims, Y, options.authority, out, {}, options.pool_name, options.group_cache};
    if (options.pool.empty()) {
        c.group = cut.authorities();
    } else {
        c.group.push_back(options.authority);
        for (const std::string& code : options.pool)
            if (code != options.authority && cut.has_authority(code)) c.group.push_back(code);
        out.methods.push_back("Pooling group: " + options.pool_name + ", " + std::to_string(c.group.size()) +
                              " authorities of the panel with the authority itself (" + [&] {
                                  std::string list;
                                  for (const std::string& code : c.group) list += (list.empty() ? "" : ", ") + code;
                                  return list;
                              }() + "); a family with data for only one of them gets a weak prior (size 2) at its "
                                    "mean.");
        if (c.group.size() < 4)
            out.warnings.push_back("only " + std::to_string(c.group.size()) + " authorities to pool over: the "
                                   "priors are rough (the method of moments needs many)");
    }
    const double scale = c.scale_of(options.authority);
    if (scale <= 0.0)
        throw ScenarioError(SourceLocation{options.panel_name, "", 0, 0},
                            "England's plans at the January " + std::to_string(Y) +
                                " census are not known (national rows): the population proxy cannot be scaled");
    out.methods.push_back(
        "Population proxy: England's ONS 2018-based subnational projection by five-year band, each band spread "
        "evenly over its single years, times the authority's plans over England's at the January " +
        std::to_string(Y) + " census (" + fmt(scale, 5) +
        "); the table's year t is mid-year t, years before 2018 held at 2018. A per-head rate absorbs the "
        "constant: only England's age shape and its change enter the forecast.");

    // The base stock.
    const BaseStock stock = fit_base_stock(cut, options.authority, Y, base);
    out.census_total = stock.census_total;
    out.stock_total = std::accumulate(stock.cells.begin(), stock.cells.end(), std::int64_t{0});
    out.margins = stock.margins;
    out.ipf_iterations = stock.iterations;
    out.ipf_max_relative_gap = stock.max_relative_gap;
    for (const std::string& n : stock.notes) out.warnings.push_back(n);
    out.methods.push_back(
        "Base stock: the January " + std::to_string(Y) +
        " census total with its published margins (age, need, placement; each rescaled to the total, an "
        "unpublished part of a margin being one group that holds the rest) filled to the template's age x need "
        "x placement cells by iterative proportional fitting, seeded by the template's own base stock (99.5%) "
        "and the independence table of its margins (0.5%); then whole plans by largest remainder, moved one at a "
        "time along one dimension until every margin equals its target rounded to whole plans.");

    fit_demand(c);
    fit_cease(c);
    fit_mixes(c);
    fit_transfers(c);
    fit_trend(c);
    fit_rate_variation(c);

    // ------------------------------------------------------------ the CSVs
    {
        std::ostringstream csv;
        csv << "# Base stock of " << out.authority_name << " (" << out.authority << ") at the January " << Y
            << " census, fitted by ehcpsim calibrate (see the scenario)\nage,need,placement,count\n";
        for (int a = dims.min_age; a <= dims.max_age; ++a)
            for (std::size_t n = 0; n < dims.needs.size(); ++n)
                for (std::size_t p = 0; p < dims.placements.size(); ++p) {
                    const std::int64_t v = stock.cells[dims.cell(a, static_cast<int>(n), static_cast<int>(p))];
                    if (v > 0) csv << a << ',' << dims.needs[n] << ',' << dims.placements[p] << ',' << v << '\n';
                }
        out.stock_csv = csv.str();
        std::ostringstream pop;
        pop << "# Population proxy of " << out.authority_name << ": England's 2018-based SNPP by age, times "
            << fmt(scale, 6) << " (see the scenario)\nyear,age,population\n";
        for (int t = Y; t <= Y + base.horizon; ++t)
            for (int a = dims.min_age; a <= dims.max_age; ++a)
                pop << t << ',' << a << ',' << number(std::round(england.population(t, a) * scale * 10.0) / 10.0)
                    << '\n';
        out.population_csv = pop.str();
    }

    // ----------------------------------------------------------- the TOML
    std::vector<std::string> removed, notes;
    const std::string rest = template_rest(tmpl.toml_text, tmpl.display_name,
                                           {"scenario", "data", "demand", "cease", "transfers_in"}, Y, base.horizon,
                                           removed, notes);
    for (const std::string& r : removed)
        out.warnings.push_back("the template's " + r + " is left out: calibrate writes that table from the data");
    for (const std::string& n : notes) out.warnings.push_back(n);

    Writer w{out, {}};
    std::ostringstream& t = w.text;
    t << "# Calibrated scenario: " << out.authority_name << " (" << out.authority << "), origin " << Y
      << " (January " << Y << " census), written by `ehcpsim calibrate`.\n"
      << "# Data: panel " << out.panel_name << " cut at the origin (stocks to January " << Y << ", flows to "
      << Y - 1 << "); template: " << out.template_name << ".\n"
      << "# Each fitted parameter is a posterior: its comment gives the estimate, the 90% interval of what is\n"
      << "# written, the data it came from and the weight of the authority's own data against all authorities'.\n"
      << "# What is not fitted is the template's (money, capacity, mitigations, transitions, lag, variants);\n"
      << "# the fit report lists every choice. Year label Y = financial year (Y-1)-Y / the January Y census.\n\n";
    t << "[scenario]\nname = " << quoted(out.authority_name + " (" + out.authority + "), calibrated at " + std::to_string(Y))
      << "\ndescription = "
      << quoted("Fitted by ehcpsim calibrate from " + out.panel_name + " at origin " + std::to_string(Y) +
                "; everything SEN2 does not describe from " + out.template_name + ".")
      << "\nbase_year = " << Y << "\nhorizon = " << base.horizon << "\nbaseline = " << quoted(base.variant)
      << "\nseed = " << tmpl.set.default_seed << "\nreplicates = " << tmpl.set.default_replicates << "\n\n";
    t << "[data]\n# January " << Y << " census: " << out.census_total
      << " plans, filled to cells by IPF on the template's cross-table (fit report: margins)\nstock = "
      << quoted(options.stock_file) << "\n# Proxy: England's age profile scaled to the authority (see the fit report)\n"
      << "population = " << quoted(options.population_file) << "\n\n";

    t << "[demand]\n";
    for (const char* key : {"assess_rate", "issue_rate"})
        if (!w.fitted(std::string("demand.") + key, key))
            w.kept(key, key == std::string("assess_rate") ? base.demand.assess_rate.dist : base.demand.issue_rate.dist);
    w.kept("lag", base.demand.lag.dist);
    const std::pair<const char*, const Param*> trend[] = {{"growth", &base.demand.growth},
                                                          {"growth_long_run", &base.demand.growth_long_run},
                                                          {"persistence", &base.demand.persistence},
                                                          {"shock_sd", &base.demand.shock_sd}};
    for (const auto& [key, param] : trend)
        if (!w.fitted(std::string("demand.") + key, key)) w.kept(key, param->dist);
    // Year-to-year variation of conversion: fitted, else the template's when it has one.
    const std::pair<const char*, const Param*> conversion_variation[] = {
        {"conversion_sd", &base.demand.conversion_sd}, {"conversion_persistence", &base.demand.conversion_persistence}};
    for (const auto& [key, param] : conversion_variation)
        if (!w.fitted(std::string("demand.") + key, key) && !(param->dist.is_fixed() && param->dist.a == 0.0))
            w.kept(key, param->dist);
    if (!base.demand.request_multiplier.empty())
        out.warnings.push_back("the template's demand.request_multiplier is left out: the fitted rate is the "
                               "origin's level");
    if (base.demand.pipeline_total >= 0.0 || !base.demand.pipeline_by_age.empty())
        out.warnings.push_back("the template's demand.pipeline is left out: the base year's pipeline is "
                               "lag x its expected issued plans");
    t << "\n[demand.request_rate]\n";
    for (std::size_t p = 0; p < dims.phases.size(); ++p)
        if (!w.fitted("demand.request_rate." + dims.phases[p].name, dims.phases[p].name))
            w.kept(dims.phases[p].name, base.demand.request_rate[p].dist);

    if (w.find("demand.need_mix.default." + dims.needs.front())) {
        t << "\n[demand.need_mix.default]\n";
        for (const std::string& n : dims.needs) w.fitted("demand.need_mix.default." + n, n);
    } else {
        for (std::size_t ph = 0; ph < dims.phases.size(); ++ph) {
            t << "\n[demand.need_mix." << dims.phases[ph].name << "]   # the template's\n";
            for (std::size_t n = 0; n < dims.needs.size(); ++n)
                t << dims.needs[n] << " = " << dist_text(base.demand.need_mix[ph][n].dist) << "\n";
        }
    }
    if (w.find("demand.placement_mix." + dims.phases.front().name + ".default." + dims.placements.front())) {
        for (const Phase& ph : dims.phases) {
            t << "\n[demand.placement_mix." << ph.name << ".default]\n";
            for (const std::string& p : dims.placements)
                w.fitted("demand.placement_mix." + ph.name + ".default." + p, p);
        }
    } else {
        for (std::size_t ph = 0; ph < dims.phases.size(); ++ph) {
            t << "\n[demand.placement_mix." << dims.phases[ph].name << "]   # the template's\n";
            for (std::size_t n = 0; n < dims.needs.size(); ++n) {
                t << dims.needs[n] << " = {";
                for (std::size_t p = 0; p < dims.placements.size(); ++p)
                    t << (p ? ", " : " ") << dims.placements[p] << " = "
                      << dist_text(base.demand.placement_mix[ph][n][p].dist);
                t << " }\n";
            }
        }
    }

    // Year-to-year variation of the cease rate: fitted, else the template's when it has one.
    const std::pair<const char*, const Param*> cease_variation[] = {
        {"variation_sd", &base.cease.variation_sd}, {"variation_persistence", &base.cease.variation_persistence}};
    if (w.find("cease.variation_sd") || !(base.cease.variation_sd.dist.is_fixed() && base.cease.variation_sd.dist.a == 0.0)) {
        t << "\n[cease]\n";
        for (const auto& [key, param] : cease_variation)
            if (!w.fitted(std::string("cease.") + key, key) && !(param->dist.is_fixed() && param->dist.a == 0.0))
                w.kept(key, param->dist);
    }
    t << "\n[cease.rate]\n";
    for (std::size_t ph = 0; ph < dims.phases.size(); ++ph)
        if (!w.fitted("cease.rate." + dims.phases[ph].name, dims.phases[ph].name)) {
            t << dims.phases[ph].name << " = {";
            for (std::size_t p = 0; p < dims.placements.size(); ++p)
                t << (p ? ", " : " ") << dims.placements[p] << " = " << dist_text(base.cease.rate[ph][p].dist);
            t << " }   # the template's\n";
        }
    if (!base.cease.multiplier.empty())
        out.warnings.push_back("the template's cease.multiplier is left out: the fitted cease rate is the "
                               "origin's level");

    t << "\n[transfers_in]\n";
    if (!w.fitted("transfers_in.rate", "rate")) {
        t << "rate = {";
        bool first = true;
        for (const auto& [year, param] : base.transfers_in.rate.points) {
            t << (first ? " " : ", ") << year << " = " << dist_text(param.dist);
            first = false;
        }
        t << (first ? " " : " ") << "}   # the template's\n";
        if (first) out.warnings.push_back("the template has no transfers in and none could be fitted");
    }
    t << "\n# ---------------------------------------------------------------- the template's other sections\n"
      << "# Copied from " << out.template_name << " (without its comments): money, capacity, transitions,\n"
      << "# mitigations and variants are not described by SEN2.\n\n"
      << rest;
    out.toml = t.str();

    out.kept.push_back("demand.lag: the template's (the panel's 20-week timeliness could give it; not fitted yet)");
    out.kept.push_back("[[transitions]]: the template's (public data have no moves between placements)");
    out.kept.push_back("[money], [capacity], [[mitigations]], [variants]: the template's (not in SEN2)");
    if (base.base_year != Y)
        out.warnings.push_back("money.opening_deficit and money.funding are the template's, written for its base "
                               "year " + std::to_string(base.base_year) + ": set the deficit at the end of financial "
                               "year " + std::to_string(Y - 1) + "-" + std::to_string(Y % 100) +
                               " and the known allocations of the authority before using the money lines");
    out.not_fitted = {
        "cease rates by placement (one rate per phase is fitted) and transfers out apart from other ceases",
        "need mix by phase and placement mix by need (the public margins have no cross-tables)",
        "pooling towards statistical neighbours (all authorities are the group)",
        "the lag from request to plan, and placement transitions on ageing",
    };
    return out;
}

}  // namespace ehcpsim::calibrate
