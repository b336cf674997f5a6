#pragma once
#include <functional>
#include <map>
#include <vector>

#include "core/sandbox/stats.hpp"
#include "core/session/manager.hpp"
#include "server/context.hpp"
#include "server/runs.hpp"

namespace orch::server {

// What every route that touches sessions shares (/v1/sessions, the executor-style /session/*, relics).

// A tenant sees only its own sessions; without tokens every request is the `local` tenant, whose
// sessions the local CLI creates too, so other owners' sessions on the same engine stay out of reach.
session::Owner session_owner(const Context& ctx);
// A server keeps sessions for a week at most; the core allows the CLI's own sessions longer.
void check_session_ttl(int64_t ttl_s);

// A call into a session, counted in the metrics.
session::ExecResult exec_counted(Context& ctx, const std::string& id, const session::ExecRequest& er, session::ExecObserver& obs,
                                 const session::Owner& who);

// Cancels a call on the server's drain and when the client that waits for its answer has gone.
class DrainObserver : public session::ExecObserver {
 public:
  DrainObserver(Context& ctx, std::function<bool()> client_gone) : ctx_(ctx), client_(std::move(client_gone)) {}
  bool cancelled() override { return ctx_.cancel_all || client_.gone(); }

 private:
  Context& ctx_;
  ClientWatch client_;
};

// Creates a session for the tenant under the server's caps (memory, network, ttl, sessions per
// tenant) and counts it in the metrics.
session::Record create_session_for(Context& ctx, const Tenant& tenant, session::CreateOptions& o);

// Runs one call in a session under a concurrency slot and counts it in the metrics.
session::ExecResult exec_in_session(Context& ctx, const Tenant& tenant, const std::string& id, const session::ExecRequest& req,
                                    session::ExecObserver& observer);

// A service request's fields (image from the allowlist, limits under the tenant's caps).
session::ServiceOptions service_options(const Context& ctx, const Tenant& tenant, const nlohmann::json& body);
// A service as the API shows it; when the name asked for was not a host name, says which one it got.
nlohmann::json service_json(const session::ServiceInfo& s, const std::string& requested, const std::string& session_id);
// The resource use of the tenant's running sandboxes (every one without tokens) whose container id
// starts with `container_prefix` ("" = all).
std::vector<sandbox::Usage> tenant_usage(Context& ctx, const std::string& container_prefix);

// Counts sessions that expired: a session's container ends itself at its expiry (and is removed),
// so the server sees it as one that was listed and is gone once its expiry passed. Fed listings a
// second apart, it counts each such session once; one removed before its expiry is not counted.
class ExpiryWatch {
 public:
  int gone_after_expiry(const std::vector<session::Record>& now_listed, int64_t now);

 private:
  std::map<std::string, int64_t> expires_;  // session id -> expiry at the last listing
};

void add_service_routes(httplib::Server& svr, Context& ctx);

}  // namespace orch::server
