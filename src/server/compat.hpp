#pragma once
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/sandbox/run.hpp"
#include "server/context.hpp"
#include "server/runner.hpp"

namespace orch::server {

// What the compatibility routes (the shapes of the services orch replaces) share.

// success, exit_code, execution_time (seconds), timed_out, run_id, run_status (orch's: ok | error |
// timeout | oom | killed); stdout and stderr are written by send_compat.
nlohmann::json compat_result(const sandbox::RunResult& r);

// [{type, name, content (base64)}]: figures as plot_0, plot_1, ...; other files by their path.
nlohmann::json typed_artifacts(const std::vector<sandbox::Artifact>& artifacts);

// A finished compatibility run and its share of the output budget, held until its answer is sent.
struct CompatRun {
  std::shared_ptr<const sandbox::RunResult> result;
  std::shared_ptr<PreparedRun> prepared;
  double timeout_s = 0;
};

// A one-shot run as every compatibility route makes it: capped, planned, registered under its
// id (so /v1/runs/{id} finds it), cancelled when the client leaves.
CompatRun run_compat(Context& ctx, const httplib::Request& req, sandbox::RunOptions opts, nlohmann::json meta = nlohmann::json::object());

// Answers with `fields` and the run's stdout and stderr (streamed when large).
void send_compat(httplib::Response& res, const CompatRun& run, nlohmann::json fields);

// `resource_limits.memory_mb` in bytes, checked against the core's memory bounds; nullopt when absent.
std::optional<int64_t> memory_mb_bytes(const nlohmann::json& resource_limits);

// A label value a caller chose (scope, tool name): at most 256 bytes, no NUL.
std::string label_value(const nlohmann::json& body, const char* field);

}  // namespace orch::server
