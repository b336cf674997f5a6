#include "core/repo/remote_check.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/error.hpp"

namespace orch::repo {

namespace {

struct Authority {
  std::string host;  // without brackets
  int port = 0;
  size_t host_begin = 0, host_end = 0;  // where the host (brackets included) sits in the URL
};

// scheme://[user@]host[:port]/... ; for scp-like user@host:path the host comes from parse_source.
Authority authority_of(const Source& src) {
  Authority a;
  auto sep = src.url.find("://");
  if (sep == std::string::npos) {
    a.host = src.host;
    a.host_begin = src.url.find('@') + 1;
    a.host_end = a.host_begin + src.host.size();
    return a;
  }
  size_t start = sep + 3;
  size_t end = src.url.find_first_of("/?#", start);
  if (end == std::string::npos) end = src.url.size();
  size_t at = src.url.rfind('@', end);
  if (at != std::string::npos && at >= start) start = at + 1;
  a.host_begin = start;
  std::string rest = src.url.substr(start, end - start);
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos) throw Error(ErrorKind::BadInput, "repository URL '" + src.display + "' has an unclosed '['");
    a.host = rest.substr(1, close - 1);
    a.host_end = start + close + 1;
    if (close + 1 < rest.size() && rest[close + 1] == ':') a.port = std::atoi(rest.c_str() + close + 2);
  } else {
    size_t colon = rest.rfind(':');
    a.host = rest.substr(0, colon);
    a.host_end = start + a.host.size();
    if (colon != std::string::npos) a.port = std::atoi(rest.c_str() + colon + 1);
  }
  std::transform(a.host.begin(), a.host.end(), a.host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (a.port == 0) {
    switch (src.kind) {
      case Source::Kind::Https: a.port = 443; break;
      case Source::Kind::Http: a.port = 80; break;
      case Source::Kind::Ssh: a.port = 22; break;
      case Source::Kind::Git: a.port = 9418; break;
      default: break;
    }
  }
  return a;
}

bool allowed_by(const RemotePolicy& policy, const std::string& host, const IpAddr& addr) {
  for (const auto& entry : policy.allowed) {
    if (auto range = parse_range(entry)) {
      if (range->contains(addr)) return true;
    } else {
      std::string e = entry;
      std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (e == host) return true;
    }
  }
  return false;
}

// The proxy git (curl) would use for this URL from the environment, or "" when it connects itself.
std::string proxy_for(const Source& src, const std::string& host) {
  if (src.kind != Source::Kind::Https && src.kind != Source::Kind::Http) return "";
  auto env = [](const char* a, const char* b) {
    const char* v = std::getenv(a);
    if (!v || !*v) v = std::getenv(b);
    return std::string(v ? v : "");
  };
  std::string proxy = src.kind == Source::Kind::Https ? env("https_proxy", "HTTPS_PROXY") : env("http_proxy", "HTTP_PROXY");
  if (proxy.empty()) proxy = env("all_proxy", "ALL_PROXY");
  if (proxy.empty()) return "";
  std::string no = env("no_proxy", "NO_PROXY");
  for (size_t start = 0; start <= no.size();) {
    size_t comma = no.find(',', start);
    std::string entry = no.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    entry.erase(0, entry.find_first_not_of(" \t."));
    while (!entry.empty() && entry.back() == ' ') entry.pop_back();
    if (entry == "*") return "";
    if (!entry.empty() && (host == entry || (host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
                                              host[host.size() - entry.size() - 1] == '.')))
      return "";
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return proxy;
}

}  // namespace

std::optional<PinnedRemote> check_remote(const Source& src, const RemotePolicy& policy) {
  if (!policy.enforce) return std::nullopt;
  if (src.is_local()) throw Error(ErrorKind::BadInput, "local paths and file:// URLs are not accepted here; give a remote git URL");
  Authority a = authority_of(src);
  bool name_chars = !a.host.empty() && a.host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string::npos;
  if (!name_chars && !parse_ip(a.host))
    throw Error(ErrorKind::BadInput, "repository URL '" + src.display + "' does not name a host (letters, digits, '.', '-', or an address)");
  // Through the operator's proxy git connects only to the proxy, which resolves the name itself:
  // only what names an internal place on its face is refused here.
  bool proxied = !proxy_for(src, a.host).empty();
  if (proxied && !parse_ip(a.host)) {
    bool local_name = a.host == "localhost" || (a.host.size() > 10 && a.host.compare(a.host.size() - 10, 10, ".localhost") == 0);
    if (local_name && !allowed_by(policy, a.host, *parse_ip("127.0.0.1")))
      throw Error(ErrorKind::BadInput, "repository host '" + a.host + "' is this host: this server does not clone from there (its operator can allow it with --allow-repo-host)");
    return PinnedRemote{a.host, a.port, {}, true};
  }
  auto addrs = resolve_host(a.host);
  auto mine = local_addresses();
  for (const auto& addr : addrs) {
    if (allowed_by(policy, a.host, addr)) continue;
    std::string cls = address_class(addr);
    if (cls.empty() && std::find(mine.begin(), mine.end(), addr) != mine.end()) cls = "this host's own";
    if (!cls.empty())
      throw Error(ErrorKind::BadInput, "repository host '" + a.host + "' is " + addr.str() + ", a " + cls +
                                           " address: this server does not clone from there (its operator can allow it with --allow-repo-host)");
  }
  return PinnedRemote{a.host, a.port, addrs.front(), false};
}

PinnedGit pin_git(const Source& src, const PinnedRemote& pin) {
  PinnedGit g;
  g.url = src.url;
  std::string literal = pin.addr.v4() ? pin.addr.str() : std::string("[").append(pin.addr.str()).append("]");
  switch (src.kind) {
    case Source::Kind::Https:
    case Source::Kind::Http:
      g.config = {"http.followRedirects=false"};
      if (!pin.proxied && !parse_ip(pin.host)) g.config.push_back("http.curloptResolve=" + pin.host + ":" + std::to_string(pin.port) + ":" + literal);
      break;
    case Source::Kind::Ssh:
      g.ssh_options = "-o HostName=" + pin.addr.str() + " -o HostKeyAlias=" + pin.host;
      break;
    case Source::Kind::Git: {
      Authority a = authority_of(src);
      g.url = src.url.substr(0, a.host_begin) + literal + src.url.substr(a.host_end);
      break;
    }
    default:
      break;
  }
  return g;
}

}  // namespace orch::repo
