#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/engine/docker_engine.hpp"
#include "core/sandbox/seccomp.hpp"
#include "core/sandbox/spec.hpp"

using namespace orch::sandbox;
using nlohmann::json;

namespace {

// name -> the actions of the rules naming it, each with its argument checks
std::multimap<std::string, json> rules_by_name(const json& profile) {
  std::multimap<std::string, json> out;
  for (const auto& rule : profile["syscalls"])
    for (const auto& name : rule["names"]) out.emplace(name.get<std::string>(), rule);
  return out;
}

}  // namespace

TEST_CASE("the seccomp profile is an allowlist that refuses tracing, namespaces and risky kernel interfaces") {
  json p = json::parse(seccomp_profile());
  CHECK(p["defaultAction"] == "SCMP_ACT_ERRNO");
  auto rules = rules_by_name(p);
  auto only_action = [&](const std::string& name) {
    auto [a, b] = rules.equal_range(name);
    REQUIRE_MESSAGE(std::distance(a, b) == 1, name);
    return a->second;
  };
  for (const char* name : {"read", "write", "openat", "execve", "futex", "mmap", "wait4", "epoll_wait", "socket", "rseq"})
    CHECK_MESSAGE(only_action(name)["action"] == "SCMP_ACT_ALLOW", name);
  for (const char* name : {"ptrace", "process_vm_readv", "unshare", "setns", "mount", "bpf", "userfaultfd", "keyctl",
                           "io_uring_setup", "perf_event_open", "kexec_load", "init_module", "open_by_handle_at"}) {
    json r = only_action(name);
    CHECK_MESSAGE(r["action"] == "SCMP_ACT_ERRNO", name);
    CHECK_MESSAGE(r["errnoRet"] == 1, name);
  }
  // libc must see ENOSYS for clone3 to fall back to clone.
  CHECK(only_action("clone3")["errnoRet"] == 38);
}

TEST_CASE("the seccomp profile names each call once, except the argument-checked ones") {
  json p = json::parse(seccomp_profile());
  std::set<std::string> seen;
  for (const auto& rule : p["syscalls"]) {
    if (rule.contains("args")) continue;
    for (const auto& n : rule["names"]) CHECK_MESSAGE(seen.insert(n.get<std::string>()).second, n.get<std::string>());
  }
  CHECK(seen.count("clone") == 0);
  CHECK(seen.count("personality") == 0);
}

TEST_CASE("clone is allowed only without namespace flags") {
  json p = json::parse(seccomp_profile());
  auto rules = rules_by_name(p);
  auto [a, b] = rules.equal_range("clone");
  uint64_t allow_mask = 0;
  std::set<uint64_t> refused;
  for (auto it = a; it != b; ++it) {
    const json& arg = it->second["args"][0];
    CHECK(arg["index"] == 0);
    CHECK(arg["op"] == "SCMP_CMP_MASKED_EQ");
    if (it->second["action"] == "SCMP_ACT_ALLOW") {
      allow_mask = arg["value"];
      CHECK(arg["valueTwo"] == 0);
    } else {
      CHECK(arg["value"] == arg["valueTwo"]);
      refused.insert(arg["value"].get<uint64_t>());
    }
  }
  // CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
  for (uint64_t flag : {0x20000ULL, 0x2000000ULL, 0x4000000ULL, 0x8000000ULL, 0x10000000ULL, 0x20000000ULL, 0x40000000ULL}) {
    CHECK((allow_mask & flag) == flag);
    CHECK(refused.count(flag) == 1);
  }
  // what pthread_create passes (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID)
  CHECK((allow_mask & 0x3d0f00ULL) == 0);
}

TEST_CASE("every sandbox is created with the profile and no-new-privileges") {
  orch::templates::Template t;
  t.image = "img";
  SandboxRequest run;
  run.kind = "run";
  run.id = "r-1";
  json opts = orch::engine::docker_create_body(sandbox_spec(t, run), orch::docker::Flavor::Docker)["HostConfig"]["SecurityOpt"];
  REQUIRE(opts.size() == 2);
  CHECK(opts[0] == "no-new-privileges");
  CHECK(opts[1] == "seccomp=" + seccomp_profile());
}
