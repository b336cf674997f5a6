#include "core/pricing/catalog_import.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/pricing/csv.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"
#include "core/pricing/table_import.hpp"

namespace orch::pricing {

namespace {

struct GpuRow {
  std::string gpu, region;
  double count = 0;
  std::optional<double> price, spot;
};

void keep_lowest(std::optional<double>& slot, std::optional<double> v) {
  if (v && (!slot || *v < *slot)) slot = v;
}

constexpr double kPlaceholderPrice = 700.0;

bool is_tpu(const std::string& accelerator) {
  return accelerator.size() >= 3 && std::tolower(static_cast<unsigned char>(accelerator[0])) == 't' &&
         std::tolower(static_cast<unsigned char>(accelerator[1])) == 'p' && std::tolower(static_cast<unsigned char>(accelerator[2])) == 'u';
}

std::string provider_from_path(const std::string& origin) {
  // ".../catalogs/v8/aws/vms.csv" names its cloud in the parent folder.
  auto path = origin.substr(0, origin.find('?'));
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "";
  auto prev = path.rfind('/', slash - 1);
  std::string folder = path.substr(prev == std::string::npos ? 0 : prev + 1, slash - (prev == std::string::npos ? 0 : prev + 1));
  return provider_from_skypilot_cloud(folder);
}

Snapshot parse_skypilot(const std::vector<std::vector<std::string>>& rows, const std::string& origin,
                        const std::string& provider, int64_t now, std::vector<std::string>* warnings) {
  CsvHeader h(rows[0]);
  std::map<std::string, Offer> offers;  // instance|region: zones collapse to their region's lowest price
  std::vector<GpuRow> gpu_rows;
  size_t tpus = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    auto price = parse_number(h.get(r, "Price"));
    auto spot = parse_number(h.get(r, "SpotPrice"));
    if (!price && !spot) continue;
    std::string type = h.get(r, "InstanceType");
    std::string gpu = h.get(r, "AcceleratorName");
    double count = parse_number(h.get(r, "AcceleratorCount")).value_or(0);
    std::string region = h.get(r, "Region");
    if (type.empty()) {
      if (is_tpu(gpu)) {
        ++tpus;  // TPUs are not GPUs, and SkyPilot prices most of them with a placeholder
        continue;
      }
      // SkyPilot writes 700.0 where GCP publishes no price for an accelerator.
      if (price && *price == kPlaceholderPrice) price.reset();
      if (spot && *spot == kPlaceholderPrice) spot.reset();
      if (!gpu.empty() && (price || spot)) gpu_rows.push_back({canonical_gpu(gpu), region, count, price, spot});
      continue;
    }
    if (gpu.empty() && provider == "gcp") {
      auto built_in = gcp_family_gpu(type);
      if (built_in.count > 0) {
        gpu = built_in.model;
        count = built_in.count;
      }
    }
    auto [it, fresh] = offers.try_emplace(type + "|" + region);
    Offer& o = it->second;
    if (fresh) {
      o.provider = provider;
      o.instance_type = type;
      o.region = region;
      o.gpu_model = gpu.empty() ? "" : canonical_gpu(gpu);
      o.gpu_count = gpu.empty() ? 0 : count;
      o.vcpus = parse_number(h.get(r, "vCPUs")).value_or(0);
      o.memory_gib = known_size(parse_number(h.get(r, "MemoryGiB")));
      o.source = origin;
      o.fetched_at = now;
    }
    keep_lowest(o.on_demand, price);
    keep_lowest(o.spot, spot);
  }
  // GCP prices attachable GPUs alone; what one pays is the GPU plus the VM it is attached to.
  size_t orphans = 0;
  for (const auto& g : gpu_rows) {
    int host_cpus = static_cast<int>(std::min(96.0, 8 * std::max(1.0, g.count)));
    std::string host = "n1-highmem-" + std::to_string(host_cpus);
    auto hit = offers.find(host + "|" + g.region);
    if (hit == offers.end()) {
      ++orphans;
      continue;
    }
    const Offer& vm = hit->second;
    Offer o = vm;
    char count[32];
    std::snprintf(count, sizeof count, "%g", g.count);
    o.instance_type = host + "+" + count + "x" + g.gpu;
    o.gpu_model = g.gpu;
    o.gpu_count = g.count;
    o.on_demand = g.price && vm.on_demand ? std::optional<double>(*g.price + *vm.on_demand) : std::nullopt;
    o.spot = g.spot && vm.spot ? std::optional<double>(*g.spot + *vm.spot) : std::nullopt;
    if (!o.on_demand && !o.spot) continue;
    auto [it, fresh] = offers.try_emplace(o.instance_type + "|" + o.region, o);
    if (!fresh) {
      keep_lowest(it->second.on_demand, o.on_demand);
      keep_lowest(it->second.spot, o.spot);
    }
  }
  if (tpus && warnings) warnings->push_back(std::to_string(tpus) + " TPU rows skipped: TPUs are not GPUs");
  if (orphans && warnings)
    warnings->push_back(std::to_string(orphans) + " GPU rows skipped: their n1-highmem host VM is not priced in the same region");
  Snapshot s;
  s.kind = "import";
  s.origin = origin;
  s.format = "skypilot";
  s.fetched_at = now;
  for (auto& [k, o] : offers) s.offers.push_back(std::move(o));
  return s;
}

Snapshot finish_orch(std::vector<Offer> offers, const std::string& origin, const std::string& format, int64_t now) {
  Snapshot s;
  s.kind = "import";
  s.origin = origin;
  s.format = format;
  s.fetched_at = 0;
  for (auto& o : offers) {
    find_provider(o.provider);  // an unknown provider name means this is not an orch export
    if (o.fetched_at == 0) o.fetched_at = now;
    if (o.source.empty()) o.source = origin;
    // The snapshot is as old as its oldest price, so staleness warnings stay honest.
    if (s.fetched_at == 0 || o.fetched_at < s.fetched_at) s.fetched_at = o.fetched_at;
  }
  if (s.fetched_at == 0) s.fetched_at = now;
  s.offers = std::move(offers);
  return s;
}

}  // namespace

std::string provider_from_skypilot_cloud(const std::string& cloud) {
  if (cloud == "oci") return "oracle";
  if (cloud == "do") return "digitalocean";
  for (const auto& p : providers())
    if (cloud == p.name) return p.name;
  return "";
}

Snapshot parse_catalog(const std::string& text, const std::string& origin, const std::string& provider, int64_t now,
                       std::vector<std::string>* warnings) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw Error(ErrorKind::BadInput, origin + " is empty");
  if (text[first] == '{' || text[first] == '[') {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) throw Error(ErrorKind::BadInput, origin + " looks like JSON but does not parse");
    const auto& list = j.is_array() ? j : j.value("offers", nlohmann::json());
    if (!list.is_array())
      throw Error(ErrorKind::BadInput, origin + " is JSON without an 'offers' list (expected 'orch pricing ls --json' output)");
    std::vector<Offer> offers;
    for (const auto& o : list) offers.push_back(offer_from_json(o));
    return finish_orch(std::move(offers), origin, "orch-json", now);
  }
  auto rows = parse_csv(text);
  CsvHeader h(rows[0]);
  if (h.has("InstanceType") && h.has("Region") && (h.has("Price") || h.has("SpotPrice"))) {
    std::string p = provider.empty() ? provider_from_path(origin) : provider;
    if (p.empty())
      throw Error(ErrorKind::BadInput, "cannot tell which cloud " + origin +
                                           " prices: pass --provider (its folder in the SkyPilot catalog is not a known cloud)");
    find_provider(p);
    auto s = parse_skypilot(rows, origin, p, now, warnings);
    s.provider_hint = provider;
    return s;
  }
  if (is_offer_table(rows[0], provider)) {
    auto table = parse_offer_table(rows, origin, provider, now);
    auto s = finish_orch(std::move(table.offers), origin, table.format, now);
    s.unpriced_rows = table.unpriced_rows;
    if (s.unpriced_rows && warnings)
      warnings->push_back(std::to_string(s.unpriced_rows) + " rows have no price (neither on-demand nor spot) and were left out");
    return s;
  }
  throw Error(
      ErrorKind::BadInput,
      origin + " is not a catalog orch can read (SkyPilot vms.csv, a CSV with instance_type and provider columns, or orch's JSON export)");
}

Snapshot import_catalog(const std::string& file_or_url, const std::string& provider, const Http& http, int64_t now,
                        std::vector<std::string>* warnings) {
  std::string text, origin = file_or_url;
  if (file_or_url.rfind("http://", 0) == 0 || file_or_url.rfind("https://", 0) == 0) {
    text = http.get(file_or_url);
  } else {
    std::error_code ec;
    auto abs = std::filesystem::absolute(file_or_url, ec);
    if (!ec) origin = abs.lexically_normal().string();
    std::ifstream in(origin, std::ios::binary);
    if (!in || std::filesystem::is_directory(origin, ec))
      throw Error(ErrorKind::NotFound, "cannot read catalog '" + file_or_url + "': no such file");
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto s = parse_catalog(text, origin, provider, now, warnings);
  s.provider_hint = provider;
  return s;
}

}  // namespace orch::pricing
