#include "core/util/json_writer.hpp"

#include <algorithm>

#include "core/util/base64.hpp"

namespace orch {

using nlohmann::json;

namespace {
constexpr size_t kSlice = 48 << 10;  // a multiple of 3, so base64 slices join without padding
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

size_t utf8_slice_end(std::string_view b, size_t want) {
  want = std::max<size_t>(want, 4);
  if (want >= b.size()) return b.size();
  // Before a byte that cannot continue a sequence, a decoder that was mid-sequence rejects and
  // restarts there, as it does at the end of a slice. After four continuation bytes in a row no
  // sequence is open any more.
  for (size_t q = want; q + 3 >= want && q > 0; --q)
    if (!continuation(b[q])) return q;
  return want + 1;
}

json* JsonTree::place() {
  if (open_.empty()) return &root_;
  json& top = *open_.back();
  if (top.is_array()) {
    top.push_back(nullptr);
    return &top.back();
  }
  return &top[key_];
}

void JsonTree::begin_object() {
  json* p = place();
  *p = json::object();
  open_.push_back(p);
}

void JsonTree::begin_array() {
  json* p = place();
  *p = json::array();
  open_.push_back(p);
}

void JsonTree::end() { open_.pop_back(); }
void JsonTree::key(std::string_view k) { key_ = std::string(k); }
void JsonTree::value(json v) { *place() = std::move(v); }
void JsonTree::base64(std::string_view bytes) { value(base64_encode(bytes)); }

void JsonStream::put(std::string_view s) {
  out_.append(s);
  if (out_.size() >= buffer_) flush();
}

bool JsonStream::flush() {
  if (ok_ && !out_.empty() && !sink_(out_)) ok_ = false;
  out_.clear();
  return ok_;
}

void JsonStream::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_) put(",");
  first_ = false;
}

void JsonStream::open(char c) {
  separate();
  put(std::string_view(&c, 1));
  closers_.push_back(c == '{' ? '}' : ']');
  first_ = true;
}

void JsonStream::end() {
  char c = closers_.back();
  closers_.pop_back();
  put(std::string_view(&c, 1));
  first_ = false;
}

void JsonStream::key(std::string_view k) {
  separate();
  put(json(std::string(k)).dump(-1, ' ', false, json::error_handler_t::replace));
  put(":");
  after_key_ = true;
}

void JsonStream::value(const json& v) {
  separate();
  put(v.dump(-1, ' ', false, json::error_handler_t::replace));
}

void JsonStream::text(std::string_view bytes, std::string_view more) {
  separate();
  put("\"");
  std::string slice;
  while (ok_ && (!bytes.empty() || !more.empty())) {
    size_t n = utf8_slice_end(bytes, kSlice);
    slice.assign(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (bytes.empty() && !more.empty()) {  // the second part starts where the first one ends
      size_t m = utf8_slice_end(more, kSlice);
      slice.append(more.substr(0, m));
      more.remove_prefix(m);
      bytes.swap(more);
    }
    std::string escaped = json(slice).dump(-1, ' ', false, json::error_handler_t::replace);
    put(std::string_view(escaped).substr(1, escaped.size() - 2));
  }
  put("\"");
}

void JsonStream::base64(std::string_view bytes) {
  separate();
  put("\"");
  for (size_t at = 0; ok_ && at < bytes.size(); at += kSlice) put(base64_encode(bytes.substr(at, kSlice)));
  put("\"");
}

}  // namespace orch
