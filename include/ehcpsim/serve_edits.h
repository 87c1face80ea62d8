// The scenario `ehcpsim serve` edits: its TOML text, changed one key at a
// time in place (the rest of the text, comments included, is kept as it was,
// so the saved file diffs against the original on the edited lines only),
// and validated after every change by the scenario reader itself, so a bad
// edit gets the same located messages as `ehcpsim validate` and leaves the
// text as it was. A mitigation is switched off by commenting its block out
// (each line prefixed "#off# ") and on again by removing the prefix.
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ehcpsim/error.h"
#include "ehcpsim/scenario.h"

namespace ehcpsim {

// An edit that names no key of the scenario, or a value TOML cannot hold:
// `field` is the key as the caller gave it.
class EditError : public std::runtime_error {
public:
    EditError(std::string field, const std::string& message)
        : std::runtime_error(message), field_(std::move(field)) {}
    const std::string& field() const { return field_; }

private:
    std::string field_;
};

// The prefix of the lines of a mitigation switched off.
inline constexpr const char* mitigation_off_prefix = "#off# ";

class EditableScenario {
public:
    // The scenario at `path` (its CSV tables read beside it), or the embedded
    // default when `path` is empty. Throws ScenarioError (and RuntimeError
    // for an unreadable file) as load_scenario does.
    static EditableScenario open(const std::string& path);
    // TOML text held in memory named `display` whose CSV tables are read
    // from `directory` (or from `files` when given: the embedded default).
    static EditableScenario from_text(std::string display, std::string text, std::filesystem::path directory,
                                      std::map<std::string, std::string> files = {});

    const std::string& text() const { return text_; }
    const std::string& original_text() const { return original_; }
    const std::string& display_path() const { return display_; }
    // Parsed and validated (throws ScenarioError).
    ScenarioSet load() const;

    // Sets the key `path` ("demand.growth", "mitigations.NAME.target",
    // "capacity.mss.places") to `value` (a number, string, boolean, array or
    // object, an object becoming an inline table), or switches a mitigation
    // on or off ("mitigations.NAME.enabled", a boolean). The new text must
    // load: ScenarioError otherwise, and the text is unchanged. EditError
    // for a path that names nothing the editor can change.
    void apply(const std::string& path, const nlohmann::ordered_json& value);
    // Replaces the whole text (a scenario typed or uploaded), validated the same way.
    void replace_text(const std::string& text);
    void reset() { text_ = original_; }

    // What the page shows: the scenario's name, seed and replicates, its
    // variants, each mitigation (on or off) with its editable fields as
    // written, the demand trend's knobs and the capacity by year.
    nlohmann::ordered_json describe() const;

private:
    std::string display_;
    std::filesystem::path directory_;
    std::map<std::string, std::string> files_;  // the embedded default's tables
    std::string original_;
    std::string text_;
    ScenarioSet load_text(const std::string& text) const;
};

// A JSON value written as TOML (an object as an inline table, keys quoted
// where they are not bare); EditError naming `field` for a null.
std::string toml_value_text(const nlohmann::ordered_json& value, const std::string& field);

// One line per problem, as `ehcpsim validate` prints them ("file:line:column: key: message").
std::vector<std::string> problem_lines(const ScenarioError& error);

}  // namespace ehcpsim
