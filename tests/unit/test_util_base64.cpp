#include <doctest/doctest.h>

#include <string>

#include "core/util/base64.hpp"

using namespace orch;

TEST_CASE("base64_encode: RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("base64_decode: vectors, URL-safe alphabet, whitespace") {
  CHECK(base64_decode("Zm9vYmFy") == "foobar");
  CHECK(base64_decode("Zm9vYg==") == "foob");
  CHECK(base64_decode("Zm9vYmE=") == "fooba");
  CHECK(base64_decode("Zm9v\nYmFy\r\n") == "foobar");
  CHECK(base64_decode("__4A") == std::string("\xff\xfe\x00", 3));
  CHECK(base64_decode("") == "");
}

TEST_CASE("base64_decode: rejects what is not base64") {
  CHECK_FALSE(base64_decode("Zm9v!").has_value());
  CHECK_FALSE(base64_decode("Zg==Zg").has_value());
  CHECK_FALSE(base64_decode("Zg===").has_value());
  CHECK_FALSE(base64_decode("Zm 9v\t").has_value());
}

TEST_CASE("base64: every byte value round-trips at every length") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 17) {
    std::string s = all.substr(0, n);
    std::string e = base64_encode(s);
    CHECK(e.size() == (n + 2) / 3 * 4);
    CHECK(base64_decode(e) == s);
  }
}
