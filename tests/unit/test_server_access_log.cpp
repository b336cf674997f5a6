#include <doctest/doctest.h>

#include <regex>

#include "server/access_log.hpp"

using orch::server::route_template;

namespace {
std::string route_for(const char* pattern, const std::string& path) {
  httplib::Request req;
  req.path = path;
  std::regex re(pattern);
  REQUIRE(std::regex_match(req.path, req.matches, re));
  return route_template(req);
}
}  // namespace

TEST_CASE("a matched route is reported as its template, never the raw path") {
  CHECK(route_for("/health", "/health") == "/health");
  CHECK(route_for(R"(/v1/sessions/([^/]+))", "/v1/sessions/s-1234") == "/v1/sessions/{id}");
  CHECK(route_for(R"(/v1/sessions/([^/]+)/exec)", "/v1/sessions/abc/exec") == "/v1/sessions/{id}/exec");
  CHECK(route_for(R"(/a/([^/]+)/b/([^/]+))", "/a/x/b/y") == "/a/{id}/b/{arg2}");
  CHECK(route_for(R"(/f/((x)y))", "/f/xy") == "/f/{id}");  // a nested group is part of the outer one
}

TEST_CASE("a request no route matched has one label, whatever its path") {
  httplib::Request req;
  req.path = "/v1/sessions/s-secret";
  CHECK(route_template(req) == "(unmatched)");
}
