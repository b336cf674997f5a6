#include "server/auth.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/util/units.hpp"

namespace orch::server {

namespace {
const char* kKeys = "max_concurrent, max_sessions, max_timeout, max_memory, max_pids, max_cpus, github_token, admin";

std::string shown(double d) {
  std::ostringstream o;
  o << d;
  return o.str();
}

// A number in [lo, hi] written whole ("8", "1.5"), or BadInput naming the key.
double number_in(const std::string& v, const std::string& k, double lo, double hi, bool integer = true) {
  char* end = nullptr;
  double d = v.empty() ? 0 : std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= lo && d <= hi) || (integer && d != static_cast<double>(static_cast<int64_t>(d))))
    throw Error(ErrorKind::BadInput, k + " must be " + (integer ? "a whole number" : "a number") + " from " + shown(lo) + " to " +
                                         shown(hi) + ", not '" + v + "'");
  return d;
}
}  // namespace

bool constant_time_equal(const std::string& a, const std::string& b) {
  // Compare over the longer length so timing does not reveal a prefix or the length of a match.
  size_t n = std::max(a.size(), b.size());
  unsigned char diff = static_cast<unsigned char>(a.size() != b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string bearer_token(const std::string& v) {
  if (v.size() > 7 && (v.compare(0, 7, "Bearer ") == 0 || v.compare(0, 7, "bearer ") == 0)) return v.substr(7);
  return "";
}

void TokenStore::load() {
  if (path_.empty()) return;
  std::ifstream in(path_);
  if (!in) throw Error(ErrorKind::BadInput, "cannot read tokens file '" + path_ + "'");
  std::vector<std::pair<std::string, Tenant>> parsed;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ss(line);
    std::string token, tenant, kv;
    if (!(ss >> token)) continue;
    auto where = path_ + ":" + std::to_string(lineno);
    if (!(ss >> tenant)) throw Error(ErrorKind::BadInput, where + ": expected TOKEN TENANT [key=value ...]");
    if (token.size() < 16) throw Error(ErrorKind::BadInput, where + ": tokens must be at least 16 characters");
    Tenant t{tenant, {}, ""};
    while (ss >> kv) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw Error(ErrorKind::BadInput, where + ": '" + kv + "' is not key=value");
      std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      try {
        if (k == "max_concurrent") t.limits.max_concurrent = static_cast<int>(number_in(v, k, 1, 100000));
        else if (k == "max_sessions") t.limits.max_sessions = static_cast<int>(number_in(v, k, 1, 100000));
        else if (k == "max_timeout") t.limits.max_timeout_s = parse_seconds(v, k);
        else if (k == "max_memory") t.limits.max_memory_bytes = parse_bytes(v, k);
        else if (k == "max_pids") t.limits.max_pids = static_cast<int64_t>(number_in(v, k, 8, 100000));
        else if (k == "max_cpus") t.limits.max_cpus = number_in(v, k, 0.01, 256, false);
        else if (k == "github_token") t.github_token = v;
        else if (k == "admin" && (v == "true" || v == "false")) t.admin = v == "true";
        else if (k == "admin") throw Error(ErrorKind::BadInput, "admin must be true or false");
        else throw Error(ErrorKind::BadInput, "unknown key '" + k + "' (" + kKeys + ")");
      } catch (const Error& e) {
        throw Error(ErrorKind::BadInput, where + ": " + e.what());
      }
    }
    parsed.emplace_back(token, t);
  }
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::move(parsed);
}

std::optional<Tenant> TokenStore::authenticate(const std::string& token) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<Tenant> found;
  for (const auto& [t, tenant] : tokens_)
    if (constant_time_equal(t, token) && !found) found = tenant;
  return found;
}

size_t TokenStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_.size();
}

}  // namespace orch::server
