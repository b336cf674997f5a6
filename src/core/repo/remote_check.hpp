#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/repo/source.hpp"
#include "core/util/ip.hpp"

namespace orch::repo {

// Which hosts a clone made on someone else's behalf (the server's repo jobs) may connect to. The
// CLI does not enforce it: a local user may clone whatever they can reach themselves.
struct RemotePolicy {
  bool enforce = false;
  std::vector<std::string> allowed;  // --allow-repo-host: host names, addresses or ranges (10.0.0.0/8)
};

// Where a checked clone connects: the host as named, its port, and the one address git is held to,
// so a second lookup (DNS rebinding) cannot lead it elsewhere; or, through the operator's proxy
// (http_proxy, https_proxy, all_proxy, minus no_proxy), no address: the proxy connects.
struct PinnedRemote {
  std::string host;
  int port = 0;
  IpAddr addr;
  bool proxied = false;
};

// Resolves the source's host once; refuses loopback, link-local, private and special addresses
// and any address of this host itself, unless the policy allows the host or the address. Through
// a proxy only literal addresses and localhost names are checked. Throws
// orch::Error(BadInput) naming the address and its class. nullopt when the policy is not enforced.
std::optional<PinnedRemote> check_remote(const Source& src, const RemotePolicy& policy);

// The git options and URL that hold a clone to the pinned address: curl's resolve list and no
// redirects for http(s), the address as ssh's HostName, the address in the URL for git://.
struct PinnedGit {
  std::vector<std::string> config;  // -c key=value pairs
  std::string url;
  std::string ssh_options;          // appended to the ssh command
};
PinnedGit pin_git(const Source& src, const PinnedRemote& pin);

}  // namespace orch::repo
