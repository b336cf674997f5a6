#pragma once
#include "core/sandbox/run.hpp"
#include "server/context.hpp"
#include "server/runs.hpp"

namespace orch::server {

// A run that has its plan, its concurrency slot and its share of the output budget (kept until
// its answer is sent); executing it records metrics.
struct PreparedRun {
  sandbox::RunPlan plan;
  Tenant tenant;
  std::shared_ptr<Slot> slot;
  std::shared_ptr<OutputBudget::Lease> output;
};

// Plans the run against the templates, takes a slot (Busy when full) and waits for its output
// budget, before any response is sent.
PreparedRun prepare_run(Context& ctx, const Tenant& tenant, const sandbox::RunOptions& opts);
sandbox::RunResult execute_run(Context& ctx, PreparedRun& run, sandbox::Observer& observer);
// The output bytes an answer carries (streams, files, displays), for send_document.
size_t payload_size(const sandbox::RunResult& r);
size_t payload_size(const session::ExecResult& r);
// Registers the run under its id (GET/DELETE /v1/runs/{id} find it while it runs).
std::shared_ptr<RunRecord> register_run(Context& ctx, const PreparedRun& run, const std::string& kind = "run",
                                        nlohmann::json meta = nlohmann::json::object());
// execute_run with the result or the error stored in the record; the error is rethrown.
std::shared_ptr<const sandbox::RunResult> execute_recorded(Context& ctx, PreparedRun& run, RunRecord& record, sandbox::Observer& observer);
// Runs in the background (a detached thread the shutdown waits for); the record tells how it ended.
void execute_async(Context& ctx, const std::shared_ptr<PreparedRun>& run, const std::shared_ptr<RunRecord>& record);

}  // namespace orch::server
