#include "core/util/ip.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <map>

#include "core/error.hpp"

namespace orch {

namespace {

constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

IpAddr from_v4(const uint8_t* b) {
  IpAddr a;
  std::memcpy(a.bytes.data(), kMapped, 12);
  std::memcpy(a.bytes.data() + 12, b, 4);
  return a;
}

IpAddr from_v6(const uint8_t* b) {
  IpAddr a;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

const std::map<std::string, std::vector<std::string>>& classes() {
  static const std::map<std::string, std::vector<std::string>> c = {
      {"loopback", {"127.0.0.0/8", "::1/128"}},
      {"link-local", {"169.254.0.0/16", "fe80::/10"}},
      {"private", {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10"}},
      {"special", {"0.0.0.0/8", "192.0.0.0/24", "224.0.0.0/4", "240.0.0.0/4", "::/128", "ff00::/8"}},
  };
  return c;
}

}  // namespace

bool IpAddr::v4() const { return std::memcmp(bytes.data(), kMapped, 12) == 0; }

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4()) inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  else inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddr> parse_ip(const std::string& text) {
  std::string t = text;
  if (t.size() > 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
  uint8_t buf[16];
  if (inet_pton(AF_INET, t.c_str(), buf) == 1) return from_v4(buf);
  if (inet_pton(AF_INET6, t.c_str(), buf) == 1) return from_v6(buf);
  return std::nullopt;
}

bool IpRange::contains(const IpAddr& a) const {
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[static_cast<size_t>(full)] & mask) == (base.bytes[static_cast<size_t>(full)] & mask);
}

std::string IpRange::str() const { return base.str() + "/" + std::to_string(base.v4() ? prefix - 96 : prefix); }

std::optional<IpRange> parse_range(const std::string& text) {
  auto slash = text.find('/');
  auto addr = parse_ip(text.substr(0, slash));
  if (!addr) return std::nullopt;
  IpRange r{*addr, 128};
  if (slash == std::string::npos) return r;
  std::string bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  int n = std::stoi(bits);
  int max = addr->v4() ? 32 : 128;
  if (n > max) return std::nullopt;
  r.prefix = addr->v4() ? n + 96 : n;
  return r;
}

std::vector<IpRange> ranges_of_class(const std::string& cls) {
  std::vector<IpRange> out;
  auto it = classes().find(cls);
  if (it == classes().end()) return out;
  for (const auto& r : it->second) out.push_back(*parse_range(r));
  return out;
}

std::string address_class(const IpAddr& a) {
  IpAddr x = a;
  // NAT64 (64:ff9b::/96) carries an IPv4 address that the translator would reach.
  static const IpRange nat64 = *parse_range("64:ff9b::/96");
  if (nat64.contains(a)) x = from_v4(a.bytes.data() + 12);
  for (const auto& [cls, ranges] : classes())
    for (const auto& r : ranges)
      if (parse_range(r)->contains(x)) return cls;
  return "";
}

std::vector<IpAddr> local_addresses() {
  std::vector<IpAddr> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET)
      out.push_back(from_v4(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr)));
    else if (i->ifa_addr->sa_family == AF_INET6)
      out.push_back(from_v6(reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr.s6_addr));
  }
  freeifaddrs(list);
  return out;
}

std::vector<IpAddr> resolve_host(const std::string& host) {
  if (auto lit = parse_ip(host)) return {*lit};
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) throw Error(ErrorKind::BadInput, "cannot resolve '" + host + "': " + gai_strerror(rc));
  std::vector<IpAddr> out;
  for (addrinfo* i = res; i; i = i->ai_next) {
    IpAddr a;
    if (i->ai_family == AF_INET) a = from_v4(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in*>(i->ai_addr)->sin_addr));
    else if (i->ai_family == AF_INET6) a = from_v6(reinterpret_cast<sockaddr_in6*>(i->ai_addr)->sin6_addr.s6_addr);
    else continue;
    bool seen = false;
    for (const auto& o : out) seen = seen || o == a;
    if (!seen) out.push_back(a);
  }
  freeaddrinfo(res);
  if (out.empty()) throw Error(ErrorKind::BadInput, "'" + host + "' has no IP address");
  return out;
}

}  // namespace orch
