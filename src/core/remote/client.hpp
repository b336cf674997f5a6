#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "core/sandbox/run.hpp"

namespace orch::remote {

// Where a running `orch serve` is: ORCH_HOST (http://host:port) and ORCH_TOKEN.
struct ServerAddress {
  std::string scheme, host;
  int port = 0;
  std::string token;
};
// nullopt when ORCH_HOST is unset; BadInput when it is not http(s)://host[:port].
std::optional<ServerAddress> server_from_env();
ServerAddress parse_server(const std::string& url, const std::string& token);

// The JSON body of POST /v1/run for these options (the inverse of the server's request parser).
nlohmann::json run_request_json(const sandbox::RunOptions& opts);
// A result object (as `orch run --json` prints it) back into a RunResult.
sandbox::RunResult result_from_json(const nlohmann::json& j);

// Runs through the server, streaming output to the observer as server-sent events arrive.
sandbox::RunResult run(const ServerAddress& server, const sandbox::RunOptions& opts, sandbox::Observer& observer);

}  // namespace orch::remote
