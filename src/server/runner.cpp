#include "server/runner.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include "core/templates/build.hpp"
#include "core/util/random.hpp"

namespace orch::server {

PreparedRun prepare_run(Context& ctx, const Tenant& tenant, const sandbox::RunOptions& opts) {
  sandbox::RunPlan plan = sandbox::plan_run(ctx.store, opts);
  auto slot = std::make_shared<Slot>(acquire_slot(ctx, tenant));
  // Both streams may fill their caps, and the collected files (out, workspace, figures) theirs; the
  // run's record keeps its own copy of the output for /logs; the rest of the answer is small.
  size_t most =
      2 * plan.output_cap + std::min(RunRecord::kLogCap, 2 * plan.output_cap) + (plan.collect().empty() ? 0 : plan.out_cap) + (256 << 10);
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
  std::optional<sandbox::Started> warm;
  if (ctx.pool) {
    auto taken = ctx.pool->take(run.plan, observer);
    if (taken.pooled) ctx.metrics.record_pool(taken.hit);
    warm = std::move(taken.sandbox);
  }
  try {
    result = warm ? sandbox::run_warm(ctx.engine, *ctx.pool, std::move(*warm), run.plan, observer)
                  : sandbox::run_oneshot(ctx.engine, run.plan, observer);
  } catch (const Error& e) {
    if (e.reason() == Reason::ImageMissing && run.plan.image_command)
      throw Error(ErrorKind::NotFound, "image '" + run.plan.spec.image +
                                           "' is not on this server's engine (orch does not pull images: the operator loads them)");
    if (e.reason() == Reason::ImageMissing) throw templates::not_built(*run.plan.tmpl);
    throw;
  }
  ctx.metrics.record_run(RecentRun{result.run_id, run.tenant.name, run.plan.tmpl->name, sandbox::status_name(result.status),
                                   sandbox::exit_code_for(result), result.duration_ms, unix_now(), warm.has_value()});
  run.slot.reset();
  return result;
}

std::shared_ptr<RunRecord> register_run(Context& ctx, const PreparedRun& run, const std::string& kind, nlohmann::json meta) {
  if (!meta.contains("template")) meta["template"] = run.plan.tmpl->name;
  return ctx.runs.add(run.plan.run_id, run.tenant.name, kind, std::move(meta));
}

std::shared_ptr<const sandbox::RunResult> execute_recorded(Context& ctx, PreparedRun& run, RunRecord& record, sandbox::Observer& observer) {
  try {
    auto result = std::make_shared<const sandbox::RunResult>(execute_run(ctx, run, observer));
    record.finish(result);
    return result;
  } catch (const Error& e) {
    record.fail(e.kind(), e.what());
    throw;
  } catch (const std::exception& e) {
    record.fail(ErrorKind::Infrastructure, std::string("internal error: ") + e.what());
    throw;
  }
}

void execute_async(Context& ctx, const std::shared_ptr<PreparedRun>& run, const std::shared_ptr<RunRecord>& record) {
  ++ctx.jobs_running;
  std::thread([&ctx, run, record] {
    RecordingObserver observer(record, ctx.cancel_all);
    try {
      execute_recorded(ctx, *run, *record, observer);
    } catch (const std::exception&) {
      // the record holds the error
    }
    run->slot.reset();  // the limiter and the output budget: released before shutdown may proceed
    run->output.reset();
    --ctx.jobs_running;
  }).detach();
}

}  // namespace orch::server
