#pragma once
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::templates {

struct Language {
  std::string name;
  std::string file;                     // name the code is saved as in /workspace, e.g. main.py
  std::vector<std::string> extensions;  // e.g. ".py"
  std::vector<std::string> run;         // argv; "{file}" is replaced by the file name
  std::string kernel;                   // session kernel: python, node or bash ("" = none)
  std::string version;                  // of the interpreter in the image, for Piston's runtimes list
  std::vector<std::string> aliases;     // other names clients use (py, js, ...)
};

// A file the image build needs that is too big to ship with orch (a runtime's binaries): downloaded
// at build time and checked against its integrity before it joins the build context.
struct Fetch {
  std::string file;       // name in the build context, e.g. node.tgz
  std::string npm;        // an npm package "name@version" ...
  std::string url;        // ... or any https URL
  std::string integrity;  // "sha512-BASE64", as the npm registry publishes it
  std::string arch;       // engine architecture it is for ("amd64", "arm64"); "" = any
};

struct Limits {
  int64_t memory_bytes = 256LL << 20;
  double cpus = 1.0;
  int64_t pids = 128;
  double timeout_s = 30;
  std::string tmp_size = "64m";
  std::string workspace_size = "64m";
};

struct Template {
  std::string name;
  std::string description;
  std::string image;  // tag orch builds and runs, e.g. orch/python:latest
  std::string default_language;
  std::vector<Language> languages;
  Limits limits;
  std::string network = "none";
  std::map<std::string, std::string> env;
  std::string user = "1000:1000";
  std::string runtime;                          // "" = engine default
  bool capture_figures = false;                 // one-shot Python runs return matplotlib figures as PNGs
  std::vector<std::string> packages;            // what it adds to its base, as listed (numpy, apt:jq, npm:left-pad)
  std::string source;                           // "builtin" or the directory it came from
  std::map<std::string, std::string> files;     // build context: relative path -> contents (includes Dockerfile)
  std::vector<Fetch> fetch;                     // added to the build context when building

  const Language* language(const std::string& name) const;
  const Language* language_for_extension(const std::string& ext) const;
};

// Parses a template.json; `files` is the template's folder contents. Throws orch::Error(BadInput)
// naming the template and the field when the spec is wrong.
Template parse(const nlohmann::json& spec, const std::string& source, std::map<std::string, std::string> files);
nlohmann::json to_json(const Template& t);

// Built-in templates (compiled in) plus user templates from ORCH_TEMPLATES or ~/.config/orch/templates.
// A user template with a built-in's name replaces it.
class Store {
 public:
  static Store load();
  static Store from(std::vector<Template> templates);

  // "default" names the python template unless a template of that name exists.
  const Template* find(const std::string& name) const;
  const Template& get(const std::string& name) const;  // throws NotFound with "did you mean"
  std::vector<const Template*> all() const;            // by name; the pointers stay valid (nothing is removed)
  // Adds a template (registered at run time); Conflict when the name is taken. References to
  // templates stay valid: nothing is ever removed.
  const Template& add(Template t);
  // The template for a language: the one named like it, else the first that offers it.
  const Template* for_language(const std::string& lang) const;
  // Which language a file extension selects across all templates.
  std::optional<std::string> language_for_extension(const std::string& ext) const;
  std::vector<std::string> warnings() const { return warnings_; }

 private:
  const Template* find_locked(const std::string& name) const;
  std::deque<Template> templates_;
  std::vector<std::string> warnings_;
  std::shared_ptr<std::shared_mutex> mu_ = std::make_shared<std::shared_mutex>();
};

std::string user_templates_dir();

}  // namespace orch::templates
