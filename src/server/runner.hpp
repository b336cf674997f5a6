#pragma once
#include "core/sandbox/run.hpp"
#include "server/context.hpp"

namespace orch::server {

// A run that has its plan, its concurrency slot and its share of the output budget (kept until
// its answer is sent); executing it records metrics.
struct PreparedRun {
  sandbox::RunPlan plan;
  Tenant tenant;
  std::shared_ptr<Slot> slot;
  std::shared_ptr<OutputBudget::Lease> output;
};

// Cancels when the server's drain grace period has run out.
class CancelOnDrain : public sandbox::Observer {
 public:
  explicit CancelOnDrain(Context& ctx) : ctx_(ctx) {}
  bool cancelled() override { return ctx_.cancel_all; }

 private:
  Context& ctx_;
};

// Plans the run against the templates, takes a slot (Busy when full) and waits for its output
// budget, before any response is sent.
PreparedRun prepare_run(Context& ctx, const Tenant& tenant, const sandbox::RunOptions& opts);
sandbox::RunResult execute_run(Context& ctx, PreparedRun& run, sandbox::Observer& observer);
// The output bytes an answer carries (streams, files, displays), for send_document.
size_t payload_size(const sandbox::RunResult& r);
size_t payload_size(const session::ExecResult& r);

}  // namespace orch::server
