// Writes the scenario fuzzer's seeds into a directory: the small test
// scenario, the embedded default (Halton), and every broken scenario of
// tests/scenarios/bad_cases.txt, each as one input in the fuzzer's format
// (fuzz_scenario.cpp). Run by scripts/fuzz.sh before each run, so the seeds
// follow the fixtures instead of being copies of them.
//
//   make_scenario_seeds DIR
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "bad_cases.h"

namespace {

void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_scenario_seeds DIR\n");
        return 2;
    }
    try {
        namespace testing = ehcpsim::testing;
        const std::filesystem::path dir = argv[1];
        std::filesystem::create_directories(dir);
        const testing::ScenarioFiles small = testing::small_scenario_files();
        write(dir / "small.txt", testing::fuzz_input(small));
        testing::ScenarioFiles halton;
        for (const ehcpsim::SourceFile& file : ehcpsim::default_scenario_files())
            halton[halton.empty() ? testing::small_toml_name : file.path] = file.text;  // the TOML comes first
        write(dir / "halton.txt", testing::fuzz_input(halton));
        int count = 2;
        for (const testing::BadCase& bad : testing::read_bad_cases()) {
            write(dir / ("bad_" + bad.name + ".txt"), testing::fuzz_input(testing::apply_edits(bad, small)));
            ++count;
        }
        std::printf("make_scenario_seeds: %d seeds in %s\n", count, dir.string().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_scenario_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
