// Formatting of user-facing scenario problems: "file:line:column: key: message".
#include "ehcpsim/error.h"

#include <utility>

namespace ehcpsim {

std::string format_location(const SourceLocation& where) {
    std::string out = where.file;
    if (where.line > 0) {
        if (!out.empty()) out += ':';
        out += std::to_string(where.line);
        if (where.column > 0) {
            out += ':';
            out += std::to_string(where.column);
        }
    }
    if (!where.key.empty()) {
        if (!out.empty()) out += ": ";
        out += where.key;
    }
    return out;
}

namespace {

std::string format_problem(const Diagnostic& problem) {
    const std::string location = format_location(problem.where);
    return location.empty() ? problem.message : location + ": " + problem.message;
}

std::string join_problems(const std::vector<Diagnostic>& problems) {
    std::string out;
    for (const Diagnostic& problem : problems) {
        if (!out.empty()) out += '\n';
        out += format_problem(problem);
    }
    return out.empty() ? std::string("invalid scenario") : out;
}

}  // namespace

ScenarioError::ScenarioError(std::vector<Diagnostic> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

ScenarioError::ScenarioError(SourceLocation where, const std::string& message)
    : ScenarioError(std::vector<Diagnostic>{Diagnostic{std::move(where), message}}) {}

}  // namespace ehcpsim
