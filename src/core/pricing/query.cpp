#include "core/pricing/query.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>

#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"
#include "core/util/suggest.hpp"
#include "core/util/units.hpp"

namespace orch::pricing {

namespace {

double number_param(const std::string& key, const std::string& v, bool allow_zero = true) {
  auto n = parse_number(v);
  if (!n || *n < 0 || (!allow_zero && *n == 0) || v.find_first_not_of("0123456789.+ ") != std::string::npos)
    throw Error(ErrorKind::BadInput, "'" + key + "' wants a non-negative number, got '" + v + "'");
  return *n;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    auto item = s.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

bool truthy(const std::string& key, const std::string& v) {
  if (v.empty() || v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  throw Error(ErrorKind::BadInput, "'" + key + "' wants true or false, got '" + v + "'");
}

}  // namespace

Filter parse_filter(const std::vector<std::pair<std::string, std::string>>& params) {
  static const std::vector<std::string> kKeys = {"gpu", "min_gpus", "gpus", "vcpus", "memory", "provider",
                                                 "region", "spot", "max_price", "sort", "limit", "currency"};
  Filter f;
  for (const auto& [key, v] : params) {
    if (key == "gpu") f.gpu = v;
    else if (key == "min_gpus") f.min_gpus = number_param(key, v);
    else if (key == "gpus") f.gpus = number_param(key, v);
    else if (key == "vcpus") f.min_vcpus = number_param(key, v);
    else if (key == "memory") f.min_memory_gib = number_param(key, v);
    else if (key == "spot") f.spot = truthy(key, v);
    else if (key == "max_price") f.max_price = number_param(key, v);
    else if (key == "limit") f.limit = static_cast<size_t>(number_param(key, v));
    else if (key == "currency") f.currency = v == "any" ? "any" : std::string(v);
    else if (key == "region") for (auto& r : split_commas(v)) f.regions.push_back(r);
    else if (key == "provider") {
      for (auto& p : split_commas(v)) {
        find_provider(p);  // unknown names fail here, with "did you mean"
        f.providers.push_back(p);
      }
    } else if (key == "sort") {
      if (v == "price") f.sort = SortKey::Price;
      else if (v == "price-per-gpu" || v == "price_per_gpu") f.sort = SortKey::PricePerGpu;
      else throw Error(ErrorKind::BadInput, "'sort' is price or price-per-gpu, got '" + v + "'");
    } else {
      throw Error(ErrorKind::BadInput, "unknown filter '" + key + "'" + did_you_mean(key, kKeys));
    }
  }
  for (auto& c : f.currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (f.currency == "ANY") f.currency = "any";
  return f;
}

int64_t max_age_s() {
  const char* v = std::getenv("ORCH_PRICING_MAX_AGE");
  if (!v || !*v) return 24 * 3600;
  return static_cast<int64_t>(parse_seconds(v, "ORCH_PRICING_MAX_AGE"));
}

Verdict judge(const Offer& o, const Filter& f, bool* undecided) {
  bool unknown = false;
  if (!f.gpu.empty() && (o.gpu_model.empty() || !gpu_matches(o.gpu_model, f.gpu))) return Verdict::NoMatch;
  if (f.min_gpus > 0 && o.gpu_count < f.min_gpus) return Verdict::NoMatch;
  if (f.gpus > 0 && o.gpu_count != f.gpus) return Verdict::NoMatch;
  if (f.min_vcpus > 0 && o.vcpus <= 0) unknown = true;
  else if (f.min_vcpus > 0 && o.vcpus < f.min_vcpus) return Verdict::NoMatch;
  if (f.min_memory_gib > 0 && !o.memory_gib) unknown = true;
  else if (f.min_memory_gib > 0 && *o.memory_gib + 0.05 < f.min_memory_gib) return Verdict::NoMatch;
  if (!f.providers.empty() && std::find(f.providers.begin(), f.providers.end(), o.provider) == f.providers.end()) return Verdict::NoMatch;
  if (!f.regions.empty() && std::none_of(f.regions.begin(), f.regions.end(), [&](const std::string& r) {
        return fnmatch(r.c_str(), o.region.c_str(), 0) == 0;
      }))
    return Verdict::NoMatch;
  if (f.currency != "any" && o.currency != f.currency) return Verdict::NoMatch;
  auto price = o.price(f.spot);
  if (!price) return !f.spot && o.spot && (!f.max_price || *o.spot <= *f.max_price) ? Verdict::SpotOnly : Verdict::NoMatch;
  if (f.max_price && *price > *f.max_price) return Verdict::NoMatch;
  if (o.attachment) return Verdict::Attachment;
  if (undecided) *undecided = unknown;
  return Verdict::Match;
}

QueryResult query(const std::vector<Snapshot>& snapshots, const Filter& f, int64_t now) {
  QueryResult r;
  int64_t limit_age = max_age_s();
  for (const auto& s : snapshots) {
    SourceAge a{s.id(), s.kind, s.origin, s.fetched_at, now - s.fetched_at, false, s.offers.size()};
    a.stale = a.age_s > limit_age;
    if (a.stale) {
      std::string how = s.kind == "live" ? "run 'orch pricing refresh --provider " + s.origin + "'"
                                         : "run 'orch pricing import " + s.origin + "' again";
      r.warnings.push_back((s.kind == "live" ? s.origin + " prices" : "prices imported from " + s.origin) + " are " +
                           format_age(a.age_s) + " old (fetched " + format_iso_time(s.fetched_at) + "); " + how);
    }
    r.sources.push_back(a);
    for (const auto& o : s.offers) {
      bool unknown = false;
      auto verdict = judge(o, f, &unknown);
      r.spot_only_left_out += verdict == Verdict::SpotOnly;
      r.attachments_left_out += verdict == Verdict::Attachment;
      if (verdict != Verdict::Match) continue;
      r.undecided += unknown;
      Match m{o, *o.price(f.spot), std::nullopt, now - (o.fetched_at ? o.fetched_at : s.fetched_at)};
      if (o.gpu_count > 0) m.price_per_gpu = m.price / o.gpu_count;
      r.matches.push_back(std::move(m));
    }
  }
  if (snapshots.empty()) r.warnings.push_back("no prices cached yet: run 'orch pricing refresh' or 'orch pricing import FILE'");
  if (r.undecided)
    r.warnings.push_back(std::to_string(r.undecided) + " offers kept although their " +
                         (f.min_memory_gib > 0 && f.min_vcpus > 0 ? "memory or vCPU count"
                          : f.min_memory_gib > 0                  ? "memory"
                                                                  : "vCPU count") +
                         " is unknown (the source does not say), so the filter could not be checked");
  if (r.attachments_left_out)
    r.warnings.push_back(std::to_string(r.attachments_left_out) +
                         " offers left out: they price only part of a machine (a GPU without its host VM)");
  auto key = [&](const Match& m) {
    if (f.sort == SortKey::PricePerGpu) return m.price_per_gpu.value_or(m.price * 1e9);  // CPU-only machines last
    return m.price;
  };
  std::stable_sort(r.matches.begin(), r.matches.end(), [&](const Match& a, const Match& b) {
    if (key(a) != key(b)) return key(a) < key(b);
    return a.offer.key() < b.offer.key();
  });
  r.total = r.matches.size();
  if (f.limit > 0 && r.matches.size() > f.limit) r.matches.resize(f.limit);
  return r;
}

QueryResult query(const Store& store, const Filter& f, int64_t now) {
  std::vector<std::string> warnings;
  auto snaps = store.load_all(&warnings);
  auto r = query(snaps, f, now);
  r.warnings.insert(r.warnings.begin(), warnings.begin(), warnings.end());
  return r;
}

nlohmann::json to_json(const Match& m) {
  auto j = to_json(m.offer);
  j["price"] = m.price;
  j["price_per_gpu"] = m.price_per_gpu ? nlohmann::json(*m.price_per_gpu) : nlohmann::json(nullptr);
  j["age_seconds"] = m.age_s;
  return j;
}

nlohmann::json to_json(const QueryResult& r) {
  nlohmann::json offers = nlohmann::json::array(), sources = nlohmann::json::array();
  for (const auto& m : r.matches) offers.push_back(to_json(m));
  for (const auto& s : r.sources)
    sources.push_back({{"id", s.id}, {"kind", s.kind}, {"origin", s.origin}, {"fetched_at", format_iso_time(s.fetched_at)},
                       {"age_seconds", s.age_s}, {"stale", s.stale}, {"offers", s.offers}});
  return {{"offers", offers},
          {"total", r.total},
          {"left_out", {{"spot_only", r.spot_only_left_out}, {"attachments", r.attachments_left_out}}},
          {"undecided", r.undecided},
          {"sources", sources},
          {"warnings", r.warnings}};
}

}  // namespace orch::pricing
