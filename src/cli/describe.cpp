#include "cli/describe.hpp"

#include "core/util/suggest.hpp"

namespace orch::cli {

namespace {

CommandSpec* g_recording = nullptr;

std::vector<CLI::App*> subcommands_of(CLI::App& app) {
  return app.get_subcommands([](CLI::App*) { return true; });
}

std::string path_of(const std::string& app_name) {
  return app_name.rfind("orch ", 0) == 0 ? app_name.substr(5) : app_name;
}

// A subcommand without its own row ("pricing watch") reads what its parent's row reads.
const Command* row_or_parent(const std::string& path) {
  for (std::string p = path; !p.empty();) {
    if (const Command* c = find_command(p)) return c;
    auto sp = p.rfind(' ');
    p = sp == std::string::npos ? "" : p.substr(0, sp);
  }
  return nullptr;
}

std::string notes_for(const std::string& path) {
  std::string out;
  if (const Command* exact = find_command(path); exact && !exact->examples.empty()) {
    out += "Examples:\n";
    for (const char* e : exact->examples) out += std::string("  ") + e + "\n";
  }
  const Command* row = row_or_parent(path);
  if (row && !row->env.empty()) {
    out += (out.empty() ? "" : "\n") + std::string("Environment:\n");
    for (const char* name : row->env)
      for (const auto& v : env_vars())
        if (std::string(v.name) == name) out += std::string("  ") + v.name + "\n      " + v.meaning + "\n";
  }
  return out;
}

void decorate(CLI::App& app, const std::string& path) {
  std::string notes = notes_for(path);
  std::string footer = app.get_footer();
  if (!notes.empty()) app.footer(notes + (footer.empty() ? "" : "\n" + footer));
  // A repeatable option takes one value per occurrence, so `-f data.csv script.py` leaves the program alone.
  for (CLI::Option* o : app.get_options())
    if (!o->get_positional() && o->get_items_expected_max() > 1) o->allow_extra_args(false);
  for (CLI::App* sub : subcommands_of(app)) decorate(*sub, path + " " + sub->get_name());
}

CommandSpec spec_of(CLI::App& app, const std::string& path) {
  CommandSpec s;
  s.path = path;
  s.summary = app.get_description();
  s.row = find_command(path);
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_positional()) {
      s.positionals.push_back(o->get_name() + (o->get_items_expected_max() > 1 ? "..." : ""));
      continue;
    }
    OptionSpec os;
    for (const auto& n : o->get_snames()) os.names.push_back("-" + n);
    for (const auto& n : o->get_lnames()) os.names.push_back("--" + n);
    if (o->get_items_expected_max() > 0) os.value = o->get_type_name().empty() ? "VALUE" : o->get_type_name();
    os.help = o->get_description();
    os.greedy = o->get_items_expected_max() > 1 && o->get_allow_extra_args();
    s.options.push_back(std::move(os));
  }
  for (CLI::App* sub : subcommands_of(app)) s.subs.push_back(spec_of(*sub, path + " " + sub->get_name()));
  return s;
}

CommandSpec describe_row(const Command& row, const std::string& path) {
  CommandSpec out;
  if (row.main) {
    std::string name = row.name;
    char* argv[] = {name.data(), nullptr};
    g_recording = &out;
    try {
      row.main(1, argv);
    } catch (...) {
      g_recording = nullptr;
      throw;
    }
    g_recording = nullptr;
  }
  out.path = path;
  out.summary = row.summary;
  out.row = &row;
  for (const auto& sub : row.subs) out.subs.push_back(describe_row(sub, path.empty() ? sub.name : path + " " + sub.name));
  return out;
}

}  // namespace

CommandSpec describe_all() { return describe_row(root_command(), ""); }

bool prepare_app(CLI::App& app) {
  std::string path = path_of(app.get_name());
  app.name("orch " + path);
  decorate(app, path);
  if (!g_recording) return false;
  *g_recording = spec_of(app, path);
  return true;
}

std::string suggest_option(CLI::App& app, const std::string& arg) {
  std::vector<std::string> names;
  for (CLI::App* a = &app; a;) {
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& n : o->get_lnames()) names.push_back("--" + n);
      for (const auto& n : o->get_snames()) names.push_back("-" + n);
    }
    auto parsed = a->get_subcommands();
    a = parsed.empty() ? nullptr : parsed.front();
  }
  return did_you_mean(arg.substr(0, arg.find('=')), names);
}

}  // namespace orch::cli
