#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/pricing/catalog_import.hpp"

using namespace orch::pricing;

namespace {

std::string fixture(const std::string& rel) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../fixtures/pricing" / rel;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Offer* find(const Snapshot& s, const std::string& type, const std::string& region) {
  for (const auto& o : s.offers)
    if (o.instance_type == type && o.region == region) return &o;
  return nullptr;
}

}  // namespace

TEST_CASE("SkyPilot GCP: GPU rows are priced with their n1-highmem host VM from the same region") {
  std::vector<std::string> warnings;
  auto s = parse_catalog(fixture("catalogs/v8/gcp/vms.csv"), "/x/catalogs/v8/gcp/vms.csv", "", 5000, &warnings);
  CHECK(s.format == "skypilot");
  const auto* t4 = find(s, "n1-highmem-8+1xT4", "us-central1");
  REQUIRE(t4);
  CHECK(t4->provider == "gcp");
  CHECK(*t4->on_demand == doctest::Approx(0.35 + 0.473212));
  CHECK(*t4->spot == doctest::Approx(0.14 + 0.100));
  CHECK(t4->vcpus == 8);
  CHECK(t4->memory_gib == 52);
  CHECK(t4->gpu_model == "T4");
  const auto* t4x2 = find(s, "n1-highmem-16+2xT4", "us-central1");
  REQUIRE(t4x2);
  CHECK(*t4x2->on_demand == doctest::Approx(0.7 + 0.946424));
  CHECK(t4x2->gpu_count == 2);
  // The V100 in europe-west4 has no host priced there: skipped, and said so.
  CHECK(find(s, "n1-highmem-8+1xV100", "europe-west4") == nullptr);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("1 GPU rows skipped") == 0);
  const auto* a3 = find(s, "a3-highgpu-8g", "us-central1");
  REQUIRE(a3);
  CHECK(a3->gpu_count == 8);
  CHECK_FALSE(a3->spot);
  // Zones collapse into their region.
  int hosts = 0;
  for (const auto& o : s.offers) hosts += o.instance_type == "n1-highmem-8";
  CHECK(hosts == 1);
}

TEST_CASE("SkyPilot AWS and Lambda: columns by name, lowest price across zones, blank spot stays blank") {
  auto aws = parse_catalog(fixture("catalogs/v8/aws/vms.csv"), "catalogs/v8/aws/vms.csv", "", 1, nullptr);
  const auto* p5 = find(aws, "p5.48xlarge", "us-east-1");
  REQUIRE(p5);
  CHECK(p5->provider == "aws");
  CHECK(*p5->on_demand == doctest::Approx(98.32));
  CHECK(*p5->spot == doctest::Approx(38.5));
  CHECK(p5->memory_gib == 2048);
  CHECK_FALSE(find(aws, "p4d.24xlarge", "us-east-1")->spot);
  CHECK(find(aws, "m5.large", "us-east-1")->gpu_model.empty());

  auto lambda = parse_catalog(fixture("catalogs/v8/lambda/vms.csv"), "vms.csv", "lambda", 1, nullptr);
  const auto* a100 = find(lambda, "gpu_8x_a100_80gb_sxm4", "us-east-1");
  REQUIRE(a100);
  CHECK(a100->gpu_model == "A100-80GB");
  CHECK(*a100->on_demand == doctest::Approx(14.32));
  CHECK_THROWS_AS(parse_catalog(fixture("catalogs/v8/lambda/vms.csv"), "vms.csv", "", 1, nullptr), orch::Error);
}

TEST_CASE("orch's own CSV and JSON exports import back, keeping their fetch times") {
  std::string csv =
      "provider,instance_type,gpu_model,gpu_count,vcpus,memory_gib,region,on_demand,spot,currency,source,fetched_at\n"
      "lambda,gpu_1x_h100_pcie,H100,1,26,200,us-east-1,2.49,,USD,mirror,2020-01-02T03:04:05Z\n"
      "hetzner,cx22,,0,2,4,fsn1,0.006,,EUR,,\n";
  auto s = parse_catalog(csv, "/tmp/x.csv", "", 2000000000, nullptr);
  CHECK(s.format == "orch-csv");
  REQUIRE(s.offers.size() == 2);
  CHECK(s.fetched_at == 1577934245);  // as old as its oldest price
  CHECK(s.offers[1].fetched_at == 2000000000);
  CHECK(s.offers[1].currency == "EUR");
  CHECK(s.offers[1].source == "/tmp/x.csv");

  nlohmann::json j = {{"offers", nlohmann::json::array({{{"provider", "vast"}, {"instance_type", "offer-1"},
                                                          {"on_demand", 0.5}, {"region", "US"}, {"price", 0.5}}})}};
  auto js = parse_catalog(j.dump(), "x.json", "", 7, nullptr);
  CHECK(js.format == "orch-json");
  CHECK(*js.offers.at(0).on_demand == 0.5);
  CHECK_THROWS_AS(parse_catalog("[{\"provider\": \"nimbus\", \"instance_type\": \"x\"}]", "x.json", "", 7, nullptr),
                  orch::Error);
  CHECK_THROWS_AS(parse_catalog("hello,world\n1,2\n", "x.csv", "", 7, nullptr), orch::Error);
  CHECK_THROWS_AS(parse_catalog("  \n", "x.csv", "", 7, nullptr), orch::Error);
}

TEST_CASE("SkyPilot GCP: A2, A3 and G2 machine types carry their GPUs; TPUs and the 700.0 placeholder are no offers") {
  std::vector<std::string> warnings;
  auto s = parse_catalog(fixture("skypilot/gcp-vms.csv"), "/x/vms.csv", "gcp", 5000, &warnings);
  struct Want {
    const char* type;
    const char* gpu;
    double count;
  };
  for (auto w : {Want{"a2-highgpu-1g", "A100", 1}, Want{"a2-highgpu-8g", "A100", 8}, Want{"a2-ultragpu-1g", "A100-80GB", 1},
                 Want{"a3-highgpu-8g", "H100", 8}, Want{"a3-megagpu-8g", "H100", 8}, Want{"g2-standard-4", "L4", 1},
                 Want{"g2-standard-24", "L4", 2}, Want{"n2-standard-8", "", 0}}) {
    CAPTURE(w.type);
    const auto* o = find(s, w.type, "us-central1");
    REQUIRE(o);
    CHECK(o->gpu_model == w.gpu);
    CHECK(o->gpu_count == w.count);
  }
  for (const auto& o : s.offers) {
    CAPTURE(o.instance_type);
    CHECK(o.instance_type.find("TPU") == std::string::npos);
    CHECK(o.instance_type.find("tpu") == std::string::npos);
    CHECK(o.instance_type.find("P100") == std::string::npos);  // priced only with the placeholder
    CHECK((!o.on_demand || *o.on_demand < 700));
  }
  CHECK(find(s, "n1-highmem-8+1xT4", "us-central1"));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "3 TPU rows skipped: TPUs are not GPUs");
}

TEST_CASE("a CSV of offers under other column names imports, and counts the rows without a price") {
  std::vector<std::string> warnings;
  auto s = parse_catalog(fixture("sheets/gpu-prices.csv"), "/x/gpu-prices.csv", "", 5000, &warnings);
  CHECK(s.format == "csv");
  CHECK(s.offers.size() == 6);
  CHECK(s.unpriced_rows == 1);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("1 rows have no price") == 0);
  const auto* p4d = find(s, "p4d.24xlarge", "us-east-1");
  REQUIRE(p4d);
  CHECK(p4d->gpu_model == "A100");
  CHECK(p4d->gpu_count == 8);
  CHECK(*p4d->on_demand == doctest::Approx(32.7726));
  CHECK(*p4d->spot == doctest::Approx(11.5));
  CHECK(p4d->memory_gib == 1152);
  CHECK_FALSE(p4d->attachment);
  const auto* gpu_only = find(s, "nvidia-tesla-a100", "us-central1");
  REQUIRE(gpu_only);
  CHECK(gpu_only->attachment);
  CHECK_FALSE(find(s, "a2-highgpu-8g", "us-central1")->attachment);
  CHECK_FALSE(find(s, "gpu_1x_a100_sxm4", "us-east-1")->memory_gib == std::nullopt);
}

TEST_CASE("a CSV of offers with no price column is refused, naming the columns orch reads") {
  try {
    parse_catalog(fixture("sheets/unknown-columns.csv"), "/x/unknown-columns.csv", "", 5000, nullptr);
    FAIL("no error");
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::BadInput);
    std::string m = e.what();
    CHECK(m.find("cost_per_hr") != std::string::npos);
    for (const char* name : {"price", "price_hourly", "price_hourly_usd", "on_demand", "spot_price", "spot_price_hourly_usd"})
      CHECK(m.find(name) != std::string::npos);
  }
}

TEST_CASE("SkyPilot cloud folder names map to orch provider names") {
  CHECK(provider_from_skypilot_cloud("oci") == "oracle");
  CHECK(provider_from_skypilot_cloud("do") == "digitalocean");
  CHECK(provider_from_skypilot_cloud("gcp") == "gcp");
  CHECK(provider_from_skypilot_cloud("kubernetes") == "");
}
