#include <doctest/doctest.h>
#include <sys/stat.h>

#include "core/agent/wire.hpp"
#include "server/e2b/connect.hpp"

using namespace orch::server::e2b;

TEST_CASE("Connect envelopes: flags, big-endian length, end of stream") {
  std::string e = envelope({{"event", {{"start", {{"pid", 100}}}}}});
  CHECK(e[0] == 0);
  CHECK(static_cast<unsigned char>(e[4]) == e.size() - 5);
  CHECK(e.substr(5) == R"({"event":{"start":{"pid":100}}})");
  auto parsed = first_envelope(e);
  REQUIRE(parsed);
  CHECK((*parsed)["event"]["start"]["pid"] == 100);
  CHECK(end_stream() == std::string("\x02\x00\x00\x00\x02{}", 7));
  std::string err = end_stream("deadline_exceeded", "too long");
  CHECK(err[0] == 2);
  CHECK(err.substr(5) == R"({"error":{"code":"deadline_exceeded","message":"too long"}})");
  CHECK_FALSE(first_envelope("\x00\x00\x00\x00\x09{}"));  // shorter than its length
  CHECK_FALSE(first_envelope(end_stream()));              // an end-of-stream is not a request
}

TEST_CASE("Connect codes map to HTTP statuses and orch errors to codes") {
  CHECK(http_status_for_code("not_found") == 404);
  CHECK(http_status_for_code("unauthenticated") == 401);
  CHECK(http_status_for_code("deadline_exceeded") == 504);
  CHECK(code_for(orch::agent::Failure("already_exists", "x")) == "already_exists");
  CHECK(code_for(orch::Error(orch::ErrorKind::Busy, "x")) == "resource_exhausted");
}

TEST_CASE("EntryInfo as envd writes it: Go file modes, int64 as a string, RFC 3339") {
  orch::session::PathInfo dir{"dir", "/home/user/dir", "dir", 4096, S_IFDIR | 0755, "user", "user", 1764596236376000000, std::nullopt};
  auto j = entry_json(dir);
  CHECK(j["type"] == "FILE_TYPE_DIRECTORY");
  CHECK(j["mode"] == 2147484141u);  // what envd sent for a 0755 directory
  CHECK(j["permissions"] == "drwxr-xr-x");
  CHECK(j["size"] == "4096");
  CHECK(j["modifiedTime"] == "2025-12-01T13:37:16.376000000Z");
  orch::session::PathInfo link{"l", "/l", "symlink", 5, S_IFLNK | 0777, "user", "user", 0, std::string("/etc")};
  auto l = entry_json(link);
  CHECK(l["type"] == "FILE_TYPE_SYMLINK");
  CHECK(l["symlinkTarget"] == "/etc");
  CHECK(l["permissions"] == "Lrwxrwxrwx");
  CHECK(rfc3339(0) == "1970-01-01T00:00:00Z");
}
