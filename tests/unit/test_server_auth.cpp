#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "server/auth.hpp"
#include "server/limiter.hpp"

using namespace orch;
using namespace orch::server;

namespace {

// A tokens file in a fresh directory, removed with the object.
struct TokensFile {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("orch-unit-tokens-" + std::to_string(::getpid()));
  std::string path = (dir / "tokens").string();
  explicit TokensFile(const std::string& text) {
    std::filesystem::create_directories(dir);
    std::ofstream(path) << text;
  }
  ~TokensFile() { std::filesystem::remove_all(dir); }
};

std::string load_error(const std::string& text) {
  TokensFile f(text);
  TokenStore store(f.path);
  try {
    store.load();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    std::string what = e.what();
    CHECK(what.rfind(f.path + ":", 0) == 0);
    return what.substr(f.path.size());
  }
  FAIL("loaded " << text);
  return "";
}

}  // namespace

TEST_CASE("bearer tokens: the header's scheme, compared in constant time") {
  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK(bearer_token("bearer abc") == "abc");
  CHECK(bearer_token("Basic abc") == "");
  CHECK(bearer_token("Bearer ") == "");
  CHECK(constant_time_equal("secret", "secret"));
  CHECK_FALSE(constant_time_equal("secret", "secreT"));
  CHECK_FALSE(constant_time_equal("secret", "secret2"));
  CHECK_FALSE(constant_time_equal("", "x"));
  CHECK(constant_time_equal("", ""));
}

TEST_CASE("the tokens file: tenants with their limits, comments, and a reload") {
  TokensFile f(
      "# team tokens\n"
      "aaaaaaaaaaaaaaaa alice max_concurrent=2 max_sessions=3 max_timeout=1m max_memory=256m\n"
      "\n"
      "bbbbbbbbbbbbbbbb bob github_token=ghp_x  # bob's clones\n");
  TokenStore store(f.path);
  CHECK(store.enabled());
  store.load();
  CHECK(store.size() == 2);
  auto alice = store.authenticate("aaaaaaaaaaaaaaaa");
  REQUIRE(alice);
  CHECK(alice->name == "alice");
  CHECK(alice->limits.max_concurrent == 2);
  CHECK(alice->limits.max_sessions == 3);
  CHECK(alice->limits.max_timeout_s == 60);
  CHECK(alice->limits.max_memory_bytes == (256 << 20));
  auto bob = store.authenticate("bbbbbbbbbbbbbbbb");
  REQUIRE(bob);
  CHECK(bob->github_token == "ghp_x");
  CHECK(bob->limits.max_concurrent == 0);
  CHECK_FALSE(store.authenticate("aaaaaaaaaaaaaaa"));
  CHECK_FALSE(store.authenticate(""));

  std::ofstream(f.path) << "cccccccccccccccc carol\n";
  store.load();
  CHECK_FALSE(store.authenticate("aaaaaaaaaaaaaaaa"));
  CHECK(store.authenticate("cccccccccccccccc")->name == "carol");
  CHECK_FALSE(TokenStore().enabled());
}

TEST_CASE("a malformed tokens file names the line and keeps the tokens loaded before") {
  CHECK(load_error("aaaaaaaaaaaaaaaa\n") == ":1: expected TOKEN TENANT [key=value ...]");
  CHECK(load_error("# x\nshort t\n") == ":2: tokens must be at least 16 characters");
  CHECK(load_error("aaaaaaaaaaaaaaaa t max_concurrent\n") == ":1: 'max_concurrent' is not key=value");
  CHECK(load_error("aaaaaaaaaaaaaaaa t max_concurrent=x\n") == ":1: max_concurrent must be a whole number from 1 to 100000, not 'x'");
  CHECK(load_error("aaaaaaaaaaaaaaaa t colour=red\n") ==
        ":1: unknown key 'colour' (max_concurrent, max_sessions, max_timeout, max_memory, max_pids, max_cpus, github_token, admin)");

  TokensFile f("aaaaaaaaaaaaaaaa alice\n");
  TokenStore store(f.path);
  store.load();
  std::ofstream(f.path) << "aaaaaaaaaaaaaaaa\n";
  CHECK_THROWS_AS(store.load(), Error);
  CHECK(store.authenticate("aaaaaaaaaaaaaaaa"));
  std::filesystem::remove(f.path);
  CHECK_THROWS_WITH_AS(store.load(), ("cannot read tokens file '" + f.path + "'").c_str(), Error);
}

TEST_CASE("the limiter: a global cap, a per-tenant cap and its default, slots released when dropped") {
  Limiter l(3, 2);
  CHECK(l.try_acquire("a", 0));
  CHECK(l.try_acquire("a", 0));
  CHECK_FALSE(l.try_acquire("a", 0));    // the default per tenant
  CHECK(l.try_acquire("a", 5) == true);  // a tenant's own cap above the default
  CHECK(l.in_flight() == 3);
  CHECK_FALSE(l.try_acquire("b", 0));  // the global cap
  l.release("a");
  CHECK(l.try_acquire("b", 1));
  CHECK_FALSE(l.try_acquire("b", 1));
  CHECK(l.in_flight() == 3);
  for (const char* t : {"a", "a", "b"}) l.release(t);
  CHECK(l.in_flight() == 0);

  Limiter one(10, 1);
  {
    REQUIRE(one.try_acquire("t", 0));
    Slot held(one, "t");
    Slot moved(std::move(held));
    CHECK_FALSE(one.try_acquire("t", 0));
  }
  CHECK(one.in_flight() == 0);
  CHECK(one.try_acquire("t", 0));
}
