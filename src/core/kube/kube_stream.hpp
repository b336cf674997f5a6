#pragma once
#include <memory>

#include "core/engine/engine.hpp"
#include "core/kube/remote.hpp"

namespace orch::kube {

// engine::Stream over a pods/attach or pods/exec WebSocket: stdout and stderr come on their
// channels, stdin goes on channel 0, and closing stdin is v5's close message.
class KubeStream : public engine::Stream {
 public:
  explicit KubeStream(std::unique_ptr<RemoteStream> rs) : rs_(std::move(rs)) {}
  long read(const Sink& sink, Clock::time_point deadline) override;
  void write(std::string_view data) override;
  long write_some(std::string_view data) override;
  void close_stdin() override;
  bool quiet() const override;
  int poll_fd() const override;
  bool buffered() const override;
  RemoteStream& remote() { return *rs_; }

 private:
  std::unique_ptr<RemoteStream> rs_;
  bool ended_ = false;
};

// An exec'd process: its exit code is the status the server sends when the stream ends.
class KubeProcess : public engine::Process {
 public:
  explicit KubeProcess(std::unique_ptr<RemoteStream> rs) : stream_(std::move(rs)) {}
  engine::Stream& stream() override { return stream_; }
  int exit_code() override;

 private:
  KubeStream stream_;
};

}  // namespace orch::kube
