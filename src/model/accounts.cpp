// The money of MODEL.md section 6 over one replicate's state (spend, funding,
// deficits, transport), and the demand by placement it measures (section 11).
#include <algorithm>
#include <cstdint>

#include "ehcpsim/step.h"

namespace ehcpsim {

template <class Count>
YearAccounts account(const Model& m, const Rates& r, int t, const State<Count>& s, double previous_cumulative) {
    const int P = m.placements;
    YearAccounts acc;
    acc.stock_by_placement.resize(P);
    acc.spend_by_placement.resize(P);
    const std::size_t per_placement = static_cast<std::size_t>(m.ages) * m.needs;
    for (int p = 0; p < P; ++p) {
        Count total = 0;
        const Count* cells = &s.stock[m.cell(p, 0, 0)];
        for (std::size_t i = 0; i < per_placement; ++i) total += cells[i];
        const double stock = static_cast<double>(total);
        acc.stock_by_placement[p] = stock;
        acc.total_stock += stock;
        acc.spend_by_placement[p] = stock * r.unit_cost[static_cast<std::size_t>(t) * P + p];
        acc.spend += acc.spend_by_placement[p];
        acc.transport += stock * r.transport_per_plan[static_cast<std::size_t>(t) * P + p];
    }
    acc.spend += r.other_spend[t] + r.mitigation_cost_on_block[t];
    acc.mitigation_cost = r.mitigation_cost[t];
    acc.funding = r.funding[t];
    acc.in_year_deficit = acc.spend - acc.funding;
    // D(y0) is given and already includes the base year's spend.
    acc.cumulative_deficit = t == 0 ? r.opening_deficit : previous_cumulative + acc.in_year_deficit;
    // A write-off (a named adjustment) reduces the accumulated deficit, not the in-year position.
    if (!r.write_off.empty()) acc.cumulative_deficit -= r.write_off[t];
    return acc;
}
template YearAccounts account(const Model&, const Rates&, int, const State<std::int64_t>&, double);
template YearAccounts account(const Model&, const Rates&, int, const State<double>&, double);

// Demand by placement and the specialist demand by phase, from the stock as
// it stands (before any capacity step), with each pupil overflowed in an
// earlier year counted at its first-choice placement instead of where it is:
// unconstrained demand (MODEL.md section 11).
template <class Count>
void measure_demand(const Model& m, const State<Count>& s, PlacementDemand<Count>& f) {
    const std::vector<Count>& stock = s.stock;
    f.by_placement.assign(m.placements, Count{0});
    f.specialist_by_phase.assign(m.phases, Count{0});
    f.by_placement_phase.assign(static_cast<std::size_t>(m.placements) * m.phases, Count{0});
    for (int p = 0; p < m.placements; ++p) {
        const bool specialist = std::find(m.specialist.begin(), m.specialist.end(), p) != m.specialist.end();
        for (int ph = 0; ph < m.phases; ++ph) {
            Count total = 0;
            const std::size_t end = m.cell(p, m.phase_last_age[ph] + 1, 0);
            for (std::size_t i = m.cell(p, m.phase_first_age[ph], 0); i < end; ++i) total += stock[i];
            f.by_placement[p] += total;
            f.by_placement_phase[static_cast<std::size_t>(p) * m.phases + ph] = total;
            if (specialist) f.specialist_by_phase[ph] += total;
        }
    }
    if (s.first_choice.size() != m.cells() * static_cast<std::size_t>(m.placements)) return;
    const auto is_specialist = [&](int p) {
        return std::find(m.specialist.begin(), m.specialist.end(), p) != m.specialist.end();
    };
    for (int first = 0; first < m.placements; ++first) {
        if (!(s.first_choice_total[first] > Count{0})) continue;
        const Count* labelled = &s.first_choice[static_cast<std::size_t>(first) * m.cells()];
        for (int q = 0; q < m.placements; ++q)
            for (int ph = 0; ph < m.phases; ++ph) {
                Count total = 0;
                const std::size_t end = m.cell(q, m.phase_last_age[ph] + 1, 0);
                for (std::size_t i = m.cell(q, m.phase_first_age[ph], 0); i < end; ++i) total += labelled[i];
                if (!(total > Count{0})) continue;
                f.by_placement[q] -= total;
                f.by_placement[first] += total;
                f.by_placement_phase[static_cast<std::size_t>(q) * m.phases + ph] -= total;
                f.by_placement_phase[static_cast<std::size_t>(first) * m.phases + ph] += total;
                if (is_specialist(q)) f.specialist_by_phase[ph] -= total;
                if (is_specialist(first)) f.specialist_by_phase[ph] += total;
            }
    }
}
template void measure_demand(const Model&, const State<std::int64_t>&, PlacementDemand<std::int64_t>&);
template void measure_demand(const Model&, const State<double>&, PlacementDemand<double>&);

}  // namespace ehcpsim
