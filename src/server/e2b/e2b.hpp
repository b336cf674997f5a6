#pragma once
#include <stdexcept>
#include <string>

#include <httplib.h>

#include "core/session/record.hpp"
#include "server/context.hpp"

namespace orch::server::e2b {

// E2B's API under /e2b on orch serve's own port: the control plane (X-API-KEY) and, for requests
// that name a sandbox in E2b-Sandbox-Id, its envd (port 49983) and code interpreter (port 49999).
// A sandbox is an orch session; every call goes to the session core.
inline constexpr const char* kPrefix = "/e2b";
inline constexpr const char* kEnvdVersion = "0.5.7";        // closeStdin and octet-stream uploads
inline constexpr const char* kAttrToken = "e2b.token";      // envdAccessToken
inline constexpr const char* kAttrTraffic = "e2b.traffic";  // trafficAccessToken
inline constexpr const char* kAttrTemplate = "e2b.template";
inline constexpr const char* kHome = "/home/user";  // E2B's user's home

void add_routes(httplib::Server& svr, Context& ctx);
void add_control_routes(httplib::Server& svr, Context& ctx);
void add_files_routes(httplib::Server& svr, Context& ctx);
void add_filesystem_routes(httplib::Server& svr, Context& ctx);
void add_process_routes(httplib::Server& svr, Context& ctx);
void add_interpreter_routes(httplib::Server& svr, Context& ctx);

// A request without the right key or access token.
struct Unauthorized : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A sandbox-plane request for a sandbox that does not exist (E2B's proxy answers 502).
struct SandboxGone : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The tenant whose key is in X-API-KEY (the token itself, or "e2b_" + its hex); throws Unauthorized.
Tenant api_tenant(Context& ctx, const httplib::Request& req);
session::Owner owner_for(const Context& ctx, const Tenant& t);

// The sandbox named by E2b-Sandbox-Id once X-Access-Token (or, on the interpreter's context calls,
// E2B-Traffic-Access-Token) matches its token.
session::Record sandbox_of(Context& ctx, const httplib::Request& req, bool traffic_token_ok = false);
void forget_sandbox(const std::string& id);  // after a kill
// The user a sandbox-plane call asks for (Authorization: Basic base64("user:") or ?username=);
// "root" only when the server allows it.
std::string user_of(const Context& ctx, const httplib::Request& req);

// Error bodies: REST {"code": status, "message"}; Connect {"code": "not_found", "message"}.
void send_rest_error(httplib::Response& res, int status, const std::string& message);
int rest_status_for(const std::exception& e, bool sandbox_plane);
void send_rest_exception(httplib::Response& res, const std::exception& e, bool sandbox_plane);
void send_rpc_exception(httplib::Response& res, const std::exception& e);
std::string rpc_code_for(const std::exception& e);
// What an error says to the client: a JSON type error from reading a request names no internals.
std::string message_for(const std::exception& e);

// orch's template for an E2B template name (base, code-interpreter-v1) or an orch name.
std::string orch_template(const std::string& e2b_name);
// --session-pool names: E2B's template names pool E2B sandboxes (home /home/user), orch's pool
// /v1 sessions; "e2b:NAME" pools E2B sandboxes of orch template NAME.
std::map<session::PoolKey, int> pool_keys(const std::map<std::string, int>& spec);

}  // namespace orch::server::e2b
