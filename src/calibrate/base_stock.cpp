// The base stock of a calibrated scenario: the origin census's margins (age,
// need, placement, as published) filled to the template's cells by
// iterative proportional fitting on the template's cross-table, then rounded
// to whole plans that keep the census total exactly (calibrate_detail.h).
#include <algorithm>
#include <cmath>
#include <map>

#include "calibrate_detail.h"

namespace ehcpsim::calibrate::detail {

namespace {

// Share of the seed's mass given to the independence table of its own
// margins, so that a census category the template has no plans in (an age the
// template leaves empty) can still be filled.
constexpr double independence_share = 0.005;

struct Published {
    std::string label;
    std::vector<std::size_t> indices;
    double value = 0.0;
};

// A margin from published groups: scaled to the census total when they sum
// above it or cover every index; otherwise the indices no group covers form
// one rest group holding the difference.
std::optional<Margin> make_margin(int dim, std::size_t size, const std::vector<Published>& groups, double total,
                                  const std::string& name, std::vector<MarginCheck>& checks) {
    double published = 0.0;
    std::vector<bool> covered(size, false);
    Margin margin;
    margin.dim = dim;
    for (const Published& g : groups) {
        published += g.value;
        for (std::size_t i : g.indices) covered[i] = true;
    }
    if (published <= 0.0) return std::nullopt;
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < size; ++i)
        if (!covered[i]) rest.push_back(i);
    const double scale = (rest.empty() || published > total) ? total / published : 1.0;
    for (const Published& g : groups) {
        margin.groups.push_back(g.indices);
        margin.targets.push_back(g.value * scale);
        checks.push_back({name, g.label, g.value, g.value * scale, 0});
    }
    if (!rest.empty()) {
        margin.groups.push_back(rest);
        margin.targets.push_back(std::max(0.0, total - published * scale));
        checks.push_back({name, "(not published)", 0.0, margin.targets.back(), 0});
    }
    return margin;
}

}  // namespace

BaseStock fit_base_stock(const Panel& cut, const std::string& la, int origin, const Scenario& base) {
    const Dimensions& dims = base.dims;
    BaseStock out;
    const auto total = cut.value(la, origin, "stock", "all");
    out.census_total = static_cast<std::int64_t>(std::llround(total.value_or(0.0)));
    const double census = static_cast<double>(out.census_total);

    Table3 seed{static_cast<std::size_t>(dims.ages()), dims.needs.size(), dims.placements.size(), {}};
    seed.cells.assign(dims.cells(), 0.0);
    double seed_total = 0.0;
    std::vector<double> m0(seed.n0, 0.0), m1(seed.n1, 0.0), m2(seed.n2, 0.0);
    for (std::size_t a = 0; a < seed.n0; ++a)
        for (std::size_t n = 0; n < seed.n1; ++n)
            for (std::size_t p = 0; p < seed.n2; ++p) {
                const double v = static_cast<double>(base.stock[seed.at(a, n, p)]);
                seed.cells[seed.at(a, n, p)] = v;
                seed_total += v;
                m0[a] += v;
                m1[n] += v;
                m2[p] += v;
            }
    if (seed_total <= 0.0) {
        seed.cells.assign(dims.cells(), 1.0);
        out.notes.push_back("the template's stock is empty: the seed is uniform");
    } else {
        for (std::size_t a = 0; a < seed.n0; ++a)
            for (std::size_t n = 0; n < seed.n1; ++n)
                for (std::size_t p = 0; p < seed.n2; ++p)
                    seed.cells[seed.at(a, n, p)] = (1.0 - independence_share) * seed.cells[seed.at(a, n, p)] +
                                                   independence_share * m0[a] * m1[n] * m2[p] /
                                                       (seed_total * seed_total);
    }
    // Uniform margins where the template's own are zero (an age it has no
    // plans at), so that the census can put plans there.
    for (double& v : seed.cells) v += 1e-9;

    std::vector<Margin> margins;
    // Age: the keys published for the census, a band only where no single age overlaps it.
    {
        std::vector<std::pair<AgeRange, double>> keys;
        bool any_single = false;
        for (const std::string& text : cut.breakdowns(la, "stock")) {
            std::string why;
            const auto b = Breakdown::parse(text, why);
            if (!b || b->parts().size() != 1 || b->parts()[0].dimension != "age") continue;
            const auto range = parse_age(b->parts()[0].value);
            const auto value = cut.value(la, origin, "stock", text);
            if (!range || !value) continue;
            keys.push_back({*range, *value});
            any_single = any_single || range->lo == range->hi;
        }
        std::vector<Published> groups;
        for (const auto& [range, value] : keys) {
            bool overlaps = false;
            if (any_single && range.lo != range.hi)
                for (const auto& [other, v] : keys)
                    if (other.lo == other.hi && other.lo >= range.lo && other.lo <= range.hi) overlaps = true;
            if (overlaps) continue;
            Published g;
            g.label = range.lo == range.hi ? std::to_string(range.lo)
                                           : std::to_string(range.lo) + "-" + std::to_string(range.hi);
            for (int a = std::max(range.lo, dims.min_age); a <= std::min(range.hi, dims.max_age); ++a)
                g.indices.push_back(static_cast<std::size_t>(a - dims.min_age));
            g.value = value;
            if (g.indices.empty()) {
                out.notes.push_back("stock age " + g.label + " lies outside the template's ages: left out");
                continue;
            }
            groups.push_back(g);
        }
        std::stable_sort(groups.begin(), groups.end(),
                         [](const Published& a, const Published& b) { return a.indices.front() < b.indices.front(); });
        if (auto m = make_margin(0, seed.n0, groups, census, "age", out.margins)) margins.push_back(*m);
        else out.notes.push_back("no stock by age at the origin census: ages follow the template's cross-table");
    }
    // Need and placement.
    const auto categories = [&](const std::string& dimension, int dim, std::size_t size,
                                const std::function<int(const std::string&)>& index_of,
                                const std::vector<std::string>& names) {
        std::map<int, Published> merged;
        for (const std::string& text : cut.breakdowns(la, "stock")) {
            std::string why;
            const auto b = Breakdown::parse(text, why);
            if (!b || b->parts().size() != 1 || b->parts()[0].dimension != dimension) continue;
            const auto value = cut.value(la, origin, "stock", text);
            if (!value) continue;
            const std::string& group = b->parts()[0].value;
            const int i = index_of(group);
            if (i < 0) {
                if (*value > 0)
                    out.notes.push_back("stock " + dimension + ":" + group + " (" + number(*value) +
                                        ") has no cell in the template: spread over the others by the rescaling");
                continue;
            }
            Published& g = merged[i];
            g.label = g.label.empty() ? names[static_cast<std::size_t>(i)] + " <- " + group : g.label + " + " + group;
            g.indices = {static_cast<std::size_t>(i)};
            g.value += *value;
        }
        std::vector<Published> groups;
        for (auto& [i, g] : merged) groups.push_back(g);
        if (auto m = make_margin(dim, size, groups, census, dimension, out.margins)) margins.push_back(*m);
        else
            out.notes.push_back("no stock by " + dimension + " at the origin census: " + dimension +
                                "s follow the template's cross-table");
    };
    categories(
        "need", 1, seed.n1,
        [&](const std::string& need) {
            const auto it = std::find(dims.needs.begin(), dims.needs.end(), need);
            return it == dims.needs.end() ? -1 : static_cast<int>(it - dims.needs.begin());
        },
        dims.needs);
    categories("placement", 2, seed.n2, [&](const std::string& g) { return placement_for(g, dims); },
               dims.placements);
    // The total alone when nothing else is published.
    if (margins.empty()) {
        Margin all;
        all.dim = 0;
        all.groups.push_back({});
        for (std::size_t a = 0; a < seed.n0; ++a) all.groups.back().push_back(a);
        all.targets.push_back(census);
        margins.push_back(all);
    }
    const IpfOutcome fit = ipf(seed, margins);
    out.iterations = fit.iterations;
    out.max_relative_gap = fit.max_relative_gap;
    if (!fit.converged)
        out.notes.push_back("IPF stopped after " + std::to_string(fit.iterations) +
                            " sweeps with a relative gap of " + number(fit.max_relative_gap) +
                            " (margins that contradict each other or the template's zero cells)");
    out.cells = integerise(fit.table, margins, out.census_total);
    // What the written cells give for each margin's groups.
    std::size_t check = 0;
    for (const Margin& m : margins) {
        if (check >= out.margins.size()) break;
        for (std::size_t g = 0; g < m.groups.size() && check < out.margins.size(); ++g, ++check) {
            std::int64_t s = 0;
            for (std::size_t i : m.groups[g])
                for (std::size_t x = 0; x < fit.table.cells.size(); ++x) {
                    const std::size_t a = x / (seed.n1 * seed.n2), n = (x / seed.n2) % seed.n1, p = x % seed.n2;
                    const std::size_t along = m.dim == 0 ? a : (m.dim == 1 ? n : p);
                    if (along == i) s += out.cells[x];
                }
            out.margins[check].cells = s;
        }
    }
    return out;
}

}  // namespace ehcpsim::calibrate::detail
