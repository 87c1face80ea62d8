#include "ehcpsim/text.h"

#include <charconv>
#include <cstdio>

namespace ehcpsim {

std::string shortest_text(double value) {
    char buffer[32];  // the longest shortest form, "-2.2250738585072014e-308", is 24 characters
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string rounded_text(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

}  // namespace ehcpsim
