#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/docker/conn.hpp"
#include "core/error.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::docker;

namespace {

std::string bad_input_message(std::string_view host) {
  try {
    parse_endpoint(host);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    return e.what();
  }
  FAIL("accepted DOCKER_HOST " << host);
  return "";
}

}  // namespace

TEST_CASE("parse_endpoint: unix sockets") {
  Endpoint def = parse_endpoint("");
  CHECK(def.kind == Endpoint::Kind::Unix);
  CHECK(def.path == "/var/run/docker.sock");
  Endpoint ep = parse_endpoint("unix:///run/user/1000/docker.sock");
  CHECK(ep.kind == Endpoint::Kind::Unix);
  CHECK(ep.path == "/run/user/1000/docker.sock");
  CHECK(ep.display() == "unix:///run/user/1000/docker.sock");
  CHECK(bad_input_message("unix://").find("no socket path") != std::string::npos);
}

TEST_CASE("parse_endpoint: tcp hosts and ports") {
  Endpoint a = parse_endpoint("tcp://10.1.2.3:2376");
  CHECK(a.kind == Endpoint::Kind::Tcp);
  CHECK(a.host == "10.1.2.3");
  CHECK(a.port == 2376);
  CHECK(a.display() == "tcp://10.1.2.3:2376");
  Endpoint b = parse_endpoint("tcp://docker.internal");
  CHECK(b.host == "docker.internal");
  CHECK(b.port == 2375);
  Endpoint c = parse_endpoint("tcp://localhost:2375/");
  CHECK(c.host == "localhost");
  CHECK(c.port == 2375);
  Endpoint d = parse_endpoint("http://127.0.0.1:8080");
  CHECK(d.kind == Endpoint::Kind::Tcp);
  CHECK(d.port == 8080);
}

TEST_CASE("parse_endpoint: IPv6 literals") {
  Endpoint a = parse_endpoint("tcp://[::1]:2375");
  CHECK(a.host == "::1");
  CHECK(a.port == 2375);
  CHECK(a.display() == "tcp://[::1]:2375");
  Endpoint b = parse_endpoint("tcp://[fe80::1]");
  CHECK(b.host == "fe80::1");
  CHECK(b.port == 2375);
}

TEST_CASE("parse_endpoint: bad values are BadInput with a hint") {
  CHECK(bad_input_message("ssh://user@host").find("unix:///path/to/docker.sock or tcp://host:port") !=
        std::string::npos);
  CHECK(bad_input_message("npipe:////./pipe/docker_engine").find("npipe") != std::string::npos);
  CHECK(bad_input_message("/var/run/docker.sock").find("not supported") != std::string::npos);
  for (const char* bad : {"tcp://", "tcp://:2375", "tcp://host:0", "tcp://host:65536", "tcp://host:", "tcp://host:23x5",
                          "tcp://host:-1", "tcp://[::1"}) {
    CAPTURE(std::string(bad));
    CHECK(bad_input_message(bad).find(bad) != std::string::npos);
  }
}

TEST_CASE("endpoint_from_env reads DOCKER_HOST") {
  orch::testing::ScopedEnv env("DOCKER_HOST", "tcp://192.0.2.7:2999");
  Endpoint ep = endpoint_from_env();
  CHECK(ep.host == "192.0.2.7");
  CHECK(ep.port == 2999);
}

TEST_CASE("connect_endpoint: a missing socket is Unavailable, naming the socket and dockerd") {
  orch::testing::TempDir dir;
  Endpoint ep = parse_endpoint("unix://" + dir.path() + "/nothing.sock");
  try {
    connect_endpoint(ep, std::chrono::milliseconds(200));
    FAIL("connected to a missing socket");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Unavailable);
    std::string msg = e.what();
    CHECK(msg.find("unix://" + dir.path() + "/nothing.sock") != std::string::npos);
    CHECK(msg.find("dockerd") != std::string::npos);
    CHECK(msg.find("DOCKER_HOST") != std::string::npos);
  }
}

TEST_CASE("Conn: read_line, read_exact and read_some share one buffer") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  Conn conn(fds[0]);
  std::string wire = "first\r\nsecond line\r\n0123456789tail";
  REQUIRE(::write(fds[1], wire.data(), wire.size()) == static_cast<ssize_t>(wire.size()));
  ::close(fds[1]);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  CHECK(conn.read_line(deadline) == "first");
  CHECK(conn.read_line(deadline) == "second line");
  std::string ten;
  conn.read_exact(ten, 10, deadline);
  CHECK(ten == "0123456789");
  char buf[16];
  long n = conn.read_some(buf, sizeof buf, deadline);
  CHECK(std::string(buf, static_cast<size_t>(n)) == "tail");
  CHECK(conn.read_some(buf, sizeof buf, deadline) == 0);
  std::string more;
  CHECK_THROWS_AS(conn.read_exact(more, 1, deadline), Error);
}

TEST_CASE("Conn: overlong line is refused") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  Conn conn(fds[0]);
  std::string junk(300, 'a');
  REQUIRE(::write(fds[1], junk.data(), junk.size()) == 300);
  try {
    conn.read_line(Clock::now() + std::chrono::seconds(5), 100);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Infrastructure);
    CHECK(std::string(e.what()).find("overlong") != std::string::npos);
  }
  ::close(fds[1]);
}
