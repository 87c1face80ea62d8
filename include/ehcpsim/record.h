// A whole projection of one replicate of one variant, base year to horizon:
// the year step (step.h) run year by year and its accounts, flows and demand
// recorded into the replicate's slot of a results block (results.h). The
// one place where the model meets the results block.
#pragma once

#include <cstdint>

#include "ehcpsim/model.h"
#include "ehcpsim/results.h"
#include "ehcpsim/step.h"

namespace ehcpsim {

// Written into `out` at replicate slot `slot` (block-relative). Monte Carlo
// when given RandomDraws, the expected-value projection with ExpectedDraws.
// Returns false when a stop request (RandomDraws::stop) cut it short.
bool project(const Model& model, const Rates& rates, const RandomDraws& draws, VariantBlock& out,
             const Shape& shape, std::int64_t slot);
bool project(const Model& model, const Rates& rates, const ExpectedDraws& draws, VariantBlock& out,
             const Shape& shape, std::int64_t slot);
bool project(const Model& model, const Rates& rates, const RandomDraws& draws, VariantBlock& out, const Shape& shape,
             std::int64_t slot, Workspace<std::int64_t>& work);
bool project(const Model& model, const Rates& rates, const ExpectedDraws& draws, VariantBlock& out,
             const Shape& shape, std::int64_t slot, Workspace<double>& work);

}  // namespace ehcpsim
