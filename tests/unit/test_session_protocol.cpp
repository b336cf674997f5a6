#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/session/protocol.hpp"
#include "core/session/result.hpp"

using namespace orch::session;

namespace {
std::vector<Frame> parse_all(const std::string& bytes, size_t step) {
  FrameParser p;
  std::vector<Frame> out;
  for (size_t i = 0; i < bytes.size(); i += step)
    p.feed(std::string_view(bytes).substr(i, step), [&](Frame&& f) { out.push_back(std::move(f)); });
  CHECK(p.idle());
  return out;
}
}  // namespace

TEST_CASE("frames round-trip across any split") {
  std::string payload("a\nb\0done 3\nxyz", 15);
  std::string wire = encode_frame("out", payload) + encode_frame("err", "") + encode_frame("done", "{}");
  for (size_t step : {1, 2, 3, 7, 1000}) {
    auto frames = parse_all(wire, step);
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].type == "out");
    CHECK(frames[0].payload == payload);
    CHECK(frames[1].type == "err");
    CHECK(frames[1].payload.empty());
    CHECK(frames[2].type == "done");
    CHECK(frames[2].payload == "{}");
  }
}

TEST_CASE("program output cannot forge a frame") {
  // A program printing something that looks like a done frame stays inside its out frame.
  std::string forged = "done 2\n{}";
  auto frames = parse_all(encode_frame("out", forged) + encode_frame("done", "{\"status\":\"ok\"}"), 4);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].type == "out");
  CHECK(frames[0].payload == forged);
}

TEST_CASE("malformed headers are refused") {
  for (std::string bad : std::vector<std::string>{"OUT 1\nx", "out x\n", "out\n", " 1\nx", "out 99999999999999\n", std::string(50, 'a')}) {
    FrameParser p;
    CHECK_THROWS_AS(p.feed(bad, [](Frame&&) {}), orch::Error);
  }
  FrameParser small(10);
  CHECK_THROWS_AS(small.feed("out 11\n", [](Frame&&) {}), orch::Error);
}

TEST_CASE("reply frames build a result") {
  ExecResult r;
  ExecObserver obs;
  ResultBuilder rb(r, obs, 4);
  FrameParser p;
  std::string png = "\x89PNG\r\n";
  std::string wire = encode_frame("out", "hello") + encode_frame("err", "") +
                     encode_frame("display", R"({"data":{"text/plain":"<Figure 1>","image/png":"iVBORw0K"},"main":false,"name":"figure-1.png"})") +
                     encode_frame("display", R"({"data":{"text/plain":"df","text/html":"<table/>"},"main":true})") +
                     encode_frame("error", R"({"name":"ValueError","value":"bad","traceback":"tb"})") +
                     encode_frame("done", R"({"status":"error","exit_code":1,"execution_count":3,"state_lost":false,"pid":9})");
  p.feed(wire, [&](Frame&& f) { rb.on_frame(std::move(f)); });
  CHECK(rb.done());
  rb.finish();
  CHECK(r.stdout_data == "hell");
  CHECK(r.stdout_truncated);
  CHECK(r.status == ExecStatus::Error);
  CHECK(r.exit_code == 1);
  CHECK(r.execution_count == 3);
  REQUIRE(r.error);
  CHECK(r.error->name == "ValueError");
  REQUIRE(r.displays.size() == 2);
  CHECK(r.displays[1].main);
  CHECK(r.displays[1].data.at("text/html") == "<table/>");
  REQUIRE(r.artifacts.size() == 1);
  CHECK(r.artifacts[0].name == "figure-1.png");
  CHECK(r.artifacts[0].mime == "image/png");
  CHECK(r.artifacts[0].data == png);
}

TEST_CASE("a bash kernel reply completes") {
  ExecResult r;
  ExecObserver obs;
  ResultBuilder rb(r, obs, 1 << 20);
  FrameParser p;
  std::string json = R"({"status":"ok","exit_code":0,"execution_count":1,"state_lost":false,"pid":27})";
  std::string wire = "out 3\nhi\nerr 0\ndone " + std::to_string(json.size()) + "\n" + json;
  p.feed(wire.substr(0, 6), [&](Frame&& f) { rb.on_frame(std::move(f)); });
  p.feed(wire.substr(6), [&](Frame&& f) { rb.on_frame(std::move(f)); });
  CHECK(rb.done());
  CHECK(p.idle());
}

TEST_CASE("wrong field types from a kernel are ignored, not fatal") {
  ExecResult r;
  ExecObserver obs;
  ResultBuilder rb(r, obs, 100);
  rb.on_frame(Frame{"done", R"({"status":5,"exit_code":"x"})"});
  rb.on_frame(Frame{"display", "not json"});
  rb.on_frame(Frame{"error", "[1,2]"});
  CHECK(r.displays.empty());
}

TEST_CASE("a streaming caller sees output past the cap that the result does not keep") {
  struct Seen : ExecObserver {
    std::string out, err;
    void on_output(bool is_stderr, std::string_view d) override { (is_stderr ? err : out).append(d); }
  };
  for (bool stream_all : {false, true}) {
    ExecResult r;
    Seen seen;
    ResultBuilder rb(r, seen, 3, stream_all);
    FrameParser p;
    p.feed(encode_frame("out", "hello") + encode_frame("err", "oops") + encode_frame("out", " world") +
               encode_frame("done", R"({"status":"ok"})"),
           [&](Frame&& f) { rb.on_frame(std::move(f)); });
    rb.finish();
    CHECK(r.stdout_data == "hel");
    CHECK(r.stdout_truncated);
    CHECK(seen.out == (stream_all ? "hello world" : "hel"));
    CHECK(seen.err == (stream_all ? "oops" : "oop"));
  }
}
