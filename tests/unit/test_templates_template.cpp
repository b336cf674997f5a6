#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "core/templates/template.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::templates;
using nlohmann::json;
using orch::testing::ScopedEnv;
using orch::testing::TempDir;

namespace {

const std::map<std::string, std::string> kFiles = {{"Dockerfile", "FROM debian:bookworm\n"}};

json valid_spec() {
  return json::parse(R"({
    "name": "ruby-3",
    "description": "Ruby",
    "image": "orch/ruby:3",
    "default_language": "ruby",
    "languages": {
      "ruby": {"file": "main.rb", "extensions": [".rb"], "run": ["ruby", "{file}"]},
      "irb": {"file": "main.rb", "run": ["irb"], "kernel": "ruby"}
    },
    "limits": {"memory": "512m", "cpus": 2, "pids": 64, "timeout": 10, "tmp_size": "16m", "workspace_size": "32m"},
    "network": "bridge",
    "env": {"LANG": "C.UTF-8"},
    "user": "2000:2000",
    "runtime": "runsc"
  })");
}

// The BadInput message from parsing `spec`.
std::string rejection(const json& spec, std::map<std::string, std::string> files = kFiles) {
  try {
    parse(spec, "/tmp/t", std::move(files));
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadInput);
    return e.what();
  }
  FAIL("spec accepted: " << spec.dump());
  return "";
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string template_json(const std::string& name, const std::string& image, const std::string& extra = "") {
  return R"({"name": ")" + name + R"(", "image": ")" + image +
         R"(", "languages": {"ruby": {"file": "main.rb", "extensions": [".rb"], "run": ["ruby", "{file}"]}})" + extra +
         "}";
}

}  // namespace

TEST_CASE("parse: every field of a valid spec") {
  Template t = parse(valid_spec(), "/home/u/.config/orch/templates/ruby-3", kFiles);
  CHECK(t.name == "ruby-3");
  CHECK(t.description == "Ruby");
  CHECK(t.image == "orch/ruby:3");
  CHECK(t.default_language == "ruby");
  REQUIRE(t.languages.size() == 2);
  const Language* ruby = t.language("ruby");
  REQUIRE(ruby);
  CHECK(ruby->file == "main.rb");
  CHECK(ruby->extensions == std::vector<std::string>{".rb"});
  CHECK(ruby->run == std::vector<std::string>{"ruby", "{file}"});
  CHECK(ruby->kernel == "");
  CHECK(t.language("irb")->kernel == "ruby");
  CHECK(t.language("python") == nullptr);
  CHECK(t.language_for_extension(".rb") == ruby);
  CHECK(t.language_for_extension(".py") == nullptr);
  CHECK(t.limits.memory_bytes == 512LL << 20);
  CHECK(t.limits.cpus == 2.0);
  CHECK(t.limits.pids == 64);
  CHECK(t.limits.timeout_s == 10.0);
  CHECK(t.limits.tmp_size == "16m");
  CHECK(t.limits.workspace_size == "32m");
  CHECK(t.network == "bridge");
  CHECK(t.env == std::map<std::string, std::string>{{"LANG", "C.UTF-8"}});
  CHECK(t.user == "2000:2000");
  CHECK(t.runtime == "runsc");
  CHECK(t.source == "/home/u/.config/orch/templates/ruby-3");
  CHECK(t.files == kFiles);
}

TEST_CASE("parse: defaults for optional fields") {
  json spec = {{"name", "tiny"}, {"languages", {{"sh", {{"file", "main.sh"}, {"run", {"sh", "{file}"}}}}}}};
  Template t = parse(spec, "builtin", kFiles);
  CHECK(t.image == "orch/tiny:latest");
  CHECK(t.default_language == "sh");
  CHECK(t.network == "none");
  CHECK(t.user == "1000:1000");
  CHECK(t.runtime == "");
  CHECK(t.limits.memory_bytes == 256LL << 20);
  CHECK(t.limits.pids == 128);
  CHECK(t.limits.timeout_s == 30.0);
  CHECK(t.env.empty());
}

TEST_CASE("parse: validation errors name the field") {
  json s = valid_spec();
  CHECK(contains(rejection(json::array()), "not a JSON object"));

  s = valid_spec();
  s["name"] = "Ruby!";
  CHECK(contains(rejection(s), "'name' must be lowercase letters, digits, - or _ (got 'Ruby!')"));
  s.erase("name");
  CHECK(contains(rejection(s), "'name'"));
  s["name"] = std::string(65, 'a');
  CHECK(contains(rejection(s), "'name'"));
  s["name"] = 42;
  CHECK(contains(rejection(s), "field 'name' has the wrong type"));

  s = valid_spec();
  s.erase("languages");
  CHECK(contains(rejection(s), "'languages' must be an object with at least one language"));
  s["languages"] = json::object();
  CHECK(contains(rejection(s), "'languages'"));
  s["languages"] = json::array({"ruby"});
  CHECK(contains(rejection(s), "'languages'"));

  s = valid_spec();
  s["languages"]["ruby"]["run"] = json::array();
  CHECK(contains(rejection(s), "language ruby: 'run' must be a non-empty array"));
  s["languages"]["ruby"].erase("run");
  CHECK(contains(rejection(s), "language ruby: 'run'"));
  s["languages"]["ruby"]["run"] = "ruby main.rb";
  CHECK(contains(rejection(s), "field 'run' has the wrong type"));

  s = valid_spec();
  s["languages"]["ruby"]["file"] = "../main.rb";
  CHECK(contains(rejection(s), "language ruby: 'file' must be a plain file name"));
  s["languages"]["ruby"].erase("file");
  CHECK(contains(rejection(s), "'file'"));

  s = valid_spec();
  s["default_language"] = "python";
  CHECK(contains(rejection(s), "default_language 'python' is not among its languages"));
  s["default_language"] = 3;
  CHECK(contains(rejection(s), "field 'default_language' has the wrong type"));

  s = valid_spec();
  s["network"] = "host";
  CHECK(contains(rejection(s), "'network' must be none, bridge or lan"));

  s = valid_spec();
  s["limits"] = "big";
  CHECK(contains(rejection(s), "'limits' must be an object"));
  s["limits"] = {{"memory", 512}};
  CHECK(contains(rejection(s), "field 'memory' has the wrong type"));
  s["limits"] = {{"memory", "lots"}};
  CHECK(contains(rejection(s), "limits.memory"));
  s["limits"] = {{"cpus", "two"}};
  CHECK(contains(rejection(s), "field 'cpus' has the wrong type"));
  s["limits"] = {{"tmp_size", "huge"}};
  CHECK(contains(rejection(s), "limits.tmp_size"));

  s = valid_spec();
  s["env"] = {{"A", 1}};
  CHECK(contains(rejection(s), "field 'env' has the wrong type"));
  s["env"] = json::array({"A=1"});
  CHECK(contains(rejection(s), "field 'env' has the wrong type"));

  s = valid_spec();
  s["languages"]["ruby"]["extensions"] = ".rb";
  CHECK(contains(rejection(s), "field 'extensions' has the wrong type"));

  CHECK(contains(rejection(valid_spec(), {{"README", "x"}}), "has no Dockerfile"));
  CHECK(contains(rejection(valid_spec(), {{"README", "x"}}), "ruby-3"));
}

TEST_CASE("to_json reports what parse read") {
  Template t = parse(valid_spec(), "builtin", kFiles);
  json j = to_json(t);
  CHECK(j["name"] == "ruby-3");
  CHECK(j["limits"]["memory_bytes"] == 512LL << 20);
  CHECK(j["limits"]["memory"] == "512.0 MiB");
  CHECK(j["languages"]["ruby"]["run"] == json({"ruby", "{file}"}));
  CHECK(j["network"] == "bridge");
}

TEST_CASE("Store::load: built-in templates are compiled in") {
  TempDir empty;
  ScopedEnv env("ORCH_TEMPLATES", empty.path());
  Store s = Store::load();
  CHECK(s.warnings().empty());
  for (const char* name : {"bash", "minimal", "node", "python", "python-data"}) {
    CAPTURE(std::string(name));
    const Template* t = s.find(name);
    REQUIRE(t);
    CHECK(t->source == "builtin");
    CHECK(t->files.count("Dockerfile") == 1);
    CHECK(t->files.count("template.json") == 0);
  }
  CHECK(s.get("python").image == "orch/python:latest");
  CHECK(s.get("python").language("python")->run == std::vector<std::string>{"python3", "-u", "{file}"});
  CHECK(s.get("python").files.at("Dockerfile").find("FROM") != std::string::npos);
  CHECK(s.get("python-data").limits.memory_bytes == 512LL << 20);
  for (size_t i = 1; i < s.all().size(); ++i) CHECK(s.all()[i - 1]->name < s.all()[i]->name);
}

TEST_CASE("Store: for_language and language_for_extension") {
  TempDir empty;
  ScopedEnv env("ORCH_TEMPLATES", empty.path());
  Store s = Store::load();
  CHECK(s.for_language("python")->name == "python");
  CHECK(s.for_language("node")->name == "node");
  CHECK(s.for_language("javascript")->name == "node");
  CHECK(s.for_language("sh")->name == "minimal");
  CHECK(s.for_language("bash")->name == "bash");
  CHECK(s.for_language("cobol") == nullptr);
  CHECK(s.language_for_extension(".py") == "python");
  CHECK(s.language_for_extension(".js") == "node");
  CHECK(s.language_for_extension(".cjs") == "node");
  CHECK(s.language_for_extension(".sh") == "bash");
  CHECK(s.language_for_extension(".bash") == "bash");
  CHECK(s.language_for_extension(".rs") == "rust");
  CHECK_FALSE(s.language_for_extension(".cob").has_value());
  CHECK_FALSE(s.language_for_extension("").has_value());
}

TEST_CASE("Store::get: unknown names are NotFound with a suggestion") {
  Store s = Store::from({parse(valid_spec(), "builtin", kFiles)});
  try {
    s.get("ruby3");
    FAIL("found");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::NotFound);
    CHECK(std::string(e.what()) == "unknown template 'ruby3' (did you mean 'ruby-3'?) (orch templates ls lists them)");
  }
  try {
    s.get("haskell");
    FAIL("found");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "unknown template 'haskell' (orch templates ls lists them)");
  }
}

TEST_CASE("Store::load: user templates add, override built-ins, and broken ones only warn") {
  TempDir dir;
  dir.write("ruby/template.json", template_json("ruby", "orch/ruby:latest"));
  dir.write("ruby/Dockerfile", "FROM ruby:3\n");
  dir.write("ruby/lib/helper.rb", "puts 1\n");
  dir.write("my-python/template.json",
            template_json("python", "corp/python:3.12", R"(, "limits": {"memory": "1g"}, "default_language": "ruby")"));
  dir.write("my-python/Dockerfile", "FROM python:3.12\n");
  dir.write("broken-json/template.json", "{ not json");
  dir.write("broken-json/Dockerfile", "FROM x\n");
  dir.write("no-dockerfile/template.json", template_json("nodock", "x"));
  dir.write("bad-net/template.json", template_json("badnet", "x", R"(, "network": "host")"));
  dir.write("bad-net/Dockerfile", "FROM x\n");
  dir.write("bad-mem/template.json", template_json("badmem", "x", R"(, "limits": {"memory": "lots"})"));
  dir.write("bad-mem/Dockerfile", "FROM x\n");
  dir.write("not-a-template/README", "ignored");
  dir.write("stray-file.json", "{}");
  ScopedEnv env("ORCH_TEMPLATES", dir.path());
  CHECK(user_templates_dir() == dir.path());
  Store s = Store::load();

  const Template& ruby = s.get("ruby");
  CHECK(ruby.source == dir.path() + "/ruby");
  CHECK(ruby.files.at("Dockerfile") == "FROM ruby:3\n");
  CHECK(ruby.files.at("lib/helper.rb") == "puts 1\n");
  CHECK(ruby.files.count("template.json") == 0);

  const Template& py = s.get("python");
  CHECK(py.image == "corp/python:3.12");
  CHECK(py.source == dir.path() + "/my-python");
  CHECK(py.limits.memory_bytes == 1LL << 30);
  int pythons = 0;
  for (const auto* t : s.all()) pythons += t->name == "python";
  CHECK(pythons == 1);
  CHECK(s.find("node") != nullptr);

  CHECK(s.find("nodock") == nullptr);
  CHECK(s.find("badnet") == nullptr);
  auto w = s.warnings();
  REQUIRE(w.size() == 4);
  CHECK(contains(w[0], dir.path() + "/bad-mem"));
  CHECK(contains(w[0], "limits.memory: 'lots' is not valid"));
  CHECK(contains(w[1], dir.path() + "/bad-net"));
  CHECK(contains(w[1], "'network' must be none, bridge or lan"));
  CHECK(contains(w[2], dir.path() + "/broken-json"));
  CHECK(contains(w[2], "not valid JSON"));
  CHECK(contains(w[3], dir.path() + "/no-dockerfile"));
  CHECK(contains(w[3], "has no Dockerfile"));
}

TEST_CASE("user_templates_dir: ORCH_TEMPLATES, then XDG_CONFIG_HOME, then HOME") {
  {
    ScopedEnv a("ORCH_TEMPLATES", "");
    ScopedEnv b("XDG_CONFIG_HOME", "/xdg");
    CHECK(user_templates_dir() == "/xdg/orch/templates");
  }
  ScopedEnv a("ORCH_TEMPLATES", "");
  ScopedEnv b("XDG_CONFIG_HOME", "");
  ScopedEnv c("HOME", "/home/someone");
  CHECK(user_templates_dir() == "/home/someone/.config/orch/templates");
}

TEST_CASE("Store: 'default' names python, and templates added later keep earlier ones in place") {
  orch::testing::TempDir empty;
  orch::testing::ScopedEnv env("ORCH_TEMPLATES", empty.path());
  auto store = Store::load();
  const Template* python = store.find("python");
  REQUIRE(python);
  CHECK(store.find("default") == python);
  Template extra = *python;
  extra.name = "python-more";
  for (int i = 0; i < 100; ++i) {
    extra.name = "more-" + std::to_string(i);
    store.add(extra);
  }
  CHECK(store.find("python") == python);
  CHECK(store.get("more-42").name == "more-42");
  CHECK_THROWS_AS(store.add(extra), orch::Error);
  CHECK(store.all().size() >= 108);
}
