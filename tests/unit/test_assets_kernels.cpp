// The session kernels (src/assets/kernels/, the python and node ones after lib/frames.*) run on
// the host through their relays, spoken to with the C++ side's frame writer and parser.
#include <doctest/doctest.h>

#include <signal.h>

#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/session/protocol.hpp"
#include "core/util/embedded.hpp"
#include "fake_daemon.hpp"
#include "host_child.hpp"

using namespace orch;
using orch::testing::HostChild;

namespace {

// A kernel of `kind` in a directory of its own: its program as orch ships it, its kernel directory
// and a workspace. The kernel the relay starts is killed (by its pid file) when this goes.
class HostKernel {
 public:
  HostKernel(const std::string& kind, const std::string& file) : kind_(kind) {
    path_ = lib_.path() + "/" + file;
    std::ofstream(path_) << embedded_program("kernels/" + file);
  }
  ~HostKernel() {
    std::ifstream f(kdir_.path() + "/" + kind_ + "/pid");
    int pid = 0;
    if (f >> pid && pid > 0) ::kill(-pid, SIGKILL);
  }
  HostKernel(const HostKernel&) = delete;
  HostKernel& operator=(const HostKernel&) = delete;

  // Sends `requests` through one relay, closes its stdin and returns every reply frame.
  std::vector<session::Frame> call(const std::vector<session::Frame>& requests) {
    std::vector<std::string> argv;
    if (kind_ == "python") argv = {"python3", "-I", path_};
    else if (kind_ == "node") argv = {"node", path_};
    else argv = {"bash", path_};
    argv.insert(argv.end(), {"relay", kind_, ws_.path()});
    HostChild relay(argv, {"ORCH_KERNEL_DIR=" + kdir_.path()});
    for (const auto& r : requests) relay.write(session::encode_frame(r.type, r.payload));
    relay.close_stdin();
    REQUIRE(relay.read_until(nullptr));
    CHECK(relay.wait() == 0);
    CHECK(relay.err() == "");
    std::vector<session::Frame> replies;
    session::FrameParser parser;
    parser.feed(relay.out(), [&](session::Frame&& f) { replies.push_back(std::move(f)); });
    CHECK(parser.idle());
    return replies;
  }

  const std::string& workspace() const { return ws_.path(); }

 private:
  std::string kind_, path_;
  orch::testing::TempDir lib_, kdir_, ws_;
};

// The payloads of every frame of `type`, in order.
std::string joined(const std::vector<session::Frame>& frames, const std::string& type) {
  std::string all;
  for (const auto& f : frames)
    if (f.type == type) all += f.payload;
  return all;
}

nlohmann::json last_done(const std::vector<session::Frame>& frames) {
  REQUIRE_FALSE(frames.empty());
  REQUIRE(frames.back().type == "done");
  return nlohmann::json::parse(frames.back().payload);
}

}  // namespace

TEST_CASE("python kernel on the host: state persists across relays, output and values come back as frames") {
  HostKernel k("python", "python_kernel.py");
  auto first = k.call({{"exec", "import os\nx = 41\nprint('cwd', os.getcwd())"}});
  CHECK(joined(first, "out") == "cwd " + k.workspace() + "\n");
  CHECK(last_done(first)["status"] == "ok");
  auto second = k.call(
      {{"exec", "x + 1"}, {"run", R"j({"code": "import os\nraise ValueError(os.environ['ONLY_NOW'])", "env": {"ONLY_NOW": "v"}})j"}});
  REQUIRE(second.size() == 4);
  CHECK(second[0].type == "display");
  CHECK(nlohmann::json::parse(second[0].payload)["data"]["text/plain"] == "42");
  CHECK(nlohmann::json::parse(second[1].payload)["execution_count"] == 2);
  CHECK(second[2].type == "error");
  CHECK(nlohmann::json::parse(second[2].payload)["value"] == "v");
  CHECK(last_done(second)["status"] == "error");
}

TEST_CASE("node kernel on the host: state persists across relays, output and values come back as frames") {
  HostKernel k("node", "node_kernel.js");
  auto first = k.call({{"exec", "var x = 41; console.log('cwd', process.cwd())"}});
  CHECK(joined(first, "out") == "cwd " + k.workspace() + "\n");
  CHECK(last_done(first)["status"] == "ok");
  auto second = k.call({{"exec", "x + 1"}, {"run", R"j({"code": "throw new Error(process.env.ONLY_NOW)", "env": {"ONLY_NOW": "v"}})j"}});
  REQUIRE(second.size() == 4);
  CHECK(second[0].type == "display");
  CHECK(nlohmann::json::parse(second[0].payload)["data"]["text/plain"] == "42");
  CHECK(second[2].type == "error");
  CHECK(nlohmann::json::parse(second[2].payload)["value"] == "v");
  CHECK(last_done(second)["status"] == "error");
}

TEST_CASE("bash kernel on the host: state persists across relays, both streams and the exit code come back as frames") {
  HostKernel k("bash", "bash_kernel.sh");
  auto first = k.call({{"exec", "x=41; echo \"cwd $PWD\"; echo oops >&2"}});
  CHECK(joined(first, "out") == "cwd " + k.workspace() + "\n");
  CHECK(joined(first, "err") == "oops\n");
  CHECK(last_done(first)["exit_code"] == 0);
  auto second = k.call({{"exec", "echo $((x + 1)); false"}});
  CHECK(joined(second, "out") == "42\n");
  CHECK(last_done(second)["exit_code"] == 1);
  CHECK(last_done(second)["execution_count"] == 2);
}
