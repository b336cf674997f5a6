#pragma once
#include "core/sandbox/run.hpp"
#include "server/context.hpp"

namespace orch::server {

// A run that has its plan and its concurrency slot; executing it records metrics.
struct PreparedRun {
  sandbox::RunPlan plan;
  Tenant tenant;
  std::shared_ptr<Slot> slot;
};

// Cancels when the server's drain grace period has run out.
class CancelOnDrain : public sandbox::Observer {
 public:
  explicit CancelOnDrain(Context& ctx) : ctx_(ctx) {}
  bool cancelled() override { return ctx_.cancel_all; }

 private:
  Context& ctx_;
};

// Plans the run against the templates and takes a slot (Busy when full), before any response is sent.
PreparedRun prepare_run(Context& ctx, const Tenant& tenant, const sandbox::RunOptions& opts);
sandbox::RunResult execute_run(Context& ctx, PreparedRun& run, sandbox::Observer& observer);

}  // namespace orch::server
