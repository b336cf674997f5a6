#include "core/kube/kube_stream.hpp"

#include "core/error.hpp"

namespace orch::kube {

namespace {
constexpr size_t kMaxWrite = 32 * 1024;
}  // namespace

long KubeStream::read(const Sink& sink, Clock::time_point deadline) {
  if (ended_) return 0;
  try {
    auto chunk = rs_->next(deadline);
    if (!chunk) {
      ended_ = true;
      return 0;
    }
    sink(chunk->channel == RemoteStream::Stdout ? engine::StreamKind::Stdout : engine::StreamKind::Stderr, chunk->data);
    return static_cast<long>(chunk->data.size());
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Timeout) return -1;
    throw;
  }
}

void KubeStream::write(std::string_view data) { rs_->write_stdin(data); }

// A WebSocket frame cannot be half-sent, so this writes one bounded frame; the kernel's socket
// buffer takes it at once in practice.
long KubeStream::write_some(std::string_view data) {
  std::string_view part = data.substr(0, kMaxWrite);
  try {
    rs_->write_stdin(part);
  } catch (const Error&) {
    return -1;
  }
  return static_cast<long>(part.size());
}

void KubeStream::close_stdin() {
  if (!rs_->close_stdin())
    throw Error(ErrorKind::Infrastructure, "the Kubernetes API server speaks " + rs_->protocol() +
                                               ", which cannot close a sandbox's stdin (v5.channel.k8s.io needs Kubernetes 1.30 or later)");
}

bool KubeStream::quiet() const { return rs_->socket().stream().quiet(); }
int KubeStream::poll_fd() const { return rs_->socket().stream().fd(); }
bool KubeStream::buffered() const { return rs_->socket().stream().buffered(); }

int KubeProcess::exit_code() {
  auto code = stream_.remote().exit_code();
  return code ? *code : -1;
}

}  // namespace orch::kube
