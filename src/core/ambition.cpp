#include "ehcpsim/ambition.h"

#include <array>

namespace ehcpsim {
namespace {

struct LevelName {
    AmbitionLevel level;
    std::string_view name;
    std::string_view title;
};

constexpr std::array<LevelName, 3> level_names = {{{AmbitionLevel::none, "none", "Unmitigated"},
                                                   {AmbitionLevel::target, "target", "Target"},
                                                   {AmbitionLevel::stretch, "stretch", "Stretch"}}};

const LevelName& entry(AmbitionLevel level) {
    for (const LevelName& e : level_names)
        if (e.level == level) return e;
    return level_names[0];  // unreachable: every enumerator has an entry
}

}  // namespace

std::string_view ambition_level_name(AmbitionLevel level) { return entry(level).name; }

std::string_view ambition_level_title(AmbitionLevel level) { return entry(level).title; }

std::optional<AmbitionLevel> parse_ambition_level(std::string_view name) {
    for (const LevelName& e : level_names)
        if (e.name == name) return e.level;
    return std::nullopt;
}

}  // namespace ehcpsim
