#include "core/error.hpp"
#include "core/repo/source.hpp"
#include "core/repo/test.hpp"
#include "core/util/units.hpp"

namespace orch::repo {

namespace {

template <class T>
T field(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  try {
    return j[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::BadInput, std::string("field '") + key + "' has the wrong type");
  }
}

}  // namespace

TestOptions test_options_from_json(const nlohmann::json& j, bool allow_local) {
  if (!j.is_object()) throw Error(ErrorKind::BadInput, "the body must be a JSON object");
  TestOptions o;
  o.source = field<std::string>(j, "source", "");
  if (o.source.empty()) throw Error(ErrorKind::BadInput, "field 'source' (a git URL) is required");
  // A remote caller must not make the server clone its own folders.
  if (!allow_local) {
    // Whether a path exists on the server is no business of a remote caller: every local path gets one answer.
    bool local = true;
    try {
      local = parse_source(o.source).is_local();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
    }
    if (local) throw Error(ErrorKind::BadInput, "local paths and file:// URLs are not accepted here; give a remote git URL");
  }
  o.ref = field<std::string>(j, "ref", "");
  o.command = field<std::string>(j, "cmd", "");
  o.template_name = field<std::string>(j, "template", "");
  o.setup = field<std::string>(j, "setup", "");
  o.setup_network = field<bool>(j, "setup_net", false);
  if (o.setup_network && o.setup.empty()) throw Error(ErrorKind::BadInput, "'setup_net' needs 'setup'");
  o.submodules = field<bool>(j, "submodules", false);
  o.timeout_s = o.setup_timeout_s = field<double>(j, "timeout", o.timeout_s);
  if (o.timeout_s <= 0 || o.timeout_s > 86400) throw Error(ErrorKind::BadInput, "'timeout' must be above 0 and at most 86400 seconds");
  o.clone_timeout_s = field<double>(j, "clone_timeout", o.clone_timeout_s);
  if (o.clone_timeout_s <= 0 || o.clone_timeout_s > 3600) throw Error(ErrorKind::BadInput, "'clone_timeout' must be above 0 and at most 3600");
  if (j.contains("max_size")) o.max_repo_bytes = parse_bytes(field<std::string>(j, "max_size", ""), "max_size");
  if (j.contains("memory")) o.memory_bytes = parse_bytes(field<std::string>(j, "memory", ""), "memory");
  if (j.contains("cpus")) o.cpus = field<double>(j, "cpus", 1);
  o.env = field<std::vector<std::string>>(j, "env", {});
  return o;
}

}  // namespace orch::repo
