#include <iomanip>
#include <iostream>

#include "cli/build_progress.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/error.hpp"
#include "core/templates/build.hpp"
#include "core/templates/packages.hpp"
#include "core/util/units.hpp"

namespace orch::cli {

namespace {

// Image state needs the engine; listing must still work without one.
std::string image_state(engine::Engine& engine, const templates::Template& t, bool& engine_ok) {
  if (!engine_ok) return "unknown";
  try {
    return templates::image_present(engine, t) ? "built" : "missing";
  } catch (const Error&) {
    engine_ok = false;
    return "unknown";
  }
}

int list(bool as_json, bool with_images) {
  auto store = templates::Store::load();
  auto engine = engine::engine_from_env();
  bool engine_ok = with_images;
  if (as_json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto* tp : store.all()) {
      const auto& t = *tp;
      auto j = templates::to_json(t);
      if (with_images) j["image_state"] = image_state(*engine, t, engine_ok);
      arr.push_back(j);
    }
    print_json(arr);
  } else {
    std::cout << std::left << std::setw(14) << "NAME" << std::setw(22) << "LANGUAGES" << std::setw(9) << "IMAGE";
    std::cout << "DESCRIPTION\n";
    for (const auto* tp : store.all()) {
      const auto& t = *tp;
      std::string langs;
      for (const auto& l : t.languages) langs += (langs.empty() ? "" : ",") + l.name;
      std::cout << std::setw(14) << t.name << std::setw(22) << langs << std::setw(9)
                << (with_images ? image_state(*engine, t, engine_ok) : "-") << t.description << "\n";
    }
  }
  for (const auto& w : store.warnings()) std::cerr << "orch: warning: " << w << "\n";
  return 0;
}

int show(const std::string& name, bool as_json) {
  auto store = templates::Store::load();
  const auto& t = store.get(name);
  if (as_json) {
    print_json(templates::to_json(t));
    return 0;
  }
  std::cout << "name:        " << t.name << "\n"
            << "description: " << t.description << "\n"
            << "image:       " << t.image << "\n"
            << "source:      " << t.source << "\n"
            << "network:     " << t.network << "\n"
            << "user:        " << t.user << "\n"
            << "limits:      memory " << format_bytes(t.limits.memory_bytes) << ", cpus " << t.limits.cpus << ", pids "
            << t.limits.pids << ", timeout " << t.limits.timeout_s << "s, /tmp " << t.limits.tmp_size << ", /workspace "
            << t.limits.workspace_size << "\n"
            << "languages:\n";
  for (const auto& l : t.languages) {
    std::string run;
    for (const auto& a : l.run) run += (run.empty() ? "" : " ") + (a == "{file}" ? l.file : a);
    std::cout << "  " << l.name << (l.name == t.default_language ? " (default)" : "") << ": " << l.file << " -> " << run << "\n";
  }
  if (!t.env.empty()) {
    std::cout << "env:\n";
    for (const auto& [k, v] : t.env) std::cout << "  " << k << "=" << v << "\n";
  }
  return 0;
}

int build(const std::vector<std::string>& names, bool all, bool verbose, bool missing_only) {
  auto store = templates::Store::load();
  auto engine = engine::engine_from_env();
  std::vector<const templates::Template*> todo;
  if (all || names.empty()) {
    if (!all && !missing_only) throw Error(ErrorKind::BadInput, "name the templates to build, or use --all or --missing");
    todo = store.all();
  } else {
    for (const auto& n : names) todo.push_back(&store.get(n));
  }
  for (const auto* t : todo) {
    if (missing_only && templates::image_present(*engine, *t)) {
      std::cerr << "template " << t->name << ": " << t->image << " already built\n";
      continue;
    }
    build_template(*engine, *t, verbose);
  }
  if (all || names.empty()) {
    // What the engine needs of its own (Docker: the network guard's image) is built with the rest,
    // so no networked run waits for it.
    engine->prepare([&](const std::string& line) {
      if (verbose || line.rfind("Step ", 0) == 0) std::cerr << "  " << line << "\n";
    });
  }
  return 0;
}

int prune(bool as_json) {
  auto engine = engine::engine_from_env();
  auto removed = templates::prune_derived(*engine);
  if (as_json) print_json({{"removed", removed}});
  for (const auto& tag : removed)
    if (!as_json) std::cout << "removed " << tag << "\n";
  if (!as_json && removed.empty()) std::cout << "no package images to remove\n";
  return 0;
}

}  // namespace

int templates_main(int argc, char** argv) {
  CLI::App app{"Sandbox environments: a Dockerfile and a template.json each.", "templates"};
  app.require_subcommand(1);
  bool as_json = false, all = false, verbose = false, missing = false, no_images = false;
  std::string name;
  std::vector<std::string> names;
  auto* ls = app.add_subcommand("ls", "list templates and whether their images are built");
  ls->add_flag("--json", as_json, "print JSON");
  ls->add_flag("--no-engine", no_images, "do not ask the engine which images are built");
  auto* sh = app.add_subcommand("show", "show one template");
  sh->add_option("name", name, "template name")->required();
  sh->add_flag("--json", as_json, "print JSON");
  auto* bd = app.add_subcommand("build", "build template images");
  bd->add_option("names", names, "templates to build");
  bd->add_flag("--all", all, "build every template");
  bd->add_flag("--missing", missing, "skip templates whose image is already built (alone: every missing template)");
  bd->add_flag("-v,--verbose", verbose, "show every line of build output");
  auto* pr = app.add_subcommand("prune", "remove the images built for --with packages (rebuilt when next needed)");
  pr->add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  if (ls->parsed()) return list(as_json, !no_images);
  if (pr->parsed()) return prune(as_json);
  if (sh->parsed()) return show(name, as_json);
  return build(names, all, verbose, missing);
}

}  // namespace orch::cli
