#include "core/repo/github.hpp"

#include <ctime>
#include <regex>

#include <httplib.h>

#include "core/error.hpp"
#include "core/repo/source.hpp"
#include "core/util/random.hpp"

namespace orch::repo {

namespace {

struct ApiBase {
  std::string scheme_host;  // http://127.0.0.1:8080
  std::string prefix;       // /api/v3 for GitHub Enterprise, "" for api.github.com
  bool https = false;
};

ApiBase split_base(const std::string& url) {
  static const std::regex re(R"(^(https?)://([^/]+)(/.*)?$)", std::regex::icase);
  std::smatch m;
  if (!std::regex_match(url, m, re))
    throw Error(ErrorKind::BadInput, "GITHUB_API_URL '" + url + "' must look like https://api.github.com or https://HOST/api/v3");
  ApiBase b;
  b.https = m[1].str().size() == 5;
  b.scheme_host = m[1].str() + "://" + m[2].str();
  b.prefix = m[3].str();
  while (!b.prefix.empty() && b.prefix.back() == '/') b.prefix.pop_back();
  return b;
}

int64_t header_int(const httplib::Result& res, const char* name) {
  if (!res->has_header(name)) return -1;
  try {
    return std::stoll(res->get_header_value(name));
  } catch (...) {
    return -1;
  }
}

nlohmann::json get(httplib::Client& cli, const ApiBase& base, const std::string& path, const std::string& token,
                   const std::string& what, GithubRepoInfo& info) {
  httplib::Headers headers = {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto res = cli.Get(base.prefix + path, headers);
  if (!res)
    throw Error(ErrorKind::Unavailable, "cannot reach the GitHub API at " + base.scheme_host + " (" + httplib::to_string(res.error()) +
                                            "); check the network or GITHUB_API_URL");
  info.rate_remaining = static_cast<int>(header_int(res, "x-ratelimit-remaining"));
  info.rate_limit = static_cast<int>(header_int(res, "x-ratelimit-limit"));
  int status = res->status;
  if ((status == 403 || status == 429) && (info.rate_remaining == 0 || res->has_header("retry-after"))) {
    int64_t reset = header_int(res, "x-ratelimit-reset");
    if (res->has_header("retry-after")) reset = unix_now() + header_int(res, "retry-after");
    throw Error(ErrorKind::Busy, rate_limit_message(reset, unix_now(), info.rate_limit, !token.empty()));
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  std::string api_msg = body.is_object() ? body.value("message", "") : "";
  if (status == 401) throw Error(ErrorKind::BadInput, "GitHub rejected the token (401 " + redact(api_msg, {token}) + "); check GITHUB_TOKEN");
  if (status == 404) throw Error(ErrorKind::NotFound, what + " not found on GitHub (or the token cannot see it)");
  if (status >= 300 || body.is_discarded())
    throw Error(ErrorKind::Unavailable, "the GitHub API answered " + std::to_string(status) + " for " + what +
                                            (api_msg.empty() ? "" : ": " + redact(api_msg, {token})));
  return body;
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

int64_t num(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<int64_t>() : 0;
}

}  // namespace

std::string github_api_url() {
  const char* env = std::getenv("GITHUB_API_URL");
  return env && *env ? env : "https://api.github.com";
}

std::string rate_limit_message(int64_t reset, int64_t now, int limit, bool authenticated) {
  std::string msg = "the GitHub API rate limit is exhausted";
  if (limit > 0) msg += " (" + std::to_string(limit) + " requests per hour)";
  if (reset > 0) {
    char buf[64];
    std::time_t t = static_cast<std::time_t>(reset);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    int64_t mins = std::max<int64_t>(0, (reset - now + 59) / 60);
    msg += "; it resets at " + std::string(buf) + " (in " + std::to_string(mins) + " min)";
  }
  msg += authenticated ? "; wait for the reset" : "; set GITHUB_TOKEN for a higher limit, or wait for the reset";
  return msg;
}

GithubRepoInfo github_repo_info(const std::string& owner_name, const std::string& api_url, const std::string& token) {
  static const std::regex name_re(R"(^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$)");
  if (!std::regex_match(owner_name, name_re) || owner_name.find("..") != std::string::npos)
    throw Error(ErrorKind::BadInput, "'" + owner_name + "' is not OWNER/NAME");
  ApiBase base = split_base(api_url);
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (base.https)
    throw Error(ErrorKind::Unavailable, "this orch was built without TLS support, so it cannot reach " + base.scheme_host +
                                            "; rebuild with OpenSSL (CPPHTTPLIB_OPENSSL_SUPPORT) or point GITHUB_API_URL at an http:// mirror");
#endif
  httplib::Client cli(base.scheme_host);
  cli.set_connection_timeout(10);
  cli.set_read_timeout(30);
  cli.set_follow_location(false);  // a redirect must not carry the token to another host
  cli.set_default_headers({{"User-Agent", "orch"}});
  GithubRepoInfo info;
  auto repo = get(cli, base, "/repos/" + owner_name, token, "repository " + owner_name, info);
  info.full_name = str(repo, "full_name");
  info.description = str(repo, "description");
  info.html_url = str(repo, "html_url");
  info.default_branch = str(repo, "default_branch");
  info.stars = num(repo, "stargazers_count");
  info.forks = num(repo, "forks_count");
  info.open_issues = num(repo, "open_issues_count");
  info.size_kb = num(repo, "size");
  info.archived = repo.value("archived", false);
  info.fork = repo.value("fork", false);
  info.is_private = repo.value("private", false);
  info.pushed_at = str(repo, "pushed_at");
  if (repo.contains("license") && repo["license"].is_object()) {
    info.license = str(repo["license"], "spdx_id");
    if (info.license.empty() || info.license == "NOASSERTION") info.license = str(repo["license"], "name");
  }
  auto langs = get(cli, base, "/repos/" + owner_name + "/languages", token, "languages of " + owner_name, info);
  if (langs.is_object())
    for (auto& [k, v] : langs.items())
      if (v.is_number()) info.languages[k] = v.get<int64_t>();
  return info;
}

nlohmann::json to_json(const GithubRepoInfo& i) {
  nlohmann::json j = {{"full_name", i.full_name},   {"description", i.description}, {"html_url", i.html_url},
                      {"default_branch", i.default_branch}, {"stars", i.stars}, {"forks", i.forks},
                      {"open_issues", i.open_issues}, {"license", i.license.empty() ? nlohmann::json() : nlohmann::json(i.license)},
                      {"languages", i.languages}, {"size_kb", i.size_kb}, {"archived", i.archived}, {"fork", i.fork},
                      {"private", i.is_private}, {"pushed_at", i.pushed_at}};
  if (i.rate_remaining >= 0) j["rate_limit"] = {{"remaining", i.rate_remaining}, {"limit", i.rate_limit}};
  return j;
}

}  // namespace orch::repo
