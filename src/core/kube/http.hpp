#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/kube/stream.hpp"

namespace orch::kube {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string target;  // path and query
  std::string body;
  std::string content_type;
  Headers headers;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

using BodySink = std::function<bool(std::string_view)>;  // false stops reading

std::string serialize(const Request& req, const std::string& host);
// Reads the status line and headers.
Response read_head(Stream& s, Clock::time_point deadline);
// Reads the body (Content-Length, chunked or until close) into the sink, or into r.body without
// one. Returns true when the connection may carry another request.
bool read_body(Stream& s, Response& r, const std::string& method, const BodySink* sink, Clock::time_point deadline,
               size_t max_bytes = 64 << 20);

}  // namespace orch::kube
