#pragma once
#include <chrono>
#include <mutex>
#include <string>

#include <httplib.h>

namespace orch::server {

// The route a request matched as its template (/v1/sessions/{id}/exec): the captured parts of the
// path become {id}, {arg2}, ...; "(unmatched)" when no route matched (404, or refused before routing).
std::string route_template(const httplib::Request& req);

// Times the request handled on this thread: begin() when routing starts, seconds() when it is answered.
void begin_request_timer();
double request_seconds();

// One JSON line per request (time, tenant, method, route, status, duration): never a header, a query or a body.
class AccessLog {
 public:
  // "off", "-" (stderr) or a file appended to.
  explicit AccessLog(const std::string& target);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;
  void write(const httplib::Request& req, int status, const std::string& route, const std::string* tenant, double seconds);

 private:
  std::mutex mu_;
  int fd_ = -1;
};

}  // namespace orch::server
