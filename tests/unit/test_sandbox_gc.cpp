#include <doctest/doctest.h>

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
  NetworkInfo unknown_age;  // an engine that does not say when: unused is enough
  CHECK(network_is_garbage(unknown_age, 0));
}
