// KubeEngine against an in-process API server (httplib on 127.0.0.1) that keeps pods and
// ConfigMaps in memory: records as ConfigMaps, and pods that asked for remove_on_exit.
#include <doctest/doctest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <thread>

#include "core/kube/engine.hpp"
#include "core/sandbox/spec.hpp"

using namespace orch;
using namespace orch::kube;
using nlohmann::json;

namespace {

// Named objects of one kind; a list answers every item (KubeEngine refines by the exact labels).
class FakeApi {
 public:
  FakeApi() {
    serve("/api/v1/namespaces/default/configmaps", config_maps_);
    serve("/api/v1/namespaces/default/pods", pods_);
    srv_.Get("/api/v1/namespaces/default/pods/([^/]+)/exec", [](const httplib::Request&, httplib::Response& res) {
      res.status = 400;  // what the API answers for an exec into a container that is not running
      res.set_content(json{{"message", "container sandbox is not running"}}.dump(), "application/json");
    });
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
  }
  ~FakeApi() {
    srv_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::map<std::string, json>& config_maps() { return config_maps_; }
  std::map<std::string, json>& pods() { return pods_; }
  std::vector<std::string> deleted;

 private:
  void serve(const std::string& path, std::map<std::string, json>& objects) {
    srv_.Post(path, [this, &objects](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      json obj = json::parse(req.body);
      objects[obj["metadata"]["name"]] = obj;
      res.status = 201;
      res.set_content(obj.dump(), "application/json");
    });
    srv_.Get(path, [this, &objects](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      json items = json::array();
      for (const auto& [name, obj] : objects) items.push_back(obj);
      res.set_content(json{{"items", items}}.dump(), "application/json");
    });
    srv_.Get(path + "/([^/]+)", [this, &objects](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = objects.find(req.matches[1]);
      res.status = it == objects.end() ? 404 : 200;
      res.set_content(it == objects.end() ? json{{"message", "not found"}}.dump() : it->second.dump(), "application/json");
    });
    srv_.Delete(path + "/([^/]+)", [this, &objects](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = objects.find(req.matches[1]);
      if (it == objects.end()) {
        res.status = 404;
        res.set_content(json{{"message", "not found"}}.dump(), "application/json");
        return;
      }
      deleted.push_back(req.matches[1]);
      res.set_content(it->second.dump(), "application/json");
      objects.erase(it);
    });
  }

  httplib::Server srv_;
  std::mutex mu_;
  std::map<std::string, json> config_maps_, pods_;
  int port_ = 0;
  std::thread thread_;
};

KubeEngine engine_for(const FakeApi& api) {
  Config cfg;
  cfg.server = api.url();
  return KubeEngine(cfg, PodOptions{});
}

json session_pod(const std::string& name, bool remove_on_exit, const json& state) {
  engine::SandboxSpec s;
  s.name = name;
  s.image = "orch/python";
  s.user = "1000:1000";
  s.argv = {"/bin/sh", "-c", "true"};
  s.labels = {{sandbox::kLabelManaged, "1"}, {sandbox::kLabelKind, "session"}, {sandbox::kLabelId, name}};
  s.remove_on_exit = remove_on_exit;
  json pod = pod_manifest(s, PodOptions{});
  pod["status"] = {{"phase", state.contains("terminated") ? "Succeeded" : "Running"},
                   {"containerStatuses", json::array({{{"name", "sandbox"}, {"state", state}}})}};
  return pod;
}

}  // namespace

TEST_CASE("records are ConfigMaps holding only labels: label-safe ones to select by, the exact ones in the annotation") {
  FakeApi api;
  KubeEngine engine = engine_for(api);
  engine::Labels claim = {{sandbox::kLabelManaged, "1"}, {sandbox::kLabelKind, "claim"}, {sandbox::kLabelId, "s-0123456789ab"}};
  claim.insert({{sandbox::kLabelOwner, "team a"}, {"suite", "lifecycle-42"}, {"not a key", "kept"}});
  engine.create_record("orch-s-0123456789ab-claim", claim);
  REQUIRE(api.config_maps().count("orch-s-0123456789ab-claim") == 1);
  const json& cm = api.config_maps()["orch-s-0123456789ab-claim"];
  CHECK(cm["kind"] == "ConfigMap");
  CHECK_FALSE(cm.contains("data"));
  CHECK(cm["metadata"]["labels"][sandbox::kLabelOwner] == "team_a");
  CHECK_FALSE(cm["metadata"]["labels"].contains("not a key"));

  CHECK(engine.find_record("orch-s-0123456789ab-claim") == claim);
  CHECK_FALSE(engine.find_record("orch-s-ffffffffffff-claim").has_value());
  engine.create_record("orch-s-ffffffffffff-claim", {{sandbox::kLabelManaged, "1"}, {sandbox::kLabelKind, "other"}});
  auto claims = engine.list_records({{sandbox::kLabelKind, "claim"}, {sandbox::kLabelOwner, "team a"}});
  REQUIRE(claims.size() == 1);
  CHECK(claims[0].first == "orch-s-0123456789ab-claim");
  CHECK(claims[0].second == claim);

  engine.remove_record("orch-s-0123456789ab-claim");
  engine.remove_record("orch-s-0123456789ab-claim");  // gone is not an error
  CHECK(api.config_maps().count("orch-s-0123456789ab-claim") == 0);
}

TEST_CASE("a pod that asked for remove_on_exit is deleted when list or inspect sees it ended, and reported gone") {
  FakeApi api;
  KubeEngine engine = engine_for(api);
  json ended = {{"terminated", {{"exitCode", 0}}}};
  api.pods()["orch-s-aaaaaaaaaaaa"] = session_pod("orch-s-aaaaaaaaaaaa", true, ended);
  api.pods()["orch-s-bbbbbbbbbbbb"] = session_pod("orch-s-bbbbbbbbbbbb", true, {{"running", json::object()}});
  api.pods()["orch-r-cccccccccccc"] = session_pod("orch-r-cccccccccccc", false, ended);
  CHECK(api.pods()["orch-s-aaaaaaaaaaaa"]["metadata"]["annotations"][kAnnotationRemoveOnExit] == "1");

  auto listed = engine.list({{sandbox::kLabelManaged, "1"}});
  std::vector<std::string> names;
  names.reserve(listed.size());
  for (const auto& s : listed) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"orch-r-cccccccccccc", "orch-s-bbbbbbbbbbbb"});  // an ended run pod stays for its exit code
  CHECK(api.deleted == std::vector<std::string>{"orch-s-aaaaaaaaaaaa"});

  api.pods()["orch-s-dddddddddddd"] = session_pod("orch-s-dddddddddddd", true, ended);
  CHECK_FALSE(engine.inspect("orch-s-dddddddddddd").has_value());
  CHECK(api.pods().count("orch-s-dddddddddddd") == 0);
  CHECK(engine.inspect("orch-s-bbbbbbbbbbbb")->running);
  CHECK(engine.inspect("orch-r-cccccccccccc")->exit_code == 0);
}

TEST_CASE("an exec refused because the pod's container is not running is a conflict, not bad input") {
  FakeApi api;
  KubeEngine engine = engine_for(api);
  engine::ExecSpec spec;
  spec.argv = {"true"};
  json ended = {{"terminated", {{"exitCode", 0}}}};
  for (bool remove_on_exit : {true, false}) {  // an ended session pod is deleted once seen; a run pod stays
    api.pods()["orch-s-eeeeeeeeeeee"] = session_pod("orch-s-eeeeeeeeeeee", remove_on_exit, ended);
    try {
      engine.exec("orch-s-eeeeeeeeeeee", spec);
      FAIL("the exec was not refused");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::Conflict);
      CHECK(e.reason() == Reason::NotRunning);
    }
  }
  api.pods()["orch-s-ffffffffffff"] = session_pod("orch-s-ffffffffffff", true, {{"running", json::object()}});
  // Still running: the API's word stands.
  CHECK_THROWS_WITH_AS(engine.exec("orch-s-ffffffffffff", spec), doctest::Contains("answered 400"), Error);
}
