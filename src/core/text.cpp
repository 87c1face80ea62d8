#include "ehcpsim/text.h"

#include <charconv>

namespace ehcpsim {

std::string shortest_text(double value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

}  // namespace ehcpsim
