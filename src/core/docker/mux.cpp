#include "core/docker/mux.hpp"

namespace orch::docker {

bool Demuxer::feed(std::string_view data) {
  while (!data.empty()) {
    if (remaining_ > 0) {
      size_t k = std::min(remaining_, data.size());
      sink_(current_, data.substr(0, k));
      remaining_ -= k;
      data.remove_prefix(k);
      continue;
    }
    size_t k = std::min<size_t>(8 - header_len_, data.size());
    for (size_t i = 0; i < k; ++i) header_[header_len_ + i] = static_cast<unsigned char>(data[i]);
    header_len_ += k;
    data.remove_prefix(k);
    if (header_len_ < 8) return true;
    header_len_ = 0;
    if (header_[0] > 3 || header_[1] || header_[2] || header_[3]) return false;
    current_ = static_cast<StreamId>(header_[0]);
    remaining_ = (size_t{header_[4]} << 24) | (size_t{header_[5]} << 16) | (size_t{header_[6]} << 8) | header_[7];
  }
  return true;
}

std::string encode_frame(StreamId stream, std::string_view payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  uint32_t n = static_cast<uint32_t>(payload.size());
  out[4] = static_cast<char>((n >> 24) & 0xff);
  out[5] = static_cast<char>((n >> 16) & 0xff);
  out[6] = static_cast<char>((n >> 8) & 0xff);
  out[7] = static_cast<char>(n & 0xff);
  out.append(payload);
  return out;
}

}  // namespace orch::docker
