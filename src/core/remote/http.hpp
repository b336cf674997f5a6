#pragma once
#include <httplib.h>

#include <optional>
#include <string>

#include "core/remote/client.hpp"

namespace orch::remote {

std::string base_url(const ServerAddress& s);
// A client for the server with its timeouts; throws BadInput for https without TLS support.
std::unique_ptr<httplib::Client> make_client(const ServerAddress& s, double read_timeout_s);
httplib::Headers auth_headers(const ServerAddress& s);
// Turns a server's error answer ({"error": {code, message}}) into the matching orch::Error.
[[noreturn]] void throw_for(int status, const std::string& body, const ServerAddress& s);
[[noreturn]] void unreachable(const ServerAddress& s, httplib::Error err);

// POSTs JSON asking for server-sent events: stdout and stderr events reach the observer as they
// arrive. Returns the "result" event's object, or nullopt when the observer cancelled (the server
// sees the stream close); an error answer or "error" event throws the matching orch::Error.
std::optional<nlohmann::json> post_sse(const ServerAddress& s, const std::string& path, const std::string& body,
                                       double read_timeout_s, sandbox::Observer& obs);

// Splits a server-sent event stream into (event, data) pairs as bytes arrive.
struct SseParser {
  std::string buf;
  template <typename F>
  void feed(const char* d, size_t n, F&& on_event) {
    buf.append(d, n);
    for (size_t end; (end = buf.find("\n\n")) != std::string::npos;) {
      std::string block = buf.substr(0, end);
      buf.erase(0, end + 2);
      std::string event, data;
      size_t pos = 0;
      while (pos <= block.size()) {
        size_t nl = block.find('\n', pos);
        std::string line = block.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.rfind("event: ", 0) == 0) event = line.substr(7);
        if (line.rfind("data: ", 0) == 0) data += line.substr(6);
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
      if (!event.empty()) on_event(event, data);
    }
  }
};


}  // namespace orch::remote
