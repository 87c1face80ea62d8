// A whole file read for a test, with no other dependency (the fuzz targets'
// seed writer includes it through bad_cases.h, without the test binaries'
// definitions).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ehcpsim::testing {

// A whole file's bytes; throws when it cannot be read (so two missing files
// never compare equal as two empty strings).
inline std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace ehcpsim::testing
