#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orch {

// An IPv4 or IPv6 address; IPv4 is kept as the IPv4-mapped IPv6 form so one comparison serves both.
struct IpAddr {
  std::array<uint8_t, 16> bytes{};
  bool v4() const;
  std::string str() const;
  bool operator==(const IpAddr&) const = default;
};

// "192.0.2.1", "2001:db8::1", "[::1]"; nullopt for anything else (names included).
std::optional<IpAddr> parse_ip(const std::string& text);

// An address range: "10.0.0.0/8", "fe80::/10", or one address.
struct IpRange {
  IpAddr base;
  int prefix = 128;  // in IPv6 bits (an IPv4 /8 is /104)
  bool contains(const IpAddr& a) const;
  std::string str() const;
};
std::optional<IpRange> parse_range(const std::string& text);

// What a sandbox or a server-side clone must not reach unless an operator allows it, by class:
// "loopback", "link-local" (cloud metadata lives there), "private" (RFC 1918, unique local,
// carrier-grade NAT), "special" (unspecified, multicast, reserved, broadcast). "" for a public address.
std::string address_class(const IpAddr& a);
// The ranges of a class, as above (IPv4 and IPv6).
std::vector<IpRange> ranges_of_class(const std::string& cls);

// Every address on this host's own interfaces (what a "connect to myself" would reach).
std::vector<IpAddr> local_addresses();

// Resolves a host name (or a literal) to its addresses; throws orch::Error(BadInput) when it has none.
std::vector<IpAddr> resolve_host(const std::string& host);

}  // namespace orch
