#include "core/docker/http.hpp"

#include <strings.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"

namespace orch::docker {

std::string ResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return "";
}

std::string serialize_request(const Request& req, std::string_view host, bool upgrade) {
  std::string out;
  out.reserve(256 + req.body.size());
  out += req.method;
  out += ' ';
  out += req.target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nUser-Agent: orch\r\n";
  if (upgrade) out += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
  if (!req.content_type.empty()) out += "Content-Type: " + req.content_type + "\r\n";
  for (const auto& [k, v] : req.headers) out += k + ": " + v + "\r\n";
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT")
    out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  out += "\r\n";
  out += req.body;
  return out;
}

ResponseHead read_response_head(Conn& conn, Clock::time_point deadline) {
  ResponseHead head;
  std::string status_line = conn.read_line(deadline);
  // "HTTP/1.1 200 OK"
  auto digit = [&status_line](size_t i) { return std::isdigit(static_cast<unsigned char>(status_line[i])) != 0; };
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12 || status_line[8] != ' ' || !digit(9) ||
      !digit(10) || !digit(11) || (status_line.size() > 12 && status_line[12] != ' '))
    throw Error(ErrorKind::Infrastructure, "the Docker engine sent a malformed status line");
  head.status = std::atoi(status_line.c_str() + 9);
  for (int n = 0;; ++n) {
    if (n > 200) throw Error(ErrorKind::Infrastructure, "the Docker engine sent too many headers");
    std::string line = conn.read_line(deadline);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = colon + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
    head.headers.emplace_back(line.substr(0, colon), line.substr(v));
  }
  return head;
}

bool ChunkedDecoder::feed(std::string_view data, const BodySink& sink) {
  size_t i = 0;
  while (i < data.size() && state_ != State::Done) {
    char c = data[i];
    switch (state_) {
      case State::Size:
        if (std::isxdigit(static_cast<unsigned char>(c))) {
          if (remaining_ > (SIZE_MAX >> 4)) return false;
          remaining_ = remaining_ * 16 + static_cast<size_t>(std::isdigit(static_cast<unsigned char>(c))
                                                                 ? c - '0'
                                                                 : (std::tolower(c) - 'a' + 10));
          have_digit_ = true;
        } else if (c == ';' && have_digit_) {
          state_ = State::Ext;
        } else if (c == '\r' && have_digit_) {
          state_ = State::SizeLF;
        } else {
          return false;
        }
        ++i;
        break;
      case State::Ext:
        if (c == '\r') state_ = State::SizeLF;
        ++i;
        break;
      case State::SizeLF:
        if (c != '\n') return false;
        ++i;
        have_digit_ = false;
        if (remaining_ == 0) {
          state_ = State::Trailer;
          trailer_line_empty_ = true;
        } else {
          state_ = State::Data;
        }
        break;
      case State::Data: {
        size_t k = std::min(remaining_, data.size() - i);
        if (!stopped_ && !sink(data.substr(i, k))) stopped_ = true;
        remaining_ -= k;
        i += k;
        if (remaining_ == 0) state_ = State::DataCR;
        break;
      }
      case State::DataCR:
        if (c != '\r') return false;
        state_ = State::DataLF;
        ++i;
        break;
      case State::DataLF:
        if (c != '\n') return false;
        state_ = State::Size;
        ++i;
        break;
      case State::Trailer:
        if (c == '\r') {
          state_ = State::TrailerLF;
        } else {
          trailer_line_empty_ = false;
        }
        ++i;
        break;
      case State::TrailerLF:
        if (c != '\n') return false;
        ++i;
        if (trailer_line_empty_) {
          state_ = State::Done;
        } else {
          trailer_line_empty_ = true;
          state_ = State::Trailer;
        }
        break;
      case State::Done:
        break;
    }
  }
  return true;
}

bool read_body(Conn& conn, const ResponseHead& head, const std::string& method, const BodySink& sink,
               Clock::time_point deadline) {
  if (method == "HEAD" || head.status == 204 || head.status == 304 || (head.status >= 100 && head.status < 200))
    return true;
  char buf[65536];
  std::string te = head.header("Transfer-Encoding");
  for (auto& c : te) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // tokens are case-insensitive
  if (te.find("chunked") != std::string::npos) {
    ChunkedDecoder dec;
    while (!dec.done()) {
      long n = conn.read_some(buf, sizeof buf, deadline);
      if (n < 0) throw Error(ErrorKind::Timeout, "the Docker engine did not finish its answer in time");
      if (n == 0) throw Error(ErrorKind::Unavailable, "the Docker engine closed the connection mid-response");
      if (!dec.feed(std::string_view(buf, static_cast<size_t>(n)), sink))
        throw Error(ErrorKind::Infrastructure, "the Docker engine sent malformed chunked data");
      if (dec.stopped()) return false;
    }
    return !conn.has_buffered();
  }
  std::string cl = head.header("Content-Length");
  if (!cl.empty()) {
    size_t left = std::strtoull(cl.c_str(), nullptr, 10);
    while (left > 0) {
      long n = conn.read_some(buf, std::min(left, sizeof buf), deadline);
      if (n < 0) throw Error(ErrorKind::Timeout, "the Docker engine did not finish its answer in time");
      if (n == 0) throw Error(ErrorKind::Unavailable, "the Docker engine closed the connection mid-response");
      left -= static_cast<size_t>(n);
      if (!sink(std::string_view(buf, static_cast<size_t>(n)))) return false;
    }
    return true;
  }
  for (;;) {
    long n = conn.read_some(buf, sizeof buf, deadline);
    if (n < 0) throw Error(ErrorKind::Timeout, "the Docker engine did not finish its answer in time");
    if (n == 0) return false;
    if (!sink(std::string_view(buf, static_cast<size_t>(n)))) return false;
  }
}

}  // namespace orch::docker
