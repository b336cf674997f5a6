#include "server/runner.hpp"

#include <optional>

#include "core/util/random.hpp"

namespace orch::server {

PreparedRun prepare_run(Context& ctx, const Tenant& tenant, const sandbox::RunOptions& opts) {
  sandbox::RunPlan plan = sandbox::plan_run(ctx.store, opts);
  auto slot = std::make_shared<Slot>(acquire_slot(ctx, tenant));
  return PreparedRun{std::move(plan), tenant, std::move(slot)};
}

sandbox::RunResult execute_run(Context& ctx, PreparedRun& run, sandbox::Observer& observer) {
  sandbox::RunResult result;
  std::optional<sandbox::Started> warm;
  if (ctx.pool) {
    warm = ctx.pool->take(run.plan);
    ctx.metrics.record_pool(warm.has_value());
  }
  CancellableObserver cancellable(observer, ctx.run_cancels.add(run.plan.run_id, run.tenant.name));
  struct Forget {
    RunCancels& cancels;
    const std::string& id;
    ~Forget() { cancels.remove(id); }
  } forget{ctx.run_cancels, run.plan.run_id};
  try {
    result = warm ? sandbox::run_warm(ctx.client, *ctx.pool, std::move(*warm), run.plan, cancellable)
                  : sandbox::run_oneshot(ctx.client, run.plan, cancellable);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound && std::string(e.what()).rfind("image ", 0) == 0)
      throw Error(ErrorKind::Unavailable, "template '" + run.plan.tmpl->name + "' is not built on this server (orch templates build " + run.plan.tmpl->name + ")");
    throw;
  }
  ctx.metrics.record_run(RecentRun{result.run_id, run.tenant.name, run.plan.tmpl->name, result.status,
                                   sandbox::exit_code_for(result), result.duration_ms, unix_now(), warm.has_value()});
  run.slot.reset();
  return result;
}

}  // namespace orch::server
