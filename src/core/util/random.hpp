#pragma once
#include <string>

namespace orch {

// n hex characters from the kernel's CSPRNG.
std::string random_hex(size_t n);
int64_t unix_now();

}  // namespace orch
