#pragma once
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace orch::testing {

// A process of the host with pipes on stdin, stdout and stderr, for running orch's in-sandbox
// programs (kernels, warm runners) on the host. Its process group is killed when it goes.
class HostChild {
 public:
  // `env` (K=V) is added to this process's environment.
  HostChild(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& cwd = "");
  ~HostChild();
  HostChild(const HostChild&) = delete;
  HostChild& operator=(const HostChild&) = delete;

  void write(std::string_view data);
  void close_stdin();
  // Reads stdout and stderr into out() and err() until `done` holds, both end, or `seconds` pass;
  // returns whether `done` held (or both ended, without `done`).
  bool read_until(const std::function<bool()>& done, double seconds = 30);
  // The exit code once the process ends (-1 after `seconds`, or when a signal ended it).
  int wait(double seconds = 30);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
};

// A listening and a connected unix socket at `path` (close-on-exec); -1 on failure.
int unix_listen(const std::string& path);
int unix_connect(const std::string& path);

// Reads from `fd` until `done(data)` holds, the stream ends, or `seconds` pass.
bool read_fd_until(int fd, std::string& data, const std::function<bool(const std::string&)>& done, double seconds = 30);

}  // namespace orch::testing
