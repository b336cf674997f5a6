#pragma once
#include <string>

namespace orch {

// `s` as one word for sh and bash: single-quoted, each ' as '\''. Holds any bytes but NUL.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace orch
