#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pricing/http.hpp"
#include "core/pricing/offer.hpp"

namespace orch::pricing {

// What a fetcher gets: where to ask, with which token, and how to report progress.
struct FetchContext {
  std::string provider;
  std::string base_url;               // the default, or ORCH_PRICING_<PROVIDER>_URL
  std::string token;                  // from the provider's token variable; empty for public sources
  std::vector<std::string> regions;   // limits per-region sources (AWS offer files, Azure); empty = the default
  const Http* http = nullptr;
  int64_t now = 0;
  std::function<void(const std::string&)> progress;

  // ORCH_PRICING_<PROVIDER>_<NAME>, or `fallback`: extra per-provider settings such as a second URL.
  std::string setting(const std::string& name, const std::string& fallback) const;
  // An offer carrying this provider, the source URL (credentials redacted) and the fetch time.
  Offer base_offer(const std::string& url) const;
  void report(const std::string& line) const {
    if (progress) progress(line);
  }
};

using FetchFn = std::vector<Offer> (*)(const FetchContext&);

enum class Access {
  Public,  // no account needed
  Token,   // needs the user's API token
  None,    // no usable public source: import a catalog instead
};

struct Provider {
  const char* name;
  const char* title;
  Access access;
  const char* default_url;
  const char* token_env;  // "" when public
  FetchFn fetch;          // nullptr when Access::None
  const char* note;       // where the prices come from, or why there is no fetcher
};

const std::vector<Provider>& providers();
// Throws orch::Error(NotFound) with "did you mean" for an unknown name.
const Provider& find_provider(std::string_view name);
std::string url_env_name(std::string_view provider);  // "ORCH_PRICING_AWS_URL"
std::string base_url_for(const Provider& p);

// The fetchers, one per provider with a usable source.
std::vector<Offer> fetch_aws(const FetchContext& ctx);
std::vector<Offer> fetch_azure(const FetchContext& ctx);
std::vector<Offer> fetch_linode(const FetchContext& ctx);
std::vector<Offer> fetch_vultr(const FetchContext& ctx);
std::vector<Offer> fetch_digitalocean(const FetchContext& ctx);
std::vector<Offer> fetch_hetzner(const FetchContext& ctx);
std::vector<Offer> fetch_ovh(const FetchContext& ctx);
std::vector<Offer> fetch_oracle(const FetchContext& ctx);
std::vector<Offer> fetch_lambda(const FetchContext& ctx);
std::vector<Offer> fetch_runpod(const FetchContext& ctx);
std::vector<Offer> fetch_vast(const FetchContext& ctx);

// Parses a JSON body, or says which provider sent something that is not JSON.
nlohmann::json parse_json_body(const std::string& provider, const std::string& url, const std::string& body);
// A field that sources write as a number or as a numeric string; nullopt when absent or null.
std::optional<double> json_num(const nlohmann::json& obj, const char* key);
// The list under `key`, or an error naming the provider when the answer does not have one.
const nlohmann::json& json_list(const std::string& provider, const nlohmann::json& obj, const char* key);
// Guards paging loops against a source whose "next" never ends.
constexpr int kMaxPages = 2000;

}  // namespace orch::pricing
