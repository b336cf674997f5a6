#include "core/engine/socket_stream.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "core/docker/mux.hpp"
#include "core/error.hpp"

namespace orch::engine {

namespace {

class ConnStream : public Stream {
 public:
  ConnStream(std::unique_ptr<docker::Conn> conn, bool multiplexed, StreamKind kind)
      : conn_(std::move(conn)), multiplexed_(multiplexed), kind_(kind), demux_([this](docker::StreamId s, std::string_view d) {
          if (s == docker::StreamId::Stdout) (*sink_)(StreamKind::Stdout, d);
          else if (s == docker::StreamId::Stderr) (*sink_)(StreamKind::Stderr, d);
        }) {}

  long read(const Sink& sink, Clock::time_point deadline) override {
    char buf[65536];
    long n = conn_->read_some(buf, sizeof buf, deadline);
    if (n <= 0) return n;
    std::string_view data(buf, static_cast<size_t>(n));
    if (!multiplexed_) {
      sink(kind_, data);
      return n;
    }
    sink_ = &sink;
    bool ok = demux_.feed(data);
    sink_ = nullptr;
    if (!ok) throw Error(ErrorKind::Infrastructure, "the engine sent a malformed output stream");
    return n;
  }

  void write(std::string_view data) override { conn_->write_all(data); }

  long write_some(std::string_view data) override {
    ssize_t n = ::send(conn_->fd(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<long>(n);
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
  }

  void close_stdin() override { conn_->shutdown_write(); }
  bool quiet() const override { return conn_->quiet(); }
  int poll_fd() const override { return conn_->fd(); }
  bool buffered() const override { return conn_->has_buffered(); }

 private:
  std::unique_ptr<docker::Conn> conn_;
  bool multiplexed_;
  StreamKind kind_;
  const Sink* sink_ = nullptr;
  docker::Demuxer demux_;
};

}  // namespace

std::unique_ptr<Stream> multiplexed_stream(std::unique_ptr<docker::Conn> conn) {
  return std::make_unique<ConnStream>(std::move(conn), true, StreamKind::Stdout);
}

std::unique_ptr<Stream> socket_stream(std::unique_ptr<docker::Conn> conn, StreamKind kind) {
  return std::make_unique<ConnStream>(std::move(conn), false, kind);
}

}  // namespace orch::engine
