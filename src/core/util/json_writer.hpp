#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch {

// Two ways to write one JSON document from the same code: JsonTree builds an nlohmann::json,
// JsonStream writes the text to a sink piece by piece. Large strings (program output, file bytes)
// go through text() and base64(), which a JsonStream escapes or encodes a slice at a time, so the
// escaped form of a large value is never held whole (escaping can make it six times larger).
class JsonTree {
 public:
  void begin_object();
  void begin_array();
  void end();  // closes the innermost object or array
  void key(std::string_view k);
  void value(nlohmann::json v);
  void text(std::string_view bytes, std::string_view more = {}) { value(std::string(bytes).append(more)); }
  void base64(std::string_view bytes);
  nlohmann::json take() { return std::move(root_); }

 private:
  nlohmann::json* place();
  nlohmann::json root_;
  std::vector<nlohmann::json*> open_;
  std::string key_;
};

class JsonStream {
 public:
  // The sink returns false when the reader went away; everything after that is dropped.
  using Sink = std::function<bool(std::string_view)>;
  explicit JsonStream(Sink sink, size_t buffer = 64 << 10) : sink_(std::move(sink)), buffer_(buffer) {}
  ~JsonStream() { flush(); }
  void begin_object() { open('{'); }
  void begin_array() { open('['); }
  void end();
  void key(std::string_view k);
  void value(const nlohmann::json& v);
  // A JSON string of the bytes (then `more`); bytes that are not UTF-8 become U+FFFD as nlohmann's
  // dump with error_handler_t::replace makes them (a sequence cut between the two parts included).
  void text(std::string_view bytes, std::string_view more = {});
  void base64(std::string_view bytes);
  // Sends what is buffered; false once the sink refused.
  bool flush();
  bool ok() const { return ok_; }

 private:
  void open(char c);
  void separate();
  void put(std::string_view s);
  Sink sink_;
  size_t buffer_;
  std::string out_;
  std::vector<char> closers_;
  bool first_ = true, after_key_ = false, ok_ = true;
};

// A key and a small value, for either writer.
template <class W, class V>
void json_field(W& w, const char* key, V&& v) {
  w.key(key);
  w.value(std::forward<V>(v));
}

// Every key and value of a small object.
template <class W>
void json_fields(W& w, const nlohmann::json& object) {
  for (const auto& [k, v] : object.items()) json_field(w, k.c_str(), v);
}

// A key and bytes written as JSON text (large ones are fine).
template <class W>
void json_text(W& w, const char* key, std::string_view bytes) {
  w.key(key);
  w.text(bytes);
}

// Where a slice of `bytes` may end at or just before `want` so that escaping the slices one by one
// gives the same text as escaping the whole (never inside a UTF-8 sequence a decoder would keep).
size_t utf8_slice_end(std::string_view bytes, size_t want);

}  // namespace orch
