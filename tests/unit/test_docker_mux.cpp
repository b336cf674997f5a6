#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include "core/docker/mux.hpp"

using namespace orch::docker;

namespace {

struct Streams {
  std::map<StreamId, std::string> bytes;
  int calls = 0;
};

Demuxer::Sink collect(Streams& s) {
  return [&s](StreamId id, std::string_view d) {
    s.bytes[id].append(d);
    ++s.calls;
  };
}

std::string payload(size_t n, unsigned seed) {
  std::string out(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// A stream with every kind of frame: stdout, stderr, system, zero-length, NUL-heavy binary.
struct Sample {
  std::string wire;
  std::string out, err, sys;
  Sample() {
    auto add = [this](StreamId id, const std::string& p) {
      wire += encode_frame(id, p);
      (id == StreamId::Stdout ? out : id == StreamId::Stderr ? err : sys) += p;
    };
    add(StreamId::Stdout, "hello\n");
    add(StreamId::Stderr, "warning: x\n");
    add(StreamId::Stdout, "");
    add(StreamId::Stdout, payload(300, 1));
    add(StreamId::Stderr, std::string(5, '\0'));
    add(StreamId::System, "boom");
    add(StreamId::Stdout, "tail");
  }
};

}  // namespace

TEST_CASE("encode_frame: header layout") {
  std::string f = encode_frame(StreamId::Stderr, "abc");
  CHECK(f == std::string("\x02\x00\x00\x00\x00\x00\x00\x03" "abc", 11));
  std::string big = encode_frame(StreamId::Stdout, std::string(0x01020304, 'x'));
  CHECK(big.size() == 8 + 0x01020304);
  CHECK(static_cast<unsigned char>(big[0]) == 0x01);
  CHECK(static_cast<unsigned char>(big[4]) == 0x01);
  CHECK(static_cast<unsigned char>(big[5]) == 0x02);
  CHECK(static_cast<unsigned char>(big[6]) == 0x03);
  CHECK(static_cast<unsigned char>(big[7]) == 0x04);
  CHECK(encode_frame(StreamId::Stdout, "") == std::string("\x01\0\0\0\0\0\0\0", 8));
}

TEST_CASE("Demuxer: whole stream in one feed") {
  Sample s;
  Streams got;
  Demuxer d(collect(got));
  CHECK(d.feed(s.wire));
  CHECK(d.at_frame_boundary());
  CHECK(got.bytes[StreamId::Stdout] == s.out);
  CHECK(got.bytes[StreamId::Stderr] == s.err);
  CHECK(got.bytes[StreamId::System] == s.sys);
  CHECK(got.bytes.count(StreamId::Stdin) == 0);
}

TEST_CASE("Demuxer: byte by byte") {
  Sample s;
  Streams got;
  Demuxer d(collect(got));
  for (size_t i = 0; i < s.wire.size(); ++i) {
    REQUIRE(d.feed(std::string_view(s.wire).substr(i, 1)));
  }
  CHECK(d.at_frame_boundary());
  CHECK(got.bytes[StreamId::Stdout] == s.out);
  CHECK(got.bytes[StreamId::Stderr] == s.err);
  CHECK(got.bytes[StreamId::System] == s.sys);
}

TEST_CASE("Demuxer: random chunk sizes") {
  Sample s;
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    Streams got;
    Demuxer d(collect(got));
    size_t off = 0;
    while (off < s.wire.size()) {
      size_t n = std::uniform_int_distribution<size_t>(0, 40)(rng);
      REQUIRE(d.feed(std::string_view(s.wire).substr(off, n)));
      off += n;
    }
    CAPTURE(round);
    REQUIRE(got.bytes[StreamId::Stdout] == s.out);
    REQUIRE(got.bytes[StreamId::Stderr] == s.err);
    REQUIRE(got.bytes[StreamId::System] == s.sys);
  }
}

TEST_CASE("Demuxer: split at every single boundary") {
  Sample s;
  std::string_view w(s.wire);
  for (size_t i = 0; i <= w.size(); ++i) {
    Streams got;
    Demuxer d(collect(got));
    REQUIRE(d.feed(w.substr(0, i)));
    CHECK(d.at_frame_boundary() == (i == 0 || i == w.size() || i == 14 || i == 33 || i == 41 || i == 349 ||
                                    i == 362 || i == 374));
    REQUIRE(d.feed(w.substr(i)));
    CAPTURE(i);
    REQUIRE(got.bytes[StreamId::Stdout] == s.out);
    REQUIRE(got.bytes[StreamId::Stderr] == s.err);
  }
}

TEST_CASE("Demuxer: zero-length frames call no sink") {
  Streams got;
  Demuxer d(collect(got));
  CHECK(d.feed(encode_frame(StreamId::Stdout, "") + encode_frame(StreamId::Stderr, "")));
  CHECK(got.calls == 0);
  CHECK(d.at_frame_boundary());
  CHECK(d.feed(encode_frame(StreamId::Stdout, "x")));
  CHECK(got.calls == 1);
  CHECK(got.bytes[StreamId::Stdout] == "x");
}

TEST_CASE("Demuxer: invalid headers are rejected") {
  for (std::string bad : {std::string("\x04\0\0\0\0\0\0\x01x", 9), std::string("\x01\x01\0\0\0\0\0\x01x", 9),
                          std::string("\x01\0\0\x07\0\0\0\x01x", 9), std::string("Hello, world!")}) {
    Streams got;
    Demuxer d(collect(got));
    CHECK_FALSE(d.feed(bad));
    CHECK(got.calls == 0);
  }
  // A valid frame followed by garbage delivers the frame, then fails.
  Streams got;
  Demuxer d(collect(got));
  CHECK_FALSE(d.feed(encode_frame(StreamId::Stdout, "ok") + "garbage!"));
  CHECK(got.bytes[StreamId::Stdout] == "ok");
}

TEST_CASE("Demuxer: large frames (over 64 KiB) delivered piecewise without loss") {
  std::string a = payload(70000, 7), b = payload((1 << 20) + 13, 8);
  std::string wire = encode_frame(StreamId::Stdout, a) + encode_frame(StreamId::Stderr, b) +
                     encode_frame(StreamId::Stdout, "end");
  Streams got;
  Demuxer d(collect(got));
  for (size_t off = 0; off < wire.size(); off += 65536) REQUIRE(d.feed(std::string_view(wire).substr(off, 65536)));
  CHECK(d.at_frame_boundary());
  CHECK(got.bytes[StreamId::Stdout].size() == a.size() + 3);
  CHECK(got.bytes[StreamId::Stdout] == a + "end");
  CHECK(got.bytes[StreamId::Stderr] == b);
}

TEST_CASE("Demuxer: partial header at end is not a boundary") {
  Streams got;
  Demuxer d(collect(got));
  std::string f = encode_frame(StreamId::Stdout, "abc");
  CHECK(d.feed(f.substr(0, 5)));
  CHECK_FALSE(d.at_frame_boundary());
  CHECK(d.feed(f.substr(5, 4)));
  CHECK_FALSE(d.at_frame_boundary());
  CHECK(got.bytes[StreamId::Stdout] == "a");
  CHECK(d.feed(f.substr(9)));
  CHECK(d.at_frame_boundary());
  CHECK(got.bytes[StreamId::Stdout] == "abc");
}
