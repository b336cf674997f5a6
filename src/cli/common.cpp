#include "cli/common.hpp"

#include <cstdlib>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/describe.hpp"
#include "core/error.hpp"
#include "core/util/shown.hpp"
#include "core/util/suggest.hpp"

namespace orch::cli {

std::atomic<int> g_interrupted{0};

namespace {
extern "C" void on_signal(int sig) { g_interrupted.store(sig); }
}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR so loops notice
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

namespace {

// The chain of subcommands CLI11 selected, for "Run 'orch pricing watch --help'".
std::string usage_path(CLI::App& app) {
  std::string path = app.get_name();
  for (auto subs = app.get_subcommands(); !subs.empty(); subs = subs.front()->get_subcommands())
    path += " " + subs.front()->get_name();
  return path;
}

// A command made of CLI11 subcommands names the missing or unknown one like the command table does.
int check_subcommand(CLI::App& app, int argc, char** argv, int usage_exit) {
  auto subs = app.get_subcommands([](CLI::App*) { return true; });
  if (subs.empty()) return -1;
  std::vector<std::string> names;
  for (const auto* s : subs) names.push_back(s->get_name());
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--help" || word == "-h") return -1;
    if (word.empty() || word[0] == '-') continue;
    if (std::find(names.begin(), names.end(), word) != names.end()) return -1;
    std::cerr << "orch: error: unknown " << app.get_name().substr(5) << " command '" << shown(word, 100) << "'" << did_you_mean(word, names)
              << "\nRun '" << app.get_name() << " --help' for the list.\n";
    return usage_exit;
  }
  std::cerr << app.help();
  return usage_exit;
}

}  // namespace

int parse(CLI::App& app, int argc, char** argv, int usage_exit) {
  if (prepare_app(app)) return 0;
  if (int rc = check_subcommand(app, argc, argv, usage_exit); rc >= 0) return rc;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ExtrasError& e) {
    // An unknown option's value is an extra too: name only the options when there are any.
    auto extras = app.remaining(true);
    bool any_option = std::any_of(extras.begin(), extras.end(), [](const std::string& a) { return a.size() > 1 && a[0] == '-'; });
    for (const auto& arg : extras) {
      if (arg.size() > 1 && arg[0] == '-') std::cerr << "orch: error: unknown option '" << arg << "'" << suggest_option(app, arg) << "\n";
      else if (!any_option) std::cerr << "orch: error: unexpected argument '" << arg << "'\n";
    }
    std::cerr << "Run '" << usage_path(app) << " --help' for usage.\n";
    return usage_exit;
  } catch (const CLI::ArgumentMismatch& e) {
    // CLI11 says "--x: At Most 1 required but received 2" for an option given twice.
    std::string what = e.what();
    if (auto at = what.find(": At Most 1 required but received "); at != std::string::npos)
      what = what.substr(0, at) + " was given " + what.substr(what.rfind(' ') + 1) + " times; it takes one value";
    std::cerr << "orch: error: " << terminal_safe(what) << "\n"
              << "Run '" << usage_path(app) << " --help' for usage.\n";
    return usage_exit;
  } catch (const CLI::ParseError& e) {
    std::cerr << "orch: error: " << terminal_safe(e.what()) << "\n"
              << "Run '" << usage_path(app) << " --help' for usage.\n";
    return usage_exit;
  }
  return -1;
}

std::string error_text(const Error& e) {
  static const std::map<std::string, std::string> flags = {
      {"memory", "--memory"}, {"cpus", "--cpus"}, {"pids", "--pids"}, {"timeout", "--timeout"}, {"output_limit", "--output-limit"},
      {"network", "--net"},   {"env", "--env"},   {"ttl", "--ttl"},   {"name", "--name"}};
  // A message may quote what the command line or a repository gave: never raw to a terminal.
  std::string text = terminal_safe(e.what());
  auto flag = flags.find(e.field());
  if (flag == flags.end() || text.rfind(e.field(), 0) != 0) return text;
  return flag->second + text.substr(e.field().size());
}

std::vector<std::string> split_passthrough(int& argc, char** argv) {
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) != "--") continue;
    rest.assign(argv + i + 1, argv + argc);
    argc = i;
    break;
  }
  return rest;
}

void print_json(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

std::string read_file_or_throw(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorKind::BadInput, "cannot read " + what + " '" + path + "': it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::BadInput, "cannot read " + what + " '" + path + "': " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(ErrorKind::BadInput, "cannot read " + what + " '" + path + "'");
  return ss.str();
}

bool stdout_is_tty() { return ::isatty(1) == 1; }
bool stderr_is_tty() { return ::isatty(2) == 1; }

void add_backend_option(CLI::App& app) {
  app.add_option_function<std::string>(
         "--backend", [](const std::string& b) { ::setenv("ORCH_BACKEND", b.c_str(), 1); },
         "engine: docker (default) or kubernetes; the same as ORCH_BACKEND")
      ->check(CLI::IsMember({"docker", "kubernetes"}));
}

}  // namespace orch::cli
