#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "core/sandbox/spec.hpp"
#include "core/session/paths.hpp"
#include "core/session/record.hpp"

using orch::session::service_host_name;
using orch::session::workspace_relative;

TEST_CASE("workspace paths are normalised") {
  CHECK(workspace_relative("a.txt", false) == "a.txt");
  CHECK(workspace_relative("./a//b/./c", false) == "a/b/c");
  CHECK(workspace_relative("/workspace/data/x.csv", false) == "data/x.csv");
  CHECK(workspace_relative("/workspace", true) == "");
  CHECK(workspace_relative("", true) == "");
  CHECK(workspace_relative("dir/", true) == "dir");
  CHECK(workspace_relative("..hidden", false) == "..hidden");
}

TEST_CASE("path tricks are refused with a reason") {
  auto refused = [](std::string p, bool root = false) {
    try {
      workspace_relative(p, root);
    } catch (const orch::Error& e) {
      CHECK(e.kind() == orch::ErrorKind::BadInput);
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(refused("../etc/passwd").find("'..'") != std::string::npos);
  CHECK(refused("a/../../b").find("'..'") != std::string::npos);
  CHECK(refused("a/..").find("'..'") != std::string::npos);
  CHECK(refused("/etc/passwd").find("inside /workspace") != std::string::npos);
  CHECK(refused("/workspace2/x").find("inside /workspace") != std::string::npos);
  CHECK(refused("/workspace/../etc").find("'..'") != std::string::npos);
  CHECK(refused(std::string("a\0b", 3)).find("NUL") != std::string::npos);
  CHECK(refused("/workspace").find("itself") != std::string::npos);
  CHECK(refused("").find("itself") != std::string::npos);
  CHECK(refused(std::string(5000, 'a')).find("4096") != std::string::npos);
  CHECK(refused(std::string(300, 'a')).find("255") != std::string::npos);
}

TEST_CASE("the live expiry comes from the container name") {
  using orch::engine::expiry_in_name;
  CHECK(expiry_in_name("orch-s-0123456789ab-x1712345678") == 1712345678);
  CHECK(expiry_in_name("/orch-s-0123456789ab-svc-web-x42") == 42);
  CHECK(!expiry_in_name("orch-r-0123456789ab"));
  CHECK(!expiry_in_name("orch-s-0123456789ab-x"));
  CHECK(!expiry_in_name("orch-s-0123456789ab-x12a"));
  auto listed = [](const std::string& name, orch::engine::Labels labels) {
    orch::engine::SandboxInfo i;
    i.name = name;
    i.labels = std::move(labels);
    i.expires = expiry_in_name(name);  // as DockerEngine::list reports it
    return i;
  };
  CHECK(orch::sandbox::expiry_of(listed("orch-s-0123456789ab-x200", {{"orch.expires", "100"}})) == 200);
  CHECK(orch::sandbox::expiry_of(listed("orch-r-abc", {{"orch.expires", "100"}})) == 100);
  CHECK(!orch::sandbox::expiry_of(listed("orch-r-abc", {})));
}

TEST_CASE("session names and ids") {
  using namespace orch::session;
  orch::engine::SandboxSpec spec;
  spec.name = "orch-s-0123456789ab";
  spec.expires = 5;
  CHECK(orch::engine::docker_container_name(spec) == "orch-s-0123456789ab-x5");
  CHECK(valid_session_id("s-0123456789ab"));
  CHECK(!valid_session_id("s-0123456789AB"));
  CHECK(!valid_session_id("s-0123456789a"));
  CHECK(!valid_session_id("x-0123456789ab"));
  orch::engine::SandboxInfo c;
  c.id = "abc";
  c.name = "orch-s-0123456789ab-x900";
  c.expires = 900;
  c.state = orch::engine::State::Running;
  c.labels = {{"orch.id", "s-0123456789ab"}, {"orch.owner", "t1"}, {"orch.expires", "100"},
              {"orch.created", "50"}, {"orch.net", "private"}, {"team", "qa"}};
  Record r = record_from_listing(c);
  CHECK(r.id == "s-0123456789ab");
  CHECK(r.expires == 900);
  CHECK(r.created == 50);
  CHECK(r.owner == "t1");
  CHECK(r.network == "private");
  CHECK(r.labels.size() == 1);
  CHECK(r.labels["team"] == "qa");
}

TEST_CASE("service names become host names, and say nothing usable when nothing is left") {
  CHECK(service_host_name("research_cache") == "research-cache");
  CHECK(service_host_name("DB") == "db");
  CHECK(service_host_name("--a..b--") == "a--b");
  CHECK(service_host_name(std::string(40, 'x')) == std::string(31, 'x'));
  CHECK(service_host_name("___") == "");
  CHECK(service_host_name("") == "");
}

TEST_CASE("E2B's paths: ~ is the home, relative paths start there, absolute ones stay") {
  using orch::session::under_home;
  CHECK(under_home("~", "/home/user") == "/home/user");
  CHECK(under_home("~/a/b.txt", "/home/user") == "/home/user/a/b.txt");
  CHECK(under_home("", "/home/user") == "/home/user");
  CHECK(under_home("a.txt", "/home/user") == "/home/user/a.txt");
  CHECK(under_home("/etc/hosts", "/home/user") == "/etc/hosts");
  CHECK(under_home("~root/x", "/home/user") == "/home/user/~root/x");
  CHECK(under_home("dir/~", "/home/user") == "/home/user/dir/~");
}
