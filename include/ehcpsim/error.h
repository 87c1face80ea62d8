// Errors a user can cause, and the exit codes the command line maps them to.
//
// Internal invariants use assert(); everything a user can get wrong (a bad
// scenario, a missing file, an unreadable output) is one of these exceptions,
// carrying where the problem is so the message can name file, key and line.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace ehcpsim {

// Process exit codes, documented in the README and in `ehcpsim --help`.
enum ExitCode : int {
    exit_ok = 0,
    exit_usage = 2,        // bad flag, bad scenario, failed validation
    exit_runtime = 3,      // I/O or HDF5 failure while running or reading
    exit_interrupted = 130 // SIGINT/SIGTERM: nothing partial is left behind
};

// Where in the user's input a problem lies. Any field may be empty / zero
// when it is not known (e.g. a whole-file problem has no line).
struct SourceLocation {
    std::string file;  // path as the user gave it (or "<embedded:halton>")
    std::string key;   // dotted TOML key, or CSV column name
    int line = 0;      // 1-based; 0 = unknown
    int column = 0;    // 1-based; 0 = unknown
};

// Formats "file:line:column: key", leaving out the parts not known.
std::string format_location(const SourceLocation& where);

// One problem found in the scenario (TOML or CSV).
struct Diagnostic {
    SourceLocation where;
    std::string message;  // what was found and what was expected
};

// The scenario is invalid. Validation collects every problem it can find in
// one pass, so a user fixes them all at once rather than one run at a time.
class ScenarioError : public std::runtime_error {
public:
    explicit ScenarioError(std::vector<Diagnostic> problems);
    ScenarioError(SourceLocation where, const std::string& message);
    const std::vector<Diagnostic>& problems() const noexcept { return problems_; }

private:
    std::vector<Diagnostic> problems_;
};

// The run was stopped by the user (SIGINT/SIGTERM): nothing partial is kept.
class Interrupted : public std::runtime_error {
public:
    Interrupted() : std::runtime_error("interrupted: no results were written") {}
};

// A problem reading or writing a results file, or any other runtime failure
// the user can act on (disk full, permissions, a foreign HDF5 file).
class RuntimeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Why a file that could not be read cannot be read, as far as the file system
// tells: no such file (or no such directory), a directory, not a regular file,
// or the system's reason. For a message that names the file.
std::string why_unreadable(const std::string& path);

}  // namespace ehcpsim
