#include "server/server.hpp"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "core/sandbox/gc.hpp"
#include "core/util/random.hpp"
#include "core/util/units.hpp"
#include "server/access_log.hpp"
#include "server/e2b/e2b.hpp"
#include "server/sessions.hpp"

namespace orch::server {

namespace {
thread_local Tenant t_tenant{"local", {}, "", true};
// Answers holding less than this much output are sent whole, with a Content-Length.
constexpr size_t kStreamAbove = 256 << 10;

// E2B's routes check their own credentials (X-API-KEY, per-sandbox access tokens) and error shape.
bool is_e2b(const std::string& path) { return path.rfind(e2b::kPrefix, 0) == 0 && (path.size() == 4 || path[4] == '/'); }

bool is_public(const std::string& path) {
  return path == "/health" || path == "/" || path == "/openapi.json" || path == "/docs" || path == "/redoc" ||
         path.rfind("/assets/", 0) == 0;
}

void log_line(const std::string& s) { std::cerr << "orch serve: " << s << std::endl; }

bool is_loopback(const std::string& host) { return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0; }
}  // namespace

const Tenant& current_tenant() { return t_tenant; }
void set_current_tenant(const Tenant& t) { t_tenant = t; }

void send_json(httplib::Response& res, const nlohmann::json& j, int status) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_document(httplib::Response& res, size_t payload_bytes, std::function<void(JsonStream&)> write) {
  res.status = 200;
  if (payload_bytes < kStreamAbove) {
    std::string body;
    {
      JsonStream out([&body](std::string_view s) {
        body.append(s);
        return true;
      });
      write(out);
    }
    res.set_content(body, "application/json");
    return;
  }
  res.set_chunked_content_provider("application/json", [write = std::move(write)](size_t, httplib::DataSink& sink) {
    JsonStream out([&sink](std::string_view s) { return sink.write(s.data(), s.size()); });
    write(out);
    if (out.flush()) sink.done();
    return out.ok();
  });
}

void send_error(httplib::Response& res, ErrorKind kind, const std::string& message) {
  if (kind == ErrorKind::Busy) res.set_header("Retry-After", "1");
  send_json(res, {{"error", {{"code", kind_name(kind)}, {"message", message}}}}, http_status_for(kind));
}

httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> fn) {
  return [fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const Error& e) {
      send_error(res, e.kind(), e.what());
    } catch (const std::exception& e) {
      // json's type error 316: the request's text (an id, a name, an argument) is not UTF-8.
      if (const auto* te = dynamic_cast<const nlohmann::json::type_error*>(&e); te && te->id == 316)
        send_error(res, ErrorKind::BadInput,
                   "the request holds text that is not valid UTF-8 (ids, names, arguments and environment must be)");
      else send_error(res, ErrorKind::Infrastructure, std::string("internal error: ") + e.what());
    }
  };
}

void check_network(const Context& ctx, const std::string& network) {
  if ((network == "bridge" && !ctx.cfg.allow_network) || (network == "lan" && !ctx.cfg.allow_lan))
    throw Error(ErrorKind::BadInput, "network '" + network + "' is not allowed on this server (it runs with --allow-" +
                                         (network == "lan" ? "lan" : "net") + " off)");
}

namespace {
std::atomic<int> g_open_streams{0};
}

StreamSlot::StreamSlot(const Context& ctx) {
  int cap = std::max(1, ctx.cfg.threads - 8);
  if (++g_open_streams > cap) {
    --g_open_streams;
    throw Error(ErrorKind::Busy,
                "this server has " + std::to_string(cap) +
                    " streams open (commands, code runs, followed logs): retry later, or start orch serve with more --threads");
  }
}

StreamSlot::~StreamSlot() { --g_open_streams; }

double max_timeout_s(const Context& ctx, const Tenant& tenant) {
  return tenant.limits.max_timeout_s > 0 ? tenant.limits.max_timeout_s : ctx.cfg.max_timeout_s;
}

int64_t max_memory_bytes(const Context& ctx, const Tenant& tenant) {
  return tenant.limits.max_memory_bytes > 0 ? tenant.limits.max_memory_bytes : ctx.cfg.max_memory_bytes;
}

int64_t max_pids(const Context& ctx, const Tenant& tenant) {
  return tenant.limits.max_pids > 0 ? tenant.limits.max_pids : ctx.cfg.max_pids;
}

void check_caps(const Context& ctx, const Tenant& tenant, std::optional<double> timeout_s, std::optional<int64_t> memory_bytes) {
  double max_t = max_timeout_s(ctx, tenant);
  int64_t max_m = max_memory_bytes(ctx, tenant);
  if (timeout_s && *timeout_s > max_t) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", max_t);
    throw Error::bad_field("timeout", std::string("must be at most ") + limit + " seconds on this server");
  }
  if (memory_bytes && *memory_bytes > max_m) throw Error::bad_field("memory", "must be at most " + format_bytes(max_m) + " on this server");
}

void apply_caps(const Context& ctx, const Tenant& tenant, sandbox::RunOptions& o) {
  check_caps(ctx, tenant, o.timeout_s, o.memory_bytes);
  if (o.network) check_network(ctx, *o.network);
  int64_t max_p = max_pids(ctx, tenant);
  if (o.pids && *o.pids > max_p)
    throw Error(ErrorKind::BadInput, "pids " + std::to_string(*o.pids) + " is above this server's limit of " + std::to_string(max_p));
  if (o.cpus) check_cpus(ctx, tenant, *o.cpus);
  if (o.runtime && *o.runtime != ctx.cfg.runtime) throw Error(ErrorKind::BadInput, "the runtime is chosen by the server, not per request");
  if (!ctx.cfg.runtime.empty()) o.runtime = ctx.cfg.runtime;
  o.labels[sandbox::kLabelOwner] = tenant.name;
}

void check_cpus(const Context& ctx, const Tenant& tenant, double cpus) {
  double max_c = tenant.limits.max_cpus > 0 ? tenant.limits.max_cpus : ctx.cfg.max_cpus;
  if (cpus > max_c) {
    std::ostringstream m;
    m << "cpus " << cpus << " is above this server's limit of " << max_c;
    throw Error(ErrorKind::BadInput, m.str());
  }
}

OutputBudget::Lease reserve_output(Context& ctx, size_t bytes) {
  // With tenants, one holds at most half the budget at once (its queued requests included).
  size_t share = ctx.tokens.enabled() ? ctx.budget.total() / 2 : 0;
  auto lease = ctx.budget.acquire(
      bytes, std::chrono::seconds(30), [&ctx] { return ctx.draining.load(); }, current_tenant().name, share);
  if (lease) return std::move(*lease);
  if (ctx.draining) throw Error(ErrorKind::Unavailable, "the server is shutting down");
  throw Error(ErrorKind::Busy, "the server holds as much program output as it may (--output-budget); retry shortly");
}

Slot acquire_slot(Context& ctx, const Tenant& tenant) {
  if (ctx.draining) throw Error(ErrorKind::Unavailable, "the server is shutting down");
  if (!ctx.limiter.try_acquire(tenant.name, tenant.limits.max_concurrent))
    throw Error(ErrorKind::Busy, "too many runs in flight (global or for tenant '" + tenant.name + "'); retry shortly");
  return Slot(ctx.limiter, tenant.name);
}

int serve(const ServerConfig& cfg) {
  // Signals go to one thread that waits for them; every other thread (httplib's pool included) blocks them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Program output lives in large buffers: mapped on their own, they go back to the system when
  // an answer is sent (glibc's sliding threshold would keep them in the heap after the first).
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  auto engine = engine::engine_from_env();
  engine->follow_changes();  // session and pool listings from memory between the engine's events
  auto store = templates::Store::load();
  Context ctx(cfg, *engine, store);
  if (ctx.cfg.max_cpus <= 0) ctx.cfg.max_cpus = std::max(1u, std::thread::hardware_concurrency());
  ctx.tokens.load();
  if (!ctx.tokens.enabled() && !is_loopback(cfg.host) && !cfg.insecure_no_auth)
    throw Error(ErrorKind::BadInput, "refusing to listen on " + cfg.host +
                                         " without --tokens: anyone who reaches it could run code and manage the local tenant's "
                                         "sessions (give --tokens FILE, listen on 127.0.0.1, or pass --insecure-no-auth)");
  AccessLog access_log(cfg.access_log);

  try {
    sandbox::require_runtime(*engine, cfg.runtime);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::BadInput) throw;  // checked again per run when the engine was away
  }
  try {
    auto report = sandbox::collect_garbage(*engine, {});
    if (!report.removed.empty()) log_line("removed " + std::to_string(report.removed.size()) + " orphaned sandboxes");
  } catch (const Error& e) {
    log_line(std::string("warning: engine not reachable at start: ") + e.what());
  }

  if (!cfg.pool.empty()) {
    ctx.pool =
        std::make_unique<sandbox::Pool>(*engine, store, sandbox::PoolOptions{cfg.pool, cfg.runtime, cfg.pool_memory, cfg.pool_idle_s});
    ctx.pool->start();
  }

  session::ManagerOptions mo;
  mo.keep_relays = true;
  mo.transfer_stall = std::chrono::milliseconds(static_cast<int64_t>(cfg.transfer_stall_s * 1000));
  mo.cancelled = [&ctx] { return ctx.cancel_all.load(); };
  ctx.sessions = std::make_unique<session::Manager>(*engine, store, mo);
  if (!cfg.session_pool.empty()) ctx.sessions->start_pool(e2b::pool_keys(cfg.session_pool));

  httplib::Server svr;
  int threads = cfg.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_payload_max_length(cfg.max_body_bytes);
  svr.set_read_timeout(cfg.read_timeout_s, 0);
  svr.set_write_timeout(30, 0);
  svr.set_keep_alive_max_count(1000);
  // A large or streamed body goes out in writes of its own after the headers: with Nagle on, a
  // keep-alive client's delayed ACK would hold the second one for 40 ms.
  svr.set_tcp_nodelay(true);
  // A connection waits for its next request in httplib's gate (orch patch 15), not in a worker:
  // its first byte within the keep-alive timeout, the rest of its head within the read timeout.
  svr.set_keep_alive_timeout(std::min(5, cfg.read_timeout_s));

  svr.set_pre_routing_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    begin_request_timer();
    // Without a tokens file the server is single-user and shares the local CLI's tenant and sessions.
    set_current_tenant(Tenant{"local", {}, "", true});
    // A credential or sandbox named twice is ambiguous (a proxy may check one copy, orch read the
    // other): refused rather than resolved by taking the first.
    for (const char* name : {"Authorization", "X-API-Key", "X-Access-Token", "E2B-Traffic-Access-Token", "E2b-Sandbox-Id"}) {
      if (req.get_header_value_count(name) < 2) continue;
      std::string msg = std::string("the request has more than one ") + name + " header: send one";
      if (is_e2b(req.path)) e2b::send_rest_error(res, 400, msg);
      else send_json(res, {{"error", {{"code", "bad_request"}, {"message", msg}}}}, 400);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!ctx.tokens.enabled() || is_public(req.path) || is_e2b(req.path)) return httplib::Server::HandlerResponse::Unhandled;
    // X-API-Key is how the executor-style services took their key; it carries the same tokens.
    std::string token = bearer_token(req.get_header_value("Authorization"));
    if (token.empty()) token = req.get_header_value("X-API-Key");
    auto tenant = ctx.tokens.authenticate(token);
    if (!tenant) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_json(res, {{"error", {{"code", "unauthorized"}, {"message", "a valid bearer token is required (Authorization: Bearer TOKEN)"}}}},
                401);
      return httplib::Server::HandlerResponse::Handled;
    }
    set_current_tenant(*tenant);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_error_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = res.status == 413 ? "the request body is larger than this server accepts (" +
                                              format_bytes(static_cast<int64_t>(ctx.cfg.max_body_bytes)) + ", orch serve --max-body)"
                      : res.status == 414 ? "the request line is longer than 8192 bytes"
                      : res.status == 431 ? "the request's headers are too large (at most 100 lines of 8192 bytes, 64 KiB in all)"
                                          : "the request could not be read (malformed or ambiguous framing)";
    if (is_e2b(req.path)) {
      e2b::send_rest_error(res, res.status, res.status == 404 ? "no E2B route for " + req.method + " " + req.path + " in orch" : msg);
      return;
    }
    std::string code = res.status == 404 ? "not_found" : res.status == 413 ? "too_large" : "bad_request";
    if (res.status == 404) msg = "no route for " + req.method + " " + req.path;
    send_json(res, {{"error", {{"code", code}, {"message", msg}}}}, res.status);
  });
  svr.set_logger([&ctx, &access_log](const httplib::Request& req, const httplib::Response& res) {
    std::string route = route_template(req);
    double seconds = request_seconds();
    ctx.metrics.record_request(req.method, route, res.status, seconds);
    bool anonymous = res.status == 401 || (ctx.tokens.enabled() && is_public(req.path));
    access_log.write(req, res.status, route, anonymous ? nullptr : &current_tenant().name, seconds);
  });

  add_info_routes(svr, ctx);
  add_run_routes(svr, ctx);
  add_piston_routes(svr, ctx);
  add_session_routes(svr, ctx);
  add_job_routes(svr, ctx);
  e2b::add_routes(svr, ctx);
  add_runs_by_id_routes(svr, ctx);
  add_executor_routes(svr, ctx);
  add_aurea_routes(svr, ctx);
  add_service_routes(svr, ctx);
  add_container_routes(svr, ctx);
  add_relic_routes(svr, ctx);
  add_template_routes(svr, ctx);

  // Port 0 asks the kernel for a free port; the log line below names the one it gave.
  int port = cfg.port == 0 ? svr.bind_to_any_port(cfg.host) : (svr.bind_to_port(cfg.host, cfg.port) ? cfg.port : -1);
  if (port <= 0) {
    throw Error(ErrorKind::Unavailable,
                "cannot listen on " + cfg.host + ":" + std::to_string(cfg.port) + " (in use, or not an address of this host)");
  }
  std::thread signals([&] {
    for (;;) {
      int sig = 0;
      sigwait(&set, &sig);
      if (sig == SIGHUP) {
        try {
          ctx.tokens.load();
          if (!ctx.tokens.enabled() && !is_loopback(cfg.host) && !cfg.insecure_no_auth)
            throw Error(ErrorKind::BadInput, "refusing to listen on " + cfg.host +
                                                 " without --tokens: anyone who reaches it could run code and manage the local tenant's "
                                                 "sessions (give --tokens FILE, listen on 127.0.0.1, or pass --insecure-no-auth)");
          AccessLog access_log(cfg.access_log);
          log_line("reloaded " + std::to_string(ctx.tokens.size()) + " tokens");
        } catch (const Error& e) {
          log_line(std::string("token reload failed, keeping the old tokens: ") + e.what());
        }
        continue;
      }
      if (sig == 0) return;
      log_line("draining: no new requests; in-flight work has " + std::to_string(cfg.drain_grace_s) + "s");
      ctx.draining = true;
      svr.stop();
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(cfg.drain_grace_s * 1000));
      while (ctx.limiter.in_flight() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ctx.cancel_all = true;
      return;
    }
  });
  // Expired sessions stop themselves; this removes what they leave (networks, services) and any
  // that stopped while no orch ran.
  std::thread janitor([&] {
    ExpiryWatch expiries;
    for (int tick = 0; !ctx.draining; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (tick % 5 == 4) {
        try {
          ctx.metrics.record_session("expired", expiries.gone_after_expiry(ctx.sessions->list(std::nullopt), unix_now()));
        } catch (const std::exception& e) {
          log_line(std::string("session listing: ") + e.what());
        }
      }
      if (tick % 150 != 149) continue;
      try {
        ctx.sessions->gc();
      } catch (const std::exception& e) {
        log_line(std::string("session gc: ") + e.what());
      }
    }
  });
  log_line("listening on http://" + cfg.host + ":" + std::to_string(port) + (ctx.tokens.enabled() ? " (tokens required)" : ""));
  svr.listen_after_bind();
  if (!ctx.draining) ::kill(::getpid(), SIGTERM);  // listening failed: let the signal thread finish
  signals.join();
  janitor.join();
  while (ctx.jobs_running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (ctx.pool) ctx.pool->shutdown();
  ctx.sessions->stop_pool();
  try {
    ctx.sessions->gc();  // what sessions that expired meanwhile left (a pooled one's claim)
  } catch (const std::exception& e) {
    log_line(std::string("session gc: ") + e.what());
  }
  log_line("stopped");
  return 0;
}

}  // namespace orch::server
