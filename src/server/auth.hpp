#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace orch::server {

// Per-tenant limits from the tokens file (key=value after TOKEN TENANT); 0 = the server's default.
struct TenantLimits {
  int max_concurrent = 0;  // runs and execs in flight
  int max_sessions = 0;
  double max_timeout_s = 0;
  int64_t max_memory_bytes = 0;
  int64_t max_pids = 0;
  double max_cpus = 0;
};

struct Tenant {
  std::string name;
  TenantLimits limits;
  std::string github_token;  // credentials for this tenant's repository clones ("" = none)
  bool admin = false;        // `admin=true` on its line: may build and register templates (POST /build-image, /v1/templates)
};

// Bearer tokens from a file: `TOKEN TENANT [key=value ...]` per line, `#` comments. Reloadable.
class TokenStore {
 public:
  // Without a file every request is the tenant "local" (the same as the CLI) and no token is needed.
  explicit TokenStore(std::string path = "") : path_(std::move(path)) {}
  void load();          // throws orch::Error(BadInput) naming the line on a malformed file
  bool enabled() const { return !path_.empty(); }
  // Constant-time comparison against every token; nullopt when none matches.
  std::optional<Tenant> authenticate(const std::string& token) const;
  size_t size() const;

 private:
  std::string path_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Tenant>> tokens_;
};

// The token from an "Authorization: Bearer X" header value, or "".
std::string bearer_token(const std::string& header_value);
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace orch::server
