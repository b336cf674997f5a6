// E2B's control plane: sandboxes are orch sessions with a home at /home/user, an access token,
// and E2B's template name kept as attributes.
#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/util/random.hpp"
#include "server/body.hpp"
#include "server/e2b/connect.hpp"
#include "server/e2b/e2b.hpp"

namespace orch::server::e2b {

using nlohmann::json;

namespace {

constexpr int64_t kDefaultTimeout = 300;  // E2B's default sandbox lifetime, seconds
constexpr int64_t kMaxTimeout = 7 * 86400;

httplib::Server::Handler control(Context& ctx, std::function<void(const httplib::Request&, httplib::Response&, const Tenant&)> fn) {
  return [&ctx, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      Tenant tenant = api_tenant(ctx, req);
      set_current_tenant(tenant);  // the access log names it
      fn(req, res, tenant);
    } catch (const std::exception& e) {
      send_rest_exception(res, e, false);
    }
  };
}

// A tenant's E2B sandbox, or NotFound (another tenant's and a non-E2B session look the same).
session::Record find(Context& ctx, const Tenant& t, const std::string& id) {
  session::Record r;
  try {
    r = ctx.sessions->get(id, owner_for(ctx, t));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) throw SandboxGone("sandbox \"" + id + "\" not found");
    throw;
  }
  if (!r.attributes.count(kAttrToken)) throw SandboxGone("sandbox \"" + id + "\" not found");
  return r;
}

std::string iso_seconds(int64_t unix_s) { return rfc3339(unix_s * 1000000000); }

int64_t megabytes(const std::string& size) {
  int64_t n = std::strtoll(size.c_str(), nullptr, 10);
  char unit = size.empty() ? 'm' : size.back();
  return unit == 'g' ? n * 1024 : unit == 'k' ? n / 1024 : n;
}

json sandbox_json(const session::Record& r) {
  auto tmpl = r.attributes.find(kAttrTemplate);
  json j = {{"sandboxID", r.id},        {"templateID", tmpl == r.attributes.end() ? r.template_name : tmpl->second},
            {"clientID", "orch"},       {"envdVersion", kEnvdVersion},
            {"alias", r.template_name}, {"domain", nullptr}};
  return j;
}

json with_tokens(json j, const session::Record& r) {
  j["envdAccessToken"] = r.attributes.at(kAttrToken);
  if (auto t = r.attributes.find(kAttrTraffic); t != r.attributes.end()) j["trafficAccessToken"] = t->second;
  return j;
}

json detail_json(Context& ctx, const session::Record& r) {
  json j = sandbox_json(r);
  j.erase("domain");
  const auto* tmpl = ctx.store.find(r.template_name);
  j["startedAt"] = iso_seconds(r.created);
  j["endAt"] = iso_seconds(r.expires);
  j["state"] = "running";
  j["cpuCount"] = tmpl ? static_cast<int>(tmpl->limits.cpus + 0.999) : 1;
  j["memoryMB"] = tmpl ? tmpl->limits.memory_bytes >> 20 : 256;
  j["diskSizeMB"] = tmpl ? megabytes(tmpl->limits.workspace_size) : 64;
  j["metadata"] = r.labels;
  return j;
}

int64_t timeout_field(const json& b, int64_t fallback) {
  auto t = opt_int(b, "timeout");
  int64_t v = t.value_or(fallback);
  if (v < 1 || v > kMaxTimeout)
    throw Error(ErrorKind::BadInput, "field 'timeout' must be between 1 and " + std::to_string(kMaxTimeout) + " seconds");
  return v;
}

void create(Context& ctx, const httplib::Request& req, httplib::Response& res, const Tenant& tenant) {
  json b = parse_body(req.body.empty() ? "{}" : req.body);
  if (b.value("autoPause", false)) throw Error(ErrorKind::BadInput, "orch sandboxes cannot be paused (autoPause)");
  session::CreateOptions o;
  std::string e2b_template = opt_string(b, "templateID").value_or("base");
  o.template_name = orch_template(e2b_template);
  if (!ctx.store.find(o.template_name)) throw Error(ErrorKind::NotFound, "template '" + e2b_template + "' not found");
  o.owner = tenant.name;
  o.ttl_s = timeout_field(b, kDefaultTimeout);
  o.home = kHome;
  o.start_agent = true;
  if (b.contains("metadata") && !b["metadata"].is_null()) {
    if (!b["metadata"].is_object()) throw Error(ErrorKind::BadInput, "field 'metadata' must be an object");
    for (const auto& [k, v] : b["metadata"].items()) {
      if (!v.is_string()) throw Error(ErrorKind::BadInput, "field 'metadata." + k + "' must be a string");
      o.labels[k] = v.get<std::string>();
    }
  }
  if (b.contains("envVars") && !b["envVars"].is_null()) {
    if (!b["envVars"].is_object()) throw Error(ErrorKind::BadInput, "field 'envVars' must be an object");
    for (const auto& [k, v] : b["envVars"].items()) {
      if (!v.is_string()) throw Error(ErrorKind::BadInput, "field 'envVars." + k + "' must be a string");
      o.env[k] = v.get<std::string>();
    }
  }
  if (b.value("allow_internet_access", false)) {
    if (!ctx.cfg.allow_network)
      throw Error(ErrorKind::BadInput, "internet access is not allowed on this server (orch serve --allow-net allows it)");
    o.network = "bridge";
  }
  int cap = tenant.limits.max_sessions > 0 ? tenant.limits.max_sessions : ctx.cfg.tenant_max_sessions;
  if (ctx.tokens.enabled() && static_cast<int>(ctx.sessions->list(tenant.name).size()) >= cap)
    throw Error(ErrorKind::Busy, "tenant '" + tenant.name + "' already has " + std::to_string(cap) + " sandboxes; kill one first");
  o.attributes[kAttrToken] = random_hex(32);
  o.attributes[kAttrTraffic] = random_hex(32);
  o.attributes[kAttrTemplate] = e2b_template;
  session::Record r = ctx.sessions->create(o);
  send_json(res, with_tokens(sandbox_json(r), r), 201);
}

// The SDK's metadata filter: each key and value encodeURIComponent'ed, the pairs joined as a query
// string (URLSearchParams: '+' for a space), that string sent as one parameter, which the query
// parser already decoded once: {"owner": "a@b.com"} arrives as "owner=a%40b.com".
std::map<std::string, std::string> metadata_filter(const std::string& q) {
  auto decode = [](const std::string& part) { return httplib::detail::decode_url(httplib::detail::decode_url(part, true), false); };
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= q.size()) {
    size_t amp = q.find('&', start);
    std::string pair = q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = pair.find('=');
    if (!pair.empty()) out[decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

// Where a page of the list stands: sandboxes come in the order they were made, then by id, and a
// page that leaves some out names its last one in X-Next-Token ("CREATED.ID"), which the SDK's
// paginator sends back as nextToken. Sandboxes made or removed between pages move nothing.
using PageKey = std::pair<int64_t, std::string>;

PageKey page_key(const session::Record& r) { return {r.created, r.id}; }

std::optional<PageKey> parse_page_token(const std::string& token) {
  size_t dot = token.find('.');
  if (token.empty()) return std::nullopt;
  if (dot == 0 || dot == std::string::npos || dot > 18 || token.find_first_not_of("0123456789") != dot)
    throw Error(ErrorKind::BadInput, "nextToken '" + token.substr(0, 64) + "' is not one this server gave");
  return PageKey{std::stoll(token.substr(0, dot)), token.substr(dot + 1)};
}

void list(Context& ctx, const httplib::Request& req, httplib::Response& res, const Tenant& tenant) {
  auto want = req.has_param("metadata") ? metadata_filter(req.get_param_value("metadata")) : std::map<std::string, std::string>{};
  std::string state = req.has_param("state") ? req.get_param_value("state") : "running";
  size_t limit = 1000;
  if (req.has_param("limit")) {
    const std::string& v = req.get_param_value("limit");
    if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1 || std::stoi(v) > 1000)
      throw Error(ErrorKind::BadInput, "limit must be a whole number from 1 to 1000");
    limit = static_cast<size_t>(std::stoi(v));
  }
  auto after = parse_page_token(req.has_param("nextToken") ? req.get_param_value("nextToken") : "");
  std::vector<session::Record> matches;
  if (state.find("running") != std::string::npos) {
    for (auto& r : ctx.sessions->list(owner_for(ctx, tenant))) {
      if (!r.attributes.count(kAttrToken) || r.state != "running" || (after && page_key(r) <= *after)) continue;
      bool match = true;
      for (const auto& [k, v] : want) {
        auto it = r.labels.find(k);
        if (it == r.labels.end() || it->second != v) match = false;
      }
      if (match) matches.push_back(std::move(r));
    }
  }
  std::sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) { return page_key(a) < page_key(b); });
  json arr = json::array();
  for (size_t i = 0; i < matches.size() && i < limit; ++i) arr.push_back(detail_json(ctx, matches[i]));
  if (matches.size() > limit) res.set_header("X-Next-Token", std::to_string(matches[limit - 1].created) + "." + matches[limit - 1].id);
  send_json(res, arr);
}

}  // namespace

void add_control_routes(httplib::Server& svr, Context& ctx) {
  const std::string p = kPrefix;
  svr.Post(p + "/v2/sandboxes", control(ctx, [&ctx](const auto& req, auto& res, const Tenant& t) { create(ctx, req, res, t); }));
  svr.Post(p + "/sandboxes", control(ctx, [&ctx](const auto& req, auto& res, const Tenant& t) { create(ctx, req, res, t); }));
  svr.Get(p + "/v2/sandboxes", control(ctx, [&ctx](const auto& req, auto& res, const Tenant& t) { list(ctx, req, res, t); }));
  svr.Get(p + "/sandboxes", control(ctx, [&ctx](const auto& req, auto& res, const Tenant& t) { list(ctx, req, res, t); }));

  svr.Get(p + R"(/sandboxes/([^/]+))", control(ctx, [&ctx](const auto& req, auto& res, const Tenant& t) {
            send_json(res, detail_json(ctx, find(ctx, t, req.matches[1])));
          }));
  svr.Delete(p + R"(/sandboxes/([^/]+))", control(ctx, [&ctx](const auto& req, auto& res, const Tenant& t) {
               std::string id = find(ctx, t, req.matches[1]).id;
               forget_sandbox(id);
               ctx.sessions->remove(id, owner_for(ctx, t));
               res.status = 204;
             }));
  svr.Post(p + R"(/sandboxes/([^/]+)/timeout)", control(ctx, [&ctx](const auto& req, auto& res, const Tenant& t) {
             json b = parse_body(req.body.empty() ? "{}" : req.body);
             ctx.sessions->extend(find(ctx, t, req.matches[1]).id, timeout_field(b, kDefaultTimeout), owner_for(ctx, t));
             res.status = 204;
           }));
  auto connect = [&ctx](const httplib::Request& req, httplib::Response& res, const Tenant& t) {
    json b = parse_body(req.body.empty() ? "{}" : req.body);
    session::Record r = find(ctx, t, req.matches[1]);
    // Connecting never shortens a sandbox's life: the timeout only moves its end later.
    if (b.contains("timeout")) {
      int64_t ttl = timeout_field(b, kDefaultTimeout);
      if (unix_now() + ttl > r.expires) r = ctx.sessions->extend(r.id, ttl, owner_for(ctx, t));
    }
    send_json(res, with_tokens(sandbox_json(r), r), 200);
  };
  svr.Post(p + R"(/v2/sandboxes/([^/]+)/connect)", control(ctx, connect));
  svr.Post(p + R"(/sandboxes/([^/]+)/connect)", control(ctx, connect));

  auto unsupported = [](const std::string& what) {
    return [what](const httplib::Request&, httplib::Response& res) {
      send_rest_error(res, 501, what + " is not supported by orch (sandboxes run until killed or their timeout)");
    };
  };
  svr.Post(p + R"(/sandboxes/([^/]+)/pause)", unsupported("pausing a sandbox"));
  svr.Post(p + R"(/sandboxes/([^/]+)/resume)", unsupported("resuming a sandbox"));
  svr.Post(p + R"(/sandboxes/([^/]+)/snapshots)", unsupported("snapshots"));
  svr.Get(p + R"(/sandboxes/([^/]+)/metrics)", unsupported("sandbox metrics"));
  svr.Get(p + R"(/sandboxes/([^/]+)/logs)", unsupported("sandbox logs"));
}

}  // namespace orch::server::e2b
