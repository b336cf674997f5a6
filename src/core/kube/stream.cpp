#include "core/kube/stream.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace orch::kube {

namespace {

int ms_until(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left > 1000000 ? 1000000 : left);
}

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr mem_bio(const std::string& pem) { return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

bool is_ip(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

}  // namespace

std::string ServerAddress::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls && port == 443) || (!tls && port == 80) ? h : h + ":" + std::to_string(port);
}

ServerAddress parse_server(const std::string& server) {
  ServerAddress a;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    a.tls = false;
    a.port = 80;
    rest = server.substr(7);
  } else {
    throw Error(ErrorKind::BadInput, "Kubernetes server '" + server + "' is not an https:// (or http://) URL");
  }
  rest = rest.substr(0, rest.find('/'));
  size_t colon = rest.rfind(':');
  if (size_t close = rest.rfind(']'); close != std::string::npos && (colon == std::string::npos || colon < close))
    colon = std::string::npos;
  a.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      size_t used = 0;
      a.port = std::stoi(rest.substr(colon + 1), &used);
      if (used != rest.size() - colon - 1) a.port = 0;
    } catch (const std::exception&) {
      a.port = 0;
    }
  }
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty() || a.port <= 0 || a.port > 65535)
    throw Error(ErrorKind::BadInput, "Kubernetes server '" + server + "' has no valid host and port");
  return a;
}

TlsContext::TlsContext(const Config& cfg) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) throw Error(ErrorKind::Infrastructure, "cannot set up TLS: " + ssl_error_text());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  verify_ = !cfg.insecure;
  SSL_CTX_set_verify(ctx_, verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (verify_ && !cfg.ca_pem.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    auto bio = mem_bio(cfg.ca_pem);
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, cert) == 1) ++added;
      X509_free(cert);
    }
    ERR_clear_error();
    if (added == 0) {
      SSL_CTX_free(ctx_);
      throw Error(ErrorKind::BadInput, cfg.source + ": the certificate authority holds no PEM certificate");
    }
  } else if (verify_) {
    SSL_CTX_set_default_verify_paths(ctx_);
  }
  if (!cfg.client_cert_pem.empty()) {
    auto cert_bio = mem_bio(cfg.client_cert_pem);
    X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
    bool ok = cert && SSL_CTX_use_certificate(ctx_, cert) == 1;
    X509_free(cert);
    while (ok) {  // the rest of the chain, when the file carries intermediates
      X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
      if (!extra) break;
      if (SSL_CTX_add_extra_chain_cert(ctx_, extra) != 1) X509_free(extra);
    }
    ERR_clear_error();
    auto key_bio = mem_bio(cfg.client_key_pem);
    EVP_PKEY* key = ok ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr;
    ok = key && SSL_CTX_use_PrivateKey(ctx_, key) == 1 && SSL_CTX_check_private_key(ctx_) == 1;
    EVP_PKEY_free(key);
    if (!ok) {
      std::string why = ssl_error_text();
      SSL_CTX_free(ctx_);
      throw Error(ErrorKind::BadInput, cfg.source + ": the client certificate or key cannot be used (" + why + ")");
    }
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<Stream> Stream::connect(const ServerAddress& addr, const TlsContext* tls, Clock::time_point deadline) {
  std::string where = (addr.tls ? "https://" : "http://") + addr.host_header();
  auto unreachable = [&](const std::string& why) {
    return Error(ErrorKind::Unavailable, "cannot reach the Kubernetes API server at " + where + ": " + why +
                                             " (check the kubeconfig's server, or ORCH_KUBECONFIG)");
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(addr.host.c_str(), std::to_string(addr.port).c_str(), &hints, &res); rc != 0)
    throw unreachable(gai_strerror(rc));
  int fd = -1;
  std::string last = "no address";
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    int err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      socklen_t len = sizeof err;
      if (::poll(&p, 1, ms_until(deadline)) > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) break;
      if (err == EINPROGRESS) err = ETIMEDOUT;
    }
    last = std::strerror(err);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) throw unreachable(last);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!addr.tls) return std::unique_ptr<Stream>(new Stream(fd, nullptr));
  if (!tls) {
    ::close(fd);
    throw Error(ErrorKind::Infrastructure, "no TLS context for " + where);
  }
  SSL* ssl = SSL_new(tls->get());
  std::unique_ptr<Stream> s(new Stream(fd, ssl));
  SSL_set_fd(ssl, fd);
  if (is_ip(addr.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), addr.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, addr.host.c_str());
    SSL_set1_host(ssl, addr.host.c_str());
  }
  for (;;) {
    int rc = SSL_connect(ssl);
    if (rc == 1) break;
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      s->wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "TLS handshake");
      continue;
    }
    long verify = SSL_get_verify_result(ssl);
    if (tls->verify() && verify != X509_V_OK)
      throw Error(ErrorKind::Unavailable, "the TLS certificate of " + where + " is not trusted: " +
                                              X509_verify_cert_error_string(verify) +
                                              " (check the kubeconfig's certificate-authority-data)");
    throw unreachable("TLS handshake failed: " + ssl_error_text());
  }
  return s;
}

Stream::~Stream() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

void Stream::wait(short events, Clock::time_point deadline, const char* what) {
  for (;;) {
    pollfd p{fd_, events, 0};
    int r = ::poll(&p, 1, ms_until(deadline));
    if (r > 0) return;
    if (r == 0) throw Error(ErrorKind::Timeout, std::string("the Kubernetes API server did not answer in time (") + what + ")");
    if (errno != EINTR) throw Error(ErrorKind::Unavailable, std::string("connection to the Kubernetes API server failed: ") + std::strerror(errno));
  }
}

void Stream::write_all(std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    if (ssl_) {
      int n, err;
      {
        std::lock_guard<std::mutex> lock(ssl_mu_);
        n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
      }
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
        wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "write");
      } else {
        throw Error(ErrorKind::Unavailable, "connection to the Kubernetes API server failed: write: " + ssl_error_text());
      }
      continue;
    }
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN) {
      wait(POLLOUT, deadline, "write");
    } else if (errno != EINTR) {
      throw Error(ErrorKind::Unavailable, std::string("connection to the Kubernetes API server failed: write: ") + std::strerror(errno));
    }
  }
}

bool Stream::fill(Clock::time_point deadline) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  char tmp[65536];
  for (;;) {
    if (ssl_) {
      int n, err;
      {
        std::lock_guard<std::mutex> lock(ssl_mu_);
        n = SSL_read(ssl_, tmp, sizeof tmp);
        err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
      }
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        return true;
      }
      if (err == SSL_ERROR_ZERO_RETURN) return false;
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "read");
        continue;
      }
      if (err == SSL_ERROR_SYSCALL && errno == 0) return false;
      throw Error(ErrorKind::Unavailable, "connection to the Kubernetes API server failed: read: " + ssl_error_text());
    }
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EAGAIN) wait(POLLIN, deadline, "read");
    else if (errno != EINTR && errno != ECONNRESET)
      throw Error(ErrorKind::Unavailable, std::string("connection to the Kubernetes API server failed: read: ") + std::strerror(errno));
    else if (errno == ECONNRESET) return false;
  }
}

size_t Stream::read_some(char* out, size_t n, Clock::time_point deadline) {
  if (pos_ == buf_.size() && !fill(deadline)) return 0;
  size_t k = std::min(n, buf_.size() - pos_);
  std::memcpy(out, buf_.data() + pos_, k);
  pos_ += k;
  return k;
}

std::string Stream::read_line(Clock::time_point deadline, size_t max_len) {
  for (;;) {
    size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      std::string line = buf_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buf_.size() - pos_ > max_len) throw Error(ErrorKind::Infrastructure, "the Kubernetes API server sent an overlong line");
    if (!fill(deadline)) throw Error(ErrorKind::Unavailable, "the Kubernetes API server closed the connection");
  }
}

void Stream::read_exact(std::string& out, size_t n, Clock::time_point deadline) {
  while (n > 0) {
    if (pos_ == buf_.size() && !fill(deadline))
      throw Error(ErrorKind::Unavailable, "the Kubernetes API server closed the connection mid-message");
    size_t k = std::min(n, buf_.size() - pos_);
    out.append(buf_, pos_, k);
    pos_ += k;
    n -= k;
  }
}

bool Stream::buffered() const {
  if (pos_ < buf_.size()) return true;
  if (!ssl_) return false;
  std::lock_guard<std::mutex> lock(ssl_mu_);
  return SSL_pending(ssl_) > 0;
}

bool Stream::quiet() const {
  if (buffered()) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

void Stream::shutdown_write() {
  if (ssl_) return;  // a TLS close_notify would end the whole session, not half of it
  ::shutdown(fd_, SHUT_WR);
}

}  // namespace orch::kube
