// process_* metrics read from /proc, as the Prometheus client libraries export them.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/metrics.hpp"

namespace orch::server {

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double boot_time_s() {
  std::istringstream in(read_file("/proc/stat"));
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double max_fds() {
  std::istringstream in(read_file("/proc/self/limits"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    double soft = 0;
    fields >> soft;
    return soft;
  }
  return 0;
}

}  // namespace

std::vector<Family> process_families() {
  // /proc/self/stat: the command name may hold spaces, so fields are counted after its closing parenthesis.
  std::string stat = read_file("/proc/self/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string s; in >> s;) f.push_back(s);
  auto field = [&](size_t n) { return n - 3 < f.size() ? std::stod(f[n - 3]) : 0.0; };  // n: 1-based field of proc(5)
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) ++fds;
  return {
      {"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", {{"", (field(14) + field(15)) / ticks}}},
      {"process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", {{"", boot_time_s() + field(22) / ticks}}},
      {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", {{"", field(23)}}},
      {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", {{"", field(24) * page}}},
      {"process_open_fds", "gauge", "Number of open file descriptors.", {{"", fds}}},
      {"process_max_fds", "gauge", "Maximum number of open file descriptors.", {{"", max_fds()}}},
      {"process_threads", "gauge", "Number of OS threads in the process.", {{"", field(20)}}},
  };
}

}  // namespace orch::server
