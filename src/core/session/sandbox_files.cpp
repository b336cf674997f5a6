// Files anywhere in a session's sandbox through its agent, as the sandbox's user: the agent opens
// paths inside the container, so links resolve there and the host only handles bytes.
#include "core/error.hpp"
#include "core/session/manager.hpp"
#include "core/session/paths.hpp"

namespace orch::session {

using nlohmann::json;

namespace {

constexpr size_t kChunk = size_t{1} << 20;

PathInfo path_info(const json& e) {
  PathInfo p;
  p.name = e.value("name", "");
  p.path = e.value("path", "");
  p.type = e.value("type", "other");
  p.size = e.value("size", int64_t{0});
  p.mode = e.value("mode", 0u);
  p.owner = e.value("owner", "");
  p.group = e.value("group", "");
  p.mtime_ns = e.value("mtime_ns", int64_t{0});
  if (e.contains("target")) p.target = e.value("target", "");
  return p;
}

}  // namespace

std::string Manager::absolute_path(const std::string& id, const std::string& path, const Owner& owner) {
  if (!path.empty() && path[0] == '/') return path;
  return under_home(path, resolve(id, owner).home);
}

PathInfo Manager::stat_path(const std::string& id, const std::string& path, const std::string& user, const Owner& owner) {
  Target t = resolve(id, owner);
  return path_info(agent_for(t, user)->call("stat", {{"path", absolute_path(id, path, owner)}})["entry"]);
}

std::vector<PathInfo> Manager::list_path(const std::string& id, const std::string& path, int depth, const std::string& user,
                                         const Owner& owner) {
  Target t = resolve(id, owner);
  json r = agent_for(t, user)->call("ls", {{"path", absolute_path(id, path, owner)}, {"depth", depth}});
  std::vector<PathInfo> out;
  for (const auto& e : r.value("entries", json::array())) out.push_back(path_info(e));
  return out;
}

PathInfo Manager::make_dir(const std::string& id, const std::string& path, const std::string& user, const Owner& owner) {
  Target t = resolve(id, owner);
  return path_info(agent_for(t, user)->call("mkdir", {{"path", absolute_path(id, path, owner)}})["entry"]);
}

PathInfo Manager::move_path(const std::string& id, const std::string& from, const std::string& to, const std::string& user,
                            const Owner& owner) {
  Target t = resolve(id, owner);
  return path_info(
      agent_for(t, user)->call("move", {{"from", absolute_path(id, from, owner)}, {"to", absolute_path(id, to, owner)}})["entry"]);
}

void Manager::remove_path(const std::string& id, const std::string& path, const std::string& user, const Owner& owner) {
  Target t = resolve(id, owner);
  agent_for(t, user)->call("remove", {{"path", absolute_path(id, path, owner)}});
}

std::unique_ptr<FileReader> Manager::read_file(const std::string& id, const std::string& path, const std::string& user,
                                               const Owner& owner) {
  Target t = resolve(id, owner);
  auto agent = agent_for(t, user);
  json r = agent->call("open", {{"path", absolute_path(id, path, owner)}});
  return std::make_unique<FileReader>(agent, r.value("fh", 0), r.value("size", int64_t{0}));
}

PathInfo Manager::write_file(const std::string& id, const std::string& path, std::string_view data, const std::string& user,
                             const Owner& owner) {
  Target t = resolve(id, owner);
  auto agent = agent_for(t, user);
  int fh = agent->call("create", {{"path", absolute_path(id, path, owner)}}).value("fh", 0);
  try {
    for (size_t off = 0; off < data.size(); off += kChunk) agent->call("write", {{"fh", fh}}, data.substr(off, kChunk));
    return path_info(agent->call("commit", {{"fh", fh}})["entry"]);
  } catch (...) {
    try {
      agent->call("close", {{"fh", fh}});
    } catch (const Error&) {
      // the agent is gone: its temporary file went with the write that failed
    }
    throw;
  }
}

FileReader::~FileReader() {
  try {
    agent_->call("close", {{"fh", fh_}});
  } catch (const std::exception&) {
    // the agent is gone, and the file with it
  }
}

bool FileReader::next(std::string& chunk) {
  if (eof_) return false;
  json r = agent_->call("read", {{"fh", fh_}, {"max", kChunk}}, {}, &chunk);
  eof_ = r.value("eof", false);
  return !chunk.empty() || !eof_;
}

}  // namespace orch::session
