// Formatting of user-facing scenario problems: "file:line:column: key: message".
#include "ehcpsim/error.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
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

// An in-memory reader's missing file reads as not found.
std::string why_unreadable(const std::string& path) {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status)) {
        const std::filesystem::path parent = std::filesystem::path(path).parent_path();
        if (!parent.empty() && !std::filesystem::is_directory(parent, error))
            return "there is no such file (its directory '" + parent.string() + "' does not exist)";
        return "there is no such file";
    }
    if (std::filesystem::is_directory(status)) return "it is a directory, not a file";
    if (!std::filesystem::is_regular_file(status)) return "it is not a regular file";
    if (access(path.c_str(), R_OK) != 0) return std::string("it cannot be opened (") + std::strerror(errno) + ")";
    return "it could not be read";
}

}  // namespace ehcpsim
