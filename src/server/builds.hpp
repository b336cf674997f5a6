#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/context.hpp"

namespace orch::server {

// Image builds for a request. `work` builds, reporting each progress line, and returns the result
// document; it throws orch::Error when the build fails.
using BuildWork = std::function<nlohmann::json(const std::function<void(const std::string&)>& on_line)>;

enum class BuildReply {
  Job,   // 202 and a job id: GET /v1/jobs/{id} has the progress lines and the result
  Wait,  // the result (or the error, as its typed 4xx/5xx) once the build is done
};

// With Accept: text/event-stream the progress streams as `progress` events ({line}), then `result`
// or `error`; otherwise as `reply` says. Builds run one at a time on the server.
void respond_with_build(Context& ctx, const httplib::Request& req, httplib::Response& res, const std::string& kind,
                        const std::string& source, const BuildWork& work, BuildReply reply, int done_status = 200);

}  // namespace orch::server
