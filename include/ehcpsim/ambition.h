// Ambition levels of a mitigated variant (MODEL.md section 7): which effect
// of each mitigation applies, and the one table of their names as written in
// a scenario, the ensemble file's "level" attribute, the summary's CSV and
// JSON, and the report.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ehcpsim {

enum class AmbitionLevel { none, target, stretch };

// "none", "target", "stretch".
std::string_view ambition_level_name(AmbitionLevel level);

// The level named so; nullopt for any other text.
std::optional<AmbitionLevel> parse_ambition_level(std::string_view name);

// "Unmitigated", "Target", "Stretch": the level as a title in tables.
std::string_view ambition_level_title(AmbitionLevel level);

}  // namespace ehcpsim
