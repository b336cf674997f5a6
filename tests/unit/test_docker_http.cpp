#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/docker/http.hpp"
#include "core/error.hpp"
#include "helpers.hpp"

using namespace orch;
using namespace orch::docker;

namespace {

// One end is a Conn under test; the test writes the peer's bytes into the other end.
struct SocketPair {
  std::unique_ptr<Conn> conn;
  int peer = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    conn = std::make_unique<Conn>(fds[0]);
    peer = fds[1];
  }
  ~SocketPair() { close_peer(); }
  void send(std::string_view data) const {
    while (!data.empty()) {
      ssize_t n = ::write(peer, data.data(), data.size());
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  void close_peer() {
    if (peer >= 0) ::close(peer);
    peer = -1;
  }
};

Clock::time_point soon() { return Clock::now() + std::chrono::seconds(5); }

struct Collected {
  std::string body;
  bool reusable = false;
};

Collected read_all(Conn& conn, const ResponseHead& head, const std::string& method = "GET") {
  Collected c;
  c.reusable = read_body(conn, head, method, [&c](std::string_view d) { c.body.append(d); return true; }, soon());
  return c;
}

std::string decode_chunked(const std::vector<std::string_view>& pieces, bool* ok = nullptr) {
  ChunkedDecoder dec;
  std::string out;
  bool good = true;
  for (auto p : pieces) good = good && dec.feed(p, [&out](std::string_view d) { out.append(d); return true; });
  if (ok) *ok = good && dec.done();
  return out;
}

const std::string kWiki =
    "4;name=value\r\nWiki\r\n"
    "5\r\npedia\r\n"
    "E\r\n in\r\n\r\nchunks.\r\n"
    "0\r\n"
    "X-Trailer: one\r\n"
    "X-Other: two\r\n"
    "\r\n";
const std::string kWikiBody = "Wikipedia in\r\n\r\nchunks.";

}  // namespace

TEST_CASE("serialize_request: GET has request line, Host, no body framing") {
  Request req;
  req.target = "/v1.41/containers/json?all=1";
  std::string wire = serialize_request(req, "docker", false);
  CHECK(wire == "GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: docker\r\nUser-Agent: orch\r\n\r\n");
}

TEST_CASE("serialize_request: POST and PUT with empty body still send Content-Length: 0") {
  for (const char* method : {"POST", "PUT"}) {
    Request req;
    req.method = method;
    req.target = "/v1.41/containers/abc/start";
    std::string wire = serialize_request(req, "docker", false);
    CHECK(wire.rfind(std::string(method) + " /v1.41/containers/abc/start HTTP/1.1\r\n", 0) == 0);
    CHECK(wire.find("Content-Length: 0\r\n") != std::string::npos);
    CHECK(wire.size() >= 4);
    CHECK(wire.substr(wire.size() - 4) == "\r\n\r\n");
  }
  Request del;
  del.method = "DELETE";
  del.target = "/v1.41/containers/abc";
  CHECK(serialize_request(del, "docker", false).find("Content-Length") == std::string::npos);
}

TEST_CASE("serialize_request: body, content type, extra headers, upgrade") {
  Request req;
  req.method = "POST";
  req.target = "/v1.43/exec/e1/start";
  req.body = R"({"Detach":false})";
  req.content_type = "application/json";
  req.headers.emplace_back("X-Registry-Auth", "e30=");
  std::string wire = serialize_request(req, "10.0.0.1:2375", true);
  CHECK(wire ==
        "POST /v1.43/exec/e1/start HTTP/1.1\r\nHost: 10.0.0.1:2375\r\nUser-Agent: orch\r\n"
        "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nX-Registry-Auth: e30=\r\n"
        "Content-Length: 16\r\n\r\n{\"Detach\":false}");
  CHECK(serialize_request(req, "docker", false).find("Upgrade") == std::string::npos);
}

TEST_CASE("read_response_head: status, headers with case-insensitive lookup") {
  SocketPair sp;
  sp.send("HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\ncontent-type:application/json\r\nX-Empty:\r\n"
          "X-Spaces: \t padded\r\nno colon here\r\n\r\nrest");
  ResponseHead head = read_response_head(*sp.conn, soon());
  CHECK(head.status == 201);
  CHECK(head.headers.size() == 4);
  CHECK(head.header("api-version") == "1.41");
  CHECK(head.header("API-VERSION") == "1.41");
  CHECK(head.header("Content-Type") == "application/json");
  CHECK(head.header("X-Empty") == "");
  CHECK(head.header("X-Spaces") == "padded");
  CHECK(head.header("Missing") == "");
  CHECK(sp.conn->has_buffered());  // "rest" stays for the body reader
}

TEST_CASE("read_response_head: malformed status lines are orch::Error") {
  for (const char* line : {"HTTP/1.1 2\r\n\r\n", "FOO/1.1 200 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n",
                           "\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20x OK\r\n\r\n"}) {
    CAPTURE(std::string(line));
    SocketPair sp;
    sp.send(line);
    CHECK(orch::testing::error_kind_of([&] { read_response_head(*sp.conn, soon()); }) == ErrorKind::Infrastructure);
  }
}

TEST_CASE("read_response_head: status without reason phrase, EOF before the head") {
  {
    SocketPair sp;
    sp.send("HTTP/1.1 204\r\n\r\n");
    CHECK(read_response_head(*sp.conn, soon()).status == 204);
  }
  {
    SocketPair sp;
    sp.send("HTTP/1.1 200 OK\r\nServer: x");
    sp.close_peer();
    CHECK(orch::testing::error_kind_of([&] { read_response_head(*sp.conn, soon()); }) == ErrorKind::Unavailable);
  }
  {
    SocketPair sp;  // nothing arrives before the deadline
    CHECK(orch::testing::error_kind_of([&] { read_response_head(*sp.conn, Clock::now() + std::chrono::milliseconds(50)); }) ==
          ErrorKind::Timeout);
  }
}

TEST_CASE("read_body: Content-Length leaves the next response intact on a kept-alive connection") {
  SocketPair sp;
  sp.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\n"
          "{\"m\":\"gone\"}");
  ResponseHead first = read_response_head(*sp.conn, soon());
  Collected a = read_all(*sp.conn, first);
  CHECK(a.body == "hello");
  CHECK(a.reusable);
  ResponseHead second = read_response_head(*sp.conn, soon());
  CHECK(second.status == 404);
  Collected b = read_all(*sp.conn, second);
  CHECK(b.body == "{\"m\":\"gone\"}");
  CHECK(b.reusable);
}

TEST_CASE("read_body: Content-Length cut short by the peer is Unavailable") {
  SocketPair sp;
  sp.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
  sp.close_peer();
  ResponseHead head = read_response_head(*sp.conn, soon());
  CHECK(orch::testing::error_kind_of([&] { read_all(*sp.conn, head); }) == ErrorKind::Unavailable);
}

TEST_CASE("read_body: no body for HEAD, 204, 304") {
  for (int status : {204, 304}) {
    SocketPair sp;
    sp.send("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 3\r\n\r\n");
    ResponseHead head = read_response_head(*sp.conn, soon());
    Collected c = read_all(*sp.conn, head);
    CHECK(c.body.empty());
    CHECK(c.reusable);
  }
  SocketPair sp;
  sp.send("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  ResponseHead head = read_response_head(*sp.conn, soon());
  Collected c = read_all(*sp.conn, head, "HEAD");
  CHECK(c.body.empty());
  CHECK(c.reusable);
}

TEST_CASE("read_body: until-close body is not reusable") {
  SocketPair sp;
  std::string big(200000, 'z');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] {
    sp.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
    sp.send(big);
    sp.close_peer();
  });
  ResponseHead head = read_response_head(*sp.conn, soon());
  Collected c = read_all(*sp.conn, head);
  writer.join();
  CHECK(c.body == big);
  CHECK_FALSE(c.reusable);
}

TEST_CASE("read_body: chunked with extensions and trailers") {
  SocketPair sp;
  sp.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + kWiki);
  ResponseHead head = read_response_head(*sp.conn, soon());
  Collected c = read_all(*sp.conn, head);
  CHECK(c.body == kWikiBody);
  CHECK(c.reusable);
}

TEST_CASE("read_body: chunked token is case-insensitive") {
  SocketPair sp;
  sp.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ResponseHead head = read_response_head(*sp.conn, soon());
  Collected c = read_all(*sp.conn, head);
  CHECK(c.body == "abc");
  CHECK(c.reusable);
}

TEST_CASE("read_body: chunked body arriving in small writes, large chunks") {
  SocketPair sp;
  std::string payload;
  for (int i = 0; i < 150000; ++i) payload += static_cast<char>(i * 31 % 251);
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[16];
  std::snprintf(size, sizeof size, "%zX\r\n", payload.size() - 1000);
  wire += size + payload.substr(0, payload.size() - 1000) + "\r\n3e8\r\n" + payload.substr(payload.size() - 1000) +
          "\r\n0\r\n\r\n";
  std::thread writer([&] {
    for (size_t off = 0; off < wire.size(); off += 4093) {
      sp.send(std::string_view(wire).substr(off, 4093));
      if (off < 20000) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  ResponseHead head = read_response_head(*sp.conn, soon());
  Collected c = read_all(*sp.conn, head);
  writer.join();
  CHECK(c.body.size() == payload.size());
  CHECK(c.body == payload);
  CHECK(c.reusable);
}

TEST_CASE("read_body: invalid chunked data is Infrastructure, early EOF is Unavailable") {
  for (const char* bad : {"zz\r\nab\r\n0\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n", "3\nabc\r\n0\r\n\r\n", ";x\r\n"}) {
    CAPTURE(std::string(bad));
    SocketPair sp;
    sp.send(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + bad);
    ResponseHead head = read_response_head(*sp.conn, soon());
    CHECK(orch::testing::error_kind_of([&] { read_all(*sp.conn, head); }) == ErrorKind::Infrastructure);
  }
  SocketPair sp;
  sp.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
  sp.close_peer();
  ResponseHead head = read_response_head(*sp.conn, soon());
  CHECK(orch::testing::error_kind_of([&] { read_all(*sp.conn, head); }) == ErrorKind::Unavailable);
}

TEST_CASE("read_body: a sink that stops makes the connection not reusable") {
  SocketPair sp;
  sp.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + kWiki);
  ResponseHead head = read_response_head(*sp.conn, soon());
  std::string got;
  bool reusable = read_body(*sp.conn, head, "GET", [&got](std::string_view d) { got.append(d); return false; }, soon());
  CHECK_FALSE(reusable);
  CHECK(got == "Wiki");
}

TEST_CASE("ChunkedDecoder: one byte at a time") {
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < kWiki.size(); ++i) bytes.push_back(std::string_view(kWiki).substr(i, 1));
  bool ok = false;
  CHECK(decode_chunked(bytes, &ok) == kWikiBody);
  CHECK(ok);
}

TEST_CASE("ChunkedDecoder: split at every pair of byte boundaries") {
  std::string_view w(kWiki);
  for (size_t i = 0; i <= w.size(); ++i) {
    for (size_t j = i; j <= w.size(); ++j) {
      bool ok = false;
      std::string out = decode_chunked({w.substr(0, i), w.substr(i, j - i), w.substr(j)}, &ok);
      if (out != kWikiBody || !ok) {
        CAPTURE(i);
        CAPTURE(j);
        CHECK(out == kWikiBody);
        CHECK(ok);
      }
    }
  }
  CHECK(true);
}

TEST_CASE("ChunkedDecoder: not done before the final empty line, ignores bytes after it") {
  ChunkedDecoder dec;
  std::string out;
  auto sink = [&out](std::string_view d) { out.append(d); return true; };
  CHECK(dec.feed("2\r\nhi\r\n0\r\n", sink));
  CHECK_FALSE(dec.done());
  CHECK(dec.feed("\r\nHTTP/1.1 200 OK", sink));
  CHECK(dec.done());
  CHECK(out == "hi");
}

TEST_CASE("ChunkedDecoder: uppercase and lowercase hex sizes, invalid input") {
  std::string body(0xAb, 'q');
  bool ok = false;
  CHECK(decode_chunked({"aB\r\n", body, "\r\n0\r\n\r\n"}, &ok) == body);
  CHECK(ok);
  for (const char* bad : {"g\r\n", "\r\n", "-1\r\n", "1\r\nab\r\n", "1\rx", "0\r\n\rx"}) {
    CAPTURE(std::string(bad));
    decode_chunked({bad}, &ok);
    CHECK_FALSE(ok);
  }
  ChunkedDecoder dec;
  CHECK_FALSE(dec.feed("fffffffffffffffffffff\r\n", [](std::string_view) { return true; }));
}
