#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::agent {

using Clock = std::chrono::steady_clock;

// What to run: argv, extra environment, working directory, and whether stdin stays open.
struct ProcessConfig {
  std::string cmd;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string cwd;
  std::string tag;
  bool stdin_open = false;
  int64_t timeout_ms = 0;  // 0 = none; at the deadline the whole process group is killed
};

// One process the agent started: the leader of its own process group (setsid), with pipes for
// its output and, when asked, its stdin.
struct Process {
  int pid = 0;
  ProcessConfig config;
  int out_fd = -1, err_fd = -1, in_fd = -1;
  std::string pending_in;  // stdin bytes not yet written
  bool close_in_after = false;
  bool exited = false, timed_out = false;
  int status = 0;
  Clock::time_point deadline = Clock::time_point::max();
};

// Starts `c` with `base_env` (KEY=VALUE) overlaid by c.env. Throws agent::Failure when the
// directory or the program cannot be used (the child reports exec errors through a pipe).
Process spawn(const ProcessConfig& c, const std::map<std::string, std::string>& base_env);

// {exit_code, exited, status, error?} as the exit event carries it.
nlohmann::json exit_info(const Process& p);
nlohmann::json config_json(const Process& p);

}  // namespace orch::agent
