#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include "core/sandbox/run.hpp"
#include "core/util/json_writer.hpp"

using namespace orch;
using nlohmann::json;

namespace {

// Writes one document with a small buffer, so that the slices and flushes are exercised.
template <class F>
std::string streamed(F&& write, size_t buffer = 7, size_t* largest = nullptr) {
  std::string out;
  size_t most = 0;
  {
    JsonStream w(
        [&](std::string_view s) {
          out.append(s);
          most = std::max(most, s.size());
          return true;
        },
        buffer);
    write(w);
  }
  if (largest) *largest = most;
  return out;
}

std::string escaped_by_nlohmann(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }
std::string escaped_by_nlohmann_doc(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

TEST_CASE("JsonStream: text is escaped exactly as nlohmann's replace dump, whatever the slices") {
  std::mt19937 rng(7);
  const std::string alphabet[] = {
      "a",    "\x01", "\"",   "\\",       "\n",           "\xc3\xa9",         "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
      "\xff", "\x80", "\xc3", "\xe4\xb8", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf"};
  for (int round = 0; round < 40; ++round) {
    std::string s;
    size_t len = 1000 + rng() % 200000;
    while (s.size() < len) s += alphabet[rng() % std::size(alphabet)];
    CAPTURE(round);
    CHECK(streamed([&](JsonStream& w) { w.text(s); }) == escaped_by_nlohmann(s));
    size_t cut = rng() % s.size();
    CHECK(streamed([&](JsonStream& w) { w.text(s.substr(0, cut), s.substr(cut)); }) == escaped_by_nlohmann(s));
  }
  std::string conts(100000, '\x80');  // no byte where a sequence could start
  CHECK(streamed([&](JsonStream& w) { w.text(conts); }) == escaped_by_nlohmann(conts));
}

TEST_CASE("JsonStream: a document is the same as the tree's dump, written in bounded pieces") {
  sandbox::RunResult r;
  r.run_id = "r-1";
  r.status = sandbox::RunStatus::Ok;
  r.exit_code = 0;
  r.stdout_data = std::string(3 << 20, '\x01');  // six bytes each once escaped
  r.stderr_data = std::string("\xff\xfe") + std::string(100000, 'e');
  r.artifacts.push_back({"out/a.bin", std::string(200000, '\0'), ""});
  size_t largest = 0;
  std::string text = streamed([&](JsonStream& w) { sandbox::write_json(w, r, true); }, 64 << 10, &largest);
  json j = json::parse(text);
  CHECK(j == json::parse(escaped_by_nlohmann_doc(sandbox::to_json(r, true))));
  CHECK(text.size() > (18 << 20));
  CHECK(largest <= (64 << 10) + 6 * (48 << 10));  // the buffer and one escaped slice, never the whole
  CHECK(j["stdout_binary"] == false);
  CHECK(j["stderr_binary"] == true);
  CHECK(j["stderr_base64"].get<std::string>().size() == (r.stderr_data.size() + 2) / 3 * 4);
  CHECK(j["artifacts"][0]["size"] == 200000);
}

TEST_CASE("JsonStream: nesting, separators and a sink that went away") {
  std::string text = streamed([](JsonStream& w) {
    w.begin_object();
    json_field(w, "a", 1);
    w.key("list");
    w.begin_array();
    w.value("x");
    w.begin_object();
    w.end();
    w.base64("hi");
    w.end();
    w.key("t");
    w.text("");
    w.end();
  });
  CHECK(text == R"({"a":1,"list":["x",{},"aGk="],"t":""})");
  int calls = 0;
  JsonStream w(
      [&](std::string_view) {
        ++calls;
        return false;
      },
      4);
  w.begin_array();
  w.text(std::string(100, 'x'));
  w.text(std::string(100, 'y'));
  CHECK(!w.ok());
  CHECK(calls == 1);  // nothing more is offered once the reader is gone
}

TEST_CASE("utf8_slice_end never cuts inside a sequence") {
  std::string s =
      "ab\xe4\xb8\xad"
      "cd";
  CHECK(utf8_slice_end(s, 100) == s.size());
  CHECK(utf8_slice_end(s, 4) == 2);  // before the lead byte
  CHECK(utf8_slice_end(s, 5) == 5);  // before 'c'
  std::string conts(20, '\x80');
  CHECK(utf8_slice_end(conts, 10) == 11);  // four continuation bytes before: no sequence is open
}
