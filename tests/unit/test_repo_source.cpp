#include <doctest/doctest.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/repo/clone.hpp"
#include "core/repo/source.hpp"
#include "core/repo/test.hpp"
#include "core/util/base64.hpp"

using namespace orch::repo;

TEST_CASE("parse_source: kinds, hosts, masking") {
  auto gh = parse_source("https://github.com/octo/hello.git");
  CHECK(gh.kind == Source::Kind::Https);
  CHECK(gh.is_github());
  CHECK(short_name(gh) == "octo/hello");
  auto creds = parse_source("https://user:hunter2@git.example.com/a/b");
  CHECK(creds.host == "git.example.com");
  CHECK(creds.display.find("hunter2") == std::string::npos);
  CHECK_FALSE(creds.is_github());
  auto scp = parse_source("git@github.com:octo/hello.git");
  CHECK(scp.kind == Source::Kind::Ssh);
  CHECK(scp.host == "github.com");
  CHECK(short_name(scp) == "octo/hello");
  // A port is not an owner: names come from a URL's path.
  CHECK(short_name(parse_source("https://[::1]:9/x")) == "x");
  CHECK(short_name(parse_source("git://127.0.0.1:9418/team/r.git")) == "team/r");
  CHECK(short_name(parse_source("ssh://git@host:2222/octo/hello.git")) == "octo/hello");
  CHECK(short_name(parse_source("https://git.example.com/")) == "git.example.com");
  auto local = parse_source("/tmp");
  CHECK(local.kind == Source::Kind::LocalPath);
  CHECK(local.url == "file:///tmp");
  CHECK_THROWS_AS(parse_source("-uhoh"), orch::Error);
  CHECK_THROWS_AS(parse_source("ext::sh -c touch% /tmp/pwned"), orch::Error);
  CHECK_THROWS_AS(parse_source("fd::3"), orch::Error);
  CHECK_THROWS_AS(parse_source("/definitely/not/here"), orch::Error);
  CHECK_THROWS_AS(parse_source(""), orch::Error);
}

TEST_CASE("redact removes the token and its base64 forms") {
  std::string token = "ghp_secretsecretsecret";
  std::string text = "fatal: auth " + token + " header " + orch::base64_encode("x-access-token:" + token) + " https://u:" + token + "@h/x";
  std::string out = redact(text, {token});
  CHECK(out.find("secretsecret") == std::string::npos);
  CHECK(out.find("***") != std::string::npos);
  CHECK(redact("abc", {"ab"}) == "abc");  // too short to be a credential
}

TEST_CASE("git gets the token through its environment only, and only for GitHub over https") {
  CloneOptions o;
  o.token = "tok_0123456789abcdef";
  auto gh = parse_source("https://github.com/a/b");
  auto env = git_environment(gh, o, "/tmp/h");
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += x + "\n";
    return s;
  };
  CHECK(joined(env).find("GIT_CONFIG_KEY_0=http.https://github.com/.extraheader") != std::string::npos);
  CHECK(joined(env).find(orch::base64_encode("x-access-token:" + o.token)) != std::string::npos);
  CHECK(joined(env).find("GIT_TERMINAL_PROMPT=0") != std::string::npos);
  CHECK(joined(env).find("GIT_CONFIG_NOSYSTEM=1") != std::string::npos);
  auto args = joined(git_safety_args(gh));
  CHECK(args.find(o.token) == std::string::npos);
  CHECK(args.find("core.hooksPath=/dev/null") != std::string::npos);
  CHECK(args.find("protocol.file.allow") == std::string::npos);
  auto other = git_environment(parse_source("https://gitlab.com/a/b"), o, "/tmp/h");
  CHECK(joined(other).find("extraheader") == std::string::npos);
  CHECK(joined(git_safety_args(parse_source("/tmp"))).find("protocol.file.allow=always") != std::string::npos);
}

TEST_CASE("clone rejects refs that git would read as options or ranges") {
  auto src = parse_source("/tmp");
  for (std::string bad : {"--upload-pack=touch /tmp/x", "a..b", "a b", "x:y"}) {
    CloneOptions o;
    o.ref = bad;
    CHECK_THROWS_AS(clone(src, o), orch::Error);
  }
}

TEST_CASE("exit codes rank infrastructure over clone over could-not-test over failures") {
  auto rep = [](ReportStatus s) {
    TestReport r;
    r.status = s;
    return r;
  };
  using S = ReportStatus;
  CHECK(exit_code_for({rep(S::Passed), rep(S::Passed)}) == 0);
  CHECK(exit_code_for({rep(S::Passed), rep(S::Failed)}) == 1);
  CHECK(exit_code_for({rep(S::Error), rep(S::Failed)}) == 4);
  CHECK(exit_code_for({rep(S::CloneFailed), rep(S::Error)}) == 3);
  CHECK(exit_code_for({rep(S::CloneFailed), rep(S::InfraError)}) == 125);
  CHECK(exit_code_for({}) == 0);
}

TEST_CASE("report statuses keep their JSON names") {
  using S = ReportStatus;
  for (auto [s, name] : {std::pair{S::Passed, "passed"},
                         {S::Failed, "failed"},
                         {S::Error, "error"},
                         {S::CloneFailed, "clone_failed"},
                         {S::InfraError, "infra_error"}}) {
    TestReport r;
    r.status = s;
    CHECK(to_json(r)["status"] == name);
    CHECK(summary_json({r})["repositories_by_status"][name] == 1);
  }
  TestReport bad;
  bad.status = S::CloneFailed;
  bad.message = "no such repository";
  CHECK(to_junit({bad}).find("clone_failed: no such repository") != std::string::npos);
}

TEST_CASE("test_options_from_json: what the server accepts") {
  auto o = test_options_from_json({{"source", "https://github.com/a/b"}, {"ref", "v1"}, {"timeout", 60}, {"env", {"A=1"}}});
  CHECK(o.source == "https://github.com/a/b");
  CHECK(o.ref == "v1");
  CHECK(o.timeout_s == 60);
  CHECK(o.env == std::vector<std::string>{"A=1"});
  CHECK_THROWS_AS(test_options_from_json({{"source", "/etc"}}), orch::Error);
  CHECK_THROWS_AS(test_options_from_json({{"source", "file:///etc"}}), orch::Error);
  CHECK(test_options_from_json({{"source", "/tmp"}}, true).source == "/tmp");
  CHECK_THROWS_AS(test_options_from_json({{"ref", "x"}}), orch::Error);
  CHECK_THROWS_AS(test_options_from_json({{"source", "https://h/r"}, {"timeout", "soon"}}), orch::Error);
  CHECK_THROWS_AS(test_options_from_json({{"source", "https://h/r"}, {"setup_net", true}}), orch::Error);
}
