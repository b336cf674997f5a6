#include "core/util/random.hpp"

#include <sys/random.h>

#include <chrono>
#include <vector>

namespace orch {

std::string random_hex(size_t n) {
  std::vector<unsigned char> bytes((n + 1) / 2);
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t r = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (r > 0) got += static_cast<size_t>(r);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  out.resize(n);
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace orch
