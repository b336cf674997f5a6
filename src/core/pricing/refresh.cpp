#include "core/pricing/refresh.hpp"

#include <chrono>
#include <cstdlib>

#include "core/pricing/catalog_import.hpp"
#include "core/pricing/providers.hpp"

namespace orch::pricing {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs one source; whatever it throws becomes that source's failure.
template <typename Fn>
SourceResult guarded(const std::string& source, Fn&& fn) {
  SourceResult r;
  r.source = source;
  auto t0 = std::chrono::steady_clock::now();
  try {
    r.offers = fn();
    if (r.offers == 0) {
      r.status = SourceResult::Status::Failed;
      r.kind = ErrorKind::Unavailable;
      r.message = "the source answered no priced offers; kept the previous prices";
    }
  } catch (const Error& e) {
    r.status = SourceResult::Status::Failed;
    r.kind = e.kind();
    r.message = e.what();
  } catch (const nlohmann::json::exception& e) {
    r.status = SourceResult::Status::Failed;
    r.kind = ErrorKind::Unavailable;
    r.message = std::string("unexpected answer format (has the API changed?): ") + e.what();
  } catch (const std::exception& e) {
    r.status = SourceResult::Status::Failed;
    r.kind = ErrorKind::Infrastructure;
    r.message = e.what();
  }
  r.seconds = seconds_since(t0);
  return r;
}

}  // namespace

const char* status_name(SourceResult::Status s) {
  switch (s) {
    case SourceResult::Status::Ok: return "ok";
    case SourceResult::Status::Failed: return "failed";
    case SourceResult::Status::Skipped: return "skipped";
  }
  return "failed";
}

std::vector<SourceResult> refresh(Store& store, const RefreshOptions& opt, int64_t now) {
  bool named = !opt.providers.empty();
  std::vector<const Provider*> todo;
  if (named)
    for (const auto& n : opt.providers) todo.push_back(&find_provider(n));
  else
    for (const auto& p : providers()) todo.push_back(&p);

  Http http(opt.timeout_s);
  std::vector<SourceResult> results;
  for (const auto* p : todo) {
    std::string token;
    if (*p->token_env) {
      const char* t = std::getenv(p->token_env);
      token = t ? t : "";
    }
    SourceResult skip;
    skip.source = p->name;
    skip.status = named ? SourceResult::Status::Failed : SourceResult::Status::Skipped;
    if (p->access == Access::None) {
      skip.kind = ErrorKind::NotFound;
      skip.message = p->note;
      results.push_back(skip);
      continue;
    }
    if (p->access == Access::Token && token.empty()) {
      skip.kind = ErrorKind::BadInput;
      skip.message = std::string("needs an API token: set ") + p->token_env;
      results.push_back(skip);
      continue;
    }
    FetchContext ctx;
    ctx.provider = p->name;
    ctx.base_url = base_url_for(*p);
    ctx.token = token;
    ctx.regions = opt.regions;
    ctx.http = &http;
    ctx.now = now;
    if (opt.progress) ctx.progress = [&](const std::string& line) { opt.progress(p->name, line); };
    if (opt.progress) opt.progress(p->name, "fetching from " + redact_url(ctx.base_url));
    results.push_back(guarded(p->name, [&] {
      Snapshot s;
      s.kind = "live";
      s.origin = p->name;
      s.fetched_at = now;
      s.offers = p->fetch(ctx);
      if (!s.offers.empty()) store.save(s);
      return s.offers.size();
    }));
  }
  return results;
}

std::vector<SourceResult> reimport(Store& store, const RefreshOptions& opt, int64_t now) {
  Http http(opt.timeout_s);
  std::vector<SourceResult> results;
  for (const auto& old : store.load_all()) {
    if (old.kind != "import") continue;
    if (opt.progress) opt.progress(old.origin, "re-reading");
    results.push_back(guarded(old.origin, [&] {
      auto s = import_catalog(old.origin, old.provider_hint, http, now);
      if (!s.offers.empty()) store.save(s);
      return s.offers.size();
    }));
  }
  return results;
}

nlohmann::json to_json(const SourceResult& r) {
  nlohmann::json j = {{"source", r.source}, {"status", status_name(r.status)}, {"offers", r.offers},
                      {"seconds", r.seconds}};
  if (!r.message.empty()) j["message"] = r.message;
  if (r.kind) j["error_kind"] = kind_name(*r.kind);
  return j;
}

}  // namespace orch::pricing
