#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/repo/remote_check.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::repo;

namespace {
RemotePolicy enforced(std::vector<std::string> allowed = {}) { return RemotePolicy{true, std::move(allowed)}; }
}  // namespace

TEST_CASE("check_remote refuses the server's own and internal addresses, in every URL form") {
  for (const char* url : {"http://127.0.0.1:8420/x.git", "https://localhost/x", "ssh://git@127.0.0.1/x", "git://127.0.0.1/x",
                          "git@127.0.0.1:x.git", "http://[::1]:80/x", "http://169.254.169.254/latest", "https://10.0.0.5/x",
                          "http://2130706433/x", "http://user:pw@127.0.0.1/x", "git://[::ffff:127.0.0.1]:9418/x"}) {
    CAPTURE(std::string(url));
    CHECK_THROWS_WITH_AS(check_remote(parse_source(url), enforced()), doctest::Contains("--allow-repo-host"), Error);
  }
  CHECK_THROWS_WITH_AS(check_remote(parse_source("ssh://u@evil;id/x"), enforced()), doctest::Contains("does not name a host"), Error);
  // Not enforced (the CLI): nothing is checked.
  CHECK(!check_remote(parse_source("http://127.0.0.1/x"), RemotePolicy{}));
}

TEST_CASE("check_remote: the operator allows hosts, addresses and ranges; a public address passes") {
  auto pin = check_remote(parse_source("git://127.0.0.1:9999/proj"), enforced({"127.0.0.1"}));
  REQUIRE(pin);
  CHECK(pin->port == 9999);
  CHECK(pin->addr.str() == "127.0.0.1");
  CHECK(check_remote(parse_source("http://127.0.0.5/x"), enforced({"127.0.0.0/8"})));
  CHECK(check_remote(parse_source("https://LOCALHOST/x"), enforced({"localhost"})));
  CHECK_THROWS_AS(check_remote(parse_source("http://127.0.0.1/x"), enforced({"10.0.0.0/8", "example.com"})), Error);
  pin = check_remote(parse_source("https://93.184.216.34/x"), enforced());
  REQUIRE(pin);
  CHECK(pin->port == 443);
}

TEST_CASE("pin_git holds git to the checked address") {
  PinnedRemote pin{"example.org", 8443, *parse_ip("93.184.216.34"), false};
  auto g = pin_git(parse_source("https://example.org:8443/o/r.git"), pin);
  CHECK(g.url == "https://example.org:8443/o/r.git");
  CHECK(g.config == std::vector<std::string>{"http.followRedirects=false", "http.curloptResolve=example.org:8443:93.184.216.34"});
  pin.port = 22;
  g = pin_git(parse_source("ssh://git@example.org/o/r.git"), pin);
  CHECK(g.ssh_options == "-o HostName=93.184.216.34 -o HostKeyAlias=example.org");
  pin.port = 9418;
  CHECK(pin_git(parse_source("git://example.org/o/r.git"), pin).url == "git://93.184.216.34/o/r.git");
  PinnedRemote v6{"example.org", 9418, *parse_ip("2001:db8::1"), false};
  CHECK(pin_git(parse_source("git://user@example.org:9418/r"), v6).url == "git://user@[2001:db8::1]:9418/r");
}

TEST_CASE("check_remote through the operator's proxy: the proxy resolves, literals and localhost are still refused") {
  testing::ScopedEnv proxy("https_proxy", "http://127.0.0.1:3128");
  testing::ScopedEnv none("no_proxy", "");
  auto pin = check_remote(parse_source("https://repos.internal.invalid/o/r.git"), enforced());
  REQUIRE(pin);
  CHECK(pin->proxied);
  CHECK(pin_git(parse_source("https://repos.internal.invalid/o/r.git"), *pin).config == std::vector<std::string>{"http.followRedirects=false"});
  for (const char* url : {"https://localhost/x", "https://a.localhost/x", "https://127.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/x"})
    CHECK_THROWS_AS(check_remote(parse_source(url), enforced()), Error);
  // git:// and ssh never go through an http proxy: they are resolved and checked
  CHECK_THROWS_AS(check_remote(parse_source("git://localhost/x"), enforced()), Error);
  testing::ScopedEnv bypass("no_proxy", "example.com,.internal.invalid");
  CHECK_THROWS_WITH_AS(check_remote(parse_source("https://repos.internal.invalid/o/r.git"), enforced()), doctest::Contains("cannot resolve"), Error);
}
