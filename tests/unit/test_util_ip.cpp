#include <doctest/doctest.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/util/ip.hpp"

using namespace orch;

TEST_CASE("parse_ip and parse_range: IPv4 kept in the IPv4-mapped form") {
  auto a = parse_ip("192.0.2.7");
  REQUIRE(a);
  CHECK(a->v4());
  CHECK(a->str() == "192.0.2.7");
  CHECK(parse_ip("[::1]")->str() == "::1");
  CHECK(parse_ip("::ffff:127.0.0.1")->v4());
  for (const char* bad : {"", "localhost", "1.2.3", "256.1.1.1", "1.2.3.4.5", "::g", "[::1"}) CHECK_MESSAGE(!parse_ip(bad), bad);
  auto r = parse_range("10.0.0.0/8");
  REQUIRE(r);
  CHECK(r->str() == "10.0.0.0/8");
  CHECK(r->contains(*parse_ip("10.255.1.2")));
  CHECK(!r->contains(*parse_ip("11.0.0.1")));
  CHECK(!r->contains(*parse_ip("::a00:1")));  // an IPv6 address with the same low bytes is not in an IPv4 range
  CHECK(parse_range("fe80::/10")->contains(*parse_ip("fe80::1")));
  CHECK(parse_range("127.0.0.1")->contains(*parse_ip("127.0.0.1")));
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "name/8"}) CHECK_MESSAGE(!parse_range(bad), bad);
}

TEST_CASE("address_class: loopback, link-local, private and special addresses, in every spelling") {
  struct Case {
    const char* addr;
    const char* cls;
  };
  for (auto c : {Case{"127.0.0.1", "loopback"}, Case{"127.255.0.9", "loopback"}, Case{"::1", "loopback"},
                 Case{"::ffff:127.0.0.1", "loopback"}, Case{"64:ff9b::127.0.0.1", "loopback"},
                 Case{"169.254.169.254", "link-local"}, Case{"fe80::1", "link-local"}, Case{"10.1.2.3", "private"},
                 Case{"172.17.0.1", "private"}, Case{"172.31.255.255", "private"}, Case{"192.168.1.1", "private"},
                 Case{"100.64.0.1", "private"}, Case{"fd00::1", "private"}, Case{"0.0.0.0", "special"},
                 Case{"224.0.0.1", "special"}, Case{"255.255.255.255", "special"}, Case{"::", "special"},
                 Case{"172.32.0.1", ""}, Case{"8.8.8.8", ""}, Case{"198.18.0.1", ""}, Case{"2001:4860::8888", ""}})
    CHECK_MESSAGE(address_class(*parse_ip(c.addr)) == c.cls, c.addr);
  CHECK(ranges_of_class("link-local").size() == 2);
  CHECK(ranges_of_class("nope").empty());
}

TEST_CASE("resolve_host: literals, numeric spellings glibc accepts, and this host's addresses") {
  CHECK(resolve_host("127.0.0.1").front().str() == "127.0.0.1");
  // Spellings curl and git would accept: they must resolve to the address they mean.
  CHECK(resolve_host("2130706433").front().str() == "127.0.0.1");
  CHECK(resolve_host("localhost").size() >= 1);
  CHECK_THROWS_AS(resolve_host("no-such-host.invalid"), Error);
  auto mine = local_addresses();
  CHECK(std::find(mine.begin(), mine.end(), *parse_ip("127.0.0.1")) != mine.end());
}
