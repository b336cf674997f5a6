// envd's REST half: /files (download and upload, multipart or raw bytes) and /health.
#include "core/util/random.hpp"
#include "server/e2b/connect.hpp"
#include "server/e2b/e2b.hpp"

namespace orch::server::e2b {

using nlohmann::json;

namespace {

std::string base_name(const std::string& path) {
  size_t s = path.find_last_of('/');
  return s == std::string::npos ? path : path.substr(s + 1);
}

httplib::Server::Handler envd(Context& ctx, std::function<void(const httplib::Request&, httplib::Response&, const session::Record&)> fn) {
  return [&ctx, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res, sandbox_of(ctx, req));
    } catch (const std::exception& e) {
      send_rest_exception(res, e, true);
    }
  };
}

void download(Context& ctx, const httplib::Request& req, httplib::Response& res, const session::Record& sb) {
  if (!req.has_param("path")) throw Error(ErrorKind::BadInput, "query parameter 'path' is required");
  std::string path = req.get_param_value("path");
  std::string user = user_of(ctx, req);
  auto reader = std::shared_ptr<session::FileReader>(ctx.sessions->read_file(sb.id, path, user).release());
  std::string first;
  bool more = reader->next(first);  // a failing read answers with an error status, not a cut body
  res.set_header("Content-Disposition", "attachment; filename=" + base_name(path));
  if (!more && first.empty()) {
    res.set_content("", "application/octet-stream");
    return;
  }
  if (more && static_cast<int64_t>(first.size()) >= reader->size()) {
    // All the size said came at once: one more read finds the end. A file that grew, or a device
    // (whose size is 0, /dev/zero without end), goes on as a stream: never held whole.
    std::string rest;
    more = reader->next(rest);
    first += rest;
  }
  if (!more) {
    res.set_content(first, "application/octet-stream");
    return;
  }
  res.set_chunked_content_provider("application/octet-stream", [reader, first = std::move(first)](size_t, httplib::DataSink& sink) mutable {
    try {
      if (!first.empty() && !sink.write(first.data(), first.size())) return false;
      first.clear();
      std::string chunk;
      while (reader->next(chunk)) {
        if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
        chunk.clear();
      }
      sink.done();
      return true;
    } catch (const std::exception&) {
      return false;  // the connection is cut: the client sees a short body, never a wrong one
    }
  });
}

void upload(Context& ctx, const httplib::Request& req, httplib::Response& res, const session::Record& sb) {
  std::string user = user_of(ctx, req);
  std::string query_path = req.has_param("path") ? req.get_param_value("path") : "";
  json written = json::array();
  auto put = [&](const std::string& path, const std::string& data) {
    if (path.empty()) throw Error(ErrorKind::BadInput, "no path for the uploaded file (query parameter 'path' or the part's filename)");
    auto info = ctx.sessions->write_file(sb.id, path, data, user);
    written.push_back({{"name", info.name}, {"type", "file"}, {"path", info.path}});
  };
  if (req.is_multipart_form_data()) {
    auto parts = req.files.equal_range("file");
    if (parts.first == parts.second) throw Error(ErrorKind::BadInput, "the multipart body has no part named 'file'");
    size_t count = static_cast<size_t>(std::distance(parts.first, parts.second));
    for (auto it = parts.first; it != parts.second; ++it)
      put(count == 1 && !query_path.empty() ? query_path : it->second.filename, it->second.content);
  } else {
    if (!req.get_header_value("Content-Encoding").empty() && req.get_header_value("Content-Encoding") != "identity")
      throw Error(ErrorKind::BadInput, "compressed uploads are not supported: send the file uncompressed");
    put(query_path, req.body);
  }
  send_json(res, written);
}

}  // namespace

void add_files_routes(httplib::Server& svr, Context& ctx) {
  const std::string p = kPrefix;
  svr.Get(p + "/files", envd(ctx, [&ctx](const auto& req, auto& res, const auto& sb) { download(ctx, req, res, sb); }));
  svr.Post(p + "/files", envd(ctx, [&ctx](const auto& req, auto& res, const auto& sb) { upload(ctx, req, res, sb); }));
  svr.Get(p + "/health", [&ctx](const httplib::Request& req, httplib::Response& res) {
    try {
      std::string id = req.get_header_value("E2b-Sandbox-Id");
      if (id.empty()) throw Error(ErrorKind::BadInput, "no sandbox named: the E2b-Sandbox-Id header is missing");
      auto r = ctx.sessions->get(id, std::nullopt);
      if (r.state != "running" || !r.attributes.count(kAttrToken)) throw SandboxGone("sandbox \"" + id + "\" is not running");
      if (r.expires <= unix_now()) throw SandboxGone("sandbox \"" + id + "\" has expired");
      res.status = 204;
    } catch (const Error& e) {
      send_rest_error(res, e.kind() == ErrorKind::NotFound ? 502 : rest_status_for(e, true), e.what());
    } catch (const std::exception& e) {
      send_rest_exception(res, e, true);
    }
  });
}

}  // namespace orch::server::e2b
