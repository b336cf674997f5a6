#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/docker/conn.hpp"

namespace orch::docker {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string target;        // path and query, e.g. /containers/json?all=1
  std::string body;
  std::string content_type;  // empty: no Content-Type header
  Headers headers;
};

struct ResponseHead {
  int status = 0;
  Headers headers;
  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

struct Response : ResponseHead {
  std::string body;
};

// Receives body bytes as they arrive; returning false stops reading (the connection is then not reused).
using BodySink = std::function<bool(std::string_view)>;

std::string serialize_request(const Request& req, std::string_view host, bool upgrade);
ResponseHead read_response_head(Conn& conn, Clock::time_point deadline);

// Reads a body framed by Content-Length, chunked encoding, or connection close.
// Returns true when the body ended cleanly and the connection may be reused.
bool read_body(Conn& conn, const ResponseHead& head, const std::string& method, const BodySink& sink,
               Clock::time_point deadline);

// Incremental decoder for chunked transfer encoding, usable on any byte source.
class ChunkedDecoder {
 public:
  // Feeds bytes; decoded data goes to sink. Returns false if the framing is invalid.
  bool feed(std::string_view data, const BodySink& sink);
  bool done() const { return state_ == State::Done; }
  bool stopped() const { return stopped_; }

 private:
  enum class State { Size, Ext, SizeLF, Data, DataCR, DataLF, Trailer, TrailerLF, Done };
  State state_ = State::Size;
  size_t remaining_ = 0;
  bool have_digit_ = false;
  bool trailer_line_empty_ = true;
  bool stopped_ = false;
};

}  // namespace orch::docker
