// The Kubernetes client against in-process servers on 127.0.0.1: a TLS one (httplib) for
// certificates and tokens, a raw one for HTTP framing and the WebSocket channel protocol.
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/docker/conn.hpp"
#include "core/error.hpp"
#include "core/kube/client.hpp"
#include "core/kube/engine.hpp"

using namespace orch;
using namespace orch::kube;
using nlohmann::json;

namespace {

std::string tls_file(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../fixtures/kube/tls" / name).string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One connection at a time, each handled by `handler` on the raw socket.
class RawServer {
 public:
  explicit RawServer(std::function<void(docker::Conn&)> handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        docker::Conn conn(c);
        try {
          handler_(conn);
        } catch (const std::exception&) {
        }
      }
    });
  }
  ~RawServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
  std::function<void(docker::Conn&)> handler_;
  std::thread thread_;
};

auto forever() { return docker::Clock::now() + std::chrono::seconds(10); }

std::map<std::string, std::string> read_request(docker::Conn& c, std::string& first_line) {
  first_line = c.read_line(forever());
  std::map<std::string, std::string> h;
  for (std::string l; !(l = c.read_line(forever())).empty();) h[l.substr(0, l.find(':'))] = l.substr(l.find(':') + 2);
  return h;
}

std::string server_frame(int op, const std::string& payload, bool fin = true) {
  std::string f{static_cast<char>((fin ? 0x80 : 0) | op)};
  if (payload.size() < 126) {
    f += static_cast<char>(payload.size());
  } else {
    f += static_cast<char>(126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xFF);
  }
  return f + payload;
}

// A frame from the client: checks the mask bit and unmasks.
std::pair<int, std::string> client_frame(docker::Conn& c) {
  std::string h;
  c.read_exact(h, 2, forever());
  CHECK((static_cast<unsigned char>(h[1]) & 0x80) != 0);
  size_t len = static_cast<unsigned char>(h[1]) & 0x7F;
  if (len == 126) {
    std::string ext;
    c.read_exact(ext, 2, forever());
    len = (static_cast<unsigned char>(ext[0]) << 8) | static_cast<unsigned char>(ext[1]);
  }
  std::string mask, data;
  c.read_exact(mask, 4, forever());
  c.read_exact(data, len, forever());
  for (size_t i = 0; i < len; ++i) data[i] = static_cast<char>(data[i] ^ mask[i % 4]);
  return {static_cast<unsigned char>(h[0]) & 0x0F, data};
}

std::string ch(int channel, const std::string& data) { return std::string(1, static_cast<char>(channel)) + data; }

}  // namespace

TEST_CASE("websocket_accept follows RFC 6455's example") {
  CHECK(websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("encode_frame masks the payload and picks the length encoding") {
  const unsigned char mask[4] = {1, 2, 3, 4};
  std::string f = encode_frame(WebSocket::Binary, "abc", mask);
  CHECK(f == std::string("\x82\x83\x01\x02\x03\x04") + std::string{'a' ^ 1, 'b' ^ 2, 'c' ^ 3});
  CHECK(encode_frame(WebSocket::Binary, std::string(300, 'x'), mask).substr(0, 4) == std::string("\x82\xfe\x01\x2c", 4));
  std::string big = encode_frame(WebSocket::Binary, std::string(70000, 'x'), mask);
  CHECK(big.substr(0, 10) == std::string("\x82\xff\x00\x00\x00\x00\x00\x01\x11\x70", 10));
}

TEST_CASE("exit_code_from_status reads Success, NonZeroExitCode and other failures") {
  std::string why;
  CHECK(exit_code_from_status(json::parse(R"({"metadata":{},"status":"Success"})"), why) == 0);
  auto nonzero = json::parse(R"({"status":"Failure","reason":"NonZeroExitCode","message":"exit code 3",
                                 "details":{"causes":[{"reason":"ExitCode","message":"3"}]}})");
  CHECK(exit_code_from_status(nonzero, why) == 3);
  CHECK_FALSE(exit_code_from_status(json::parse(R"({"status":"Failure","reason":"InternalError","message":"no such container"})"), why));
  CHECK(why == "no such container");
}

TEST_CASE("exec over v5: stdin, close-stdin, fragments, pings, status; the request names the command") {
  std::string target, protocols;
  std::vector<std::pair<int, std::string>> from_client;
  RawServer srv([&](docker::Conn& c) {
    std::string line;
    auto h = read_request(c, line);
    target = line;
    protocols = h["Sec-WebSocket-Protocol"];
    c.write_all("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                websocket_accept(h["Sec-WebSocket-Key"]) + "\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n");
    c.write_all(server_frame(2, ch(1, "")) + server_frame(2, ch(2, "")));
    for (;;) {  // stdin until the client closes it
      auto f = client_frame(c);
      from_client.push_back(f);
      if (f.second == std::string("\xff\x00", 2)) break;
    }
    c.write_all(server_frame(2, ch(1, "hel"), false) + server_frame(9, "are you there") + server_frame(0, "lo\n"));
    auto pong = client_frame(c);
    CHECK(pong.first == 10);
    CHECK(pong.second == "are you there");
    c.write_all(server_frame(2, ch(2, "oops")));
    c.write_all(server_frame(2, ch(3, R"({"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}})")));
    c.write_all(server_frame(8, "\x03\xe8"));
    auto close = client_frame(c);
    CHECK(close.first == 8);
  });
  Config cfg;
  cfg.server = srv.url();
  cfg.namespace_name = "ns 1";
  kube::Client client(cfg);
  auto rs = client.exec("p", {{"sh", "-c", "cat; exit 7"}, "", true, false});
  CHECK(rs->protocol() == "v5.channel.k8s.io");
  rs->write_stdin("input");
  CHECK(rs->close_stdin());
  std::string out, err;
  while (auto chunk = rs->next()) (chunk->channel == RemoteStream::Stdout ? out : err) += chunk->data;
  CHECK(out == "hello\n");
  CHECK(err == "oops");
  CHECK(rs->exit_code() == 7);
  CHECK(target == "GET /api/v1/namespaces/ns%201/pods/p/exec?stdout=true&stderr=true&stdin=true&command=sh&command=-c&command=cat%3B%20exit%207 HTTP/1.1");
  CHECK(protocols == "v5.channel.k8s.io, v4.channel.k8s.io");
  REQUIRE(from_client.size() == 2);
  CHECK(from_client[0] == std::pair<int, std::string>{2, ch(0, "input")});
}

TEST_CASE("KubeEngine::exec gives up after ExecSpec::engine_timeout when the API server never answers the upgrade") {
  std::atomic<int> asked{0};
  RawServer srv([&](docker::Conn& c) {
    std::string line;
    read_request(c, line);
    ++asked;
    c.read_line(forever());  // silent until the client hangs up
  });
  Config cfg;
  cfg.server = srv.url();
  KubeEngine engine(cfg, PodOptions{});
  engine::ExecSpec spec;
  spec.argv = {"true"};
  spec.engine_timeout = std::chrono::milliseconds(300);
  auto t0 = std::chrono::steady_clock::now();
  try {
    engine.exec("p", spec);
    FAIL("exec returned");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Timeout);
  }
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= std::chrono::milliseconds(250));  // poll(2) counts whole milliseconds
  CHECK(took < std::chrono::seconds(5));  // the default (30 s) was not used
  CHECK(asked == 1);
  spec.user = "0:0";  // exec cannot switch users: refused before the API server is asked
  CHECK_THROWS_WITH_AS(engine.exec("p", spec), doctest::Contains("cannot run as root"), Error);
  CHECK(asked == 1);
}

TEST_CASE("attach falls back to v4, where stdin cannot be closed; a refused upgrade is an error with the server's message") {
  int round = 0;
  RawServer srv([&](docker::Conn& c) {
    std::string line;
    auto h = read_request(c, line);
    if (round++ == 1) {
      std::string body = R"({"kind":"Status","status":"Failure","message":"pods \"gone\" not found","code":404})";
      c.write_all("HTTP/1.1 404 Not Found\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      return;
    }
    c.write_all("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " + websocket_accept(h["Sec-WebSocket-Key"]) +
                "\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n");
    c.write_all(server_frame(2, ch(1, std::string(200, 'x'))) + server_frame(2, ch(3, R"({"status":"Success"})")));
    c.shutdown_write();
  });
  Config cfg;
  cfg.server = srv.url();
  kube::Client client(cfg);
  auto rs = client.attach("p", "", true);
  CHECK(rs->protocol() == "v4.channel.k8s.io");
  CHECK_FALSE(rs->close_stdin());
  std::string out;
  while (auto chunk = rs->next()) out += chunk->data;
  CHECK(out == std::string(200, 'x'));
  CHECK(rs->exit_code() == 0);
  try {
    client.attach("gone", "", false);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::NotFound);
    CHECK(std::string(e.what()).find("pods \"gone\" not found") != std::string::npos);
  }
}

TEST_CASE("REST calls: chunked answers, keep-alive, status kinds, merge patches") {
  std::vector<std::string> lines;
  RawServer srv([&](docker::Conn& c) {
    for (;;) {
      std::string line;
      auto h = read_request(c, line);
      std::string body;
      if (h.count("Content-Length")) c.read_exact(body, std::stoul(h["Content-Length"]), forever());
      lines.push_back(line + " " + h["Content-Type"] + " " + body);
      if (line.find("/pods?") != std::string::npos)
        c.write_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"ite\r\ne\r\nms\":[{\"a\":1}]}\r\n0\r\n\r\n");
      else if (line.find("DELETE") == 0)
        c.write_all("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");
      else if (line.find("/pods/taken") != std::string::npos)
        c.write_all("HTTP/1.1 409 Conflict\r\nContent-Length: 27\r\n\r\n{\"message\":\"already exists\"}");
      else
        c.write_all("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    }
  });
  Config cfg;
  cfg.server = srv.url();
  kube::Client client(cfg);
  CHECK(client.list_pods("orch.kind=run,orch.managed=1") == json::array({{{"a", 1}}}));
  CHECK_FALSE(client.delete_pod("gone").has_value());  // already gone is not an error
  client.patch_pod("p", {{"metadata", {{"labels", {{"orch.expires", "99"}}}}}});
  try {
    client.patch_pod("taken", json::object());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Conflict);
  }
  REQUIRE(lines.size() == 4);  // all on one kept-alive connection
  CHECK(lines[0] == "GET /api/v1/namespaces/default/pods?labelSelector=orch.kind%3Drun%2Corch.managed%3D1 HTTP/1.1  ");
  CHECK(lines[1].rfind("DELETE /api/v1/namespaces/default/pods/gone HTTP/1.1 application/json {\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0", 0) == 0);
  CHECK(lines[2] == R"(PATCH /api/v1/namespaces/default/pods/p HTTP/1.1 application/merge-patch+json {"metadata":{"labels":{"orch.expires":"99"}}})");
}

TEST_CASE("KubeEngine::info: os and arch from the API server's platform, CPUs unknown, runtimes from the options") {
  RawServer srv([&](docker::Conn& c) {
    for (;;) {
      std::string line;
      read_request(c, line);
      std::string body = R"({"gitVersion":"v1.32.0","platform":"linux/arm64"})";
      c.write_all("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  });
  Config cfg;
  cfg.server = srv.url();
  PodOptions options;
  options.runtime_class = "gvisor";
  KubeEngine engine(cfg, options);
  engine::EngineInfo i = engine.info();
  CHECK(i.kind == "kubernetes");
  CHECK(i.version == "v1.32.0");
  CHECK(i.os == "linux");
  CHECK(i.arch == "arm64");
  CHECK(i.cpus == 0);  // repo jobs then keep the template's CPU limit instead of asking for a whole cluster
  CHECK(i.runtimes == std::vector<std::string>{"runc", "runsc"});
}

TEST_CASE("TLS: the CA is checked, the client certificate and the bearer token are presented") {
  httplib::SSLServer srv(tls_file("server.crt").c_str(), tls_file("server.key").c_str(), tls_file("ca.crt").c_str());
  srv.Get("/version", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(json{{"gitVersion", "v1.30.0"}, {"auth", req.get_header_value("Authorization")}}.dump(), "application/json");
  });
  int port = srv.bind_to_any_port("127.0.0.1");
  std::thread t([&] { srv.listen_after_bind(); });
  struct Stop {
    httplib::SSLServer& s;
    std::thread& t;
    ~Stop() {
      s.stop();
      t.join();
    }
  } stop{srv, t};
  Config cfg;
  cfg.server = "https://127.0.0.1:" + std::to_string(port);
  cfg.ca_pem = slurp(tls_file("ca.crt"));
  cfg.client_cert_pem = slurp(tls_file("client.crt"));
  cfg.client_key_pem = slurp(tls_file("client.key"));
  cfg.token = "s3cret";
  json v = kube::Client(cfg).version();
  CHECK(v["gitVersion"] == "v1.30.0");
  CHECK(v["auth"] == "Bearer s3cret");

  Config by_name = cfg;  // the certificate names localhost too
  by_name.server = "https://localhost:" + std::to_string(port);
  CHECK(kube::Client(by_name).version()["gitVersion"] == "v1.30.0");

  Config wrong_ca = cfg;
  wrong_ca.ca_pem = slurp(tls_file("other-ca.crt"));
  try {
    kube::Client(wrong_ca).version();
    FAIL("an untrusted server was accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Unavailable);
    CHECK(std::string(e.what()).find("is not trusted") != std::string::npos);
  }
  Config insecure = wrong_ca;
  insecure.insecure = true;
  CHECK(kube::Client(insecure).version()["gitVersion"] == "v1.30.0");

  Config no_cert = cfg;
  no_cert.client_cert_pem.clear();
  no_cert.client_key_pem.clear();
  CHECK_THROWS_AS(kube::Client(no_cert).version(), Error);  // the server requires a client certificate

  Config bad_pem = cfg;
  bad_pem.ca_pem = "not a certificate";
  CHECK_THROWS_AS(kube::Client{bad_pem}, Error);
}
