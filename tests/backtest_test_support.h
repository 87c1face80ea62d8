// What the backtest tests of the app share (tests/test_app_forecaster.cpp,
// tests/test_app_backtest.cpp): the shipped panel and data read once per
// process, an engine forecaster of a few replicates, and oneTBB's
// parallel_for as the backtest's ParallelFor.
#pragma once

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "ehcpsim/backtest.h"
#include "ehcpsim/calibrate.h"
#include "ehcpsim/engine_forecaster.h"
#include "ehcpsim/scenario.h"
#include "test_support.h"

namespace ehcpsim::testing {

// The shipped panel, its text kept for deleting rows as text; read once per
// process (it takes a few tenths of a second).
struct ShippedPanel {
    std::string text;
    calibrate::Panel panel;
};
inline const ShippedPanel& shipped_panel() {
    static const ShippedPanel data = [] {
        std::ifstream in(source_path("data/sen2_la/panel.csv"), std::ios::binary);
        std::string text(std::istreambuf_iterator<char>(in), {});
        calibrate::Panel panel = calibrate::Panel::read_text(text, "panel.csv");
        return ShippedPanel{std::move(text), std::move(panel)};
    }();
    return data;
}

// England's profile and the embedded template, read once per process
// (without the panel: a synthetic panel's test does not pay for it).
struct EngineInputs {
    calibrate::EnglandProfile england;
    calibrate::Template tmpl;
};
inline const EngineInputs& engine_inputs() {
    static const EngineInputs data = [] {
        calibrate::Template tmpl;
        tmpl.set = load_default_scenario();
        tmpl.toml_text = default_scenario_files().front().text;
        tmpl.display_name = "the embedded default scenario (Halton DBV)";
        return EngineInputs{calibrate::EnglandProfile::read(source_path("data/sen2_la/population_england_snpp2018.csv"),
                                                            source_path("data/sen2_la/national.csv")),
                            std::move(tmpl)};
    }();
    return data;
}

// The engine's forecaster with `replicates` replicates and master seed 7.
inline EngineForecaster small_engine(std::int64_t replicates) {
    EngineForecasterOptions options;
    options.replicates = replicates;
    options.seed = 7;
    options.panel_name = "panel.csv";
    return EngineForecaster(engine_inputs().england, engine_inputs().tmpl, options);
}

// oneTBB's parallel_for in an arena of `threads`.
inline calibrate::ParallelFor tbb_parallel_for(int threads) {
    auto arena = std::make_shared<tbb::task_arena>(threads);
    return [arena](std::size_t n, const std::function<void(std::size_t)>& body) {
        arena->execute([&] { tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { body(i); }); });
    };
}

// All the files of a result, concatenated with their names.
inline std::string all_file_texts(const calibrate::BacktestResult& result) {
    std::string out;
    for (const auto& [name, text] : calibrate::backtest_file_texts(result)) out += "== " + name + "\n" + text;
    return out;
}

}  // namespace ehcpsim::testing
