#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/error.hpp"
#include "core/sandbox/pool.hpp"
#include "core/sandbox/run.hpp"
#include "core/sandbox/warm.hpp"
#include "core/session/manager.hpp"
#include "core/templates/template.hpp"
#include "server/auth.hpp"
#include "server/budget.hpp"
#include "server/limiter.hpp"
#include "server/metrics.hpp"
#include "server/runs.hpp"

namespace orch::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8420;
  std::string tokens_file;
  int max_concurrent = 16;         // runs and execs in flight, all tenants
  int tenant_max_concurrent = 8;   // per tenant unless its token line says otherwise
  int tenant_max_sessions = 16;    // live sessions per tenant unless its token line says otherwise
  size_t max_body_bytes = 16 << 20;
  int read_timeout_s = 10;
  int threads = 64;
  double max_timeout_s = 300;
  int64_t max_memory_bytes = 2LL << 30;
  int64_t max_pids = 1024;                // per sandbox, unless the tenant's token line says otherwise
  double max_cpus = 0;                    // per sandbox; 0 = the host's cores
  size_t output_budget_bytes = 64 << 20;  // program output held for all requests at once
  bool allow_network = false;      // may requests ask for net=bridge?
  bool allow_lan = false;          // may they ask for net=lan (bridge plus private addresses)?
  bool allow_root = false;         // may E2B calls run as root inside a sandbox?
  std::vector<std::string> allow_repo_hosts;  // hosts, addresses or ranges repo jobs may clone from besides public ones
  std::string runtime;             // forced runtime for every sandbox ("" = engine default)
  std::map<std::string, sandbox::PoolSize> pool;  // template -> warm sandboxes
  int64_t pool_memory = 0;                        // budget for the pool's memory limits; 0 = a quarter of this machine's
  double pool_idle_s = 30;                        // a surplus ready sandbox is removed after this long unused
  std::map<std::string, int> session_pool;        // template (or E2B template name) -> sessions started ahead
  double drain_grace_s = 10;
  std::string access_log = "-";    // "-" stderr, "off", or a file
  bool insecure_no_auth = false;   // listen beyond loopback without tokens
  double transfer_stall_s = 30;    // a session file transfer that moves no byte this long fails
  std::vector<std::string> allow_images;  // patterns (fnmatch) of images requests may name; none by default
};

enum class JobStatus { Running, Done, Failed };
const char* status_name(JobStatus s);  // running | done | failed

// An asynchronous job (a repository test run) and what GET /v1/jobs/{id} reports of it.
struct Job {
  std::string id, kind, tenant, source;
  JobStatus status = JobStatus::Running;
  std::string phase = "queued";
  nlohmann::json log = nlohmann::json::array();
  nlohmann::json report;
  std::string error;
  int64_t created = 0, finished = 0;
};

// Everything the route handlers share. One per server.
struct Context {
  Context(ServerConfig c, engine::Engine& e, templates::Store& st)
      : cfg(std::move(c)),
        engine(e),
        store(st),
        tokens(cfg.tokens_file),
        limiter(cfg.max_concurrent, cfg.tenant_max_concurrent),
        budget(cfg.output_budget_bytes),
        runs(cfg.output_budget_bytes / 4, [this] { return budget.total() - std::min(budget.total(), budget.in_use()); }) {}
  ServerConfig cfg;
  engine::Engine& engine;
  templates::Store& store;
  TokenStore tokens;
  Limiter limiter;
  SessionGate session_gate;
  OutputBudget budget;
  Metrics metrics;
  std::unique_ptr<sandbox::Pool> pool;  // only with --pool
  std::unique_ptr<session::Manager> sessions;
  RunRegistry runs;
  std::mutex jobs_mu;
  std::map<std::string, std::shared_ptr<Job>> jobs;
  std::atomic<int> jobs_running{0};  // job threads are detached; shutdown waits for this to reach 0
  std::atomic<bool> draining{false};
  std::atomic<bool> cancel_all{false};  // set when the drain grace period ran out
};

// The tenant of the request being handled (set by the auth pre-routing handler on this thread).
const Tenant& current_tenant();
void set_current_tenant(const Tenant& t);

// Writes {"error": {"code", "message"}} with the status for the error's kind.
void send_error(httplib::Response& res, ErrorKind kind, const std::string& message);
void send_json(httplib::Response& res, const nlohmann::json& j, int status = 200);
// Answers 200 with the JSON document `write` produces: whole when its payload (the output bytes it
// carries) is small, else streamed in chunks, so that its escaped text is never held whole.
// Whatever `write` captures lives until the answer is sent.
void send_document(httplib::Response& res, size_t payload_bytes, std::function<void(JsonStream&)> write);
// Wraps a handler so any orch::Error (or other exception) becomes a JSON error response.
httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> fn);

// One open stream (a command's events, a code execution, a run's followed logs): each holds one of
// the server's worker threads for as long as it is open, so they are capped below --threads to
// keep room for the rest.
class StreamSlot {
 public:
  explicit StreamSlot(const Context& ctx);  // throws Busy when every slot is taken
  ~StreamSlot();
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
};

// The longest run this server allows the tenant, in seconds.
double max_timeout_s(const Context& ctx, const Tenant& tenant);
// The most memory, and processes, this server allows the tenant's sandbox.
int64_t max_memory_bytes(const Context& ctx, const Tenant& tenant);
int64_t max_pids(const Context& ctx, const Tenant& tenant);
// The server's and the tenant's caps, below the core's bounds: BadInput naming the field when a
// timeout or memory asked for is above them.
void check_caps(const Context& ctx, const Tenant& tenant, std::optional<double> timeout_s, std::optional<int64_t> memory_bytes);
// check_caps for a run, and the server's network and runtime rules.
void apply_caps(const Context& ctx, const Tenant& tenant, sandbox::RunOptions& opts);
// Throws BadInput for a network this server does not offer (bridge needs --allow-net, lan --allow-lan).
void check_network(const Context& ctx, const std::string& network);
// Throws BadInput when `cpus` is above what the tenant (or the server) allows per sandbox.
void check_cpus(const Context& ctx, const Tenant& tenant, double cpus);
// Acquires a concurrency slot or throws Busy (429 with Retry-After).
Slot acquire_slot(Context& ctx, const Tenant& tenant);
// Reserves `bytes` of the output budget, waiting for it first come first served; throws Busy
// (429 with Retry-After) when it does not come in time, Unavailable when the server drains.
OutputBudget::Lease reserve_output(Context& ctx, size_t bytes);

void add_info_routes(httplib::Server& svr, Context& ctx);
void add_run_routes(httplib::Server& svr, Context& ctx);
void add_piston_routes(httplib::Server& svr, Context& ctx);
void add_session_routes(httplib::Server& svr, Context& ctx);
void add_job_routes(httplib::Server& svr, Context& ctx);
void add_runs_by_id_routes(httplib::Server& svr, Context& ctx);
void add_executor_routes(httplib::Server& svr, Context& ctx);
void add_aurea_routes(httplib::Server& svr, Context& ctx);
void add_container_routes(httplib::Server& svr, Context& ctx);
void add_relic_routes(httplib::Server& svr, Context& ctx);
void add_template_routes(httplib::Server& svr, Context& ctx);
// A new job, listed for GET /v1/jobs/{id} (the oldest finished ones are forgotten past 200).
std::shared_ptr<Job> add_job(Context& ctx, const std::string& kind, const std::string& tenant, const std::string& source);
nlohmann::json job_json(const Job& j);  // under jobs_mu
// Asks a running run to stop and waits (briefly) until it has; Conflict when it already ended.
void cancel_run(RunRecord& record);

}  // namespace orch::server
