#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "core/sandbox/run.hpp"
#include "core/sandbox/seccomp.hpp"
#include "fake_daemon.hpp"
#include "helpers.hpp"

using namespace orch;
using namespace orch::sandbox;
using nlohmann::json;

namespace {

// The built-in templates only, whatever the machine's ~/.config holds.
RunOptions code(const std::string& text) {
  RunOptions o;
  o.code = text;
  return o;
}

std::string bad_input(const templates::Store& store, const RunOptions& o) {
  try {
    plan_run(store, o);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    return e.what();
  }
  FAIL("plan accepted");
  return "";
}

std::string size_of(const engine::SandboxSpec& s, const std::string& path) {
  for (const auto& m : s.scratch)
    if (m.path == path) return m.size;
  return "";
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("plan_run: template chosen from -l, the file extension, -t, else python") {
  auto store = orch::testing::builtin_templates();
  RunOptions o = code("print(1)");
  RunPlan p = plan_run(store, o);
  CHECK(p.tmpl->name == "python");
  CHECK(p.lang->name == "python");

  o.language = "javascript";
  p = plan_run(store, o);
  CHECK(p.tmpl->name == "node");
  CHECK(p.lang->name == "javascript");

  o = code("echo hi");
  o.code_name = "script.sh";
  p = plan_run(store, o);
  CHECK(p.tmpl->name == "bash");
  CHECK(p.lang->name == "bash");

  o.template_name = "minimal";  // the template's own language for .sh wins
  p = plan_run(store, o);
  CHECK(p.tmpl->name == "minimal");
  CHECK(p.lang->name == "sh");

  o = code("x");
  o.code_name = "notes.txt";  // unknown extension: default language of the default template
  p = plan_run(store, o);
  CHECK(p.tmpl->name == "python");

  o = code("console.log(1)");
  o.code_name = "dir.v2/app.cjs";
  p = plan_run(store, o);
  CHECK(p.tmpl->name == "node");
  CHECK(p.lang->name == "node");

  o = code("import pandas");
  o.template_name = "python-data";
  p = plan_run(store, o);
  CHECK(p.tmpl->name == "python-data");
  CHECK(p.lang->name == "python");
  CHECK(p.spec.image == "orch/python-data:latest");
}

TEST_CASE("plan_run: unknown language and template are NotFound; a language the template lacks is BadInput") {
  auto store = orch::testing::builtin_templates();
  RunOptions o = code("x");
  o.language = "pyhton";
  try {
    plan_run(store, o);
    FAIL("planned");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::NotFound);
    CHECK(std::string(e.what()) == "no template offers language 'pyhton' (did you mean 'python'?)");
  }
  o = code("x");
  o.template_name = "nodee";
  try {
    plan_run(store, o);
    FAIL("planned");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::NotFound);
    CHECK(std::string(e.what()).find("did you mean 'node'?") != std::string::npos);
  }
  o = code("x");
  o.template_name = "node";
  o.language = "python";
  CHECK(bad_input(store, o) == "template 'node' has no language 'python' (it offers javascript, node)");
}

TEST_CASE("plan_run: limits come from the template unless overridden") {
  auto store = orch::testing::builtin_templates();
  RunOptions o = code("x");
  o.template_name = "python-data";
  RunPlan p = plan_run(store, o);
  CHECK(p.spec.memory_bytes == 512LL << 20);
  CHECK(p.spec.cpus == 1.0);
  CHECK(p.spec.pids == 128);
  CHECK(p.timeout_s == 60.0);
  CHECK(size_of(p.spec, "/tmp") == "128m");
  CHECK(size_of(p.spec, "/workspace") == "128m");
  CHECK(p.spec.network == "none");
  CHECK(!p.guard);
  CHECK(p.spec.user == "1000:1000");

  o.memory_bytes = 64LL << 20;
  o.cpus = 0.5;
  o.pids = 32;
  o.timeout_s = 2.5;
  o.network = "bridge";
  o.runtime = "runsc";
  o.workspace_size = "8m";
  p = plan_run(store, o);
  CHECK(p.spec.memory_bytes == 64LL << 20);
  CHECK(p.spec.cpus == 0.5);
  CHECK(p.spec.pids == 32);
  CHECK(p.timeout_s == 2.5);
  CHECK(p.spec.network == "bridge");
  REQUIRE(p.guard);  // a sandbox with a network gets its firewall
  CHECK(!p.guard->lan);
  CHECK(p.spec.runtime == "runsc");
  CHECK(size_of(p.spec, "/workspace") == "8m");
  CHECK(size_of(p.spec, "/tmp") == "128m");
  o.network = "lan";
  p = plan_run(store, o);
  CHECK(p.spec.network == "bridge");
  CHECK(p.guard->lan);
}

TEST_CASE("plan_run: out-of-range limits and bad values are BadInput naming the field") {
  auto store = orch::testing::builtin_templates();
  auto with = [](auto set) {
    RunOptions o = code("x");
    set(o);
    return o;
  };
  // The field the error names, checked to be where its message starts.
  auto field = [&](const RunOptions& o) {
    try {
      plan_run(store, o);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadInput);
      CHECK(std::string(e.what()).rfind(e.field() + " ", 0) == 0);
      return e.field();
    }
    FAIL("plan accepted");
    return std::string();
  };
  CHECK(bad_input(store, with([](RunOptions& o) { o.memory_bytes = 5LL << 20; })) == "memory must be between 6m and 64g");
  CHECK(field(with([](RunOptions& o) { o.memory_bytes = (64LL << 30) + 1; })) == "memory");
  CHECK_NOTHROW(plan_run(store, with([](RunOptions& o) { o.memory_bytes = 6LL << 20; })));
  CHECK_NOTHROW(plan_run(store, with([](RunOptions& o) { o.memory_bytes = 64LL << 30; })));
  CHECK(field(with([](RunOptions& o) { o.cpus = 0; })) == "cpus");
  CHECK(field(with([](RunOptions& o) { o.cpus = 257; })) == "cpus");
  CHECK(field(with([](RunOptions& o) { o.pids = 7; })) == "pids");
  CHECK(field(with([](RunOptions& o) { o.pids = 100001; })) == "pids");
  CHECK(field(with([](RunOptions& o) { o.timeout_s = 0; })) == "timeout");
  CHECK(field(with([](RunOptions& o) { o.timeout_s = 86401; })) == "timeout");
  CHECK(bad_input(store, with([](RunOptions& o) { o.network = "host"; })) == "network must be none, bridge or lan (got 'host')");
  CHECK(bad_input(store, with([](RunOptions& o) { o.output_cap = (64 << 20) + 1; })) == "output_limit must be between 1 byte and 64m");
  CHECK(field(with([](RunOptions& o) { o.output_cap = 0; })) == "output_limit");
  CHECK_NOTHROW(plan_run(store, with([](RunOptions& o) { o.output_cap = 64 << 20; })));
  CHECK(bad_input(store, with([](RunOptions& o) { o.workspace_size = "big"; })).find("workspace size") == 0);
}

TEST_CASE("check_run_options refuses what plan_run refuses, without a template") {
  RunOptions o = code("x");
  CHECK_NOTHROW(check_run_options(o));
  o.output_cap = size_t{100} << 30;  // `orch run --output-limit 100g`
  CHECK_THROWS_WITH_AS(check_run_options(o), "output_limit must be between 1 byte and 64m", Error);
  o = code("x");
  o.env = {"A1=x", "BAD-KEY=1"};
  CHECK_THROWS_WITH_AS(check_run_options(o), "env key 'BAD-KEY' may hold only letters, digits and _", Error);
  o.env = {"1A=x"};
  CHECK_THROWS_WITH_AS(check_run_options(o), "env key '1A' starts with a digit", Error);
  o.env = {std::string("A\0B=x", 5)};
  CHECK_THROWS_WITH_AS(check_run_options(o), "env key 'A?B' may hold only letters, digits and _", Error);
  o = code("x");
  o.args = {std::string("a\0b", 3)};
  CHECK_THROWS_WITH_AS(check_run_options(o), "args must not hold a NUL byte", Error);
  o.args = {std::string(128 << 10, 'a')};
  CHECK_THROWS_WITH_AS(check_run_options(o), "args must each be shorter than 128 KiB (the kernel's limit)", Error);
  o.args = std::vector<std::string>(9, std::string(120 << 10, 'a'));
  CHECK_THROWS_WITH_AS(check_run_options(o), "args and the environment must add up to less than 1 MiB", Error);
}

TEST_CASE("plan_run: environment variables are checked and ordered after the template's") {
  auto store = orch::testing::builtin_templates();
  RunOptions o = code("x");
  o.env = {"A=1", "EMPTY=", "WITH_EQ=a=b"};
  RunPlan p = plan_run(store, o);
  CHECK(p.spec.env[0] == "HOME=/workspace");
  CHECK(p.spec.env[1] == "ORCH_RUN_ID=" + p.run_id);
  CHECK(has(p.spec.env, "PYTHONUNBUFFERED=1"));
  REQUIRE(p.spec.env.size() >= 3);
  CHECK(std::vector<std::string>(p.spec.env.end() - 3, p.spec.env.end()) == std::vector<std::string>{"A=1", "EMPTY=", "WITH_EQ=a=b"});
  for (const char* bad : {"NOVALUE", "=x", "BAD-KEY=1", "A B=1", "K\xc3\xa9=1"}) {
    CAPTURE(std::string(bad));
    RunOptions b = code("x");
    b.env = {bad};
    CHECK(bad_input(store, b).find("env ") == 0);
  }
  RunOptions nul = code("x");
  nul.env = {std::string("A=x\0y", 5)};
  CHECK(bad_input(store, nul) == "env value holds a NUL byte");
}

TEST_CASE("plan_run: file paths must stay inside /workspace; the code file comes last") {
  auto store = orch::testing::builtin_templates();
  for (const std::string& bad : std::vector<std::string>{"../x", "/etc/passwd", "a/../../x", "", "a\\b", std::string(1025, 'f'), ".",
                                                         "a/./b", "a//b", "dir/", std::string(256, 'n') + "/x"}) {
    CAPTURE(bad.substr(0, 20));
    RunOptions o = code("x");
    o.files = {FileInput{bad, "data", 0644}};
    CHECK(bad_input(store, o).find("must be a relative path inside /workspace") != std::string::npos);
  }
  RunOptions o = code("print(open('data/in.csv').read())");
  o.files = {FileInput{"data/in.csv", "a,b\n", 0644}, FileInput{"tool.sh", "#!/bin/sh", 0755}};
  o.args = {"--verbose"};
  RunPlan p = plan_run(store, o);
  REQUIRE(p.files.size() == 3);
  CHECK(p.files[0].path == "data/in.csv");
  CHECK(p.files[1].mode == 0755);
  CHECK(p.files[2].path == "main.py");
  CHECK(p.files[2].data == "print(open('data/in.csv').read())");
  CHECK(p.args == std::vector<std::string>{"--verbose"});

  RunOptions cmd;
  cmd.command = {"ls", "-la"};
  p = plan_run(store, cmd);
  CHECK(p.files.empty());
  CHECK(p.command == std::vector<std::string>{"ls", "-la"});
}

TEST_CASE("plan_run: run id and labels") {
  auto store = orch::testing::builtin_templates();
  RunOptions o = code("x");
  o.labels = {{"orch.owner", "tenant-1"}};
  RunPlan a = plan_run(store, o);
  RunPlan b = plan_run(store, o);
  CHECK(a.run_id.size() == 14);
  CHECK(a.run_id.rfind("r-", 0) == 0);
  CHECK(a.run_id.find_first_not_of("0123456789abcdef", 2) == std::string::npos);
  CHECK(a.run_id != b.run_id);
  CHECK(a.spec.labels.at(kLabelManaged) == "1");
  CHECK(a.spec.labels.at(kLabelKind) == "run");
  CHECK(a.spec.labels.at(kLabelId) == a.run_id);
  CHECK(a.spec.labels.at(kLabelTemplate) == "python");
  CHECK(a.spec.labels.at(kLabelOwner) == "tenant-1");
  CHECK(a.spec.labels.count(kLabelCreated) == 1);
  CHECK(a.spec.open_stdin);
}

TEST_CASE("create_body: the hardening is always there") {
  engine::SandboxSpec s;
  s.image = "orch/python:latest";
  s.argv = {"python3", "-c", "1"};
  s.env = {"A=1"};
  s.memory_bytes = 300LL << 20;
  s.cpus = 1.5;
  s.pids = 77;
  s.scratch = {{"/tmp", "16m", "", "1777"}, {"/workspace", "48m", "1000:1000", "0755"}};
  s.seccomp_profile = seccomp_profile();
  s.labels = {{"orch.managed", "1"}, {"orch.id", "r-1"}};
  s.open_stdin = true;
  json b = engine::docker_create_body(s, docker::Flavor::Docker);
  const json& h = b["HostConfig"];
  CHECK(h["CapDrop"] == json::array({"ALL"}));
  CHECK(h["SecurityOpt"].size() == 2);  // no-new-privileges and the seccomp profile (test_sandbox_seccomp.cpp)
  CHECK(h["SecurityOpt"][0] == "no-new-privileges");
  CHECK(h["ReadonlyRootfs"] == true);
  CHECK(h["NetworkMode"] == "none");
  CHECK(b["NetworkDisabled"] == true);
  CHECK(h["Memory"] == 300LL << 20);
  CHECK(h["MemorySwap"] == h["Memory"]);
  CHECK(h["NanoCpus"] == 1500000000LL);
  CHECK(h["PidsLimit"] == 77);
  CHECK(h["Init"] == true);
  CHECK(h["Privileged"] == false);
  CHECK_FALSE(h.contains("Runtime"));
  CHECK_FALSE(h.contains("Mounts"));  // only a warm runner's output directory is ever mounted
  CHECK_FALSE(h.contains("Binds"));
  CHECK(h["Tmpfs"]["/tmp"] == "rw,nosuid,nodev,exec,size=16m,nr_inodes=32768,mode=1777");
  CHECK(h["Tmpfs"]["/workspace"] == "rw,nosuid,nodev,exec,size=48m,nr_inodes=32768,uid=1000,gid=1000,mode=0755");
  CHECK(b["Labels"] == json{{"orch.managed", "1"}, {"orch.id", "r-1"}});
  CHECK(b["User"] == "1000:1000");
  CHECK(b["WorkingDir"] == "/workspace");
  CHECK(b["Image"] == "orch/python:latest");
  CHECK(b["Cmd"] == json({"python3", "-c", "1"}));
  CHECK(b["Env"] == json({"A=1"}));
  CHECK(b["OpenStdin"] == true);
  CHECK(b["StdinOnce"] == true);
  CHECK(b["AttachStdin"] == true);
  CHECK(b["Tty"] == false);

  s.network = "bridge";
  s.runtime = "runsc";
  s.user = "nobody";
  s.scratch[1].owner = s.user;
  b = engine::docker_create_body(s, docker::Flavor::Docker);
  CHECK(b["HostConfig"]["NetworkMode"] == "bridge");
  CHECK(b["NetworkDisabled"] == false);
  CHECK(b["HostConfig"]["Runtime"] == "runsc");
  CHECK(b["HostConfig"]["PidsLimit"] == s.pids + 128);  // headroom for gVisor's own threads
  CHECK(b["HostConfig"]["Tmpfs"]["/workspace"] == "rw,nosuid,nodev,exec,size=48m,nr_inodes=32768,mode=0755");

  s.host_mounts = {{"/run/orch/io-0123", "/.orch-io", true}};
  b = engine::docker_create_body(s, docker::Flavor::Docker);
  REQUIRE(b["HostConfig"]["Mounts"].size() == 1);
  const json& m = b["HostConfig"]["Mounts"][0];
  CHECK(m["Type"] == "bind");
  CHECK(m["Source"] == "/run/orch/io-0123");
  CHECK(m["Target"] == "/.orch-io");
  CHECK(m["ReadOnly"] == true);
}

TEST_CASE("plan + create_body: the user's limits reach the container") {
  auto store = orch::testing::builtin_templates();
  RunOptions o = code("x");
  o.memory_bytes = 100LL << 20;
  o.pids = 50;
  RunPlan p = plan_run(store, o);
  json b = engine::docker_create_body(p.spec, docker::Flavor::Docker);
  CHECK(b["HostConfig"]["Memory"] == 100LL << 20);
  CHECK(b["HostConfig"]["MemorySwap"] == 100LL << 20);
  CHECK(b["HostConfig"]["PidsLimit"] == 50);
  CHECK(b["Labels"][kLabelId] == p.run_id);
}

TEST_CASE("boot_command: shape with and without an out marker") {
  auto plain = boot_command(10240, {"python3", "-u", "main.py", "arg one"}, "");
  REQUIRE(plain.size() == 9);
  CHECK(plain[0] == "/bin/sh");
  CHECK(plain[1] == "-c");
  CHECK(plain[2].find("count=10240 iflag=count_bytes,fullblock") != std::string::npos);
  CHECK(plain[2].find("tar -x -o -m -C /workspace -f -") != std::string::npos);
  CHECK(plain[2].substr(plain[2].size() - 18) == "PATH=$p; exec \"$@\"");  // the program's PATH, the boot steps' own
  CHECK(plain[3] == "orch-boot");
  CHECK(plain[4] == "");
  CHECK(std::vector<std::string>(plain.begin() + 5, plain.end()) == std::vector<std::string>{"python3", "-u", "main.py", "arg one"});

  auto out = boot_command(512, {"sh", "main.sh"}, "ORCH-MARK-abc123");
  REQUIRE(out.size() == 7);
  CHECK(out[2].find("count=512 ") != std::string::npos);
  CHECK(out[2].find("exec \"$@\"") == std::string::npos);
  CHECK(out[2].find("mkdir -p /workspace/out; PATH=$p; \"$@\"; rc=$?; PATH=/usr/local/sbin:") != std::string::npos);
  CHECK(out[2].find("export TAR_OPTIONS=; printf %s \"$m\"; cd / && ") != std::string::npos);  // the boot's own tar, never the run's
  CHECK(out[2].find("then L() { find workspace/out -mindepth 1") != std::string::npos);
  CHECK(out[2].find("| sort -zn |") != std::string::npos);  // smallest files first

  CHECK(out[2].substr(out[2].size() - 8) == "exit $rc");
  CHECK(out[4] == "ORCH-MARK-abc123");
  CHECK(out[5] == "sh");
  CHECK(out[6] == "main.sh");
}

TEST_CASE("plan_run: input files that would overwrite one another are refused") {
  auto store = orch::testing::builtin_templates();
  auto with = [](const std::vector<std::string>& names) {
    RunOptions o = code("print(1)");
    for (const auto& n : names) o.files.push_back({n, "x", 0644});
    return o;
  };
  CHECK(bad_input(store, with({"d", "d/e"})) == "files name 'd' as a file and as the directory of 'd/e'");
  CHECK(bad_input(store, with({"d/e/f", "d/e"})) == "files name 'd/e' as a file and as the directory of 'd/e/f'");
  CHECK(bad_input(store, with({"a.txt", "a.txt"})) == "files name 'a.txt' twice");
  CHECK(bad_input(store, with({"main.py"})) == "files hold one named 'main.py', the program's own name: name it otherwise");
  CHECK_NOTHROW(plan_run(store, with({"d", "d-e/f", "d.txt", "dd/e", "e/d"})));
}
