#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace orch::repo {

struct GithubRepoInfo {
  std::string full_name, description, html_url, default_branch, license;  // license: SPDX id or name
  int64_t stars = 0, forks = 0, open_issues = 0, size_kb = 0;
  bool archived = false, fork = false, is_private = false;
  std::string pushed_at;
  std::map<std::string, int64_t> languages;  // bytes per language
  int rate_remaining = -1, rate_limit = -1;   // -1 when the server sent no headers
};

// The REST API base: GITHUB_API_URL, else https://api.github.com (GitHub Enterprise: https://HOST/api/v3).
std::string github_api_url();

// GET /repos/{owner}/{name} and /languages. Throws orch::Error: BadInput for a malformed name or a
// rejected token, NotFound, Busy when the rate limit is exhausted (with the reset time),
// Unavailable when the API cannot be reached or https support is not compiled in.
GithubRepoInfo github_repo_info(const std::string& owner_name, const std::string& api_url, const std::string& token);
nlohmann::json to_json(const GithubRepoInfo& info);

// "HTTP/1.1 403 ... x-ratelimit-remaining: 0" -> the message shown; exposed for tests.
std::string rate_limit_message(int64_t reset_epoch, int64_t now_epoch, int limit, bool authenticated);

}  // namespace orch::repo
