#pragma once
#include <string>
#include <string_view>

namespace orch {

// A stable 64-bit hash of s as 16 lowercase hex digits: a short name for a value, not a secret.
// FNV-1a's steps from an offset of orch's own; scan fingerprints (in allowlists), price-watch
// state files and import ids are stored under these names, so the values never change.
std::string stable_hash_hex(std::string_view s);

}  // namespace orch
