// Text helpers shared by every stage: numbers written so that they read back
// exactly.
#pragma once

#include <string>

namespace ehcpsim {

// The shortest text that reads back as the same double (std::to_chars):
// "0.1", "1e+300", "inf", "nan".
std::string shortest_text(double value);

}  // namespace ehcpsim
