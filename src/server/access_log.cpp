#include "server/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace orch::server {

namespace {
thread_local std::chrono::steady_clock::time_point t_start{};

std::string iso_now_ms() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}
}  // namespace

std::string route_template(const httplib::Request& req) {
  if (req.matches.empty()) return "(unmatched)";
  std::string out;
  size_t at = 0;
  for (size_t i = 1; i < req.matches.size(); ++i) {
    if (!req.matches[i].matched) continue;
    auto pos = static_cast<size_t>(req.matches.position(i));
    if (pos < at) continue;  // a group nested in one already replaced
    out += req.path.substr(at, pos - at) + (i == 1 ? "{id}" : "{arg" + std::to_string(i) + "}");
    at = pos + static_cast<size_t>(req.matches.length(i));
  }
  return out + req.path.substr(at);
}

void begin_request_timer() { t_start = std::chrono::steady_clock::now(); }

double request_seconds() {
  if (t_start == std::chrono::steady_clock::time_point{}) return 0;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  t_start = {};
  return s;
}

AccessLog::AccessLog(const std::string& target) {
  if (target == "off") return;
  if (target.empty() || target == "-") {
    fd_ = STDERR_FILENO;
    return;
  }
  fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw Error(ErrorKind::BadInput, "--access-log: cannot open " + target + ": " + std::strerror(errno));
}

AccessLog::~AccessLog() {
  if (fd_ > STDERR_FILENO) ::close(fd_);
}

void AccessLog::write(const httplib::Request& req, int status, const std::string& route, const std::string* tenant, double seconds) {
  if (fd_ < 0) return;
  nlohmann::json j = {{"time", iso_now_ms()},
                      {"tenant", tenant ? nlohmann::json(*tenant) : nlohmann::json(nullptr)},
                      {"method", req.method},
                      {"route", route},
                      {"status", status},
                      {"duration_ms", static_cast<double>(static_cast<int64_t>(seconds * 1e4)) / 10.0},
                      {"remote", req.remote_addr}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk or a closed stderr must not fail the request
    off += static_cast<size_t>(n);
  }
}

}  // namespace orch::server
