#include <doctest/doctest.h>

#include <random>
#include <string>

#include "core/sandbox/capture.hpp"
#include "core/sandbox/run.hpp"
#include "core/util/tar.hpp"

using namespace orch::sandbox;
namespace tar = orch::tar;

namespace {

const std::string kMarker = "\n--ORCH-OUT-5f3a9c--\n";

struct Split {
  std::string normal;
  std::string trailer;
  bool found = false;
  bool truncated = false;
};

Split split(const std::vector<std::string_view>& pieces, size_t cap = 1 << 20) {
  Split s;
  MarkerSplitter m(kMarker, cap, [&s](std::string_view d) { s.normal.append(d); });
  for (auto p : pieces) m.feed(p);
  m.finish();
  s.trailer = m.trailer();
  s.found = m.found();
  s.truncated = m.trailer_truncated();
  return s;
}

std::vector<std::string_view> bytes_of(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size(); ++i) out.push_back(s.substr(i, 1));
  return out;
}

}  // namespace

TEST_CASE("CappedBuffer keeps the first cap bytes and flags the rest") {
  CappedBuffer b(10);
  CHECK(b.append("hello") == "hello");
  CHECK_FALSE(b.truncated);
  CHECK(b.append("world") == "world");
  CHECK_FALSE(b.truncated);
  CHECK(b.append("!") == "");
  CHECK(b.truncated);
  CHECK(b.data == "helloworld");

  CappedBuffer c(4);
  CHECK(c.append("abcdef") == "abcd");
  CHECK(c.truncated);
  CHECK(c.append("gh") == "");
  CHECK(c.data == "abcd");

  CappedBuffer z(0);
  CHECK(z.append("x") == "");
  CHECK(z.truncated);
  CHECK(z.append("") == "");
}

TEST_CASE("MarkerSplitter: no marker passes everything through") {
  std::string text = "line 1\nline 2\n--ORCH-OUT-5f3a9c-\n";  // a near miss at the end
  Split whole = split({text});
  CHECK(whole.normal == text);
  CHECK_FALSE(whole.found);
  CHECK(whole.trailer.empty());
  Split bytes = split(bytes_of(text));
  CHECK(bytes.normal == text);
  CHECK_FALSE(bytes.found);
}

TEST_CASE("MarkerSplitter: holds back only a possible marker prefix") {
  std::string got;
  MarkerSplitter m(kMarker, 100, [&got](std::string_view d) { got.append(d); });
  m.feed("output\n--ORCH");
  CHECK(got == "output");  // "\n--ORCH" could begin the marker
  m.feed("ESTRA");
  CHECK(got == "output\n--ORCHESTRA");
  m.feed("\n--ORCH-OUT-5f3a9c--");
  CHECK(got == "output\n--ORCHESTRA");
  m.finish();
  CHECK(got == "output\n--ORCHESTRA\n--ORCH-OUT-5f3a9c--");
  CHECK_FALSE(m.found());
}

TEST_CASE("MarkerSplitter: marker split across every byte boundary") {
  std::string out = "result: 42\n";
  std::string tar = std::string("TARDATA\0\0\x01", 10) + "more";
  std::string stream = out + kMarker + tar;
  for (size_t i = 0; i <= stream.size(); ++i) {
    Split s = split({std::string_view(stream).substr(0, i), std::string_view(stream).substr(i)});
    CAPTURE(i);
    REQUIRE(s.normal == out);
    REQUIRE(s.trailer == tar);
    REQUIRE(s.found);
  }
  for (size_t i = 0; i <= stream.size(); ++i) {
    for (size_t j = i; j <= stream.size(); ++j) {
      std::string_view v(stream);
      Split s = split({v.substr(0, i), v.substr(i, j - i), v.substr(j)});
      if (s.normal != out || s.trailer != tar) {
        CAPTURE(i);
        CAPTURE(j);
        CHECK(s.normal == out);
        CHECK(s.trailer == tar);
      }
    }
  }
  Split bytes = split(bytes_of(stream));
  CHECK(bytes.normal == out);
  CHECK(bytes.trailer == tar);
}

TEST_CASE("MarkerSplitter: the program printing the marker itself is output") {
  std::string printed = "before" + kMarker + "between";
  std::string stream = printed + kMarker + "TAR";
  for (size_t i = 0; i <= stream.size(); ++i) {
    Split s = split({std::string_view(stream).substr(0, i), std::string_view(stream).substr(i)});
    CAPTURE(i);
    REQUIRE(s.normal == printed);
    REQUIRE(s.trailer == "TAR");
    REQUIRE(s.found);
  }
  Split bytes = split(bytes_of(stream));
  CHECK(bytes.normal == printed);
  CHECK(bytes.trailer == "TAR");
  // Printed twice by the program, then the real one.
  std::string twice = "a" + kMarker + "b" + kMarker + "c";
  Split t = split(bytes_of(twice + kMarker + "T"));
  CHECK(t.normal == twice);
  CHECK(t.trailer == "T");
}

TEST_CASE("MarkerSplitter: marker at the very start and an empty trailer") {
  Split s = split({kMarker});
  CHECK(s.found);
  CHECK(s.normal.empty());
  CHECK(s.trailer.empty());
  Split t = split({"x", kMarker});
  CHECK(t.normal == "x");
  CHECK(t.found);
}

TEST_CASE("MarkerSplitter: the trailer is capped") {
  std::string tar(1000, 't');
  Split s = split({"out" + kMarker, tar.substr(0, 300), tar.substr(300)}, 512);
  CHECK(s.normal == "out");
  CHECK(s.trailer == tar.substr(0, 512));
  CHECK(s.truncated);
  Split exact = split({"out" + kMarker + tar.substr(0, 512)}, 512);
  CHECK(exact.trailer.size() == 512);
  CHECK_FALSE(exact.truncated);
}

TEST_CASE("MarkerSplitter: random chunking of a long stream") {
  std::string out;
  for (int i = 0; i < 2000; ++i) out += "row " + std::to_string(i) + " --ORCH-OUT-\n";
  std::string tar(5000, '\0');
  for (size_t i = 0; i < tar.size(); ++i) tar[i] = static_cast<char>(i % 253);
  std::string stream = out + kMarker + tar;
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string_view> pieces;
    for (size_t off = 0; off < stream.size();) {
      size_t n = std::uniform_int_distribution<size_t>(1, 64)(rng);
      pieces.push_back(std::string_view(stream).substr(off, n));
      off += n;
    }
    Split s = split(pieces);
    CAPTURE(round);
    REQUIRE(s.normal == out);
    REQUIRE(s.trailer == tar);
  }
}

TEST_CASE("tar's exit status behind the --out archive flags files tar could not archive") {
  tar::Writer w;
  w.add_file("workspace/out/top.txt", "top");
  std::string archive = w.finish();
  RunPlan plan;
  plan.collect_out = true;
  RunResult ok;
  read_artifacts(archive + std::string(kTarStatusTag) + "0\x1e", false, plan, ok);
  REQUIRE(ok.artifacts.size() == 1);
  CHECK(ok.artifacts[0].path == "top.txt");
  CHECK_FALSE(ok.artifacts_truncated);
  CHECK(ok.artifacts_skipped.empty());

  RunResult failed;
  read_artifacts(archive + std::string(kTarStatusTag) + "2\x1e", false, plan, failed);
  CHECK(failed.artifacts.size() == 1);
  CHECK(failed.artifacts_truncated);
  REQUIRE(failed.artifacts_skipped.size() == 1);
  CHECK(failed.artifacts_skipped[0].reason.find("exit 2") != std::string::npos);

  RunResult old;  // no status (a sandbox whose /workspace/out vanished, or an older boot script)
  read_artifacts(archive, false, plan, old);
  CHECK_FALSE(old.artifacts_truncated);
}
