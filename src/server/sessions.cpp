#include "server/sessions.hpp"

#include <map>
#include <optional>

namespace orch::server {

int ExpiryWatch::gone_after_expiry(const std::vector<session::Record>& now_listed, int64_t now) {
  std::map<std::string, int64_t> listed;
  for (const auto& r : now_listed) listed.emplace(r.id, r.expires);
  int n = 0;
  for (const auto& [id, expires] : expires_)
    if (!listed.count(id) && expires <= now) ++n;
  expires_ = std::move(listed);
  return n;
}

session::Owner session_owner(const Context&) { return current_tenant().name; }

void check_session_ttl(int64_t ttl_s) {
  if (ttl_s < 1 || ttl_s > 7 * 86400) throw Error::bad_field("ttl", "must be between 1 and 604800 seconds on this server");
}

session::ExecResult exec_counted(Context& ctx, const std::string& id, const session::ExecRequest& er, session::ExecObserver& obs,
                                 const session::Owner& who) {
  auto r = ctx.sessions->exec(id, er, obs, who);
  ctx.metrics.record_exec(session::status_name(r.status), static_cast<double>(r.duration_ms) / 1000.0);
  return r;
}

session::Record create_session_for(Context& ctx, const Tenant& tenant, session::CreateOptions& o) {
  o.owner = tenant.name;
  check_network(ctx, o.network);
  if (o.cpus) check_cpus(ctx, tenant, *o.cpus);
  check_caps(ctx, tenant, std::nullopt, o.memory_bytes);
  check_session_ttl(o.ttl_s);
  int cap = tenant.limits.max_sessions > 0 ? tenant.limits.max_sessions : ctx.cfg.tenant_max_sessions;
  std::optional<SessionGate::Pass> pass;
  if (ctx.tokens.enabled())
    pass.emplace(ctx.session_gate.enter(tenant.name, cap, [&] { return static_cast<int>(ctx.sessions->list(tenant.name).size()); }));
  auto r = ctx.sessions->create(o);
  ctx.metrics.record_session("created");
  return r;
}

session::ExecResult exec_in_session(Context& ctx, const Tenant& tenant, const std::string& id, const session::ExecRequest& req,
                                    session::ExecObserver& observer) {
  Slot slot = acquire_slot(ctx, tenant);
  return exec_counted(ctx, id, req, observer, session_owner(ctx));
}

}  // namespace orch::server
