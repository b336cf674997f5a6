#include "core/session/protocol.hpp"

#include "core/error.hpp"

namespace orch::session {

namespace {
constexpr size_t kMaxHeader = 40;

[[noreturn]] void malformed(const std::string& why) {
  throw Error(ErrorKind::Infrastructure, "the session kernel sent a malformed reply (" + why + ")");
}
}  // namespace

std::string encode_frame(std::string_view type, std::string_view payload) {
  std::string out;
  out.reserve(type.size() + 24 + payload.size());
  out.append(type);
  out += ' ';
  out += std::to_string(payload.size());
  out += '\n';
  out.append(payload);
  return out;
}

void FrameParser::feed(std::string_view data, const std::function<void(Frame&&)>& on_frame) {
  while (!data.empty()) {
    if (in_payload_) {
      size_t k = std::min(remaining_, data.size());
      current_.payload.append(data.substr(0, k));
      remaining_ -= k;
      data.remove_prefix(k);
      if (remaining_ == 0) {
        in_payload_ = false;
        on_frame(std::move(current_));
        current_ = Frame{};
      }
      continue;
    }
    size_t nl = data.find('\n');
    size_t take = nl == std::string_view::npos ? data.size() : nl;
    if (header_.size() + take > kMaxHeader) malformed("header too long");
    header_.append(data.substr(0, take));
    if (nl == std::string_view::npos) return;
    data.remove_prefix(nl + 1);
    size_t sp = header_.find(' ');
    if (sp == std::string::npos || sp == 0 || sp > 16) malformed("no frame type");
    for (size_t i = 0; i < sp; ++i)
      if (header_[i] < 'a' || header_[i] > 'z') malformed("bad frame type");
    std::string digits = header_.substr(sp + 1);
    if (digits.empty() || digits.size() > 12) malformed("bad frame length");
    size_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') malformed("bad frame length");
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (n > max_payload_) malformed("frame of " + std::to_string(n) + " bytes is over the limit");
    current_.type = header_.substr(0, sp);
    header_.clear();
    remaining_ = n;
    in_payload_ = true;
    if (n == 0) {
      in_payload_ = false;
      on_frame(std::move(current_));
      current_ = Frame{};
    }
  }
}

}  // namespace orch::session
