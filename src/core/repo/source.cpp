#include "core/repo/source.hpp"

#include <filesystem>
#include <regex>

#include "core/error.hpp"
#include "core/util/base64.hpp"

namespace orch::repo {

namespace fs = std::filesystem;

namespace {

std::string host_of(const std::string& url, size_t scheme_end) {
  size_t start = scheme_end + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string auth = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = auth.rfind('@'); at != std::string::npos) auth = auth.substr(at + 1);
  if (auto colon = auth.rfind(':'); colon != std::string::npos && auth.find(']') == std::string::npos) auth = auth.substr(0, colon);
  for (auto& c : auth) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return auth;
}

}  // namespace

std::string mask_url_credentials(std::string text) {
  static const std::regex creds(R"(([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]+(:[^/@\s]*)?@)");
  return std::regex_replace(text, creds, "$1***@");
}

Source parse_source(const std::string& input) {
  Source s;
  s.input = input;
  if (input.empty()) throw Error(ErrorKind::BadInput, "empty repository: give a git URL or a local path");
  if (input[0] == '-') throw Error(ErrorKind::BadInput, "repository '" + input + "' looks like an option; use ./" + input + " for a path");
  if (input.find_first_of("\n\r\0", 0, 3) != std::string::npos) throw Error(ErrorKind::BadInput, "repository name holds a control character");
  auto scheme_end = input.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = input.substr(0, scheme_end);
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s.url = input;
    if (scheme == "https") s.kind = Source::Kind::Https;
    else if (scheme == "http") s.kind = Source::Kind::Http;
    else if (scheme == "ssh" || scheme == "git+ssh") s.kind = Source::Kind::Ssh;
    else if (scheme == "git") s.kind = Source::Kind::Git;
    else if (scheme == "file") s.kind = Source::Kind::File;
    else throw Error(ErrorKind::BadInput, "unsupported URL scheme '" + scheme + "' (use https, http, ssh, git, file or a local path)");
    if (s.kind != Source::Kind::File) s.host = host_of(input, scheme_end);
    s.display = mask_url_credentials(input);
    return s;
  }
  // scp-like ssh syntax: user@host:path (a colon before any slash).
  static const std::regex scp_like(R"(^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):[^/].*|^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):/.*)");
  std::smatch m;
  if (std::regex_match(input, m, scp_like)) {
    s.kind = Source::Kind::Ssh;
    s.url = input;
    s.host = m[1].matched ? m[1].str() : m[2].str();
    s.display = input;
    return s;
  }
  if (input.find("::") != std::string::npos)
    throw Error(ErrorKind::BadInput, "remote helpers ('" + input + "') are not allowed; use a plain git URL");
  std::error_code ec;
  fs::path p = fs::absolute(input, ec);
  if (ec || !fs::exists(p, ec)) throw Error(ErrorKind::NotFound, "repository '" + input + "' is neither a URL nor an existing path");
  s.kind = Source::Kind::LocalPath;
  s.url = "file://" + fs::weakly_canonical(p, ec).string();
  s.display = input;
  return s;
}

std::string short_name(const Source& s) {
  std::string tail = s.kind == Source::Kind::LocalPath ? fs::absolute(s.input).lexically_normal().string() : s.url;
  // A URL's name comes from its path: its authority's ':' is a port's (https://[::1]:9/x was "9/x").
  // Only scp-like addresses (git@host:owner/name) separate with ':'.
  const char* seps = "/:";
  if (auto scheme = tail.find("://"); s.kind == Source::Kind::LocalPath || scheme != std::string::npos) {
    seps = "/";
    if (scheme != std::string::npos && s.kind != Source::Kind::LocalPath) {
      auto path = tail.find('/', scheme + 3);
      tail = path == std::string::npos ? "" : tail.substr(path);
    }
  }
  while (!tail.empty() && (tail.back() == '/')) tail.pop_back();
  if (tail.size() > 4 && tail.compare(tail.size() - 4, 4, ".git") == 0) tail.resize(tail.size() - 4);
  if (tail.empty()) return s.host.empty() ? s.display : s.host;
  auto last = tail.find_last_of(seps);
  std::string name = last == std::string::npos ? tail : tail.substr(last + 1);
  if (s.kind == Source::Kind::LocalPath || s.kind == Source::Kind::File || last == std::string::npos) return name;
  std::string rest = tail.substr(0, last);
  auto prev = rest.find_last_of(seps);
  std::string owner = prev == std::string::npos ? "" : rest.substr(prev + 1);
  if (owner.empty() || owner.find('@') != std::string::npos || owner == s.host) return name;
  return owner + "/" + name;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;  // nothing that short is a credential, and masking it would shred the text
    std::vector<std::string> forms = {secret, base64_encode(secret), base64_encode("x-access-token:" + secret)};
    for (const auto& f : forms) {
      for (size_t pos = text.find(f); pos != std::string::npos; pos = text.find(f, pos + 3)) text.replace(pos, f.size(), "***");
    }
  }
  return mask_url_credentials(std::move(text));
}

}  // namespace orch::repo
