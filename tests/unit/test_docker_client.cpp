#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <string>

#include "core/docker/client.hpp"
#include "core/docker/mux.hpp"
#include "core/error.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::docker;
using orch::testing::FakeDaemon;
using orch::testing::Received;
using orch::testing::Reply;

namespace {

Client client_for(const FakeDaemon& d) {
  return Client(std::make_shared<SocketTransport>(parse_endpoint(d.docker_host())));
}

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no orch::Error thrown");
  return Error(ErrorKind::Infrastructure, "");
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("Client: API version is min(engine, orch) and prefixes every path") {
  for (auto [engine, used] : {std::pair<std::string, std::string>{"1.41", "1.41"}, {"1.45", "1.43"}, {"1.43", "1.43"},
                              {"1.9", "1.9"}, {"", "1.41"}}) {
    CAPTURE(engine);
    FakeDaemon d([](const Received&) { return Reply::json(200, R"({"Version":"20.10.24"})"); }, engine);
    Client c = client_for(d);
    CHECK(c.version().at("Version") == "20.10.24");
    CHECK(c.api_version() == used);
    auto reqs = d.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "GET");
    CHECK(reqs[0].target == "/v" + used + "/version");
    CHECK(reqs[0].header("Host") == "docker");
    auto all = d.all_requests();
    CHECK(all.front().target == "/_ping");
  }
}

TEST_CASE("min_version compares numerically") {
  CHECK(min_version("1.43", "1.45") == "1.43");
  CHECK(min_version("1.43", "1.41") == "1.41");
  CHECK(min_version("1.9", "1.43") == "1.9");
  CHECK(min_version("2.0", "1.43") == "1.43");
}

TEST_CASE("url_encode keeps path characters and escapes the rest") {
  CHECK(url_encode("orch/python:latest") == "orch/python:latest");
  CHECK(url_encode(R"({"label":["a=b"]})") == "%7B%22label%22:%5B%22a%3Db%22%5D%7D");
  CHECK(url_encode("a b&c") == "a%20b%26c");
}

TEST_CASE("Client: /_ping failing is Unavailable, and the version is not cached") {
  std::atomic<int> pings{0};
  FakeDaemon d([&pings](const Received& r) {
    if (r.target == "/_ping" && pings++ == 0) return Reply::json(500, "{}");
    Reply ok = Reply::json(200, "OK");
    ok.headers.emplace_back("API-Version", "1.42");
    return ok;
  });
  d.ping_to_handler = true;
  Client c = client_for(d);
  Error e = error_of([&] { c.ping(); });
  CHECK(e.kind() == ErrorKind::Unavailable);
  CHECK(std::string(e.what()) == "the Docker engine answered /_ping with HTTP 500");
  CHECK(c.api_version() == "1.42");
}

TEST_CASE("Client: ping asks the engine every time and reads its version from the Server header") {
  std::atomic<int> pings{0};
  FakeDaemon d([&pings](const Received& r) {
    Reply ok = Reply::json(200, "OK");
    if (r.target != "/_ping") return ok;
    ok.headers.emplace_back("Api-Version", "1.41");
    if (pings++ == 0) ok.headers.emplace_back("Server", "Docker/20.10.24+dfsg1 (linux)");
    return ok;
  });
  d.ping_to_handler = true;
  Client c = client_for(d);
  CHECK(c.ping() == "20.10.24+dfsg1");
  CHECK(c.ping() == "");  // no Server header: the caller asks /version
  CHECK(pings == 2);
  CHECK(c.api_version() == "1.41");
  CHECK(pings == 2);  // negotiated once
}

TEST_CASE("Client: keep-alive reuses one connection for several calls") {
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "/containers/json")) return Reply::json(200, R"([{"Id":"a"},{"Id":"b"}])");
    return Reply::json(200, R"({"Id":"x","State":{"Running":true}})");
  });
  Client c = client_for(d);
  CHECK(c.list_containers({"orch.managed=1"}).size() == 2);
  CHECK(c.inspect("x").at("State").at("Running") == true);
  CHECK(c.inspect("y").at("Id") == "x");
  auto all = d.all_requests();
  REQUIRE(all.size() == 4);  // ping + 3 calls
  for (const auto& r : all) CHECK(r.connection == 0);
  CHECK(d.accepted() == 1);
  CHECK(all[1].target == "/v1.41/containers/json?all=1&filters=%7B%22label%22:%5B%22orch.managed%3D1%22%5D%7D");
  CHECK(all[2].target == "/v1.41/containers/x/json");
}

TEST_CASE("Client: a pooled connection the engine closed is retried on a fresh one") {
  std::atomic<int> n{0};
  FakeDaemon d([&n](const Received&) {
    Reply r = Reply::json(200, "{\"n\":" + std::to_string(n++) + "}");
    r.close_after = true;  // closes without saying Connection: close
    return r;
  });
  Client c = client_for(d);
  CHECK(c.info().at("n") == 0);
  CHECK(c.info().at("n") == 1);
  CHECK(c.info().at("n") == 2);
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].connection != reqs[1].connection);
  CHECK(reqs[1].connection != reqs[2].connection);
  CHECK(d.accepted() >= 3);
}

TEST_CASE("Client: Connection: close is honoured without a retry") {
  FakeDaemon d([](const Received&) {
    Reply r = Reply::json(200, "{}");
    r.headers.emplace_back("Connection", "close");
    r.close_after = true;
    return r;
  });
  Client c = client_for(d);
  c.info();
  c.info();
  CHECK(d.requests().size() == 2);
  CHECK(d.accepted() == 2);  // the ping's connection carried the first call
}

TEST_CASE("Client: error statuses map to error kinds with the engine's message") {
  struct Case {
    int status;
    ErrorKind kind;
  };
  for (Case k : {Case{400, ErrorKind::BadInput}, Case{404, ErrorKind::NotFound}, Case{409, ErrorKind::Conflict},
                 Case{500, ErrorKind::Infrastructure}, Case{503, ErrorKind::Infrastructure}}) {
    CAPTURE(k.status);
    FakeDaemon d([&k](const Received&) {
      return Reply::json(k.status, R"({"message":"engine says no )" + std::to_string(k.status) + "\"}");
    });
    Client c = client_for(d);
    Error e = error_of([&] { c.inspect("abcdef0123456789"); });
    CHECK(e.kind() == k.kind);
    std::string msg = e.what();
    CHECK(msg.rfind("inspect container abcdef012345: engine says no " + std::to_string(k.status), 0) == 0);
    CHECK(contains(msg, "(HTTP ") == (k.status >= 500));
  }
}

TEST_CASE("Client: non-JSON error bodies are quoted as text") {
  FakeDaemon d([](const Received&) {
    Reply r;
    r.status = 500;
    r.body = "page not found\n";
    return r;
  });
  Client c = client_for(d);
  Error e = error_of([&] { c.info(); });
  CHECK(e.kind() == ErrorKind::Infrastructure);
  CHECK(std::string(e.what()) == "info: page not found\n (HTTP 500)");
}

TEST_CASE("Client: calls that tolerate 'already gone'") {
  FakeDaemon d([](const Received& r) {
    if (r.method == "DELETE") return Reply::json(404, R"({"message":"No such container"})");
    if (contains(r.target, "/kill")) return Reply::json(409, R"({"message":"is not running"})");
    if (contains(r.target, "/start")) return Reply::json(304, "");
    if (contains(r.target, "/containers/create")) return Reply::json(404, R"({"message":"No such image: orch/x"})");
    return Reply::json(404, R"({"message":"nope"})");
  });
  Client c = client_for(d);
  CHECK_NOTHROW(c.remove("c1"));
  CHECK_NOTHROW(c.kill("c1"));
  CHECK_NOTHROW(c.start("c1"));
  CHECK_FALSE(c.try_inspect("c1").has_value());
  CHECK_FALSE(c.inspect_image("orch/x:latest").has_value());
  Error e = error_of([&] { c.create_container({{"Image", "orch/x:latest"}}, "my name"); });
  CHECK(e.kind() == ErrorKind::NotFound);
  CHECK(std::string(e.what()) == "image orch/x:latest is not on the engine");
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 6);
  CHECK(reqs[0].target == "/v1.41/containers/c1?force=1&v=1");
  CHECK(reqs[1].target == "/v1.41/containers/c1/kill?signal=KILL");
  CHECK(reqs[2].method == "POST");
  CHECK(reqs[2].header("Content-Length") == "0");
  CHECK(reqs[5].target == "/v1.41/containers/create?name=my%20name");
  CHECK(reqs[5].header("Content-Type") == "application/json");
  CHECK(json::parse(reqs[5].body) == json{{"Image", "orch/x:latest"}});
}

TEST_CASE("Client: create returns the Id and sends the body") {
  FakeDaemon d([](const Received&) { return Reply::json(201, R"({"Id":"4f2a","Warnings":[]})"); });
  Client c = client_for(d);
  json body = {{"Image", "orch/python:latest"}, {"Cmd", {"python3", "-c", "print(1)"}}};
  CHECK(c.create_container(body) == "4f2a");
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1.41/containers/create");
  CHECK(json::parse(reqs[0].body) == body);
}

TEST_CASE("Client: unreachable socket is Unavailable naming the socket and dockerd") {
  orch::testing::TempDir dir;
  std::string sock = dir.path() + "/docker.sock";
  Client c(std::make_shared<SocketTransport>(parse_endpoint("unix://" + sock)));
  CHECK(c.endpoint_display() == "unix://" + sock);
  Error e = error_of([&] { c.ping(); });
  CHECK(e.kind() == ErrorKind::Unavailable);
  CHECK(contains(e.what(), "unix://" + sock));
  CHECK(contains(e.what(), "dockerd"));
}

TEST_CASE("Client: build progress streams JSON lines split across chunks; an error line fails the build") {
  std::string tar_body(1024, '\0');
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "t=orch/ok")) {
      return Reply::chunked(200, {"{\"stream\":\"Step 1/2 : FROM debian\\n\"}\r\n{\"str", "eam\":\"Step 2/2\\n\"}\n",
                                  "\n{\"aux\":{\"ID\":\"sha256:1\"}}\n{\"stream\":\"Successfully built\\n\"}\n"});
    }
    return Reply::chunked(200, {"{\"stream\":\"Step 1/2 : RUN false\\n\"}\n{\"errorDetail\":{\"code\":1,",
                                "\"message\":\"returned a non-zero code: 1\"},\"error\":\"The command '/bin/sh -c false' "
                                "returned a non-zero code: 1\"}\n"});
  });
  Client c = client_for(d);
  std::vector<json> seen;
  c.build_image(tar_body, "orch/ok:latest", {{"orch.managed", "1"}}, [&seen](const json& j) { seen.push_back(j); });
  REQUIRE(seen.size() == 4);
  CHECK(seen[0]["stream"] == "Step 1/2 : FROM debian\n");
  CHECK(seen[1]["stream"] == "Step 2/2\n");
  CHECK(seen[2]["aux"]["ID"] == "sha256:1");
  CHECK(seen[3]["stream"] == "Successfully built\n");
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target ==
        "/v1.41/build?t=orch/ok:latest&rm=1&forcerm=1&labels=%7B%22orch.managed%22:%221%22%7D");
  CHECK(reqs[0].header("Content-Type") == "application/x-tar");
  CHECK(reqs[0].body == tar_body);

  seen.clear();
  Error e = error_of([&] { c.build_image(tar_body, "orch/bad:latest", {}, [&seen](const json& j) { seen.push_back(j); }); });
  CHECK(e.kind() == ErrorKind::Infrastructure);
  CHECK(std::string(e.what()) == "build of orch/bad:latest failed: The command '/bin/sh -c false' returned a non-zero code: 1");
  CHECK(seen.size() == 2);
}

TEST_CASE("Client: a failed build request (HTTP 500) carries the engine's message") {
  FakeDaemon d([](const Received&) { return Reply::json(500, R"({"message":"dockerfile parse error line 3"})"); });
  Client c = client_for(d);
  Error e = error_of([&] { c.build_image("", "orch/x:latest", {}, [](const json&) {}); });
  CHECK(e.kind() == ErrorKind::Infrastructure);
  CHECK(contains(e.what(), "build orch/x:latest: dockerfile parse error line 3"));
}

TEST_CASE("Client: attach upgrades, frames are demuxed, stdin reaches the engine until EOF") {
  std::string out_big(100000, 'o');
  FakeDaemon d([&out_big](const Received&) {
    return Reply::upgraded([&out_big](Conn& conn) {
      conn.write_all(encode_frame(StreamId::Stdout, "ready\n") + encode_frame(StreamId::Stderr, "warn\n"));
      std::string in = orch::testing::read_to_eof(conn);
      conn.write_all(encode_frame(StreamId::Stdout, "got:" + in));
      conn.write_all(encode_frame(StreamId::Stdout, out_big));
    });
  });
  Client c = client_for(d);
  AttachedStream s = c.attach("c1", true);
  REQUIRE(s.conn);
  CHECK_FALSE(s.tty);
  s.conn->write_all("line one\nline two\n");
  s.conn->shutdown_write();
  std::string out, err;
  Demuxer demux([&](StreamId id, std::string_view data) { (id == StreamId::Stdout ? out : err).append(data); });
  CHECK(demux.feed(orch::testing::read_to_eof(*s.conn)));
  CHECK(demux.at_frame_boundary());
  CHECK(out == "ready\ngot:line one\nline two\n" + out_big);
  CHECK(err == "warn\n");
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1.41/containers/c1/attach?stream=1&stdout=1&stderr=1&stdin=1");
  CHECK(reqs[0].header("Upgrade") == "tcp");
  CHECK(reqs[0].header("Connection") == "Upgrade");
}

TEST_CASE("Client: attach to a missing container is NotFound") {
  FakeDaemon d([](const Received&) { return Reply::json(404, R"({"message":"No such container: c9"})"); });
  Client c = client_for(d);
  Error e = error_of([&] { c.attach("c9", false); });
  CHECK(e.kind() == ErrorKind::NotFound);
  CHECK(std::string(e.what()) == "attach: No such container: c9");
}

TEST_CASE("Client: exec create, start (upgrade) and inspect") {
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "/containers/c1/exec")) return Reply::json(201, R"({"Id":"e7"})");
    if (contains(r.target, "/exec/e7/start")) {
      return Reply::upgraded([](Conn& conn) { conn.write_all(encode_frame(StreamId::Stdout, "42\n")); });
    }
    return Reply::json(200, R"({"ExitCode":3,"Running":false})");
  });
  Client c = client_for(d);
  ExecOptions opts;
  opts.cmd = {"python3", "-c", "print(42)"};
  opts.env = {"A=1"};
  opts.workdir = "/workspace";
  std::string id = c.exec_create("c1", opts);
  CHECK(id == "e7");
  AttachedStream s = c.exec_start(id);
  std::string out;
  Demuxer demux([&](StreamId, std::string_view data) { out.append(data); });
  CHECK(demux.feed(orch::testing::read_to_eof(*s.conn)));
  CHECK(out == "42\n");
  CHECK(c.exec_inspect(id).at("ExitCode") == 3);
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 3);
  json body = json::parse(reqs[0].body);
  CHECK(body["Cmd"] == json({"python3", "-c", "print(42)"}));
  CHECK(body["Env"] == json({"A=1"}));
  CHECK(body["WorkingDir"] == "/workspace");
  CHECK(body["Tty"] == false);
  CHECK_FALSE(body.contains("User"));
  CHECK(json::parse(reqs[1].body) == json{{"Detach", false}, {"Tty", false}});
}

TEST_CASE("Client: wait registered before start returns the exit code") {
  FakeDaemon d([](const Received& r) {
    if (contains(r.target, "c1/wait")) return Reply::chunked(200, {R"({"StatusCode":137,)", R"("Error":null})" "\n"});
    if (contains(r.target, "c2/wait")) return Reply::json(200, R"({"StatusCode":1,"Error":{"Message":"oci failed"}})");
    return Reply::json(500, R"({"message":"x"})");
  });
  Client c = client_for(d);
  PendingWait w = c.wait_next_exit("c1");
  CHECK(w.result(std::chrono::seconds(5)) == 137);
  PendingWait w2 = c.wait_next_exit("c2");
  Error e = error_of([&] { w2.result(std::chrono::seconds(5)); });
  CHECK(std::string(e.what()) == "wait: oci failed");
  PendingWait w3 = c.wait_next_exit("c3");
  CHECK(error_of([&] { w3.result(std::chrono::seconds(5)); }).kind() == ErrorKind::Infrastructure);
  CHECK(d.requests().at(0).target == "/v1.41/containers/c1/wait?condition=next-exit");
}

TEST_CASE("Transport: a body its sink stops reading is not reused; the next call works") {
  std::string big(3000, 't');
  FakeDaemon d([&big](const Received&) {
    Reply rep;
    rep.chunks = {big.substr(0, 1000), big.substr(1000)};
    return rep;
  });
  SocketTransport t(parse_endpoint(d.docker_host()));
  Request req;
  req.target = "/v1.41/images/x/json";
  std::string got;
  BodySink stop_early = [&got](std::string_view data) {
    got.append(data);
    return got.size() < 1000;
  };
  t.send(req, &stop_early, std::chrono::seconds(5));
  CHECK(got.size() < big.size());
  Response r = t.send(req, nullptr, std::chrono::seconds(5));
  CHECK(r.body == big);
  CHECK(d.accepted() == 2);
}

TEST_CASE("Client: an engine message quoting the request back is cut, not echoed whole") {
  std::string profile(6000, 'x');
  FakeDaemon d([](const Received& r) {
    return Reply::json(500, json{{"message", "opening seccomp profile failed: open " + r.body}}.dump());
  });
  Client c = client_for(d);
  Error e = error_of([&] { c.create_container({{"Image", "i"}, {"Profile", profile}}); });
  std::string msg = e.what();
  CHECK(msg.size() < 400);
  CHECK(contains(msg, "opening seccomp profile failed"));
  CHECK_FALSE(contains(msg, std::string(400, 'x')));
}

TEST_CASE("Client: Podman is told apart from Docker by its /_ping answer, with no /version asked") {
  for (auto [libpod, want] : {std::pair{"4.3.1", Flavor::Podman}, std::pair{"", Flavor::Docker}}) {
    FakeDaemon d([l = std::string(libpod)](const Received& r) {
      if (r.target != "/_ping") return Reply::json(404, "{}");
      Reply ping;
      ping.body = "OK";
      ping.headers = {{"Api-Version", "1.41"}};
      if (!l.empty()) ping.headers.emplace_back("Libpod-Api-Version", l);
      return ping;
    });
    d.ping_to_handler = true;
    Client c = client_for(d);
    CHECK(c.flavor() == want);
    CHECK(c.flavor() == want);
    size_t pings = 0, versions = 0;
    for (const auto& r : d.all_requests()) {
      pings += r.target == "/_ping";
      versions += contains(r.target, "/version");
    }
    CHECK(pings == 1);
    CHECK(versions == 0);
  }
}

TEST_CASE("Client: a stats answer that is not an object is asked again, then a clear error") {
  std::atomic<int> asked{0};
  FakeDaemon d([&](const Received& r) {
    if (r.target.find("/stats") == std::string::npos) return Reply::json(404, "{}");
    return ++asked == 1 ? Reply::json(200, "") : Reply::json(200, R"({"pids_stats":{"current":3}})");
  });
  Client c = client_for(d);
  CHECK(c.stats("abc").at("pids_stats").at("current") == 3);
  CHECK(asked == 2);
  FakeDaemon bad([](const Received&) { return Reply::json(200, "[1"); });
  Client b = client_for(bad);
  try {
    b.stats("0123456789abcdef");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Infrastructure);
    CHECK(std::string(e.what()) == "stats of container 0123456789ab: the engine's answer is not a stats object (2 bytes)");
  }
  CHECK(bad.requests().size() == 2);
}
