// AWS: the public bulk offer files (per region, gigabytes each, so read as a stream) and the public spot feed.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "core/pricing/gpu_names.hpp"
#include "core/pricing/providers.hpp"

namespace orch::pricing {

namespace {

struct Product {
  std::map<std::string, std::string> attrs;
  std::string family;
};

// Walks an offer file without building it in memory: keeps Linux, shared-tenancy, no-licence compute
// products and their on-demand hourly USD price.
class OfferFileSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::map<std::string, Product> kept;  // sku -> product
  std::map<std::string, double> price;  // sku -> USD per hour

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    path_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    path_.back() = k;
    return true;
  }
  bool start_array(std::size_t) override {
    path_.emplace_back("[]");
    return true;
  }
  bool end_array() override {
    path_.pop_back();
    return true;
  }
  bool end_object() override {
    if (path_.size() == 3 && path_[0] == "products") finish_product(path_[1]);
    if (path_.size() == 7 && in_dimension()) finish_dimension(path_[2]);
    path_.pop_back();
    return true;
  }
  bool parse_error(std::size_t at, const std::string&, const nlohmann::detail::exception& e) override {
    throw Error(ErrorKind::Unavailable, "aws: offer file is not valid JSON near byte " + std::to_string(at) + " (" +
                                            e.what() + ")");
  }
  bool string(string_t& v) override {
    const auto n = path_.size();
    if (n == 4 && path_[0] == "products" && path_[2] == "attributes") {
      static const char* kWanted[] = {"instanceType", "vcpu",     "memory",         "gpu",          "operatingSystem",
                                      "tenancy",      "preInstalledSw", "capacitystatus", "regionCode", "licenseModel"};
      for (const char* w : kWanted)
        if (path_[3] == w) current_.attrs[w] = v;
    } else if (n == 3 && path_[0] == "products" && path_[2] == "productFamily") {
      current_.family = v;
    } else if (in_dimension() && n == 7 && path_[6] == "unit") {
      dimension_unit_ = v;
    } else if (in_dimension() && n == 8 && path_[6] == "pricePerUnit" && path_[7] == "USD") {
      dimension_price_ = parse_number(v);
    }
    return true;
  }

 private:
  bool in_dimension() const { return path_.size() >= 6 && path_[0] == "terms" && path_[1] == "OnDemand" && path_[4] == "priceDimensions"; }

  // Only an hourly rate is a price per hour; other units ("Quantity" for an upfront fee) are not.
  void finish_dimension(const std::string& sku) {
    bool hourly = dimension_unit_ == "Hrs" || dimension_unit_ == "Hours" || dimension_unit_ == "Hour";
    auto p = dimension_price_;
    dimension_unit_.clear();
    dimension_price_.reset();
    if (!hourly || !kept.count(sku) || !p || *p <= 0) return;
    if (!price.count(sku) || *p < price[sku]) price[sku] = *p;
  }

  void finish_product(const std::string& sku) {
    auto& a = current_.attrs;
    auto is = [&](const char* k, const char* want) { return a.count(k) && a[k] == want; };
    bool compute = current_.family.rfind("Compute Instance", 0) == 0;
    bool linux_shared = is("operatingSystem", "Linux") && is("tenancy", "Shared") && is("preInstalledSw", "NA");
    bool used = !a.count("capacitystatus") || is("capacitystatus", "Used");
    bool no_licence = !a.count("licenseModel") || is("licenseModel", "No License required");
    if (compute && linux_shared && used && no_licence && a.count("instanceType")) kept[sku] = std::move(current_);
    current_ = Product{};
  }

  std::vector<std::string> path_;
  Product current_;
  std::string dimension_unit_;
  std::optional<double> dimension_price_;
};

// Removes the temporary offer file however the parse ends.
struct TempFile {
  std::string path;
  TempFile() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "orch-aws-offer-XXXXXX").string();
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) throw Error(ErrorKind::Infrastructure, "cannot create a temporary file in " + tmpl);
    ::close(fd);
    path = tmpl;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

// The spot feed still uses the region names of the old EC2 console for its first regions.
std::string spot_region(const std::string& r) {
  static const std::pair<const char*, const char*> kOld[] = {
      {"us-east", "us-east-1"},       {"us-west", "us-west-1"},       {"eu-ireland", "eu-west-1"},
      {"apac-sin", "ap-southeast-1"}, {"apac-syd", "ap-southeast-2"}, {"apac-tokyo", "ap-northeast-1"},
  };
  for (const auto& [o, n] : kOld)
    if (r == o) return n;
  return r;
}

void add_gpu_shape(Offer& o) {
  if (const auto* m = known_machine("aws", o.instance_type)) {
    o.gpu_model = m->gpu_model;
    o.gpu_count = m->gpu_count;
    if (o.vcpus == 0) o.vcpus = m->vcpus;
    if (!o.memory_gib) o.memory_gib = m->memory_gib;
  } else if (o.gpu_count > 0) {
    o.gpu_model = aws_family_gpu(o.instance_type);
    if (o.gpu_model.empty()) o.gpu_model = "UNKNOWN";
  }
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void merge_spot(const FetchContext& ctx, std::map<std::string, Offer>& offers) {
  std::string url = ctx.setting("SPOT_URL", "https://website.spot.ec2.aws.a2z.com/spot.json");
  std::string body = ctx.http->get(url);
  // The feed is JSONP: callback({...});
  auto open = body.find('('), close = body.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open && body.find('{') > open)
    body = body.substr(open + 1, close - open - 1);
  auto j = parse_json_body(ctx.provider, url, body);
  if (!j.contains("config") || !j["config"].is_object())
    throw Error(ErrorKind::Unavailable, "aws: the spot feed has no 'config' object (has the format changed?)");
  size_t n = 0;
  for (const auto& region : json_list(ctx.provider, j["config"], "regions")) {
    std::string code = spot_region(region.value("region", ""));
    if (!ctx.regions.empty() && ctx.regions[0] != "all" &&
        std::find(ctx.regions.begin(), ctx.regions.end(), code) == ctx.regions.end())
      continue;
    for (const auto& group : region.value("instanceTypes", nlohmann::json::array()))
      for (const auto& size : group.value("sizes", nlohmann::json::array()))
        for (const auto& col : size.value("valueColumns", nlohmann::json::array())) {
          if (col.value("name", "") != "linux" || !col.contains("prices")) continue;
          auto usd = json_num(col["prices"], "USD");  // "N/A*" and "-1" mean no spot market
          if (!usd || *usd <= 0) continue;
          std::string type = size.value("size", "");
          auto [it, fresh] = offers.try_emplace(type + "|" + code);
          Offer& o = it->second;
          if (fresh) {
            o.provider = ctx.provider;
            o.instance_type = type;
            o.region = code;
            o.source = redact_url(url);
            o.fetched_at = ctx.now;
            add_gpu_shape(o);
          }
          o.spot = *usd;
          ++n;
        }
  }
  ctx.report("spot feed: " + std::to_string(n) + " prices");
}

}  // namespace

std::vector<Offer> fetch_aws(const FetchContext& ctx) {
  std::string index_url = ctx.base_url + "/offers/v1.0/aws/index.json";
  auto index = parse_json_body(ctx.provider, index_url, ctx.http->get(index_url));
  std::string region_index_url;
  if (index.contains("offers") && index["offers"].contains("AmazonEC2"))
    region_index_url = index["offers"]["AmazonEC2"].value("currentRegionIndexUrl", "");
  if (region_index_url.empty())
    throw Error(ErrorKind::Unavailable, "aws: the offer index names no AmazonEC2 region index (has the format changed?)");
  region_index_url = resolve_url(index_url, region_index_url);
  auto rindex = parse_json_body(ctx.provider, region_index_url, ctx.http->get(region_index_url));
  if (!rindex.contains("regions") || !rindex["regions"].is_object())
    throw Error(ErrorKind::Unavailable, "aws: the region index has no 'regions' object");

  // Each region's file is large; fetch the regions asked for, or a few well-used ones by default.
  auto wanted = ctx.regions.empty() ? split_list(ctx.setting("REGIONS", "us-east-1,us-west-2,eu-west-1")) : ctx.regions;
  bool all = !wanted.empty() && wanted[0] == "all";
  std::map<std::string, Offer> offers;
  for (const auto& [code, entry] : rindex["regions"].items()) {
    if (!all && std::find(wanted.begin(), wanted.end(), code) == wanted.end()) continue;
    std::string url = resolve_url(region_index_url, entry.value("currentVersionUrl", ""));
    ctx.report("on-demand prices for " + code);
    TempFile tmp;
    ctx.http->download(url, tmp.path);
    std::ifstream in(tmp.path, std::ios::binary);
    OfferFileSax sax;
    nlohmann::json::sax_parse(in, &sax);
    for (const auto& [sku, p] : sax.kept) {
      auto price = sax.price.find(sku);
      if (price == sax.price.end()) continue;
      auto attr = [&](const char* k) {
        auto it = p.attrs.find(k);
        return it == p.attrs.end() ? std::string() : it->second;
      };
      Offer o;
      o.provider = ctx.provider;
      o.instance_type = attr("instanceType");
      o.region = attr("regionCode").empty() ? code : attr("regionCode");
      o.vcpus = parse_number(attr("vcpu")).value_or(0);
      o.memory_gib = known_size(parse_number(attr("memory")));
      o.gpu_count = parse_number(attr("gpu")).value_or(0);
      o.on_demand = price->second;
      o.source = redact_url(url);
      o.fetched_at = ctx.now;
      add_gpu_shape(o);
      auto& slot = offers[o.instance_type + "|" + o.region];
      if (!slot.on_demand || *o.on_demand < *slot.on_demand) slot = o;
    }
  }
  try {
    merge_spot(ctx, offers);
  } catch (const Error& e) {
    // On-demand prices are still worth keeping when only the spot feed fails.
    ctx.report(std::string("warning: spot feed failed: ") + e.what());
  }
  std::vector<Offer> out;
  for (auto& [k, o] : offers) out.push_back(std::move(o));
  return out;
}

}  // namespace orch::pricing
