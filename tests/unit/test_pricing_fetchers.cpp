// Each fetcher against an in-process HTTP server on 127.0.0.1 replaying the fixtures in tests/fixtures/pricing.
#include <doctest/doctest.h>
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "core/pricing/providers.hpp"
#include "core/pricing/refresh.hpp"

using namespace orch::pricing;

namespace {

std::string read_fixture(const std::string& rel) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../fixtures/pricing" / rel;
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Route {
  std::string path, param, value, file;  // value "" = the parameter must be absent
};

// Serves the fixtures the way replay.py does, with "{base}" replaced by the server's URL.
class Replay {
 public:
  Replay() {
    routes_ = {
        {"/linode/v4/linode/types", "page", "1", "linode/types-page1.json"},
        {"/linode/v4/linode/types", "page", "2", "linode/types-page2.json"},
        {"/vultr/v2/plans", "cursor", "", "vultr/plans-page1.json"},
        {"/vultr/v2/plans", "cursor", "bmV4dF9fMg==", "vultr/plans-page2.json"},
        {"/do/v2/sizes", "page", "", "digitalocean/sizes-page1.json"},
        {"/do/v2/sizes", "page", "2", "digitalocean/sizes-page2.json"},
        {"/hetzner/v1/pricing", "", "", "hetzner/pricing.json"},
        {"/hetzner/v1/server_types", "page", "1", "hetzner/server_types-page1.json"},
        {"/hetzner/v1/server_types", "page", "2", "hetzner/server_types-page2.json"},
        {"/azure/api/retail/prices", "$skip", "", "azure/prices-page1.json"},
        {"/azure/api/retail/prices", "$skip", "1000", "azure/prices-page2.json"},
        {"/lambda/instance-types", "", "", "lambda/instance-types.json"},
        {"/runpod/graphql", "", "", "runpod/gpu-types.json"},
        {"/vast/bundles/", "", "", "vast/bundles.json"},
        {"/ovh/order/catalog/public/cloud", "", "", "ovh/catalog.json"},
        {"/oracle/cetools/api/v1/products/", "offset", "", "oracle/products-page1.json"},
        {"/oracle/cetools/api/v1/products/", "offset", "8", "oracle/products-page2.json"},
        {"/offers/v1.0/aws/index.json", "", "", "aws/index.json"},
        {"/offers/v1.0/aws/AmazonEC2/current/region_index.json", "", "", "aws/region_index.json"},
        {"/offers/v1.0/aws/AmazonEC2/20240101000000/us-east-1/index.json", "", "", "aws/offer-us-east-1.json"},
        {"/offers/v1.0/aws/AmazonEC2/20240101000000/eu-west-1/index.json", "", "", "aws/offer-eu-west-1.json"},
        {"/spot.js", "", "", "aws/spot.js"},
    };
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~Replay() {
    server_.stop();
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests;

 private:
  void serve(const httplib::Request& req, httplib::Response& res) {
    std::string query;
    for (const char* p : {"page", "offset"})
      if (req.has_param(p)) query += std::string(query.empty() ? "?" : "&") + p + "=" + req.get_param_value(p);
    requests.push_back(req.path + query);
    if (req.path.rfind("/garbage", 0) == 0) return res.set_content("<html>oops</html>", "text/html");
    if (req.path.rfind("/slow", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return res.set_content("{}", "application/json");
    }
    for (const auto& r : routes_) {
      if (r.path != req.path) continue;
      if (!r.param.empty() && (r.value.empty() ? req.has_param(r.param.c_str())
                                               : req.get_param_value(r.param.c_str()) != r.value))
        continue;
      std::string body = read_fixture(r.file);
      for (size_t at; (at = body.find("{base}")) != std::string::npos;) body.replace(at, 6, base());
      return res.set_content(body, "application/json");
    }
    res.status = 404;
  }

  std::vector<Route> routes_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

FetchContext context(const std::string& provider, const std::string& base, const Http& http) {
  FetchContext ctx;
  ctx.provider = provider;
  ctx.base_url = base;
  ctx.token = "t";
  ctx.http = &http;
  ctx.now = 42;
  return ctx;
}

const Offer& find(const std::vector<Offer>& offers, const std::string& type, const std::string& region) {
  for (const auto& o : offers)
    if (o.instance_type == type && o.region == region) return o;
  FAIL("no offer " << type << " in " << region);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("linode: follows page/pages and expands region_prices") {
  Replay r;
  Http http(5);
  auto offers = fetch_linode(context("linode", r.base() + "/linode/v4", http));
  CHECK(offers.size() == 6);
  CHECK(*find(offers, "g6-nanode-1", "br-gru").on_demand == doctest::Approx(0.0105));
  CHECK(find(offers, "g1-gpu-rtx6000-1", "global").gpu_model == "RTX6000");
  CHECK(find(offers, "g6-dedicated-8", "global").memory_gib == 16);
  CHECK(r.requests == std::vector<std::string>{"/linode/v4/linode/types?page=1", "/linode/v4/linode/types?page=2"});
}

TEST_CASE("vultr: cursor paging, one offer per location, GPU share from VRAM") {
  Replay r;
  Http http(5);
  auto offers = fetch_vultr(context("vultr", r.base() + "/vultr/v2", http));
  CHECK(offers.size() == 5);
  const auto& a100 = find(offers, "vcg-a100-1c-6g-4vram", "ewr");
  CHECK(*a100.on_demand == doctest::Approx(0.123));
  CHECK(a100.gpu_count == doctest::Approx(0.05));
  CHECK(find(offers, "vcg-l40s-16c-180g-48vram", "ord").gpu_count == 1);
  CHECK(*find(offers, "vc2-1c-1gb", "ams").on_demand == doctest::Approx(5.0 / 730));
}

TEST_CASE("digitalocean: links.pages.next, gpu_info, unavailable sizes dropped") {
  Replay r;
  Http http(5);
  auto offers = fetch_digitalocean(context("digitalocean", r.base() + "/do/v2", http));
  CHECK(offers.size() == 5);
  const auto& h8 = find(offers, "gpu-h100x8-640gb", "nyc2");
  CHECK(h8.gpu_count == 8);
  CHECK(h8.gpu_model == "H100");
  CHECK(*h8.on_demand == doctest::Approx(23.92));
}

TEST_CASE("hetzner: string prices per location, currency from /pricing, specs from paged /server_types") {
  Replay r;
  Http http(5);
  auto offers = fetch_hetzner(context("hetzner", r.base() + "/hetzner/v1", http));
  CHECK(offers.size() == 3);
  const auto& ccx = find(offers, "ccx63", "fsn1");
  CHECK(ccx.currency == "EUR");
  CHECK(*ccx.on_demand == doctest::Approx(0.573));
  CHECK(ccx.vcpus == 48);
  CHECK(ccx.memory_gib == 192);
}

TEST_CASE("azure: NextPageLink, spot meters merged, Windows/Low Priority/DevTest skipped") {
  Replay r;
  Http http(5);
  auto offers = fetch_azure(context("azure", r.base() + "/azure/api/retail/prices", http));
  CHECK(offers.size() == 5);
  const auto& nd = find(offers, "Standard_ND96isr_H100_v5", "eastus");
  CHECK(*nd.on_demand == doctest::Approx(98.32));
  CHECK(*nd.spot == doctest::Approx(39.33));
  CHECK(nd.gpu_count == 8);
  const auto& d4 = find(offers, "Standard_D4s_v5", "eastus");
  CHECK(*d4.spot == doctest::Approx(0.0211));
  CHECK(d4.vcpus == 4);
  CHECK(*find(offers, "Standard_NC24ads_A100_v4", "westeurope").on_demand == doctest::Approx(4.409));
}

TEST_CASE("azure: constrained-core sizes count the vCPUs after the dash; sizes outside the table have unknown memory") {
  Replay r;
  Http http(5);
  auto offers = fetch_azure(context("azure", r.base() + "/azure/api/retail/prices", http));
  const auto& constrained = find(offers, "Standard_E16-4s_v3", "eastus");
  CHECK(constrained.vcpus == 4);
  CHECK_FALSE(constrained.memory_gib);
  CHECK(find(offers, "Standard_E16s_v3", "eastus").vcpus == 16);
  CHECK_FALSE(find(offers, "Standard_D4s_v5", "eastus").memory_gib);
  CHECK(to_json(constrained)["memory_gib"].is_null());
  CHECK(find(offers, "Standard_ND96isr_H100_v5", "eastus").memory_gib == 1900);
}

TEST_CASE("aws: offer index, region files streamed, spot feed merged with old region names") {
  Replay r;
  Http http(5);
  setenv("ORCH_PRICING_AWS_SPOT_URL", (r.base() + "/spot.js").c_str(), 1);
  auto offers = fetch_aws(context("aws", r.base(), http));
  unsetenv("ORCH_PRICING_AWS_SPOT_URL");
  const auto& p5 = find(offers, "p5.48xlarge", "us-east-1");
  CHECK(*p5.on_demand == doctest::Approx(98.32));
  CHECK_FALSE(p5.spot);
  CHECK(p5.memory_gib == 2048);
  CHECK(*find(offers, "m5.large", "us-east-1").spot == doctest::Approx(0.035));
  CHECK(*find(offers, "g5.xlarge", "eu-west-1").spot == doctest::Approx(0.4));
  const auto& g6 = find(offers, "g6.xlarge", "ap-south-1");  // spot only: its region's file was not fetched
  CHECK_FALSE(g6.on_demand);
  CHECK(g6.gpu_model == "L4");
  // c5.large's only non-zero price dimension is an upfront fee ("unit": "Quantity"): not an hourly price.
  for (const auto& o : offers) CHECK(o.instance_type != "c5.large");
  CHECK(offers.size() == 4);
}

TEST_CASE("lambda, runpod, vast, ovh") {
  Replay r;
  Http http(5);
  auto lambda = fetch_lambda(context("lambda", r.base() + "/lambda", http));
  CHECK(lambda.size() == 3);
  CHECK(*find(lambda, "gpu_1x_h100_pcie", "us-west-1").on_demand == doctest::Approx(2.49));
  CHECK(find(lambda, "gpu_8x_a100_80gb_sxm4", "no-capacity").gpu_model == "A100-80GB-SXM4");

  auto runpod = fetch_runpod(context("runpod", r.base() + "/runpod/graphql", http));
  CHECK(runpod.size() == 4);
  const auto& h100 = find(runpod, "NVIDIA H100 80GB HBM3", "community-cloud");
  CHECK(*h100.on_demand == doctest::Approx(2.69));
  CHECK_FALSE(h100.spot);
  CHECK(h100.gpu_model == "H100-SXM");

  auto vast = fetch_vast(context("vast", r.base() + "/vast", http));
  CHECK(vast.size() == 2);
  const auto& v = find(vast, "offer-1234567", "Texas, US");
  CHECK(v.gpu_model == "RTX4090");
  CHECK(*v.spot == doctest::Approx(0.41));

  auto ovh = fetch_ovh(context("ovh", r.base() + "/ovh", http));
  CHECK(ovh.size() == 3);
  const auto& h = find(ovh, "h100-380", "GRA11");
  CHECK(*h.on_demand == doctest::Approx(2.8));
  CHECK(h.currency == "EUR");
  CHECK(h.gpu_count == 1);
}

TEST_CASE("oracle: follows the next link, prices GPU shapes by GPU count and composes flexible shapes") {
  Replay r;
  Http http(5);
  auto offers = fetch_oracle(context("oracle", r.base() + "/oracle/cetools/api/v1", http));
  CHECK(r.requests ==
        std::vector<std::string>{"/oracle/cetools/api/v1/products/", "/oracle/cetools/api/v1/products/?offset=8"});
  // 8 GPU shapes (MI300X has no shape in the table) and 4 sizes each of E4, E5 and A1 (X9 has no memory part).
  CHECK(offers.size() == 20);
  for (const auto& o : offers) {
    CHECK(o.region == "global");
    CHECK(o.currency == "USD");
  }
  const auto& h100 = find(offers, "BM.GPU.H100.8", "global");
  CHECK(*h100.on_demand == doctest::Approx(80));
  CHECK(h100.gpu_model == "H100");
  CHECK(h100.gpu_count == 8);
  CHECK(h100.vcpus == 224);
  CHECK(*find(offers, "BM.GPU4.8", "global").on_demand == doctest::Approx(24.4));
  CHECK(find(offers, "BM.GPU.A100-v2.8", "global").gpu_model == "A100-80GB");
  CHECK(*find(offers, "BM.GPU.A100-v2.8", "global").on_demand == doctest::Approx(32));
  CHECK(*find(offers, "VM.GPU.A10.1", "global").on_demand == doctest::Approx(2));  // en dashes in its name
  CHECK(*find(offers, "BM.GPU.A10.4", "global").on_demand == doctest::Approx(8));
  const auto& e4 = find(offers, "VM.Standard.E4.Flex-4ocpu-64gb", "global");
  CHECK(*e4.on_demand == doctest::Approx(4 * 0.025 + 64 * 0.0015));
  CHECK(e4.vcpus == 8);
  CHECK(e4.memory_gib == 64);
  CHECK(e4.gpu_count == 0);
  CHECK(e4.source.find("composed") != std::string::npos);
  CHECK(e4.source.find("B93113") != std::string::npos);
  // A1's first OCPU-hours and GB-hours are free; the tier beyond them is the price.
  const auto& a1 = find(offers, "VM.Standard.A1.Flex-1ocpu-16gb", "global");
  CHECK(*a1.on_demand == doctest::Approx(0.01 + 16 * 0.0015));
  CHECK(a1.vcpus == 1);
  for (const auto& o : offers) {
    CHECK(o.instance_type.find("X9") == std::string::npos);
    CHECK(o.instance_type.find("Standard3") == std::string::npos);
  }
}

TEST_CASE("garbage and slow answers become errors of the right kind") {
  Replay r;
  Http http(0.5);
  try {
    fetch_linode(context("linode", r.base() + "/garbage", http));
    FAIL("garbage accepted");
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::Unavailable);
    CHECK(std::string(e.what()).find("did not answer JSON") != std::string::npos);
  }
  try {
    fetch_linode(context("linode", r.base() + "/slow", http));
    FAIL("slow answer accepted");
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::Timeout);
  }
  try {
    fetch_linode(context("linode", r.base() + "/nothing-here", http));
    FAIL("404 accepted");
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::NotFound);
  }
}

TEST_CASE("refresh: one provider failing leaves the others saved") {
  Replay r;
  auto dir = std::filesystem::temp_directory_path() / ("orch-pricing-unit-" + std::to_string(::getpid()));
  Store store(dir);
  setenv("ORCH_PRICING_LINODE_URL", (r.base() + "/garbage").c_str(), 1);
  setenv("ORCH_PRICING_VULTR_URL", (r.base() + "/vultr/v2").c_str(), 1);
  setenv("ORCH_PRICING_HETZNER_URL", (r.base() + "/hetzner/v1").c_str(), 1);
  unsetenv("HCLOUD_TOKEN");
  RefreshOptions opt;
  opt.providers = {"linode", "vultr", "hetzner", "gcp"};
  opt.timeout_s = 2;
  auto results = refresh(store, opt, 100);
  unsetenv("ORCH_PRICING_LINODE_URL");
  unsetenv("ORCH_PRICING_VULTR_URL");
  unsetenv("ORCH_PRICING_HETZNER_URL");
  REQUIRE(results.size() == 4);
  CHECK(results[0].status == SourceResult::Status::Failed);
  CHECK(results[0].kind == orch::ErrorKind::Unavailable);
  CHECK(results[1].status == SourceResult::Status::Ok);
  CHECK(results[1].offers == 5);
  CHECK(results[2].status == SourceResult::Status::Failed);
  CHECK(results[2].message.find("HCLOUD_TOKEN") != std::string::npos);
  CHECK(results[3].status == SourceResult::Status::Failed);
  auto snaps = store.load_all();
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0].origin == "vultr");
  CHECK(store.history().empty() == false);
  std::filesystem::remove_all(dir);
}
