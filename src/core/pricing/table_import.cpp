#include "core/pricing/table_import.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"

namespace orch::pricing {

namespace {

struct Column {
  const char* field;               // orch's name
  std::vector<const char*> names;  // the spellings accepted, normalised (lower case, '_' for ' ' and '-')
};

const std::vector<Column>& columns() {
  static const std::vector<Column> c = {
      {"provider", {"provider", "cloud"}},
      {"instance_type", {"instance_type", "instance", "instancetype", "machine_type", "instance_name"}},
      {"gpu_model", {"gpu_model", "gpu", "gpu_type", "accelerator", "accelerator_name", "acceleratorname"}},
      {"gpu_count", {"gpu_count", "gpus", "num_gpus", "accelerator_count", "acceleratorcount"}},
      {"vcpus", {"vcpus", "vcpu", "cpus"}},
      {"memory_gib", {"memory_gib", "memory", "memory_gb", "memorygib", "ram_gib", "ram_gb"}},
      {"region", {"region", "location"}},
      {"on_demand",
       {"on_demand", "price", "price_hourly", "price_hourly_usd", "on_demand_price", "on_demand_hourly_usd", "hourly_price",
        "price_per_hour"}},
      {"spot", {"spot", "spot_price", "spot_price_hourly", "spot_price_hourly_usd", "spotprice", "spot_hourly"}},
      {"currency", {"currency"}},
      {"source", {"source", "note", "notes"}},
      {"fetched_at", {"fetched_at"}},
      {"attachment", {"attachment"}},
  };
  return c;
}

std::string normalise(std::string s) {
  if (s.rfind("\xEF\xBB\xBF", 0) == 0) s = s.substr(3);
  std::string out;
  for (char ch : s) {
    if (ch == ' ' || ch == '-') out += '_';
    else if (ch != '"' && ch != '\r') out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// Position of each of orch's fields in the header, -1 when absent.
std::map<std::string, int> positions(const std::vector<std::string>& header) {
  std::map<std::string, int> at;
  for (const auto& col : columns()) {
    at[col.field] = -1;
    for (const char* name : col.names)
      for (size_t i = 0; i < header.size() && at[col.field] < 0; ++i)
        if (normalise(header[i]) == name) at[col.field] = static_cast<int>(i);
  }
  return at;
}

std::string accepted(const char* field) {
  std::string out;
  for (const auto& col : columns())
    if (std::string(col.field) == field)
      for (const char* n : col.names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// A GCP GPU priced without a VM, or a row whose note says a host must be added, is part of a machine.
bool part_of_machine(const Offer& o, const std::string& note) {
  std::string l;
  for (char ch : note) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (l.find("host vm") != std::string::npos || l.find("attach") != std::string::npos) return true;
  return o.provider == "gcp" && o.gpu_count > 0 && o.vcpus == 0;
}

}  // namespace

bool is_offer_table(const std::vector<std::string>& header, const std::string& provider) {
  auto at = positions(header);
  return at["instance_type"] >= 0 && (at["provider"] >= 0 || !provider.empty());
}

Snapshot parse_offer_table(const std::vector<std::vector<std::string>>& rows, const std::string& origin, const std::string& provider,
                           int64_t now) {
  auto at = positions(rows[0]);
  if (at["on_demand"] < 0 && at["spot"] < 0) {
    std::string found;
    for (const auto& h : rows[0]) found += (found.empty() ? "" : ", ") + h;
    throw Error(ErrorKind::BadInput, origin + " has no price column (its columns: " + found + "); orch reads on-demand prices from " +
                                         accepted("on_demand") + " and spot prices from " + accepted("spot"));
  }
  auto cell = [&](const std::vector<std::string>& row, const char* field) -> std::string {
    int i = at[field];
    return i < 0 || static_cast<size_t>(i) >= row.size() ? "" : row[static_cast<size_t>(i)];
  };
  Snapshot s;
  s.kind = "import";
  s.origin = origin;
  // orch's own export names its columns exactly so; any other sheet is a plain "csv".
  s.format = "csv";
  if (std::find(rows[0].begin(), rows[0].end(), "on_demand") != rows[0].end() &&
      std::find(rows[0].begin(), rows[0].end(), "instance_type") != rows[0].end())
    s.format = "orch-csv";
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (row.size() == 1 && row[0].empty()) continue;
    nlohmann::json j;
    for (const auto& col : columns()) {
      auto v = cell(row, col.field);
      if (!v.empty()) j[col.field] = v;
    }
    if (!j.contains("provider") && !provider.empty()) j["provider"] = provider;
    if (!j.contains("provider") || !j.contains("instance_type"))
      throw Error(ErrorKind::BadInput, origin + " line " + std::to_string(i + 1) + " has no provider or instance_type");
    Offer o = offer_from_json(j);
    if (!o.on_demand && !o.spot) {
      ++s.unpriced_rows;
      continue;
    }
    if (!o.gpu_model.empty()) o.gpu_model = canonical_gpu(o.gpu_model);
    if (!o.gpu_model.empty() && o.gpu_count == 0) o.gpu_count = 1;
    if (!o.attachment) o.attachment = part_of_machine(o, cell(row, "source"));
    if (o.fetched_at == 0) o.fetched_at = now;
    if (o.source.empty()) o.source = origin;
    s.offers.push_back(std::move(o));
  }
  return s;
}

}  // namespace orch::pricing
