#include <doctest/doctest.h>
#include <algorithm>

#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "core/sandbox/figures.hpp"
#include "core/sandbox/run.hpp"
#include "core/util/tar.hpp"
#include "fake_daemon.hpp"
#include "helpers.hpp"

using namespace orch;
using namespace orch::sandbox;

namespace {

bool has_env(const RunPlan& p, const std::string& kv) { return std::find(p.spec.env.begin(), p.spec.env.end(), kv) != p.spec.env.end(); }

// A python run with --out.
RunPlan plan_collecting_out() {
  static const auto store = orch::testing::builtin_templates();
  RunOptions o;
  o.code = "x";
  o.collect_out = true;
  return plan_run(store, o);
}

}  // namespace

TEST_CASE("read-only workspace: root-owned, files unpacked before the program, nothing collected from it") {
  auto store = orch::testing::builtin_templates();
  RunOptions o;
  o.code = "print(1)";
  o.readonly_workspace = true;
  o.capture_workspace = true;
  o.collect_out = true;
  RunPlan p = plan_run(store, o);
  auto ws =
      std::find_if(p.spec.scratch.begin(), p.spec.scratch.end(), [](const engine::ScratchMount& m) { return m.path == "/workspace"; });
  REQUIRE(ws != p.spec.scratch.end());
  CHECK(ws->owner == "0:0");
  CHECK(p.readonly_workspace);
  CHECK_FALSE(p.capture_workspace);
  CHECK(p.collect().empty());
  auto cmd = boot_command(0, {"python3", "main.py"}, "", p.collect(), true);
  CHECK(cmd[2].find("dd bs=1 count=1 of=/dev/null") != std::string::npos);
  CHECK(cmd[2].find("tar -x") == std::string::npos);
}

TEST_CASE("captured workspace: new and changed files come back, given ones and .orch do not") {
  auto store = orch::testing::builtin_templates();
  RunOptions o;
  o.code = "x";
  o.language = "bash";
  o.files = {{"given.txt", "same", 0644}, {"changed.txt", "old", 0644}};
  o.capture_workspace = true;
  RunPlan p = plan_run(store, o);
  REQUIRE(p.collect() == std::vector<std::string>{"workspace"});
  tar::Writer w;
  w.add_dir("workspace", 0755);
  w.add_file("workspace/given.txt", "same", 0644);
  w.add_file("workspace/changed.txt", "new", 0644);
  w.add_file("workspace/main.sh", "x", 0644);
  w.add_file("workspace/sub/made.txt", "made", 0644);
  w.add_file("workspace/.orch/cache", "internal", 0644);
  w.add_file("etc/passwd", "not collected", 0644);
  RunResult res;
  read_artifacts(w.finish(), false, p, res);
  const auto& arts = res.artifacts;
  REQUIRE(arts.size() == 2);
  CHECK(arts[0].path == "changed.txt");
  CHECK(arts[0].data == "new");
  CHECK(arts[1].path == "sub/made.txt");
  CHECK_FALSE(res.artifacts_truncated);
}

TEST_CASE("out files keep their paths under out/; a cut archive is flagged") {
  RunPlan p = plan_collecting_out();
  REQUIRE(p.collect() == std::vector<std::string>{"workspace/out"});
  tar::Writer w;
  w.add_file("workspace/out/report.txt", "done", 0644);
  w.add_file("workspace/other.txt", "not out", 0644);
  RunResult res;
  read_artifacts(w.finish(), false, p, res);
  REQUIRE(res.artifacts.size() == 1);
  CHECK(res.artifacts[0].path == "report.txt");
  CHECK(res.artifacts[0].mime.empty());
  RunResult cut;
  read_artifacts(std::string(700, 'x'), false, p, cut);
  CHECK(cut.artifacts_truncated);
}

TEST_CASE("out files past the size cap are named after the archive, not streamed") {
  RunPlan p = plan_collecting_out();
  // The boot shell archives what fits and lists the rest; its awk is given the cap less 1 MiB.
  auto cmd = boot_command(0, {"sh", "main.sh"}, "M", p.collect(), false, 64 << 20);
  CHECK(cmd[2].find("-v c=" + std::to_string(63 << 20) + " ") != std::string::npos);
  CHECK(cmd[2].find("L 1 | tar -c -f - --null --no-recursion -T -") != std::string::npos);
  CHECK(cmd[2].find("L 0 | head -z -n 100; printf") != std::string::npos);
  tar::Writer w;
  w.add_file("workspace/out/small.txt", "kept", 0644);
  std::string bytes = w.finish();
  bytes += std::string(kTooBigTag) + "workspace/out/huge.bin" + '\0' + "workspace/out/d/more.bin" + '\0';
  bytes += std::string(kTarStatusTag) + "0\x1e";
  RunResult res;
  read_artifacts(bytes, false, p, res);
  REQUIRE(res.artifacts.size() == 1);
  CHECK(res.artifacts[0].data == "kept");
  REQUIRE(res.artifacts_skipped.size() == 2);
  CHECK(res.artifacts_skipped[0].path == "huge.bin");
  CHECK(res.artifacts_skipped[0].reason == "past the 64 MiB limit for all files returned");
  CHECK(res.artifacts_skipped[1].path == "d/more.bin");
  CHECK(res.artifacts_truncated);
  // Without the list (a boot shell without GNU find) nothing is skipped.
  RunResult plain;
  read_artifacts(w.finish() + std::string(kTarStatusTag) + "0\x1e", false, p, plain);
  CHECK(plain.artifacts_skipped.empty());
  CHECK_FALSE(plain.artifacts_truncated);
}

TEST_CASE("figures: only python-data code that uses matplotlib gets the backend, and PNGs come back typed") {
  auto store = orch::testing::builtin_templates();
  RunOptions o;
  o.template_name = "python-data";
  o.code = "print(1)";
  CHECK_FALSE(plan_run(store, o).capture_figures);
  o.code = "import matplotlib.pyplot as plt\nplt.plot([1])\nplt.show()";
  RunPlan p = plan_run(store, o);
  REQUIRE(p.capture_figures);
  CHECK(has_env(p, "MPLBACKEND=module://orch_figures"));
  CHECK(has_env(p, "PYTHONPATH=/workspace/.orch"));
  CHECK_FALSE(has_env(p, "MPLBACKEND=Agg"));
  CHECK(std::any_of(p.files.begin(), p.files.end(),
                    [](const FileInput& f) { return f.path == ".orch/orch_figures.py" && f.data.find("def show") != std::string::npos; }));
  CHECK(p.collect() == std::vector<std::string>{"tmp/orch-figures"});
  tar::Writer w;
  w.add_file("tmp/orch-figures/figure-1.png", "\x89PNG", 0644);
  w.add_file("tmp/orch-figures/nested/x.png", "no", 0644);
  w.add_file("tmp/orch-figures/notes.txt", "no", 0644);
  RunResult res;
  read_artifacts(w.finish(), false, p, res);
  REQUIRE(res.artifacts.size() == 1);
  CHECK(res.artifacts[0].path == "figure-1.png");
  CHECK(res.artifacts[0].mime == "image/png");
  o.env = {"MPLBACKEND=svg"};
  CHECK_FALSE(plan_run(store, o).capture_figures);  // the caller chose a backend
  o.env.clear();
  o.template_name = "python";
  CHECK_FALSE(plan_run(store, o).capture_figures);  // the template does not capture figures
}

TEST_CASE("an image's own command: no boot shell, no files, its working directory, a label") {
  auto store = orch::testing::builtin_templates();
  RunOptions o;
  o.template_name = "minimal";
  o.image = "cortex/tool:1";
  o.env = {"FILE=a.pdf"};
  RunPlan p = plan_run(store, o);
  CHECK(p.image_command);
  CHECK(p.spec.image == "cortex/tool:1");
  CHECK(p.spec.workdir.empty());
  CHECK(p.files.empty());
  CHECK(p.spec.labels["orch.image"] == "cortex/tool:1");
  CHECK_FALSE(engine::docker_create_body(p.spec, docker::Flavor::Docker).contains("WorkingDir"));
  CHECK(engine::docker_create_body(p.spec, docker::Flavor::Docker)["HostConfig"]["ReadonlyRootfs"] == true);
  o.code = "print(1)";
  CHECK_THROWS_AS(plan_run(store, o), Error);
  o.code.clear();
  o.image = "bad image";
  CHECK_THROWS_AS(plan_run(store, o), Error);
}
