#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/error.hpp"
#include "core/util/units.hpp"
#include "server/server.hpp"

namespace orch::cli {

int serve_main(int argc, char** argv) {
  CLI::App app{"Serve the orch HTTP API (JSON; OpenAPI at /openapi.json; dashboard at /).", "serve"};
  server::ServerConfig cfg;
  std::string listen = "127.0.0.1:8420", pool_memory, max_body = "16m", max_memory = "2g", output_budget = "64m";
  app.add_option("-l,--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:8420; port 0: any free port, logged at start)");
  app.add_option("--tokens", cfg.tokens_file, "file of 'TOKEN TENANT [key=value ...]' lines; SIGHUP reloads it");
  std::vector<std::string> pool, session_pool;  // repeatable, or one comma-separated list
  app.add_option("--pool", pool,
                 "warm sandboxes per template: N, auto (1-32 as traffic asks) or MIN-MAX, e.g. python=auto,node=1 (repeatable)");
  app.add_option("--pool-idle", cfg.pool_idle_s, "seconds a ready sandbox beyond what traffic asks waits unused before it is removed (30)");
  app.add_option("--pool-memory", pool_memory,
                 "most the pooled sandboxes' memory limits may add up to (default: a quarter of this machine's memory)");
  add_backend_option(app);
  app.add_option(
      "--session-pool", session_pool,
      "sessions started ahead per template, e.g. python=2 (/v1 sessions), base=2 or code-interpreter-v1=1 (E2B sandboxes; repeatable)");
  app.add_option("--max-concurrent", cfg.max_concurrent, "runs in flight across all tenants (default 16)");
  app.add_option("--tenant-concurrent", cfg.tenant_max_concurrent, "runs in flight per tenant by default (8)");
  app.add_option("--tenant-sessions", cfg.tenant_max_sessions, "live sessions per tenant by default (16)");
  app.add_option("--max-body", max_body, "largest request body (default 16m)");
  app.add_option("--max-timeout", cfg.max_timeout_s, "largest timeout a request may ask for, seconds (300)");
  app.add_option("--max-memory", max_memory, "largest memory a request may ask for (2g)");
  app.add_option("--max-pids", cfg.max_pids, "most processes a request may ask for per sandbox (1024)");
  app.add_option("--max-cpus", cfg.max_cpus, "most CPUs a request may ask for per sandbox (default: the host's cores)");
  app.add_option("--output-budget", output_budget, "program output held for all requests at once; requests beyond it wait (64m)");
  app.add_option("--read-timeout", cfg.read_timeout_s, "seconds to wait for a client's headers or body (10)");
  app.add_option("--threads", cfg.threads, "worker threads (64)");
  app.add_option("--drain", cfg.drain_grace_s, "seconds in-flight work gets after SIGTERM (10)");
  app.add_option("--transfer-timeout", cfg.transfer_stall_s, "seconds a session file transfer may go without moving a byte (30)");
  app.add_option("--runtime", cfg.runtime, "runtime for every sandbox, e.g. runsc");
  app.add_flag("--allow-net", cfg.allow_network, "let requests ask for network=bridge (public addresses; never this host or link-local)");
  app.add_flag("--allow-lan", cfg.allow_lan, "let requests ask for network=lan: bridge plus private addresses (RFC 1918, ULA, CGNAT)");
  app.add_option("--allow-repo-host", cfg.allow_repo_hosts,
                 "let repo jobs clone from this host, address or range (10.0.0.0/8) though it is loopback, private or this host's (repeatable)");
  app.add_option("--access-log", cfg.access_log, "one JSON line per request to FILE, '-' (stderr, the default) or 'off'");
  app.add_flag("--insecure-no-auth", cfg.insecure_no_auth, "listen beyond loopback without --tokens (anyone who reaches the port can run code)");
  app.add_flag("--allow-root", cfg.allow_root,
               "let E2B clients run commands and file calls as root in sandboxes (still without capabilities)");
  app.add_option("--allow-image", cfg.allow_images,
                 "image pattern requests may name for tool runs and services, e.g. 'cortex/*' (repeatable; none by default)");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw Error(ErrorKind::BadInput, "--listen must be HOST:PORT");
  cfg.host = listen.substr(0, colon);
  if (cfg.host.size() > 2 && cfg.host.front() == '[') cfg.host = cfg.host.substr(1, cfg.host.size() - 2);
  try {
    cfg.port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    cfg.port = -1;
  }
  if (cfg.port < 0 || cfg.port > 65535) throw Error(ErrorKind::BadInput, "--listen: bad port in '" + listen + "'");
  cfg.pool = sandbox::parse_pool_sizes(pool);
  if (!pool_memory.empty()) cfg.pool_memory = parse_bytes(pool_memory, "--pool-memory");
  for (const auto& [tmpl, size] : sandbox::parse_pool_sizes(session_pool, "--session-pool")) {
    if (size.adaptive()) throw Error(ErrorKind::BadInput, "--session-pool: give '" + tmpl + "' a fixed count (TEMPLATE=N)");
    cfg.session_pool[tmpl] = size.floor;
  }
  cfg.max_body_bytes = static_cast<size_t>(parse_bytes(max_body, "--max-body"));
  cfg.max_memory_bytes = parse_bytes(max_memory, "--max-memory");
  cfg.output_budget_bytes = static_cast<size_t>(parse_bytes(output_budget, "--output-budget"));
  if (cfg.output_budget_bytes < (4 << 20)) throw Error(ErrorKind::BadInput, "--output-budget must be at least 4m");
  if (cfg.max_pids < 8 || cfg.max_pids > 100000) throw Error(ErrorKind::BadInput, "--max-pids must be between 8 and 100000");
  if (cfg.transfer_stall_s <= 0 || cfg.transfer_stall_s > 3600)
    throw Error(ErrorKind::BadInput, "--transfer-timeout must be above 0 and at most 3600 seconds");
  if (cfg.max_cpus < 0 || cfg.max_cpus > 256) throw Error(ErrorKind::BadInput, "--max-cpus must be between 0 (the host's cores) and 256");
  if (cfg.max_concurrent < 1 || cfg.tenant_max_concurrent < 1 || cfg.threads < 4)
    throw Error(ErrorKind::BadInput, "--max-concurrent and --tenant-concurrent must be at least 1, --threads at least 4");
  return server::serve(cfg);
}

}  // namespace orch::cli
