#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "core/sandbox/gc.hpp"
#include "core/sandbox/spec.hpp"

using orch::engine::NetworkInfo;
using orch::sandbox::kNetworkGraceSeconds;
using orch::sandbox::network_is_garbage;

TEST_CASE("gc: an unused network is garbage only once it is older than the grace period") {
  NetworkInfo n;
  n.created = 1000;
  CHECK_FALSE(network_is_garbage(n, 1000 + kNetworkGraceSeconds - 1));  // its sandbox may be on the way
  CHECK(network_is_garbage(n, 1000 + kNetworkGraceSeconds));
  n.members = 1;
  CHECK_FALSE(network_is_garbage(n, 1000 + 10 * kNetworkGraceSeconds));
  n.members = 0;
  n.labels[orch::sandbox::kLabelExpires] = "1005";  // its session's TTL has passed: no sandbox is on the way
  CHECK(network_is_garbage(n, 1006));
  NetworkInfo egress;  // made for one sandbox by a process that is gone: that sandbox is not on the way
  egress.created = 1000;
  egress.labels[orch::sandbox::kLabelPid] = "no-such-host-here:1";
  CHECK_FALSE(network_is_garbage(egress, 1001));  // another host's process: not ours to judge
  std::string mine = orch::sandbox::base_labels("run", "r-1", "python")[orch::sandbox::kLabelPid];
  egress.labels[orch::sandbox::kLabelPid] = mine.substr(0, mine.rfind(':')) + ":2147483647";  // past any pid_max
  CHECK(network_is_garbage(egress, 1001));
  egress.labels[orch::sandbox::kLabelPid] = mine;  // alive: its sandbox may be on the way
  CHECK_FALSE(network_is_garbage(egress, 1001));
  NetworkInfo unknown_age;  // an engine that does not say when: unused is enough
  CHECK(network_is_garbage(unknown_age, 0));
}

TEST_CASE("gc: a process of another pid namespace on this host is not judged by its pid") {
  using orch::sandbox::owner_alive;
  std::string place = orch::sandbox::process_place();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  CHECK(place.rfind(host, 0) == 0);
  CHECK(owner_alive(place + ":" + std::to_string(::getpid())));
  CHECK_FALSE(owner_alive(place + ":2147483647"));
  // Same host name, another pid namespace (an orch in a container on the host's network): its pid 1
  // or any other is not a pid of ours, whatever ours are.
  CHECK(owner_alive(std::string(host) + (place == host ? "/pidns-1" : "") + ":2147483647"));
  CHECK_FALSE(owner_alive("no-colon"));
}
