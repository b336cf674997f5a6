#include "server/runner.hpp"

#include <optional>

#include "core/templates/build.hpp"
#include "core/util/random.hpp"

namespace orch::server {

PreparedRun prepare_run(Context& ctx, const Tenant& tenant, const sandbox::RunOptions& opts) {
  sandbox::RunPlan plan = sandbox::plan_run(ctx.store, opts);
  auto slot = std::make_shared<Slot>(acquire_slot(ctx, tenant));
  return PreparedRun{std::move(plan), tenant, std::move(slot)};
}

sandbox::RunResult execute_run(Context& ctx, PreparedRun& run, sandbox::Observer& observer) {
  sandbox::RunResult result;
  CancellableObserver cancellable(observer, ctx.run_cancels.add(run.plan.run_id, run.tenant.name));
  struct Forget {
    RunCancels& cancels;
    const std::string& id;
    ~Forget() { cancels.remove(id); }
  } forget{ctx.run_cancels, run.plan.run_id};
  std::optional<sandbox::Started> warm;
  if (ctx.pool) {
    auto taken = ctx.pool->take(run.plan, cancellable);
    if (taken.pooled) ctx.metrics.record_pool(taken.hit);
    warm = std::move(taken.sandbox);
  }
  try {
    result = warm ? sandbox::run_warm(ctx.engine, *ctx.pool, std::move(*warm), run.plan, cancellable)
                  : sandbox::run_oneshot(ctx.engine, run.plan, cancellable);
  } catch (const Error& e) {
    if (e.reason() == Reason::ImageMissing) throw templates::not_built(*run.plan.tmpl);
    throw;
  }
  ctx.metrics.record_run(RecentRun{result.run_id, run.tenant.name, run.plan.tmpl->name, sandbox::status_name(result.status),
                                   sandbox::exit_code_for(result), result.duration_ms, unix_now(), warm.has_value()});
  run.slot.reset();
  return result;
}

}  // namespace orch::server
