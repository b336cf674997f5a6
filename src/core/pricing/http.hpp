#pragma once
#include <string>
#include <utility>
#include <vector>

namespace orch::pricing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// A small blocking HTTP(S) client for price sources. Every failure becomes an orch::Error whose kind says
// whose fault it is: unreachable (Unavailable), too slow (Timeout), token refused (BadInput), 404 (NotFound),
// rate limited (Busy), a 5xx (Unavailable).
class Http {
 public:
  explicit Http(double timeout_s = 30) : timeout_s_(timeout_s) {}
  std::string get(const std::string& url, const HttpHeaders& headers = {}) const;
  std::string post(const std::string& url, const std::string& body, const std::string& content_type,
                   const HttpHeaders& headers = {}) const;
  // Streams a large body to `path` instead of memory (AWS's offer files run to gigabytes).
  void download(const std::string& url, const std::string& path, const HttpHeaders& headers = {}) const;
  double timeout_s() const { return timeout_s_; }

 private:
  double timeout_s_;
};

struct SplitUrl {
  std::string origin;  // "https://host:port"
  std::string target;  // "/path?query"
};
SplitUrl split_url(const std::string& url);  // throws orch::Error(BadInput) when it is not http(s)://host/...

// A link from a page: absolute ("https://..."), rooted ("/v2/x?page=2") or relative to the page's directory.
std::string resolve_url(const std::string& page_url, const std::string& link);
// The URL without its query string, for messages: queries may carry API keys.
std::string redact_url(const std::string& url);

}  // namespace orch::pricing
