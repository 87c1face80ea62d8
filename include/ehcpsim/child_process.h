// A program run as a child process (posix_spawn, no shell) with its standard
// output and error written to a log file, waited for to the end: the chart
// script of the backtest and the report download of `ehcpsim serve`.
#pragma once

#include <string>
#include <vector>

namespace ehcpsim {

struct ChildExit {
    int spawn_error = 0;   // errno of posix_spawn (0: it started)
    bool exited = false;   // ended by exit(), not by a signal
    int code = 0;          // its exit status when exited
    bool ok() const { return spawn_error == 0 && exited && code == 0; }
    // "exited with 3", "was killed", "cannot start: <strerror>".
    std::string what() const;
};

// Runs program with argv = args (args[0] is the program's name as it sees
// it), stdout and stderr both to `log` (created or truncated, mode 0600),
// and waits for it (a wait interrupted by a signal is resumed).
ChildExit run_logged(const std::string& program, std::vector<std::string> args, const std::string& log);

}  // namespace ehcpsim
