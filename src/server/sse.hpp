#pragma once
#include <chrono>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/sandbox/run.hpp"

namespace orch::server {

bool wants_sse(const httplib::Request& req);
std::string sse_event(const std::string& event, const nlohmann::json& data);

// Streams output events through an httplib DataSink; a failed write means the client left.
class SseObserver : public sandbox::Observer {
 public:
  explicit SseObserver(httplib::DataSink& sink) : sink_(sink) {}
  void on_output(bool is_stderr, std::string_view d) override;
  // Also sends a comment line now and then, which notices a client that went away.
  bool cancelled() override;
  // False once the client has gone.
  bool write(std::string_view s);
  bool gone() const { return gone_; }

 private:
  httplib::DataSink& sink_;
  bool gone_ = false;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace orch::server
