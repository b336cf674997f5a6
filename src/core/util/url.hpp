#pragma once
#include <string>
#include <string_view>

namespace orch {

// Percent-encodes everything but RFC 3986's unreserved characters (letters, digits, - _ . ~) and
// the characters in `also_keep` (a query parameter value wants none; a path, "/").
std::string percent_encode(std::string_view s, std::string_view also_keep = {});

}  // namespace orch
