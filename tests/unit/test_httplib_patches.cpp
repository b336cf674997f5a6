// The orch patches to cpp-httplib (third_party/httplib/VERSION lists them), each against a real
// httplib server on loopback, spoken to in raw bytes.
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tcp_counts.hpp"

namespace {

using Clock = std::chrono::steady_clock;

class PatchedServer {
 public:
  PatchedServer() {
    svr_.set_payload_max_length(1 << 20);
    svr_.set_read_timeout(5, 0);
    svr_.set_keep_alive_timeout(5);
    svr_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!req.has_header("X-Deny")) return httplib::Server::HandlerResponse::Unhandled;
      res.status = 401;
      return httplib::Server::HandlerResponse::Handled;
    });
    svr_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("size=" + std::to_string(req.body.size()) + " params=" + std::to_string(req.params.size()) +
                          " x=" + req.get_header_value("X-Test") + " END",
                      "text/plain");
    });
    svr_.Get("/ok", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~PatchedServer() {
    svr_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
};

// One raw connection: what was sent, what came back, and whether the server closed it.
class Raw {
 public:
  explicit Raw(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~Raw() { ::close(fd_); }
  void send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close before it has read everything
      off += static_cast<size_t>(n);
    }
  }
  // Reads until `want` appears in what came back, the server closes, or the time is up.
  std::string read_until(const std::string& want, int ms = 3000) {
    auto end = Clock::now() + std::chrono::milliseconds(ms);
    while (got_.find(want) == std::string::npos && !closed_) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) break;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) closed_ = true;
      else got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
  }
  // The status of the first answer (0 when none came).
  int status() {
    read_until("\r\n\r\n");
    if (got_.rfind("HTTP/1.1 ", 0) != 0 || got_.size() < 12) return 0;
    return std::stoi(got_.substr(9, 3));
  }
  bool closed_by_server(int ms = 2000) {
    read_until("\x01never", ms);
    return closed_;
  }
  const std::string& got() const { return got_; }
  void forget() { got_.clear(); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string got_;
  bool closed_ = false;
};

int status_of(int port, const std::string& request) {
  Raw c(port);
  c.send(request);
  return c.status();
}

std::string post(const std::string& headers, const std::string& body) {
  return "POST /echo HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("httplib patch: bodies without a length are capped, and a refused body closes") {
  PatchedServer s;
  Raw c(s.port());
  std::string chunk(64 << 10, 'a');
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 20; ++i) c.send("10000\r\n" + chunk + "\r\n");
  CHECK(c.status() == 413);
  CHECK(c.closed_by_server());
}

TEST_CASE("httplib patch: a long request line is 414 without reading it") {
  PatchedServer s;
  Raw c(s.port());
  auto t0 = Clock::now();
  c.send("GET /" + std::string(64 << 10, 'a'));  // no newline, and the client stays
  CHECK(c.status() == 414);
  CHECK(c.closed_by_server());
  CHECK(Clock::now() - t0 < std::chrono::seconds(2));
  CHECK(status_of(s.port(), "GET /ok?" + std::string(8000, 'q') + " HTTP/1.1\r\nHost: x\r\n\r\n") == 200);
}

TEST_CASE("httplib patch: header caps are 431") {
  PatchedServer s;
  CHECK(status_of(s.port(), "GET /ok HTTP/1.1\r\nX-Big: " + std::string(9000, 'b')) == 431);  // no line end needed
  std::string many, big, fine;
  for (int i = 0; i < 101; ++i) many += "X-H" + std::to_string(i) + ": 1\r\n";
  for (int i = 0; i < 70; ++i) big += "X-H" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
  for (int i = 0; i < 50; ++i) fine += "X-H" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
  CHECK(status_of(s.port(), "GET /ok HTTP/1.1\r\nHost: x\r\n" + many + "\r\n") == 431);
  CHECK(status_of(s.port(), "GET /ok HTTP/1.1\r\nHost: x\r\n" + big + "\r\n") == 431);
  CHECK(status_of(s.port(), "GET /ok HTTP/1.1\r\nHost: x\r\n" + fine + "\r\n") == 200);
}

TEST_CASE("httplib patch: loose header syntax is 400") {
  PatchedServer s;
  for (std::string h :
       std::initializer_list<std::string>{"Transfer-Encoding : chunked\r\n", "X Y: 1\r\n", "X-A: 1\n", "X-A: a\rb\r\n", " folded: 1\r\n",
                                          "no colon\r\n", ": empty name\r\n", std::string("X-A: a\0b\r\n", 10)}) {
    CAPTURE(h);
    Raw c(s.port());
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\n" + h + "Content-Length: 2\r\n\r\n{}");
    CHECK(c.status() == 400);
    CHECK(c.closed_by_server());
  }
  Raw c(s.port());
  c.send(post("X-Test: %41\r\n", "{}"));
  CHECK(c.read_until("END").find("x=%41 END") != std::string::npos);  // values are kept as sent
}

TEST_CASE("httplib patch: ambiguous framing is 400, too long is 413 before 100 Continue") {
  PatchedServer s;
  auto p = s.port();
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x") == 400);
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}") == 200);
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}") == 400);
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}") == 400);
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}") == 400);
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(status_of(p, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(status_of(p, "POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
  for (std::string len : {"99999999999999999999999", "2097152"}) {
    CAPTURE(len);
    Raw c(p);
    auto t0 = Clock::now();
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + len + "\r\n\r\n");  // and no body
    CHECK(c.status() == 413);
    CHECK(c.closed_by_server());
    CHECK(Clock::now() - t0 < std::chrono::seconds(2));
  }
  Raw big(p);
  big.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 52428800\r\n\r\n");
  CHECK(big.status() == 413);
  CHECK(big.got().find("100 Continue") == std::string::npos);
  Raw small(p);  // control: a body within the cap is invited
  small.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  CHECK(small.status() == 100);
}

TEST_CASE("httplib patch: chunk lines are strict") {
  PatchedServer s;
  auto chunked = [](const std::string& body) { return "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body; };
  CHECK(status_of(s.port(), chunked("0x2\r\n{}\r\n0\r\n\r\n")) == 400);
  CHECK(status_of(s.port(), chunked(" 2\r\n{}\r\n0\r\n\r\n")) == 400);
  CHECK(status_of(s.port(), chunked("2" + std::string(5000, ' ') + "\r\n{}\r\n0\r\n\r\n")) == 400);
  CHECK(status_of(s.port(), chunked("2\r\n{}XX0\r\n\r\n")) == 400);
  CHECK(status_of(s.port(), chunked("1000000000000000\r\n")) == 400);
  Raw c(s.port());
  c.send(chunked("2;ext=1\r\n{}\r\n1\r\n \r\n0\r\n\r\n"));
  CHECK(c.status() == 200);
  CHECK(c.read_until("END").find("size=3 ") != std::string::npos);
}

TEST_CASE("httplib patch: no length means no body, and keep-alive still works") {
  PatchedServer s;
  Raw c(s.port());
  auto t0 = Clock::now();
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(c.status() == 200);
  CHECK(c.read_until("END").find("size=0 ") != std::string::npos);
  CHECK(Clock::now() - t0 < std::chrono::seconds(2));
  c.forget();
  c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(c.status() == 200);
  CHECK(!c.closed_by_server(300));
}

TEST_CASE("httplib patch: an unread body closes the connection") {
  PatchedServer s;
  std::string smuggled = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
  Raw denied(s.port());
  denied.send("POST /echo HTTP/1.1\r\nHost: x\r\nX-Deny: 1\r\nContent-Length: " + std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
  CHECK(denied.status() == 401);
  CHECK(denied.closed_by_server());
  CHECK(denied.got().find("\r\n\r\nok") == std::string::npos);  // the body was not taken for a request
  Raw get(s.port());
  get.send("GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
  CHECK(get.status() == 200);
  CHECK(get.closed_by_server());
}

TEST_CASE("httplib patch: form bodies are plain bodies") {
  PatchedServer s;
  Raw big(s.port());
  big.send(post("Content-Type: application/x-www-form-urlencoded\r\n", "{\"code\":\"" + std::string(100000, 'x') + "\"}"));
  CHECK(big.status() == 200);
  CHECK(big.read_until("END").find("size=100011 params=0") != std::string::npos);
  Raw form(s.port());
  form.send(post("Content-Type: application/x-www-form-urlencoded\r\n", "a=1&b=2"));
  CHECK(form.read_until("END").find("size=7 params=0") != std::string::npos);
}

TEST_CASE("httplib patch: a handler sees its client leave") {
  httplib::Server svr;
  std::atomic<int> seen{-1};  // -1: waiting, 0: the client stayed, 1: it left
  svr.Get("/wait", [&seen](const httplib::Request& req, httplib::Response& res) {
    auto end = Clock::now() + std::chrono::milliseconds(req.has_param("short") ? 300 : 5000);
    while (Clock::now() < end && !req.is_connection_closed()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = req.is_connection_closed() ? 1 : 0;
    res.set_content("done", "text/plain");
  });
  int port = svr.bind_to_any_port("127.0.0.1");
  std::thread t([&svr] { svr.listen_after_bind(); });
  while (!svr.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  {  // a client that waits, with a second request already sent behind the first, has not left
    Raw stays(port);
    std::string req = "GET /wait?short=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    stays.send(req + req);
    stays.read_until("done");
    CHECK(seen == 0);
  }
  seen = -1;
  auto t0 = Clock::now();
  {
    Raw leaves(port);
    leaves.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  while (seen == -1 && Clock::now() - t0 < std::chrono::seconds(6)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(seen == 1);
  CHECK(Clock::now() - t0 < std::chrono::seconds(3));
  svr.stop();
  t.join();
}

TEST_CASE("httplib patch: a small answer's headers and body come in one segment, a large one's in several") {
  httplib::Server svr;
  svr.set_tcp_nodelay(true);  // as orch serve: every write leaves at once, in its own segment
  std::string large(256 << 10, 'x');
  svr.Get("/small", [](const httplib::Request&, httplib::Response& res) { res.set_content(std::string(4000, 's'), "text/plain"); });
  svr.Get("/large", [&large](const httplib::Request&, httplib::Response& res) { res.set_content(large, "text/plain"); });
  int port = svr.bind_to_any_port("127.0.0.1");
  std::thread t([&svr] { svr.listen_after_bind(); });
  while (!svr.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Raw c(port);
  for (int i = 0; i < 3; ++i) {  // on one kept connection, as a client that sends request after request
    int64_t before = orch::testing::data_segments_in(c.fd());
    REQUIRE(before >= 0);
    c.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n");
    c.read_until(std::string(4000, 's'));
    REQUIRE(c.got().find(std::string(4000, 's')) != std::string::npos);
    CHECK(orch::testing::data_segments_in(c.fd()) - before == 1);
    c.forget();
  }
  int64_t before = orch::testing::data_segments_in(c.fd());
  c.send("GET /large HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(c.read_until(large).find(large) != std::string::npos);
  CHECK(orch::testing::data_segments_in(c.fd()) - before > 1);  // the count sees every segment
  svr.stop();
  t.join();
}

TEST_CASE("httplib patch: an idle keep-alive connection does not wake its thread") {
  httplib::Server svr;
  svr.set_keep_alive_timeout(5);
  svr.Get("/ok", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  int port = svr.bind_to_any_port("127.0.0.1");
  std::thread t([&svr] { svr.listen_after_bind(); });
  while (!svr.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Every thread's voluntary switches: a thread that polls in a loop switches at each wait.
  auto switches = [] {
    int64_t n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream f(task.path() / "status");
      std::string line;
      while (std::getline(f, line))
        if (line.rfind("voluntary_ctxt_switches:", 0) == 0) n += std::stoll(line.substr(24));
    }
    return n;
  };
  Raw c(port);
  c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(c.read_until("ok").find("\r\n\r\nok") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int64_t before = switches();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(switches() - before < 10);  // one loop of 11 ms made ~55 in this time
  c.forget();
  c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");  // and the connection still serves
  CHECK(c.read_until("ok").find("\r\n\r\nok") != std::string::npos);
  svr.stop();
  t.join();
}

TEST_CASE("httplib patch: pipelined requests are all answered") {
  PatchedServer s;
  Raw c(s.port());
  // Three requests in one write, the second with a body: each answered, in order, at once.
  auto t0 = Clock::now();
  c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n" + post("X-Test: two\r\n", "abc") + "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answers = [&c] {
    size_t n = 0;
    for (size_t at = c.got().find("HTTP/1.1 200"); at != std::string::npos; at = c.got().find("HTTP/1.1 200", at + 1)) ++n;
    return n;
  };
  while (answers() < 3 && Clock::now() - t0 < std::chrono::seconds(3)) c.read_until("\x01never", 100);
  const std::string& got = c.got();
  REQUIRE(answers() == 3);
  size_t first = got.find("\r\n\r\nok"), second = got.find("size=3 params=0 x=two END"), third = got.find("\r\n\r\nok", first + 1);
  CHECK(first < second);
  CHECK(second < third);
  CHECK(third != std::string::npos);
  CHECK(Clock::now() - t0 < std::chrono::seconds(2));
  CHECK_FALSE(c.closed_by_server(200));
}

TEST_CASE("httplib patch: slow clients wait in the gate, not in the workers") {
  httplib::Server svr;
  svr.new_task_queue = [] { return new httplib::ThreadPool(2); };
  svr.set_read_timeout(2, 0);
  svr.set_keep_alive_timeout(3);
  svr.Get("/ok",
          [](const httplib::Request& req, httplib::Response& res) { res.set_content("ok" + req.get_header_value("X-N"), "text/plain"); });
  svr.Post("/echo", [](const httplib::Request& req, httplib::Response& res) { res.set_content("got " + req.body, "text/plain"); });
  int port = svr.bind_to_any_port("127.0.0.1");
  std::thread t([&svr] { svr.listen_after_bind(); });
  while (!svr.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  // Two workers, and more connections than that holding them the ways a slow client can: a head
  // trickled a line at a time, a small body trickled, an idle keep-alive connection, a connection
  // that sends nothing, and a whole request followed by half of the next in one write.
  std::vector<std::unique_ptr<Raw>> trickled;
  for (int i = 0; i < 3; ++i) {
    trickled.push_back(std::make_unique<Raw>(port));
    trickled.back()->send("GET /ok HTTP/1.1\r\nHost: x\r\n");
  }
  Raw body(port);
  body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
  Raw idle(port);
  idle.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(idle.read_until("\r\n\r\nok").find("\r\n\r\nok") != std::string::npos);
  Raw silent(port);
  Raw pipelined(port);
  pipelined.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nX-N: 2\r\n");
  REQUIRE(pipelined.read_until("\r\n\r\nok").find("\r\n\r\nok") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (auto& c : trickled) c->send("X-Slow: 1\r\n");

  // Meanwhile a new client is served at once (it waited for a read timeout before).
  auto t0 = Clock::now();
  Raw fresh(port);
  fresh.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-N: 1\r\n\r\n");
  CHECK(fresh.read_until("ok1").find("\r\n\r\nok1") != std::string::npos);
  CHECK(Clock::now() - t0 < std::chrono::milliseconds(500));

  // The slow ones are served when their requests are whole, from where they left off.
  trickled[0]->send("X-N: 0\r\n\r\n");
  CHECK(trickled[0]->read_until("ok0").find("\r\n\r\nok0") != std::string::npos);
  body.send("def");
  CHECK(body.read_until("got abcdef").find("got abcdef") != std::string::npos);
  pipelined.forget();
  pipelined.send("Host: x\r\n\r\n");
  CHECK(pipelined.read_until("ok2").find("\r\n\r\nok2") != std::string::npos);
  idle.forget();
  idle.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-N: 3\r\n\r\n");
  CHECK(idle.read_until("ok3").find("\r\n\r\nok3") != std::string::npos);

  // A head not whole within the read timeout is answered 408 and closed; a connection that sends
  // nothing is closed after the keep-alive timeout, without an answer.
  CHECK(trickled[1]->status() == 408);
  CHECK(trickled[1]->closed_by_server(1000));
  CHECK(silent.closed_by_server(3000));
  CHECK(silent.got().empty());

  svr.stop();
  t.join();
}
