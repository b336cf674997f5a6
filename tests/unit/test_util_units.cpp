#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "core/error.hpp"
#include "core/util/units.hpp"

using namespace orch;

namespace {

std::string bad_input(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    return e.what();
  }
  FAIL("accepted");
  return "";
}

}  // namespace

TEST_CASE("parse_bytes: units, suffix spellings, fractions") {
  CHECK(parse_bytes("10", "x") == 10);
  CHECK(parse_bytes("0", "x") == 0);
  CHECK(parse_bytes("512k", "x") == 512 * 1024);
  CHECK(parse_bytes("256m", "x") == 256LL * 1024 * 1024);
  CHECK(parse_bytes("256M", "x") == 256LL * 1024 * 1024);
  CHECK(parse_bytes("256mb", "x") == 256LL * 1024 * 1024);
  CHECK(parse_bytes("256MB", "x") == 256LL * 1024 * 1024);
  CHECK(parse_bytes("256MiB", "x") == 256LL * 1024 * 1024);
  CHECK(parse_bytes("256mi", "x") == 256LL * 1024 * 1024);
  CHECK(parse_bytes("1g", "x") == 1LL << 30);
  CHECK(parse_bytes("1.5g", "x") == 3LL << 29);
  CHECK(parse_bytes("0.5k", "x") == 512);
  CHECK(parse_bytes("2t", "x") == 2LL << 40);
  CHECK(parse_bytes("100b", "x") == 100);
  CHECK(parse_bytes("7KiB", "x") == 7 * 1024);
}

TEST_CASE("parse_bytes: bad values throw BadInput naming the flag and the value") {
  CHECK(bad_input([] { parse_bytes("", "--memory"); }) == "--memory: '' is not valid (example: 256m)");
  CHECK(bad_input([] { parse_bytes("lots", "--memory"); }) == "--memory: 'lots' is not valid (example: 256m)");
  for (const char* bad : {"-1", "-1m", "10x", "10 m", "1mm", "m", "1kib2", "nan", "inf", "1e30", "12ib", "10p"}) {
    CAPTURE(std::string(bad));
    CHECK(bad_input([bad] { parse_bytes(bad, "limits.memory"); }).find(std::string("'") + bad + "'") != std::string::npos);
  }
}

TEST_CASE("parse_seconds: plain, fractional, suffixed") {
  CHECK(parse_seconds("30", "x") == 30.0);
  CHECK(parse_seconds("2.5", "x") == 2.5);
  CHECK(parse_seconds("10s", "x") == 10.0);
  CHECK(parse_seconds("5m", "x") == 300.0);
  CHECK(parse_seconds("1h", "x") == 3600.0);
  CHECK(parse_seconds("1.5h", "x") == 5400.0);
  CHECK(parse_seconds("2d", "x") == 172800.0);
  CHECK(parse_seconds("250ms", "x") == doctest::Approx(0.25));
  CHECK(parse_seconds("0", "x") == 0.0);
}

TEST_CASE("parse_seconds: bad values") {
  CHECK(bad_input([] { parse_seconds("soon", "--timeout"); }) == "--timeout: 'soon' is not valid (example: 30 or 5m)");
  for (const char* bad : {"", "-5", "10x", "5 m", "m", "1hh", "10S", "nan", "inf", "5min"}) {
    CAPTURE(std::string(bad));
    CHECK(bad_input([bad] { parse_seconds(bad, "--timeout"); }).find("--timeout") == 0);
  }
}

TEST_CASE("format_bytes") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.0 KiB");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(256LL << 20) == "256.0 MiB");
  CHECK(format_bytes(3LL << 29) == "1.5 GiB");
  CHECK(format_bytes(5LL << 40) == "5.0 TiB");
  CHECK(format_bytes(2048LL << 40) == "2048.0 TiB");
}

TEST_CASE("format_bytes and parse_bytes agree") {
  for (const char* s : {"64m", "1g", "512k", "128m"}) {
    CAPTURE(std::string(s));
    int64_t b = parse_bytes(s, "x");
    std::string f = format_bytes(b);
    CHECK(parse_bytes(f.substr(0, f.find(' ')) + f.substr(f.find(' ') + 1, 1), "x") == b);
  }
}
