// What a failure tells the user, and the exit code it ends with (app.h).
#include <ostream>

#include "ehcpsim/app.h"
#include "ehcpsim/error.h"

namespace ehcpsim {

int explain_failure(std::exception_ptr failure, std::ostream& err) {
    try {
        std::rethrow_exception(failure);
    } catch (const ScenarioError& e) {
        err << "error: invalid scenario (" << e.problems().size() << " problem"
            << (e.problems().size() == 1 ? "" : "s") << "):\n";
        // The first 20: a CSV of the wrong shape would otherwise fill the terminal.
        constexpr std::size_t shown_problems = 20;
        for (std::size_t i = 0; i < e.problems().size() && i < shown_problems; ++i) {
            const Diagnostic& d = e.problems()[i];
            const std::string where = format_location(d.where);
            err << "  " << (where.empty() ? "" : where + ": ") << d.message << '\n';
        }
        if (e.problems().size() > shown_problems)
            err << "  ... and " << e.problems().size() - shown_problems << " more problem(s) not shown\n";
        return exit_usage;
    } catch (const Interrupted& e) {
        err << "\nerror: " << e.what() << '\n';
        return exit_interrupted;
    } catch (const UsageError& e) {
        err << "error: " << e.what() << '\n';
        return exit_usage;
    } catch (const std::exception& e) {  // RuntimeError and anything else the libraries throw
        err << "error: " << e.what() << '\n';
        return exit_runtime;
    }
}

}  // namespace ehcpsim
