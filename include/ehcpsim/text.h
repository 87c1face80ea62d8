// Text helpers shared by every stage: numbers written so that they read back
// exactly, or rounded for a message.
#pragma once

#include <string>

namespace ehcpsim {

// The shortest text that reads back as the same double (std::to_chars):
// "0.1", "1e+300", "inf", "nan".
std::string shortest_text(double value);

// A computed value (a sum, a bound) rounded to six significant digits for a
// message (printf "%.6g"): "0.223607", "1.2e+07".
std::string rounded_text(double value);

}  // namespace ehcpsim
