// `ehcpsim compare OLD.h5 NEW.h5` (issue 16, item 5; docs/compare.md): what
// moved since last time. The scenario keys that differ (from the scenarios
// the files store whole), the run settings that differ, and the change in
// the headline figures by variant; where both runs share a seed and OLD's
// scenario can be re-run, the change split into the part of each changed
// input, measured one at a time under common random numbers (OLD's scenario
// with that one key set to its NEW value, re-run, minus OLD re-run), and a
// remainder (interactions, and whatever is not a scenario key: the number
// of replicates, the engine), defined so that the parts and the remainder
// add up to the change.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "ehcpsim/scenario_keys.h"

namespace ehcpsim {

struct CompareRequest {
    std::string old_file, new_file;
    bool attribute = true;  // false: keys and figures only, no re-runs (--no-attribution)
    int threads = 0;        // 0 = every core
    bool csv = false;       // the figures as long CSV
};

struct FigureChange {
    std::string variant;
    std::string figure;  // headline_figure_names()
    double old_value = 0.0, new_value = 0.0, change = 0.0;  // change = new - old
    // One per CompareReport::keys when attributed (NaN where that key could
    // not be run alone: its part is then in the remainder), and the
    // remainder = change - the sum of the parts that are numbers.
    std::vector<double> parts;
    double remainder = 0.0;
};

struct CompareReport {
    int old_horizon = 0, new_horizon = 0;
    std::vector<KeyDifference> keys;
    std::vector<std::string> settings;  // run settings that differ, in words ("seed 1 -> 2")
    std::vector<FigureChange> figures;  // variants in both runs, OLD's order; figures in their order
    bool attributed = false;
    std::string not_attributed;          // why not, when asked for and not done
    std::vector<std::string> key_notes;  // per key: "" or why it could not be run alone
    // Whether re-running OLD's scenario gave OLD's figures exactly (when
    // attributed); when not, the parts are measured against the re-run.
    bool old_reproduced = true;
};

// The report; RuntimeError naming a file that is missing or not an ensemble.
CompareReport compare_runs(const CompareRequest& request, const std::atomic<bool>* cancel = nullptr);

}  // namespace ehcpsim
