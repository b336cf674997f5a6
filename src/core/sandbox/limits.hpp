#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace orch::sandbox {

// The bounds of what a caller may ask for: the same for the CLI, orch's API and the compatible
// APIs (a server may cap lower, per server or per tenant). Each check throws BadInput whose
// Error::field() is the field's API name and whose message starts with it, so the CLI can name
// its flag instead ("memory must be between 6m and 64g").
inline constexpr int64_t kMinMemory = 6LL << 20;
inline constexpr int64_t kMaxMemory = 64LL << 30;
inline constexpr double kMaxCpus = 256;
inline constexpr int64_t kMinPids = 8;
inline constexpr int64_t kMaxPids = 100000;
inline constexpr double kMaxTimeout = 24 * 3600;
inline constexpr int64_t kMaxOutputLimit = 64LL << 20;
inline constexpr int64_t kMaxTtl = 30LL * 24 * 3600;

void check_memory(int64_t bytes);
void check_cpus(double cpus);
void check_pids(int64_t pids);
void check_timeout(double seconds);
void check_output_limit(size_t bytes);  // bytes kept per output stream
void check_ttl(int64_t seconds);
// A run's network is none, bridge or lan; a session's may also be private (its own internal network).
void check_network(const std::string& network, bool session);
// Each argument or KEY=VALUE under the kernel's 128 KiB, all of them under 1 MiB (exec's limit is
// a quarter of the stack, at least 2 MiB less what the engine adds).
inline constexpr size_t kMaxArgBytes = 128 << 10;
inline constexpr size_t kMaxArgsTotal = 1 << 20;
void check_env(const std::string& kv);  // KEY=VALUE with a key of letters, digits and _, not starting with a digit
void check_args(const std::vector<std::string>& args, const std::vector<std::string>& env);  // no NUL; the sizes above

}  // namespace orch::sandbox
