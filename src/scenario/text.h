// Text helpers of the scenario reader: dotted keys, quoting and number text
// for messages, and the strict number parsing CSV fields need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ehcpsim/text.h"

namespace ehcpsim::scenario_reading {

std::string join_key(const std::string& path, std::string_view key);

std::string in_quotes(std::string_view text);



std::string list_text(const std::vector<std::string>& items);

bool is_identifier(std::string_view name);

std::optional<std::int64_t> parse_integer(std::string_view text);

std::optional<double> parse_real(std::string_view text);

std::string_view trim(std::string_view text);

int index_of(const std::vector<std::string>& names, std::string_view name);

}  // namespace ehcpsim::scenario_reading
