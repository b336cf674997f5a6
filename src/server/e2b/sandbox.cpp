// What every E2B route shares: keys, access tokens, users, template names and error shapes.
#include <chrono>
#include <mutex>

#include "core/util/base64.hpp"
#include "server/body.hpp"
#include "server/e2b/connect.hpp"
#include "server/e2b/e2b.hpp"

namespace orch::server::e2b {

using nlohmann::json;

namespace {

std::string unhex(const std::string& s) {
  if (s.size() % 2) return "";
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto v = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
    int hi = v(s[i]), lo = v(s[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

Tenant api_tenant(Context& ctx, const httplib::Request& req) {
  std::string key = req.get_header_value("X-API-KEY");
  if (key.empty()) throw Unauthorized("an API key is required in X-API-KEY (E2B_API_KEY: an orch token)");
  if (!ctx.tokens.enabled()) return Tenant{"local", {}, ""};
  if (auto t = ctx.tokens.authenticate(key)) return *t;
  // E2B's Python SDK only takes keys shaped e2b_<hex>: any orch token works hex-encoded that way.
  if (key.rfind("e2b_", 0) == 0) {
    std::string raw = unhex(key.substr(4));
    if (!raw.empty())
      if (auto t = ctx.tokens.authenticate(raw)) return *t;
  }
  throw Unauthorized("invalid API key");
}

session::Owner owner_for(const Context&, const Tenant& t) { return t.name; }

namespace {

// Sandbox-plane calls come in bursts (a command, a file): their sandbox's record is kept for a
// moment instead of asking the engine each time. A sandbox gone meanwhile fails at its agent.
constexpr auto kRecordFresh = std::chrono::seconds(2);
std::mutex g_records_mu;
std::map<std::string, std::pair<session::Record, std::chrono::steady_clock::time_point>> g_records;

session::Record lookup(Context& ctx, const std::string& id) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(g_records_mu);
    auto it = g_records.find(id);
    if (it != g_records.end() && now - it->second.second < kRecordFresh) return it->second.first;
    if (g_records.size() > 4096) g_records.clear();
  }
  session::Record r;
  try {
    r = ctx.sessions->get(id, std::nullopt);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) throw SandboxGone("sandbox \"" + id + "\" not found");
    throw;
  }
  std::lock_guard<std::mutex> lock(g_records_mu);
  g_records[id] = {r, now};
  return r;
}

}  // namespace

void forget_sandbox(const std::string& id) {
  std::lock_guard<std::mutex> lock(g_records_mu);
  g_records.erase(id);
}

session::Record sandbox_of(Context& ctx, const httplib::Request& req, bool traffic_token_ok) {
  std::string id = req.get_header_value("E2b-Sandbox-Id");
  if (id.empty()) throw Error(ErrorKind::BadInput, "no sandbox named: the E2b-Sandbox-Id header is missing");
  session::Record r = lookup(ctx, id);
  auto token = r.attributes.find(kAttrToken);
  if (token == r.attributes.end() || r.state != "running") throw SandboxGone("sandbox \"" + id + "\" not found");
  std::string given = req.get_header_value("X-Access-Token");
  bool ok = !given.empty() && constant_time_equal(given, token->second);
  if (!ok && traffic_token_ok) {
    std::string traffic = req.get_header_value("E2B-Traffic-Access-Token");
    auto want = r.attributes.find(kAttrTraffic);
    ok = !traffic.empty() && want != r.attributes.end() && constant_time_equal(traffic, want->second);
  }
  if (!ok) throw Unauthorized("a valid access token for sandbox \"" + id + "\" is required (X-Access-Token)");
  if (ctx.tokens.enabled()) set_current_tenant(Tenant{r.owner, {}, ""});  // the access log names the sandbox's owner
  return r;
}

std::string user_of(const Context& ctx, const httplib::Request& req) {
  std::string user = req.has_param("username") ? req.get_param_value("username") : "";
  std::string auth = req.get_header_value("Authorization");
  if (user.empty() && auth.rfind("Basic ", 0) == 0) {
    auto decoded = base64_decode(auth.substr(6));
    if (!decoded) throw Error(ErrorKind::BadInput, "the Authorization header is not Basic base64");
    user = decoded->substr(0, decoded->find(':'));
  }
  if (user == "root" && !ctx.cfg.allow_root)
    throw Unauthorized("running as root is not allowed on this server (start orch serve with --allow-root to allow it)");
  return user;
}

void send_rest_error(httplib::Response& res, int status, const std::string& message) {
  if (status == 429) res.set_header("Retry-After", "1");
  send_json(res, {{"code", status}, {"message", message}}, status);
}

int rest_status_for(const std::exception& e, bool sandbox_plane) {
  if (dynamic_cast<const Unauthorized*>(&e)) return 401;
  if (dynamic_cast<const SandboxGone*>(&e)) return sandbox_plane ? 502 : 404;
  if (const auto* f = dynamic_cast<const agent::Failure*>(&e)) {
    if (f->code() == "resource_exhausted" && sandbox_plane) return 507;  // the sandbox's disk is full
    return http_status_for_code(f->code());
  }
  if (const auto* err = dynamic_cast<const Error*>(&e)) return http_status_for(err->kind());
  if (dynamic_cast<const nlohmann::json::exception*>(&e)) return 400;  // a request field of the wrong type
  return 500;
}

std::string message_for(const std::exception& e) {
  const auto* j = dynamic_cast<const nlohmann::json::exception*>(&e);
  if (!j) return e.what();
  return "a field of the request has the wrong type or value (" + json_error_text(*j) + ")";
}

void send_rest_exception(httplib::Response& res, const std::exception& e, bool sandbox_plane) {
  send_rest_error(res, rest_status_for(e, sandbox_plane), message_for(e));
}

std::string rpc_code_for(const std::exception& e) {
  if (dynamic_cast<const Unauthorized*>(&e)) return "unauthenticated";
  if (dynamic_cast<const SandboxGone*>(&e)) return "unavailable";
  return code_for(e);
}

void send_rpc_exception(httplib::Response& res, const std::exception& e) {
  std::string code = rpc_code_for(e);
  int status = dynamic_cast<const SandboxGone*>(&e) ? 502 : http_status_for_code(code);
  send_json(res, {{"code", code}, {"message", message_for(e)}}, status);
}

std::string orch_template(const std::string& e2b_name) {
  if (e2b_name.empty() || e2b_name == "base") return "python";
  if (e2b_name == "code-interpreter-v1" || e2b_name == "code-interpreter") return "python-data";
  return e2b_name;
}

std::map<session::PoolKey, int> pool_keys(const std::map<std::string, int>& spec) {
  std::map<session::PoolKey, int> out;
  for (const auto& [name, n] : spec) {
    if (name.rfind("e2b:", 0) == 0) out[{name.substr(4), kHome}] = n;
    else if (name == "base" || name.rfind("code-interpreter", 0) == 0) out[{orch_template(name), kHome}] = n;
    else out[{name, "/workspace"}] = n;
  }
  return out;
}

void add_routes(httplib::Server& svr, Context& ctx) {
  add_control_routes(svr, ctx);
  add_files_routes(svr, ctx);
  add_filesystem_routes(svr, ctx);
  add_process_routes(svr, ctx);
  add_interpreter_routes(svr, ctx);
}

}  // namespace orch::server::e2b
