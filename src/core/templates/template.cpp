#include "core/templates/template.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/error.hpp"
#include "core/util/embedded.hpp"
#include "core/util/shown.hpp"
#include "core/util/suggest.hpp"
#include "core/util/units.hpp"

namespace orch::templates {

namespace fs = std::filesystem;
using nlohmann::json;

const Language* Template::language(const std::string& n) const {
  for (const auto& l : languages)
    if (l.name == n) return &l;
  return nullptr;
}

const Language* Template::language_for_extension(const std::string& ext) const {
  for (const auto& l : languages)
    for (const auto& e : l.extensions)
      if (e == ext) return &l;
  return nullptr;
}

namespace {

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  throw Error(ErrorKind::BadInput, "template " + source + ": " + what);
}

template <typename T>
T field(const json& j, const char* key, const T& def, const std::string& where) {
  if (!j.contains(key)) return def;
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    bad(where, std::string("field '") + key + "' has the wrong type");
  }
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

Template parse(const json& spec, const std::string& source, std::map<std::string, std::string> files) {
  if (!spec.is_object()) bad(source, "template.json is not a JSON object");
  Template t;
  t.source = source;
  t.name = field<std::string>(spec, "name", "", source);
  if (!valid_name(t.name)) bad(source, "'name' must be lowercase letters, digits, - or _ (got '" + t.name + "')");
  std::string where = t.name + " (" + source + ")";
  t.description = field<std::string>(spec, "description", "", where);
  t.image = field<std::string>(spec, "image", "orch/" + t.name + ":latest", where);
  t.network = field<std::string>(spec, "network", "none", where);
  if (t.network != "none" && t.network != "bridge" && t.network != "lan") bad(where, "'network' must be none, bridge or lan");
  t.user = field<std::string>(spec, "user", "1000:1000", where);
  t.runtime = field<std::string>(spec, "runtime", "", where);
  t.capture_figures = field<bool>(spec, "capture_figures", false, where);
  t.packages = field<std::vector<std::string>>(spec, "packages", {}, where);
  t.env = field<std::map<std::string, std::string>>(spec, "env", {}, where);
  if (spec.contains("limits")) {
    const json& l = spec["limits"];
    if (!l.is_object()) bad(where, "'limits' must be an object");
    // parse_bytes names only the field; say which template it is in too.
    auto bytes = [&where](const std::string& text, const char* what) {
      try {
        return parse_bytes(text, what);
      } catch (const Error& e) {
        bad(where, e.what());
      }
    };
    if (l.contains("memory")) t.limits.memory_bytes = bytes(field<std::string>(l, "memory", "", where), "limits.memory");
    t.limits.cpus = field<double>(l, "cpus", t.limits.cpus, where);
    t.limits.pids = field<int64_t>(l, "pids", t.limits.pids, where);
    t.limits.timeout_s = field<double>(l, "timeout", t.limits.timeout_s, where);
    t.limits.tmp_size = field<std::string>(l, "tmp_size", t.limits.tmp_size, where);
    t.limits.workspace_size = field<std::string>(l, "workspace_size", t.limits.workspace_size, where);
    bytes(t.limits.tmp_size, "limits.tmp_size");
    bytes(t.limits.workspace_size, "limits.workspace_size");
  }
  if (!spec.contains("languages") || !spec["languages"].is_object() || spec["languages"].empty())
    bad(where, "'languages' must be an object with at least one language");
  for (const auto& [name, lj] : spec["languages"].items()) {
    Language lang;
    lang.name = name;
    lang.file = field<std::string>(lj, "file", "", where);
    lang.extensions = field<std::vector<std::string>>(lj, "extensions", {}, where);
    lang.run = field<std::vector<std::string>>(lj, "run", {}, where);
    lang.kernel = field<std::string>(lj, "kernel", "", where);
    lang.version = field<std::string>(lj, "version", "", where);
    lang.aliases = field<std::vector<std::string>>(lj, "aliases", {}, where);
    if (lang.file.empty() || lang.file.find('/') != std::string::npos) bad(where, "language " + name + ": 'file' must be a plain file name");
    if (lang.run.empty()) bad(where, "language " + name + ": 'run' must be a non-empty array");
    t.languages.push_back(std::move(lang));
  }
  t.default_language = field<std::string>(spec, "default_language", t.languages.front().name, where);
  if (!t.language(t.default_language)) bad(where, "default_language '" + t.default_language + "' is not among its languages");
  if (spec.contains("fetch")) {
    if (!spec["fetch"].is_array()) bad(where, "'fetch' must be an array");
    for (const auto& fj : spec["fetch"]) {
      Fetch f;
      f.file = field<std::string>(fj, "file", "", where);
      f.npm = field<std::string>(fj, "npm", "", where);
      f.url = field<std::string>(fj, "url", "", where);
      f.integrity = field<std::string>(fj, "integrity", "", where);
      f.arch = field<std::string>(fj, "arch", "", where);
      if (f.file.empty() || f.file.find('/') != std::string::npos || f.file == "Dockerfile")
        bad(where, "fetch: 'file' must be a plain file name other than Dockerfile");
      if (f.npm.empty() == f.url.empty()) bad(where, "fetch " + f.file + ": give one of 'npm' and 'url'");
      if (f.integrity.rfind("sha512-", 0) != 0) bad(where, "fetch " + f.file + ": 'integrity' must be sha512-BASE64");
      t.fetch.push_back(std::move(f));
    }
  }
  if (!files.count("Dockerfile")) bad(where, "has no Dockerfile");
  t.files = std::move(files);
  return t;
}

json to_json(const Template& t) {
  json langs = json::object();
  for (const auto& l : t.languages)
    langs[l.name] = {{"file", l.file},       {"extensions", l.extensions}, {"run", l.run},
                     {"kernel", l.kernel},   {"version", l.version},       {"aliases", l.aliases}};
  return {{"name", t.name},
          {"description", t.description},
          {"image", t.image},
          {"default_language", t.default_language},
          {"languages", langs},
          {"limits",
           {{"memory", format_bytes(t.limits.memory_bytes)},
            {"memory_bytes", t.limits.memory_bytes},
            {"cpus", t.limits.cpus},
            {"pids", t.limits.pids},
            {"timeout", t.limits.timeout_s},
            {"tmp_size", t.limits.tmp_size},
            {"workspace_size", t.limits.workspace_size}}},
          {"network", t.network},
          {"env", t.env},
          {"user", t.user},
          {"runtime", t.runtime},
          {"capture_figures", t.capture_figures},
          {"packages", t.packages},
          {"source", t.source}};
}

std::string user_templates_dir() {
  if (const char* d = std::getenv("ORCH_TEMPLATES"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/orch/templates";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/orch/templates";
  return "";
}

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Template parse_text(const std::string& text, const std::string& source, std::map<std::string, std::string> files) {
  json spec = json::parse(text, nullptr, false);
  if (spec.is_discarded()) bad(source, "template.json is not valid JSON");
  return parse(spec, source, std::move(files));
}

}  // namespace

Store Store::from(std::vector<Template> templates) {
  Store s;
  s.templates_.assign(std::make_move_iterator(templates.begin()), std::make_move_iterator(templates.end()));
  return s;
}

Store Store::load() {
  Store s;
  std::map<std::string, std::map<std::string, std::string>> builtin;
  for (const auto& f : embedded_templates()) {
    auto slash = f.path.find('/');
    if (slash == std::string_view::npos) continue;
    builtin[std::string(f.path.substr(0, slash))][std::string(f.path.substr(slash + 1))] = std::string(f.data);
  }
  for (auto& [name, files] : builtin) {
    auto it = files.find("template.json");
    if (it == files.end()) continue;
    std::string text = it->second;
    files.erase(it);
    s.templates_.push_back(parse_text(text, "builtin", std::move(files)));
  }
  std::string dir = user_templates_dir();
  std::error_code ec;
  if (!dir.empty() && fs::is_directory(dir, ec)) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory() && fs::exists(e.path() / "template.json")) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) {
      try {
        std::map<std::string, std::string> files;
        for (const auto& e : fs::recursive_directory_iterator(d, fs::directory_options::none, ec)) {
          if (!e.is_regular_file() || e.is_symlink()) continue;
          std::string rel = fs::relative(e.path(), d).string();
          if (rel != "template.json") files[rel] = read_file(e.path());
        }
        Template t = parse_text(read_file(d / "template.json"), d.string(), std::move(files));
        auto same = std::find_if(s.templates_.begin(), s.templates_.end(), [&](const Template& o) { return o.name == t.name; });
        if (same != s.templates_.end()) *same = std::move(t);
        else s.templates_.push_back(std::move(t));
      } catch (const Error& e) {
        s.warnings_.push_back(e.what());
      }
    }
  }
  std::sort(s.templates_.begin(), s.templates_.end(), [](const Template& a, const Template& b) { return a.name < b.name; });
  return s;
}

const Template* Store::find_locked(const std::string& name) const {
  for (const auto& t : templates_)
    if (t.name == name) return &t;
  if (name == "default") return find_locked("python");
  return nullptr;
}

const Template* Store::find(const std::string& name) const {
  std::shared_lock lock(*mu_);
  return find_locked(name);
}

std::vector<const Template*> Store::all() const {
  std::shared_lock lock(*mu_);
  std::vector<const Template*> out;
  out.reserve(templates_.size());
  for (const auto& t : templates_) out.push_back(&t);
  std::sort(out.begin(), out.end(), [](const Template* a, const Template* b) { return a->name < b->name; });
  return out;
}

const Template& Store::add(Template t) {
  std::unique_lock lock(*mu_);
  if (find_locked(t.name)) throw Error(ErrorKind::Conflict, "a template named '" + t.name + "' already exists");
  templates_.push_back(std::move(t));
  return templates_.back();
}

const Template& Store::get(const std::string& name) const {
  if (const Template* t = find(name)) return *t;
  std::vector<std::string> names;
  {
    std::shared_lock lock(*mu_);
    for (const auto& t : templates_) names.push_back(t.name);
  }
  throw Error(ErrorKind::NotFound,
              "unknown template '" + shown(name, 100) + "'" + did_you_mean(name, names) + " (orch templates ls lists them)");
}

const Template* Store::for_language(const std::string& lang) const {
  std::shared_lock lock(*mu_);
  if (const Template* t = find_locked(lang); t && t->language(lang)) return t;
  for (const auto& t : templates_)
    if (t.language(lang)) return &t;
  return nullptr;
}

std::optional<std::string> Store::language_for_extension(const std::string& ext) const {
  std::shared_lock lock(*mu_);
  for (const auto& t : templates_)
    if (const Language* l = t.language_for_extension(ext)) return l->name;
  return std::nullopt;
}

}  // namespace orch::templates
