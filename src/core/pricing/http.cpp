#include "core/pricing/http.hpp"

#include <httplib.h>

#include <cmath>
#include <fstream>

#include "core/error.hpp"

namespace orch::pricing {

namespace {

httplib::Headers to_headers(const HttpHeaders& h) {
  httplib::Headers out;
  for (const auto& [k, v] : h) out.emplace(k, v);
  out.emplace("User-Agent", "orch-pricing");
  return out;
}

void configure(httplib::Client& cli, double timeout_s) {
  auto sec = static_cast<time_t>(timeout_s);
  auto usec = static_cast<time_t>((timeout_s - std::floor(timeout_s)) * 1e6);
  cli.set_connection_timeout(sec, usec);
  cli.set_read_timeout(sec, usec);
  cli.set_write_timeout(sec, usec);
  cli.set_follow_location(true);
}

[[noreturn]] void transport_error(const std::string& url, httplib::Error err) {
  std::string what = httplib::to_string(err);
  if (err == httplib::Error::Read || err == httplib::Error::Write || err == httplib::Error::ConnectionTimeout)
    throw Error(ErrorKind::Timeout, "no answer from " + redact_url(url) + " in time (" + what +
                                        "; raise --timeout or ORCH_PRICING_TIMEOUT)");
  if (err == httplib::Error::SSLServerVerification)
    throw Error(ErrorKind::Unavailable, "the TLS certificate of " + redact_url(url) +
                                            " is not trusted (for a mirror with a private CA, set SSL_CERT_FILE)");
  throw Error(ErrorKind::Unavailable, "cannot reach " + redact_url(url) + " (" + what +
                                          "; check the network, or point the provider's URL at a mirror)");
}

void check_status(const std::string& url, int status, const std::string& body) {
  if (status >= 200 && status < 300) return;
  std::string excerpt = body.substr(0, 200);
  for (auto& c : excerpt)
    if (c == '\n' || c == '\r') c = ' ';
  std::string msg = redact_url(url) + " answered HTTP " + std::to_string(status) + (excerpt.empty() ? "" : ": " + excerpt);
  if (status == 401 || status == 403) throw Error(ErrorKind::BadInput, msg + " (is the API token set and valid?)");
  if (status == 404) throw Error(ErrorKind::NotFound, msg);
  if (status == 429) throw Error(ErrorKind::Busy, msg + " (rate limited; try again later)");
  throw Error(ErrorKind::Unavailable, msg);
}

}  // namespace

SplitUrl split_url(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0))
    throw Error(ErrorKind::BadInput, "'" + url + "' is not an http:// or https:// URL");
  auto path_start = url.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return {url, "/"};
  return {url.substr(0, path_start), url.substr(path_start)};
}

std::string resolve_url(const std::string& page_url, const std::string& link) {
  if (link.rfind("http://", 0) == 0 || link.rfind("https://", 0) == 0) return link;
  auto parts = split_url(page_url);
  if (!link.empty() && link[0] == '/') return parts.origin + link;
  auto path = parts.target.substr(0, parts.target.find('?'));
  return parts.origin + path.substr(0, path.rfind('/') + 1) + link;
}

std::string redact_url(const std::string& url) { return url.substr(0, url.find('?')); }

std::string Http::get(const std::string& url, const HttpHeaders& headers) const {
  auto parts = split_url(url);
  httplib::Client cli(parts.origin);
  configure(cli, timeout_s_);
  auto res = cli.Get(parts.target, to_headers(headers));
  if (!res) transport_error(url, res.error());
  check_status(url, res->status, res->body);
  return res->body;
}

std::string Http::post(const std::string& url, const std::string& body, const std::string& content_type,
                       const HttpHeaders& headers) const {
  auto parts = split_url(url);
  httplib::Client cli(parts.origin);
  configure(cli, timeout_s_);
  auto res = cli.Post(parts.target, to_headers(headers), body, content_type.c_str());
  if (!res) transport_error(url, res.error());
  check_status(url, res->status, res->body);
  return res->body;
}

void Http::download(const std::string& url, const std::string& path, const HttpHeaders& headers) const {
  auto parts = split_url(url);
  httplib::Client cli(parts.origin);
  configure(cli, timeout_s_);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorKind::Infrastructure, "cannot write temporary file " + path);
  int status = 0;
  std::string error_body;
  auto res = cli.Get(
      parts.target, to_headers(headers),
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t n) {
        if (status < 200 || status >= 300) {
          if (error_body.size() < 400) error_body.append(data, n);
          return true;
        }
        out.write(data, static_cast<std::streamsize>(n));
        return static_cast<bool>(out);
      });
  if (!res) transport_error(url, res.error());
  check_status(url, res->status, error_body);
  out.close();
  if (!out) throw Error(ErrorKind::Infrastructure, "cannot write temporary file " + path + " (disk full?)");
}

}  // namespace orch::pricing
