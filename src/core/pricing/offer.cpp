#include "core/pricing/offer.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/error.hpp"
#include "core/pricing/csv.hpp"

namespace orch::pricing {

namespace {

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// Counts print as 8, not 8.0, when they are whole; shared GPUs stay fractional.
nlohmann::json count(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return static_cast<int64_t>(v);
  return v;
}

std::optional<double> opt_from(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) return parse_number(it->get<std::string>());
  return std::nullopt;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

nlohmann::json to_json(const Offer& o) {
  return {{"provider", o.provider},    {"instance_type", o.instance_type},
          {"gpu_model", o.gpu_model},  {"gpu_count", count(o.gpu_count)},
          {"vcpus", count(o.vcpus)},   {"memory_gib", opt(o.memory_gib)},
          {"region", o.region},        {"on_demand", opt(o.on_demand)},
          {"spot", opt(o.spot)},       {"currency", o.currency},
          {"source", o.source},        {"fetched_at", format_iso_time(o.fetched_at)},
          {"attachment", o.attachment}};
}

Offer offer_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("provider") || !j.contains("instance_type"))
    throw Error(ErrorKind::BadInput, "offer record needs at least 'provider' and 'instance_type'");
  Offer o;
  try {
    o.provider = j.at("provider").get<std::string>();
    o.instance_type = j.at("instance_type").get<std::string>();
    o.gpu_model = j.value("gpu_model", "");
    o.gpu_count = opt_from(j, "gpu_count").value_or(0);
    o.vcpus = opt_from(j, "vcpus").value_or(0);
    o.memory_gib = known_size(opt_from(j, "memory_gib"));
    o.region = j.value("region", "");
    o.on_demand = opt_from(j, "on_demand");
    o.spot = opt_from(j, "spot");
    o.currency = j.value("currency", "USD");
    o.source = j.value("source", "");
    auto part = j.find("attachment");
    if (part != j.end()) o.attachment = part->is_boolean() ? part->get<bool>() : part->is_string() && part->get<std::string>() == "true";
    auto at = j.find("fetched_at");
    if (at != j.end() && at->is_number()) o.fetched_at = at->get<int64_t>();
    if (at != j.end() && at->is_string()) o.fetched_at = parse_iso_time(at->get<std::string>()).value_or(0);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::BadInput, std::string("malformed offer record: ") + e.what());
  }
  return o;
}

const char* const kCsvHeader =
    "provider,instance_type,gpu_model,gpu_count,vcpus,memory_gib,region,on_demand,spot,currency,source,fetched_at,attachment";

std::string to_csv_row(const Offer& o) {
  std::vector<std::string> f = {o.provider,
                                o.instance_type,
                                o.gpu_model,
                                num(o.gpu_count),
                                num(o.vcpus),
                                o.memory_gib ? num(*o.memory_gib) : "",
                                o.region,
                                o.on_demand ? num(*o.on_demand) : "",
                                o.spot ? num(*o.spot) : "",
                                o.currency,
                                o.source,
                                format_iso_time(o.fetched_at),
                                o.attachment ? "true" : "false"};
  return csv_join(f);
}

std::string to_csv(const std::vector<Offer>& offers) {
  std::string out = std::string(kCsvHeader) + "\n";
  for (const auto& o : offers) out += to_csv_row(o) + "\n";
  return out;
}

std::optional<double> parse_number(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == '$') continue;
    clean += c;
  }
  if (clean.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (end == clean.c_str() || !std::isfinite(v)) return std::nullopt;
  return v;  // trailing units ("GiB") are ignored on purpose
}

std::optional<double> known_size(std::optional<double> v, double scale) {
  if (!v || *v <= 0) return std::nullopt;
  return *v * scale;
}

std::string format_price(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, value < 0.01 ? "%.5f" : "%.4f", value);
  return buf;
}

std::string format_age(int64_t s) {
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace orch::pricing
