#include "cli/common.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <filesystem>

#include "core/error.hpp"

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

int parse(CLI::App& app, int argc, char** argv, int usage_exit) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "orch: error: " << e.what() << "\n"
              << "Run 'orch " << app.get_name() << " --help' for usage.\n";
    return usage_exit;
  }
  return -1;
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

}  // namespace orch::cli
