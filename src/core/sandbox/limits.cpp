#include "core/sandbox/limits.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/util/shown.hpp"

namespace orch::sandbox {

void check_memory(int64_t bytes) {
  if (bytes < kMinMemory || bytes > kMaxMemory) throw Error::bad_field("memory", "must be between 6m and 64g");
}

void check_cpus(double cpus) {
  if (!(cpus > 0 && cpus <= kMaxCpus)) throw Error::bad_field("cpus", "must be above 0 and at most 256");
}

void check_pids(int64_t pids) {
  if (pids < kMinPids || pids > kMaxPids) throw Error::bad_field("pids", "must be between 8 and 100000");
}

void check_timeout(double seconds) {
  if (!(seconds > 0 && seconds <= kMaxTimeout)) throw Error::bad_field("timeout", "must be above 0 and at most 86400 seconds");
}

void check_output_limit(size_t bytes) {
  if (bytes < 1 || bytes > static_cast<size_t>(kMaxOutputLimit)) throw Error::bad_field("output_limit", "must be between 1 byte and 64m");
}

void check_ttl(int64_t seconds) {
  if (seconds < 1 || seconds > kMaxTtl) throw Error::bad_field("ttl", "must be between 1 second and 30 days");
}

void check_network(const std::string& network, bool session) {
  if (network == "none" || network == "bridge" || network == "lan" || (session && network == "private")) return;
  throw Error::bad_field("network", std::string(session ? "must be none, bridge, lan or private" : "must be none, bridge or lan") +
                                        " (got '" + network.substr(0, 64) + "')");
}

void check_env(const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) throw Error::bad_field("env", "'" + shown(kv) + "' is not KEY=VALUE");
  std::string key = kv.substr(0, eq);
  if (!std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; })) {
    std::replace(key.begin(), key.end(), '\0', '?');  // shown whole: a message ends at a NUL
    throw Error::bad_field("env", "key '" + shown(key) + "' may hold only letters, digits and _");
  }
  if (std::isdigit(static_cast<unsigned char>(key[0]))) throw Error::bad_field("env", "key '" + shown(key) + "' starts with a digit");
  if (kv.find('\0') != std::string::npos) throw Error::bad_field("env", "value holds a NUL byte");
  if (kv.size() >= kMaxArgBytes) throw Error::bad_field("env", "'" + shown(key) + "' is longer than 128 KiB (the kernel's limit)");
}

void check_args(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  size_t total = 0;
  for (const auto& a : args) {
    if (a.find('\0') != std::string::npos) throw Error::bad_field("args", "must not hold a NUL byte");
    if (a.size() >= kMaxArgBytes) throw Error::bad_field("args", "must each be shorter than 128 KiB (the kernel's limit)");
    total += a.size() + 1;
  }
  for (const auto& kv : env) total += kv.size() + 1;
  if (total > kMaxArgsTotal) throw Error::bad_field("args", "and the environment must add up to less than 1 MiB");
}

}  // namespace orch::sandbox
