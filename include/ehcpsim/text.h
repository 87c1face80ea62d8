// Numbers as text for files other programs read: the shortest decimal that
// reads back as the same double, so a value written and read again is the
// value computed.
#pragma once

#include <string>

namespace ehcpsim {

// The shortest text that round-trips exactly ("1650", "2258.2999999999997",
// "1e+20"); "nan", "inf" and "-inf" for the non-finite values.
std::string shortest_text(double value);

}  // namespace ehcpsim
