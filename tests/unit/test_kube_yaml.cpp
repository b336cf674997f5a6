#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/kube/yaml.hpp"

using namespace orch;
using nlohmann::json;

TEST_CASE("parse_yaml reads what kubectl config view --raw --flatten writes") {
  const char* text = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tQ0E=
    server: https://127.0.0.1:6443
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    namespace: sandboxes   # a comment
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: Q0VSVA==
    token: "abc#def"
    insecure: true
)";
  json j = kube::parse_yaml(text);
  CHECK(j["apiVersion"] == "v1");
  CHECK(j["preferences"] == json::object());
  REQUIRE(j["clusters"].size() == 1);
  CHECK(j["clusters"][0]["name"] == "kind-kind");
  CHECK(j["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443");
  CHECK(j["contexts"][0]["context"]["namespace"] == "sandboxes");
  CHECK(j["users"][0]["user"]["token"] == "abc#def");
  CHECK(j["users"][0]["user"]["insecure"] == true);
  CHECK(j["current-context"] == "kind-kind");
}

TEST_CASE("parse_yaml: indented sequences, nested sequences, quotes, escapes, empty values") {
  json j = kube::parse_yaml("a:\n  - x\n  - 'it''s'\n  -\n    k: v\nb: \"tab\\there \\u00e9\"\nc:\nd: [1, \"two\"]\ne:\n- - 1\n  - 2\n");
  CHECK(j["a"] == json::array({"x", "it's", {{"k", "v"}}}));
  CHECK(j["b"] == "tab\there \xc3\xa9");
  CHECK(j["c"].is_null());
  CHECK(j["d"] == json::array({1, "two"}));
  CHECK(j["e"] == json::array({json::array({"1", "2"})}));
}

TEST_CASE("parse_yaml takes JSON (kubectl config view -o json) and an empty document") {
  CHECK(kube::parse_yaml(R"({"current-context": "x", "clusters": []})")["current-context"] == "x");
  CHECK(kube::parse_yaml("# nothing\n---\n") == json::object());
  CHECK(kube::parse_yaml("\r\nkey: value\r\n")["key"] == "value");
}

TEST_CASE("parse_yaml refuses what it does not support, naming the line") {
  auto message = [](const char* text) {
    try {
      kube::parse_yaml(text);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadInput);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("a: 1\n\tb: 2\n") == "YAML line 2: tabs cannot indent YAML");
  CHECK(message("a: |\n  text\n") == "YAML line 1: anchors, aliases, tags and block scalars are not supported");
  CHECK(message("a: 1\n---\nb: 2\n") == "YAML line 2: only one document is supported");
  CHECK(message("a: 1\na: 2\n") == "YAML line 2: duplicate key 'a'");
  CHECK(message("a: \"open\n") == "YAML line 1: unterminated quoted string");
  CHECK(message("a:\n  b: 1\n    c: 2\n") == "YAML line 3: unexpected indentation");
  CHECK(message("{\"a\": ") .rfind("invalid JSON", 0) == 0);
}
