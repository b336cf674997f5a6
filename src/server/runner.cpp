#include "server/runner.hpp"

#include <optional>

#include "core/templates/build.hpp"
#include "core/util/random.hpp"

namespace orch::server {

PreparedRun prepare_run(Context& ctx, const Tenant& tenant, const sandbox::RunOptions& opts) {
  sandbox::RunPlan plan = sandbox::plan_run(ctx.store, opts);
  auto slot = std::make_shared<Slot>(acquire_slot(ctx, tenant));
  // Both streams may fill their caps, and the /workspace/out files theirs; the rest of the answer is small.
  size_t most = 2 * plan.output_cap + (plan.collect_out ? plan.out_cap : 0) + (256 << 10);
  auto output = std::make_shared<OutputBudget::Lease>(reserve_output(ctx, most));
  return PreparedRun{std::move(plan), tenant, std::move(slot), std::move(output)};
}

size_t payload_size(const sandbox::RunResult& r) {
  size_t n = r.stdout_data.size() + r.stderr_data.size();
  for (const auto& a : r.artifacts) n += a.data.size();
  return n;
}

size_t payload_size(const session::ExecResult& r) {
  size_t n = r.stdout_data.size() + r.stderr_data.size();
  for (const auto& a : r.artifacts) n += a.data.size();
  for (const auto& d : r.displays)
    for (const auto& [mime, v] : d.data) n += v.size();
  return n;
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
