// Scenario helpers and the two ways to load one: from a file on disk (CSV
// paths resolved against the TOML's directory) or the embedded default.
// Parsing and validation live in variants.cpp (load_scenario) and the
// section readers it calls (sections.h).
#include "ehcpsim/scenario.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ehcpsim {

int Dimensions::phase_of_age(int age) const {
    for (std::size_t i = 0; i < phases.size(); ++i)
        if (age >= phases[i].first_age && age <= phases[i].last_age) return static_cast<int>(i);
    return -1;
}

std::vector<int> Scenario::years() const {
    std::vector<int> out;
    for (int year = base_year; year <= base_year + horizon; ++year) out.push_back(year);
    return out;
}

namespace {

std::optional<std::string> read_file(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return text.str();
}

}  // namespace

ScenarioSet load_scenario(const std::string& toml_path) {
    const std::optional<std::string> text = read_file(toml_path);
    if (!text) {
        throw ScenarioError(SourceLocation{toml_path, "", 0, 0},
                            "cannot read the scenario file " + toml_path + ": " + why_unreadable(toml_path));
    }
    const std::filesystem::path directory = std::filesystem::path(toml_path).parent_path();
    return load_scenario(toml_path, *text, [&directory](const std::string& name) {
        const std::filesystem::path path(name);
        return read_file(path.is_absolute() ? path : directory / path);
    });
}

ScenarioSet load_default_scenario() {
    const std::vector<SourceFile>& files = default_scenario_files();
    const std::string toml_text = files.empty() ? std::string() : files.front().text;
    return load_scenario("<embedded:halton>/halton.toml", toml_text,
                         [&files](const std::string& name) -> std::optional<std::string> {
                             for (std::size_t i = 1; i < files.size(); ++i)
                                 if (files[i].path == name) return files[i].text;
                             return std::nullopt;
                         });
}

}  // namespace ehcpsim
