#include <doctest/doctest.h>

#include "server/metrics.hpp"

using namespace orch::server;

TEST_CASE("sample values are written the way Prometheus reads them") {
  CHECK(format_value(3) == "3");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(1796143143.5) == "1796143143.5");  // a start time keeps its digits
  CHECK(format_value(1.0 / 0.0) == "+Inf");
}

TEST_CASE("requests are counted per method, route template and status, with a latency histogram") {
  Metrics m;
  m.record_request("GET", "/v1/sessions/{id}", 404, 0.003);
  m.record_request("GET", "/v1/sessions/{id}", 404, 0.2);
  std::string out = m.prometheus({});
  CHECK(out.find("orch_http_requests_total{method=\"GET\",route=\"/v1/sessions/{id}\",code=\"404\"} 2\n") != std::string::npos);
  CHECK(out.find("orch_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/sessions/{id}\",le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(out.find("orch_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/sessions/{id}\",le=\"+Inf\"} 2\n") != std::string::npos);
  CHECK(out.find("orch_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/sessions/{id}\"} 2\n") != std::string::npos);
}

TEST_CASE("every family has HELP and TYPE, scraped ones included") {
  Metrics m;
  m.record_exec("ok", 0.5);
  std::string out = m.prometheus({{"orch_x", "gauge", "An x.", {{"{a=\"b\"}", 2}}}});
  CHECK(out.find("# HELP orch_x An x.\n# TYPE orch_x gauge\norch_x{a=\"b\"} 2\n") != std::string::npos);
  CHECK(out.find("orch_session_execs_total{status=\"ok\"} 1\n") != std::string::npos);
  size_t helps = 0, types = 0;
  for (size_t at = 0; (at = out.find("# HELP ", at)) != std::string::npos; ++at) ++helps;
  for (size_t at = 0; (at = out.find("# TYPE ", at)) != std::string::npos; ++at) ++types;
  CHECK(helps == types);
}

TEST_CASE("process metrics come from /proc") {
  auto families = process_families();
  REQUIRE(families.size() >= 6);
  for (const auto& f : families) {
    CHECK(f.name.rfind("process_", 0) == 0);
    REQUIRE(f.samples.size() == 1);
    if (f.name == "process_resident_memory_bytes" || f.name == "process_open_fds" || f.name == "process_start_time_seconds") CHECK(f.samples[0].second > 0);
  }
}
