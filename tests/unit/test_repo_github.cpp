#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include <httplib.h>

#include "core/error.hpp"
#include "core/repo/github.hpp"

using namespace orch::repo;

namespace {

// A loopback server answering like api.github.com (documented response shapes and headers).
struct FakeGithub {
  httplib::Server srv;
  std::thread th;
  int port = 0;
  std::atomic<int> remaining{5};
  std::string seen_auth;
  FakeGithub() {
    srv.Get("/api/v3/repos/octo/hello", [this](const httplib::Request& req, httplib::Response& res) {
      seen_auth = req.get_header_value("Authorization");
      limit_headers(res);
      if (remaining < 0) return exhausted(res);
      res.set_content(R"({"full_name":"octo/hello","description":"Hi","html_url":"https://github.com/octo/hello",
        "default_branch":"trunk","stargazers_count":42,"forks_count":3,"open_issues_count":7,"size":120,
        "archived":false,"fork":false,"private":false,"pushed_at":"2024-01-02T03:04:05Z",
        "license":{"key":"mit","name":"MIT License","spdx_id":"MIT"}})", "application/json");
    });
    srv.Get("/api/v3/repos/octo/hello/languages", [this](const httplib::Request&, httplib::Response& res) {
      limit_headers(res);
      res.set_content(R"({"C++":1000,"Shell":50})", "application/json");
    });
    srv.Get("/api/v3/repos/octo/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"message":"Not Found","documentation_url":"https://docs.github.com/rest"})", "application/json");
    });
    port = srv.bind_to_any_port("127.0.0.1");
    th = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FakeGithub() {
    srv.stop();
    th.join();
  }
  void limit_headers(httplib::Response& res) {
    int left = --remaining;
    res.set_header("x-ratelimit-limit", "60");
    res.set_header("x-ratelimit-remaining", std::to_string(std::max(left, 0)));
    res.set_header("x-ratelimit-reset", "4102444800");
  }
  void exhausted(httplib::Response& res) {
    res.status = 403;
    res.set_content(R"({"message":"API rate limit exceeded for 127.0.0.1."})", "application/json");
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port) + "/api/v3"; }
};

}  // namespace

TEST_CASE("github: repository info and languages, with the token as a header") {
  FakeGithub gh;
  auto info = github_repo_info("octo/hello", gh.base(), "tok123456");
  CHECK(info.full_name == "octo/hello");
  CHECK(info.default_branch == "trunk");
  CHECK(info.stars == 42);
  CHECK(info.open_issues == 7);
  CHECK(info.license == "MIT");
  CHECK(info.languages["C++"] == 1000);
  CHECK(info.rate_limit == 60);
  CHECK(gh.seen_auth == "Bearer tok123456");
  auto j = to_json(info);
  CHECK(j["languages"]["Shell"] == 50);
}

TEST_CASE("github: not found, bad names, exhausted rate limit, https without TLS") {
  FakeGithub gh;
  try {
    github_repo_info("octo/missing", gh.base(), "");
    FAIL("expected NotFound");
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::NotFound);
  }
  CHECK_THROWS_AS(github_repo_info("not-a-name", gh.base(), ""), orch::Error);
  CHECK_THROWS_AS(github_repo_info("a/../b", gh.base(), ""), orch::Error);
  gh.remaining = -5;
  try {
    github_repo_info("octo/hello", gh.base(), "");
    FAIL("expected Busy");
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::Busy);
    CHECK(std::string(e.what()).find("2100-01-01 00:00:00 UTC") != std::string::npos);
    CHECK(std::string(e.what()).find("GITHUB_TOKEN") != std::string::npos);
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  try {
    github_repo_info("octo/hello", "https://api.github.com", "");
    FAIL("expected Unavailable");
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::Unavailable);
    CHECK(std::string(e.what()).find("TLS") != std::string::npos);
  }
#endif
}

TEST_CASE("github: rate limit message") {
  auto m = rate_limit_message(1000 + 120, 1000, 5000, true);
  CHECK(m.find("5000 requests per hour") != std::string::npos);
  CHECK(m.find("in 2 min") != std::string::npos);
}
