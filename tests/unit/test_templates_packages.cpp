#include <doctest/doctest.h>

#include "core/templates/packages.hpp"
#include "fake_daemon.hpp"

using namespace orch;
using namespace orch::templates;

TEST_CASE("packages: parsed, sorted, without duplicates; bad names are refused by name") {
  auto p = parse_packages({"npm:left-pad", "apt:jq", "npm:left-pad", "pip:requests==2.31", "npm:@scope/pkg@1.2.3", "apt:libc6=2.36*"});
  REQUIRE(p.size() == 5);
  CHECK(p[0].spec() == "apt:jq");
  CHECK(p[1].spec() == "apt:libc6=2.36*");
  CHECK(p[2].spec() == "npm:@scope/pkg@1.2.3");
  CHECK(p[3].spec() == "npm:left-pad");
  CHECK(p[4].spec() == "pip:requests==2.31");
  for (const char* bad : {"left-pad", "gem:rails", "npm:left pad", "apt:jq;rm -rf /", "npm:'x'", "apt:", "pip:--index-url=http://x",
                          "npm:$(id)", "apt:JQ\n"}) {
    try {
      parse_packages({bad});
      FAIL("accepted " << bad);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadInput);
    }
  }
  std::vector<std::string> many;
  many.reserve(33);
  for (int i = 0; i < 33; ++i) many.push_back("apt:p" + std::to_string(i));
  CHECK_THROWS_AS(parse_packages(many), Error);
}

TEST_CASE(
    "packages: the derived image's tag follows the base image and the list; its Dockerfile installs as root and returns to the base's "
    "user") {
  auto a = parse_packages({"npm:left-pad", "apt:jq"});
  auto b = parse_packages({"apt:jq", "npm:left-pad"});
  CHECK(derived_tag("sha256:1", a) == derived_tag("sha256:1", b));
  CHECK(derived_tag("sha256:1", a) != derived_tag("sha256:2", a));
  CHECK(derived_tag("sha256:1", a) != derived_tag("sha256:1", parse_packages({"apt:jq"})));
  CHECK(derived_tag("sha256:1", a).rfind("orch/with:", 0) == 0);
  Template base;
  base.name = "node";
  base.image = "orch/node:latest";
  base.user = "1000:1000";
  std::string df = derived_dockerfile(base, a);
  CHECK(df.find("FROM orch/node:latest\nUSER 0:0\n") != std::string::npos);
  CHECK(df.find("apt-get install -y -qq --no-install-recommends 'jq'") != std::string::npos);
  CHECK(df.find("npm install -g --prefix /opt/orch/npm --ignore-scripts") != std::string::npos);
  CHECK(df.find("ENV NODE_PATH=/opt/orch/npm/lib/node_modules") != std::string::npos);
  CHECK(df.substr(df.size() - 15) == "USER 1000:1000\n");
  CHECK(derived_dockerfile(base, parse_packages({"pip:requests"})).find("--only-binary=:all:") != std::string::npos);
}

TEST_CASE("packages: pip and npm steps run with the index settings orch was given, which never enter the image's environment") {
  Template base;
  base.name = "python";
  base.image = "orch/python:latest";
  base.user = "1000:1000";
  std::map<std::string, std::string> env = {
      {"PIP_INDEX_URL", "http://10.0.0.5:8000/simple"}, {"PIP_TRUSTED_HOST", "10.0.0.5"}, {"NPM_CONFIG_REGISTRY", "http://it's/"}};
  std::string df = derived_dockerfile(base, parse_packages({"pip:requests", "npm:left-pad"}), false, env);
  CHECK(df.find("RUN PIP_INDEX_URL='http://10.0.0.5:8000/simple' PIP_TRUSTED_HOST='10.0.0.5' python3 -m pip install") != std::string::npos);
  CHECK(df.find("NPM_CONFIG_REGISTRY='http://it'\\''s/' npm install -g") != std::string::npos);
  CHECK(df.find("ENV PIP") == std::string::npos);
  // A base without pip gets Debian's, in the derived image only; one without python3 is named.
  CHECK(df.find("apt-get install -y -qq --no-install-recommends python3-pip") < df.find("python3 -m pip install"));
  CHECK(df.find("(the image has no python3)") != std::string::npos);
  CHECK(derived_dockerfile(base, parse_packages({"npm:left-pad"})).find("python3-pip") == std::string::npos);

  setenv("PIP_INDEX_URL", "http://a/simple\nRUN id", 1);
  CHECK_THROWS_AS(index_settings(), Error);
  setenv("PIP_INDEX_URL", "http://a/simple", 1);
  CHECK(index_settings().at("PIP_INDEX_URL") == "http://a/simple");
  unsetenv("PIP_INDEX_URL");
  CHECK(index_settings().count("PIP_INDEX_URL") == 0);
}
