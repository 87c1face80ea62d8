// What one load of a scenario gathers as it reads: every problem, note and
// warning found (without repeats, each naming file, key, line and column for
// the ScenarioError thrown at the end), and the CSV files the scenario names,
// read once and kept for the output's provenance.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ehcpsim/error.h"
#include "ehcpsim/scenario.h"

namespace ehcpsim::scenario_reading {

// Every problem and note found while loading, without repeats: a variant is a
// whole document, so a baseline problem would otherwise be reported once more
// for every variant.
class Problems {
public:
    // Appended to messages about a variant's merged document.
    void set_context(std::string context) { context_ = std::move(context); }

    void error(const SourceLocation& where, const std::string& message) {
        ++raised_;
        if (seen_errors_.insert(format_location(where) + "\n" + message).second)
            errors_.push_back({where, message + context_});
    }
    void note(const SourceLocation& where, const std::string& message) {
        std::string text = format_location(where) + ": " + message;
        if (seen_notes_.insert(text).second) notes_.push_back(text + context_);
    }
    // A legal value that is almost certainly a slip: the run goes on.
    void warning(const SourceLocation& where, const std::string& message) {
        std::string text = format_location(where) + ": " + message;
        if (seen_warnings_.insert(text).second) warnings_.push_back(text + context_);
    }
    std::vector<std::string> take_warnings() { return std::move(warnings_); }
    // Problems raised so far, repeats included: readers compare it before and
    // after a step to skip checks that would only echo an earlier problem.
    std::size_t error_count() const { return raised_; }
    const std::vector<Diagnostic>& errors() const { return errors_; }
    std::vector<std::string> take_notes() { return std::move(notes_); }

private:
    std::vector<Diagnostic> errors_;
    std::vector<std::string> notes_;
    std::set<std::string> seen_errors_;
    std::set<std::string> seen_notes_;
    std::vector<std::string> warnings_;
    std::set<std::string> seen_warnings_;
    std::string context_;
    std::size_t raised_ = 0;
};


// The CSV files a scenario names: read once, kept for the output's provenance,
// named in messages by their path next to the TOML file.
class Files {
public:
    Files(std::string toml_display, const FileReader& reader, std::vector<SourceFile>& sources)
        : toml_display_(std::move(toml_display)), reader_(reader), sources_(sources) {}

    const std::string* read(const std::string& name) {
        auto it = cache_.find(name);
        if (it == cache_.end()) {
            it = cache_.emplace(name, reader_(name)).first;
            if (it->second) sources_.push_back({name, *it->second});
        }
        return it->second ? &*it->second : nullptr;
    }

    std::string display(const std::string& name) const {
        const std::filesystem::path path(name);
        if (path.is_absolute()) return name;
        return (std::filesystem::path(toml_display_).parent_path() / path).generic_string();
    }

private:
    std::string toml_display_;
    const FileReader& reader_;
    std::vector<SourceFile>& sources_;
    std::map<std::string, std::optional<std::string>> cache_;
};

}  // namespace ehcpsim::scenario_reading
