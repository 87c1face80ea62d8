// The broken scenarios of tests/scenarios/bad_cases.txt: each is the small
// test scenario (tests/scenarios/small/) with one line (or a few) changed, and
// the text its rejection must contain. The scenario tests load every case
// (tests/test_scenario_bad.cpp); the scenario fuzzer's seeds are written from
// the same cases (fuzz/make_scenario_seeds.cpp), so neither keeps copies.
// No GoogleTest here: a malformed table or an edit that finds no line throws
// std::runtime_error naming the table's line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ehcpsim/scenario.h"
#include "read_text_file.h"

namespace ehcpsim::testing {

// The scenario's files by the name it refers to them with; the TOML is "small.toml".
using ScenarioFiles = std::map<std::string, std::string>;
inline const std::string small_toml_name = "small.toml";

struct LineEdit {
    std::string file;
    std::string old_line;
    int occurrence = 1;         // the N-th line equal to old_line
    bool insert_after = false;  // else replace (an empty new_line deletes)
    std::string new_line;
};

struct BadCase {
    std::string name;
    std::string expected;  // a fragment of the error message
    std::vector<LineEdit> edits;
    int table_line = 0;    // where the case starts in bad_cases.txt
};

inline const std::filesystem::path& scenarios_dir() {
    static const std::filesystem::path dir = std::filesystem::path(EHCPSIM_SOURCE_DIR) / "tests/scenarios";
    return dir;
}

// The base every bad case edits: the TOML and the two CSV tables it names.
inline ScenarioFiles small_scenario_files() {
    const std::filesystem::path dir = scenarios_dir() / "small";
    return {{small_toml_name, read_text_file(dir / "small.toml")},
            {"stock.csv", read_text_file(dir / "stock.csv")},
            {"population.csv", read_text_file(dir / "population.csv")}};
}

namespace bad_cases_detail {

// "\xNN" is the byte NN; everything else is itself.
inline std::string unescape(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "\\x") == 0 && i + 4 <= text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16));
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

inline LineEdit parse_edit(const std::string& line, int number) {
    const std::string text = line.substr(2);
    const auto colon = text.find(": ");
    if (colon == std::string::npos) throw std::runtime_error("bad_cases.txt:" + std::to_string(number) + ": no 'file: '");
    LineEdit edit;
    edit.file = text.substr(0, colon);
    std::string rest = text.substr(colon + 2);
    if (rest.compare(0, 3, "+> ") == 0) {  // a new file of one line
        edit.insert_after = true;
        edit.new_line = unescape(rest.substr(3));
        return edit;
    }
    std::size_t arrow = rest.find(" +> ");
    edit.insert_after = arrow != std::string::npos;
    if (!edit.insert_after) arrow = rest.find(" -> ");
    if (arrow != std::string::npos) {
        edit.old_line = rest.substr(0, arrow);
        edit.new_line = unescape(rest.substr(arrow + 4));
    } else if (rest.size() >= 3 && rest.compare(rest.size() - 3, 3, " ->") == 0) {
        edit.old_line = rest.substr(0, rest.size() - 3);  // delete
    } else {
        throw std::runtime_error("bad_cases.txt:" + std::to_string(number) + ": no ' -> ' or ' +> '");
    }
    // " @N": the N-th occurrence of a line written more than once.
    const auto at = edit.old_line.rfind(" @");
    if (at != std::string::npos && at + 2 < edit.old_line.size() &&
        edit.old_line.find_first_not_of("0123456789", at + 2) == std::string::npos) {
        edit.occurrence = std::stoi(edit.old_line.substr(at + 2));
        edit.old_line.resize(at);
    }
    return edit;
}

}  // namespace bad_cases_detail

inline std::vector<BadCase> read_bad_cases(const std::filesystem::path& table = scenarios_dir() / "bad_cases.txt") {
    std::istringstream in(read_text_file(table));
    std::vector<BadCase> cases;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty() || line[0] == '#') continue;
        if (line.compare(0, 2, "  ") == 0) {
            if (cases.empty()) throw std::runtime_error("bad_cases.txt:" + std::to_string(number) + ": edit before any case");
            cases.back().edits.push_back(bad_cases_detail::parse_edit(line, number));
            continue;
        }
        const auto colon = line.find(": ");
        if (colon == std::string::npos)
            throw std::runtime_error("bad_cases.txt:" + std::to_string(number) + ": expected 'name: message'");
        cases.push_back({line.substr(0, colon), line.substr(colon + 2), {}, number});
    }
    return cases;
}

// The base files with the case's edits made, in order.
inline ScenarioFiles apply_edits(const BadCase& bad, ScenarioFiles files) {
    for (const LineEdit& edit : bad.edits) {
        if (edit.old_line.empty() && edit.insert_after && !files.count(edit.file)) {
            files[edit.file] = edit.new_line + "\n";
            continue;
        }
        const auto file = files.find(edit.file);
        if (file == files.end())
            throw std::runtime_error("bad_cases.txt:" + std::to_string(bad.table_line) + ": no file " + edit.file);
        std::vector<std::string> lines;
        std::istringstream in(file->second);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        int seen = 0;
        std::size_t found = lines.size();
        for (std::size_t i = 0; i < lines.size() && found == lines.size(); ++i)
            if (lines[i] == edit.old_line && ++seen == edit.occurrence) found = i;
        if (found == lines.size())
            throw std::runtime_error("bad_cases.txt:" + std::to_string(bad.table_line) + ": " + bad.name +
                                     ": no line '" + edit.old_line + "' in " + edit.file);
        if (edit.insert_after)
            lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(found) + 1, edit.new_line);
        else if (edit.new_line.empty())
            lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(found));
        else
            lines[found] = edit.new_line;
        std::string text;
        for (const std::string& line : lines) text += line + "\n";
        file->second = text;
    }
    return files;
}

// Loads the files in memory as small.toml; throws ScenarioError as the loader does.
inline ScenarioSet load_files(const ScenarioFiles& files) {
    return load_scenario(small_toml_name, files.at(small_toml_name),
                         [&files](const std::string& name) -> std::optional<std::string> {
                             if (name == small_toml_name) return std::nullopt;
                             const auto it = files.find(name);
                             if (it == files.end()) return std::nullopt;
                             return it->second;
                         });
}

// Writes the files under `dir` (creating sub-directories), for the CLI to read.
inline void write_files(const ScenarioFiles& files, const std::filesystem::path& dir) {
    for (const auto& [name, text] : files) {
        const std::filesystem::path path = dir / name;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream out(path, std::ios::binary);
        out << text;
        if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
    }
}

// One input of the scenario fuzzer (fuzz/fuzz_scenario.cpp): the TOML, then
// each other file after a line "--8<-- NAME".
inline std::string fuzz_input(const ScenarioFiles& files) {
    std::string out = files.at(small_toml_name);
    for (const auto& [name, text] : files)
        if (name != small_toml_name) out += "\n--8<-- " + name + "\n" + text;
    return out;
}

}  // namespace ehcpsim::testing
