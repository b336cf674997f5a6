// envd's filesystem service (Connect, unary JSON): Stat, ListDir, MakeDir, Move, Remove.
#include "server/body.hpp"
#include "server/e2b/connect.hpp"
#include "server/e2b/e2b.hpp"

namespace orch::server::e2b {

using nlohmann::json;

namespace {

using Unary = std::function<json(Context&, const session::Record&, const std::string& user, const json& in)>;

// A unary Connect call on a sandbox: JSON in, JSON out, errors as Connect error bodies.
httplib::Server::Handler unary(Context& ctx, Unary fn) {
  return [&ctx, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      json in = parse_body(req.body.empty() ? "{}" : req.body);
      session::Record sb = sandbox_of(ctx, req);
      send_json(res, fn(ctx, sb, user_of(ctx, req), in));
    } catch (const std::exception& e) {
      send_rpc_exception(res, e);
    }
  };
}

std::string path_field(const json& in, const char* name) {
  if (!in.contains(name) || !in[name].is_string() || in[name].get<std::string>().empty())
    throw Error(ErrorKind::BadInput, std::string("field '") + name + "' is required");
  return in[name].get<std::string>();
}

}  // namespace

void add_filesystem_routes(httplib::Server& svr, Context& ctx) {
  const std::string p = std::string(kPrefix) + "/filesystem.Filesystem/";
  svr.Post(p + "Stat", unary(ctx, [](Context& c, const auto& sb, const auto& user, const json& in) {
             return json{{"entry", entry_json(c.sessions->stat_path(sb.id, path_field(in, "path"), user))}};
           }));
  svr.Post(p + "ListDir", unary(ctx, [](Context& c, const auto& sb, const auto& user, const json& in) {
             int depth = in.value("depth", 1);
             json entries = json::array();
             for (const auto& e : c.sessions->list_path(sb.id, path_field(in, "path"), depth < 1 ? 1 : depth, user))
               entries.push_back(entry_json(e));
             return json{{"entries", entries}};
           }));
  svr.Post(p + "MakeDir", unary(ctx, [](Context& c, const auto& sb, const auto& user, const json& in) {
             return json{{"entry", entry_json(c.sessions->make_dir(sb.id, path_field(in, "path"), user))}};
           }));
  svr.Post(
      p + "Move", unary(ctx, [](Context& c, const auto& sb, const auto& user, const json& in) {
        return json{{"entry", entry_json(c.sessions->move_path(sb.id, path_field(in, "source"), path_field(in, "destination"), user))}};
      }));
  svr.Post(p + "Remove", unary(ctx, [](Context& c, const auto& sb, const auto& user, const json& in) {
             c.sessions->remove_path(sb.id, path_field(in, "path"), user);
             return json::object();
           }));
  // WatchDir streams from the server: its error, as any streaming call's, is the end-of-stream
  // envelope of a 200 (a plain 501 reaches the SDK's user as "[unknown] HTTP 501"). The others are unary.
  svr.Post(p + "WatchDir", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(end_stream("unimplemented", "watching directories is not supported by orch"), "application/connect+json");
  });
  for (const char* m : {"CreateWatcher", "GetWatcherEvents", "RemoveWatcher"}) {
    svr.Post(p + m, [](const httplib::Request&, httplib::Response& res) {
      send_json(res, {{"code", "unimplemented"}, {"message", "watching directories is not supported by orch"}}, 501);
    });
  }
}

}  // namespace orch::server::e2b
