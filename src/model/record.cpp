// A whole projection of one replicate of one variant: the year step run from
// the base year to the horizon, and each year's accounts, flows and demand
// recorded into the replicate's slot of a results block (the only part of
// the model that knows the results block).
#include "ehcpsim/record.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <optional>
#include <vector>

namespace ehcpsim {


namespace {

// Writes one replicate's values into its slot of a variant's results block.
class Recorder {
public:
    Recorder(VariantBlock& out, const Shape& shape, std::int64_t slot) : out_(out), shape_(shape), slot_(slot) {}

    void scalar(int metric, int t, double value) { at(metric, t)[0] = value; }
    template <class Vec>
    void vector(int metric, int t, const Vec& values) {
        if (shape_.values_per_replicate(metric) == 0) return;  // a metric this run leaves out
        double* dst = at(metric, t);
        for (std::size_t k = 0; k < values.size(); ++k) dst[k] = static_cast<double>(values[k]);
    }
    void missing(int metric, int t, std::size_t width) {
        if (width == 0) return;
        double* dst = at(metric, t);
        std::fill(dst, dst + width, std::numeric_limits<double>::quiet_NaN());
    }

private:
    double* at(int metric, int t) {
        const std::size_t per_rep = shape_.values_per_replicate(metric);
        const std::size_t width = per_rep / static_cast<std::size_t>(shape_.years);
        return out_.metrics[metric].data() + static_cast<std::size_t>(slot_) * per_rep + static_cast<std::size_t>(t) * width;
    }
    VariantBlock& out_;
    const Shape& shape_;
    std::int64_t slot_;
};

void record_accounts(Recorder& rec, int t, const YearAccounts& acc) {
    rec.scalar(m_total_stock, t, acc.total_stock);
    rec.vector(m_stock_by_placement, t, acc.stock_by_placement);
    rec.scalar(m_spend, t, acc.spend);
    rec.vector(m_spend_by_placement, t, acc.spend_by_placement);
    rec.scalar(m_funding, t, acc.funding);
    rec.scalar(m_in_year_deficit, t, acc.in_year_deficit);
    rec.scalar(m_cumulative_deficit, t, acc.cumulative_deficit);
    rec.scalar(m_transport_cost, t, acc.transport);
    rec.scalar(m_mitigation_cost, t, acc.mitigation_cost);
}

template <class Count>
void record_flows(Recorder& rec, int t, const YearFlows<Count>& f) {
    rec.scalar(m_requests, t, static_cast<double>(f.requests));
    rec.scalar(m_assessments, t, static_cast<double>(f.assessments));
    rec.scalar(m_new_plans, t, static_cast<double>(f.new_plans));
    rec.vector(m_new_plans_by_placement, t, f.new_by_placement);
    rec.vector(m_new_plans_by_need, t, f.new_by_need);
    rec.scalar(m_transfers_in, t, static_cast<double>(f.transfers_in));
    rec.scalar(m_ceased, t, static_cast<double>(f.ceased));
    rec.scalar(m_aged_out, t, static_cast<double>(f.aged_out));
    rec.scalar(m_moves, t, static_cast<double>(f.moves));
    rec.vector(m_overflow_by_placement, t, f.overflow_by_placement);
    rec.vector(m_overflow_by_placement_phase, t, f.overflow_by_placement_phase);
}

// Demand and specialist demand, measured cell by cell (`demand`), or, when
// nothing reads the detail, the stock by placement and no specialist demand.
template <class Count>
void record_demand(Recorder& rec, int t, const Model& m, const PlacementDemand<Count>* demand, const YearAccounts& acc) {
    if (!demand) {
        rec.vector(m_demand_by_placement, t, acc.stock_by_placement);
        rec.vector(m_specialist_demand_by_phase, t, std::vector<double>(static_cast<std::size_t>(m.phases), 0.0));
    } else {
        rec.vector(m_demand_by_placement, t, demand->by_placement);
        rec.vector(m_specialist_demand_by_phase, t, demand->specialist_by_phase);
        rec.vector(m_demand_by_placement_phase, t, demand->by_placement_phase);
    }
}

// The results by age (results.h, AgeMetricId) of one replicate, when the
// shape asks for them: [year][age] in the replicate's slot.
template <class Count>
class AgeRecorder {
public:
    AgeRecorder(VariantBlock& out, const Shape& shape, std::int64_t slot)
        : out_(out), ages_(static_cast<std::size_t>(shape.ages)),
          offset_(static_cast<std::size_t>(slot) * shape.values_per_replicate_by_age()) {}

    void stock(const Model& m, int t, const State<Count>& state) {
        double* dst = at(a_stock, t);
        std::fill(dst, dst + ages_, 0.0);
        for (int p = 0; p < m.placements; ++p)
            for (int a = 0; a < m.ages; ++a) {
                const Count* cells = &state.stock[m.cell(p, a, 0)];
                Count sum = 0;
                for (int n = 0; n < m.needs; ++n) sum += cells[n];
                dst[a] += static_cast<double>(sum);
            }
    }
    void flows(int t, const YearFlows<Count>& f) {
        copy(a_new_plans, t, f.new_by_age);
        copy(a_requests, t, f.requests_by_age);
        copy(a_ceased, t, f.ceased_by_age);
    }
    void base_year_flows() {
        for (int metric : {a_new_plans, a_requests, a_ceased}) {
            double* dst = at(metric, 0);
            std::fill(dst, dst + ages_, std::numeric_limits<double>::quiet_NaN());
        }
    }

private:
    double* at(int metric, int t) {
        return out_.by_age[static_cast<std::size_t>(metric)].data() + offset_ + static_cast<std::size_t>(t) * ages_;
    }
    void copy(int metric, int t, const std::vector<Count>& values) {
        double* dst = at(metric, t);
        for (std::size_t a = 0; a < ages_; ++a) dst[a] = static_cast<double>(values[a]);
    }
    VariantBlock& out_;
    std::size_t ages_;
    std::size_t offset_;
};

bool stop_requested(const RandomDraws& d) { return d.stopped(); }
bool stop_requested(const ExpectedDraws&) { return false; }

template <class Count, class Draws>
bool project_impl(const Model& m, const Rates& r, const Draws& draws, VariantBlock& out, const Shape& shape,
                  std::int64_t slot, State<Count>& state, YearFlows<Count>& flows, PlacementDemand<Count>& demand) {
    Recorder rec(out, shape, slot);
    reset_state(m, state);
    seed_pipeline(m, r, draws, state);
    YearAccounts acc = account(m, r, 0, state, 0.0);
    record_accounts(rec, 0, acc);
    // The whole stock, cell by cell: (placement, age, need) is the model's own cell order.
    if (shape.plan_detail) rec.vector(m_stock_by_placement_age_need, 0, state.stock);
    // Demand is worked out cell by cell only when something reads it: the
    // model's capacity or specialist placements, or a run-wide split by phase
    // (another variant caps a phase). Otherwise demand is the stock. With
    // capacity the step measures it before its capacity step; without, it is
    // the stock after the step.
    const bool demand_detail = !m.capacity.empty() || !m.specialist.empty() || shape.phase_detail;
    PlacementDemand<Count>& measured = demand;
    if (demand_detail) measure_demand(m, state, measured);
    record_demand(rec, 0, m, demand_detail ? &measured : nullptr, acc);
    for (int metric = 0; metric < metric_count; ++metric)
        if (metric_catalogue()[metric].flow)
            rec.missing(metric, 0, shape.values_per_replicate(metric) / static_cast<std::size_t>(shape.years));
    // Results by age only when asked: the step fills its flows by age when
    // flows.new_by_age is sized, and leaves them alone when it is empty.
    const bool by_age = shape.by_age;
    if (by_age) {
        assert(shape.ages == m.ages);
        flows.new_by_age.assign(static_cast<std::size_t>(m.ages), Count{0});
    } else {
        flows.new_by_age.clear();
    }
    std::optional<AgeRecorder<Count>> ages;
    if (by_age) {
        ages.emplace(out, shape, slot);
        ages->stock(m, 0, state);
        ages->base_year_flows();
    }
    for (int t = 1; t <= m.horizon; ++t) {
        if (stop_requested(draws)) return false;
        step_year(m, r, t, draws, state, flows);
        acc = account(m, r, t, state, acc.cumulative_deficit);
        record_accounts(rec, t, acc);
        if (shape.plan_detail) rec.vector(m_stock_by_placement_age_need, t, state.stock);
        record_flows(rec, t, flows);
        if (ages) {
            ages->stock(m, t, state);
            ages->flows(t, flows);
        }
        const PlacementDemand<Count>* year_demand = nullptr;
        if (!m.capacity.empty()) {
            year_demand = &flows.demand;
        } else if (demand_detail) {
            measure_demand(m, state, measured);
            year_demand = &measured;
        }
        record_demand(rec, t, m, year_demand, acc);
    }
    return !stop_requested(draws);  // a year cut short by a stop is not a finished year
}

}  // namespace

bool project(const Model& m, const Rates& r, const RandomDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot, Workspace<std::int64_t>& work) {
    return project_impl<std::int64_t>(m, r, d, out, shape, slot, work.state, work.flows, work.demand);
}
bool project(const Model& m, const Rates& r, const ExpectedDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot, Workspace<double>& work) {
    return project_impl<double>(m, r, d, out, shape, slot, work.state, work.flows, work.demand);
}
bool project(const Model& m, const Rates& r, const RandomDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot) {
    Workspace<std::int64_t> work;
    return project(m, r, d, out, shape, slot, work);
}
bool project(const Model& m, const Rates& r, const ExpectedDraws& d, VariantBlock& out, const Shape& shape,
             std::int64_t slot) {
    Workspace<double> work;
    return project(m, r, d, out, shape, slot, work);
}

}  // namespace ehcpsim
