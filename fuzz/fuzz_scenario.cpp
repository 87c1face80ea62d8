// libFuzzer target over scenario parsing and validation (TOML and CSV).
//
// An input is a TOML document, optionally followed by CSV files, each after a
// line "--8<-- NAME" (the file name the scenario's [data] table refers to).
// Any outcome is fine except a crash, a hang or a sanitizer report: a bad
// scenario must end in ScenarioError with a message, never anything else.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "ehcpsim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const std::string marker = "\n--8<-- ";
    std::map<std::string, std::string> files;
    std::size_t end = input.find(marker);
    const std::string toml = input.substr(0, end);
    while (end != std::string::npos) {
        const std::size_t name_start = end + marker.size();
        const std::size_t name_end = input.find('\n', name_start);
        if (name_end == std::string::npos) break;
        const std::string name = input.substr(name_start, name_end - name_start);
        end = input.find(marker, name_end);
        files[name] = input.substr(name_end + 1, end == std::string::npos ? std::string::npos : end - name_end - 1);
    }
    const ehcpsim::FileReader read = [&](const std::string& path) -> std::optional<std::string> {
        const auto found = files.find(path);
        if (found == files.end()) return std::nullopt;
        return found->second;
    };
    try {
        const ehcpsim::ScenarioSet set = ehcpsim::load_scenario("fuzz.toml", toml, read);
        (void)set;
    } catch (const ehcpsim::ScenarioError& e) {
        if (e.problems().empty()) __builtin_trap();  // an error must say what is wrong
    }
    return 0;
}
