// Reading the summary's output in the tests: the JSON parsed in C++
// (nlohmann-json), so every check runs whatever Python the machine has, and
// the printed text as lines.
#pragma once

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace ehcpsim::json_testing {

using Json = nlohmann::ordered_json;  // keeps the document's key order, which the checks compare

// The document; a parse error fails the test with the text (nlohmann's
// parse_error names the byte where it went wrong).
inline Json parse_json(const std::string& text) {
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        ADD_FAILURE() << "not JSON: " << e.what() << "\n" << text.substr(0, 2000);
        return Json();
    }
}

inline std::vector<std::string> keys_of(const Json& object) {
    std::vector<std::string> keys;
    for (const auto& item : object.items()) keys.push_back(item.key());
    return keys;
}

// The numbers of an array, NaN for null (the JSON's "no value").
inline std::vector<double> numbers_of(const Json& array) {
    std::vector<double> values;
    for (const Json& x : array) values.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
    return values;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace ehcpsim::json_testing
