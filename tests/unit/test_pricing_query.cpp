#include <doctest/doctest.h>

#include <cstdlib>

#include "core/error.hpp"
#include "core/pricing/query.hpp"

using namespace orch::pricing;

namespace {

Offer offer(std::string provider, std::string type, std::string gpu, double n, std::string region, double od,
            std::optional<double> spot = std::nullopt, std::string currency = "USD") {
  Offer o;
  o.provider = std::move(provider);
  o.instance_type = std::move(type);
  o.gpu_model = std::move(gpu);
  o.gpu_count = n;
  o.vcpus = n * 12;
  o.memory_gib = n * 100;
  o.region = std::move(region);
  o.on_demand = od;
  o.spot = spot;
  o.currency = std::move(currency);
  o.fetched_at = 1000;
  return o;
}

std::vector<Snapshot> sample() {
  Snapshot a{"live", "aws", "", "", 1000, {}, 0};
  a.offers = {offer("aws", "p5.48xlarge", "H100", 8, "us-east-1", 98.32, 40.0),
              offer("aws", "g5.xlarge", "A10G", 1, "eu-west-1", 1.123, 0.4), offer("aws", "m5.large", "", 0, "us-east-1", 0.096)};
  Snapshot b{"live", "lambda", "", "", 1000, {}, 0};
  b.offers = {offer("lambda", "gpu_1x_h100_pcie", "H100-PCIE", 1, "us-west-1", 2.49),
              offer("lambda", "gpu_8x_a100_80gb_sxm4", "A100-80GB-SXM4", 8, "us-east-1", 14.32)};
  Snapshot c{"live", "hetzner", "", "", 1000, {}, 0};
  c.offers = {offer("hetzner", "cx22", "", 0, "fsn1", 0.006, std::nullopt, "EUR")};
  return {a, b, c};
}

std::vector<std::string> types(const QueryResult& r) {
  std::vector<std::string> out;
  for (const auto& m : r.matches) out.push_back(m.offer.instance_type);
  return out;
}

}  // namespace

TEST_CASE("parse_filter reads every key and rejects what it does not know") {
  auto f = parse_filter({{"gpu", "H100"}, {"min_gpus", "8"}, {"provider", "aws,gcp"}, {"provider", "lambda"},
                         {"region", "us-*"}, {"spot", "true"}, {"max_price", "2.5"}, {"sort", "price-per-gpu"},
                         {"limit", "3"}, {"vcpus", "4"}, {"memory", "16"}, {"currency", "eur"}});
  CHECK(f.gpu == "H100");
  CHECK(f.min_gpus == 8);
  CHECK(f.providers == std::vector<std::string>{"aws", "gcp", "lambda"});
  CHECK(f.spot);
  CHECK(*f.max_price == 2.5);
  CHECK(f.sort == SortKey::PricePerGpu);
  CHECK(f.limit == 3);
  CHECK(f.currency == "EUR");
  CHECK_THROWS_AS(parse_filter({{"gpus_min", "8"}}), orch::Error);
  CHECK_THROWS_AS(parse_filter({{"max_price", "cheap"}}), orch::Error);
  CHECK_THROWS_AS(parse_filter({{"sort", "cost"}}), orch::Error);
  CHECK_THROWS_AS(parse_filter({{"provider", "amazon"}}), orch::Error);
  CHECK_THROWS_AS(parse_filter({{"spot", "maybe"}}), orch::Error);
  try {
    parse_filter({{"min_gpu", "1"}});
  } catch (const orch::Error& e) {
    CHECK(e.kind() == orch::ErrorKind::BadInput);
    CHECK(std::string(e.what()).find("did you mean 'min_gpus'") != std::string::npos);
  }
}

TEST_CASE("query filters by GPU, count, provider, region, price and currency") {
  auto snaps = sample();
  CHECK(types(query(snaps, parse_filter({{"gpu", "H100"}}), 1000)) ==
        std::vector<std::string>{"gpu_1x_h100_pcie", "p5.48xlarge"});
  CHECK(types(query(snaps, parse_filter({{"gpu", "A100"}, {"gpus", "8"}}), 1000)) ==
        std::vector<std::string>{"gpu_8x_a100_80gb_sxm4"});
  CHECK(types(query(snaps, parse_filter({{"min_gpus", "8"}, {"max_price", "20"}}), 1000)) ==
        std::vector<std::string>{"gpu_8x_a100_80gb_sxm4"});
  CHECK(types(query(snaps, parse_filter({{"region", "us-east-*"}, {"provider", "aws"}}), 1000)) ==
        std::vector<std::string>{"m5.large", "p5.48xlarge"});
  CHECK(types(query(snaps, parse_filter({{"vcpus", "90"}, {"memory", "790"}}), 1000)) ==
        std::vector<std::string>{"gpu_8x_a100_80gb_sxm4", "p5.48xlarge"});
  CHECK(query(snaps, Filter{}, 1000).total == 5);  // USD only by default
  CHECK(query(snaps, parse_filter({{"currency", "any"}}), 1000).total == 6);
  CHECK(types(query(snaps, parse_filter({{"currency", "EUR"}}), 1000)) == std::vector<std::string>{"cx22"});
}

TEST_CASE("query ranks by price, spot price or price per GPU, and limits") {
  auto snaps = sample();
  auto spot = query(snaps, parse_filter({{"spot", "1"}}), 1000);
  CHECK(types(spot) == std::vector<std::string>{"g5.xlarge", "p5.48xlarge"});
  CHECK(spot.matches[1].price == 40.0);
  CHECK(*spot.matches[1].price_per_gpu == 5.0);
  auto per_gpu = query(snaps, parse_filter({{"sort", "price-per-gpu"}, {"min_gpus", "1"}}), 1000);
  CHECK(types(per_gpu) ==
        std::vector<std::string>{"g5.xlarge", "gpu_8x_a100_80gb_sxm4", "gpu_1x_h100_pcie", "p5.48xlarge"});
  auto limited = query(snaps, parse_filter({{"limit", "2"}}), 1000);
  CHECK(limited.matches.size() == 2);
  CHECK(limited.total == 5);
  CHECK(limited.matches[0].offer.instance_type == "m5.large");
}

TEST_CASE("query reports each source's age and warns when one is stale") {
  auto snaps = sample();
  snaps[1].fetched_at = 0;
  unsetenv("ORCH_PRICING_MAX_AGE");
  auto r = query(snaps, Filter{}, 1000 + 86400);
  REQUIRE(r.sources.size() == 3);
  CHECK(r.sources[0].age_s == 86400);
  CHECK_FALSE(r.sources[0].stale);
  CHECK(r.sources[1].stale);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("lambda prices are 24h old") != std::string::npos);
  CHECK(r.warnings[0].find("orch pricing refresh --provider lambda") != std::string::npos);
  setenv("ORCH_PRICING_MAX_AGE", "2d", 1);
  CHECK(query(snaps, Filter{}, 1000 + 86400).warnings.empty());
  unsetenv("ORCH_PRICING_MAX_AGE");
  CHECK(query(std::vector<Snapshot>{}, Filter{}, 0).warnings.at(0).find("no prices cached yet") != std::string::npos);
}

TEST_CASE("offers whose memory or vCPUs are unknown are kept by those filters, with a warning") {
  auto snaps = sample();
  Offer azure = offer("azure", "Standard_E16-4s_v3", "", 0, "eastus", 1.008);
  azure.memory_gib.reset();
  azure.vcpus = 4;
  snaps[0].offers.push_back(azure);
  auto r = query(snaps, parse_filter({{"memory", "64"}, {"provider", "azure"}}), 1000);
  CHECK(types(r) == std::vector<std::string>{"Standard_E16-4s_v3"});
  CHECK(r.undecided == 1);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "1 offers kept although their memory is unknown (the source does not say), so the filter could not be checked");
  CHECK(to_json(r)["undecided"] == 1);
  CHECK(types(query(snaps, parse_filter({{"vcpus", "8"}, {"provider", "azure"}}), 1000)).empty());  // 4 is known
}

TEST_CASE("spot-only offers left out of an on-demand listing are counted; part-of-a-machine offers are never ranked") {
  auto snaps = sample();
  Offer spot_only = offer("aws", "g6.xlarge", "L4", 1, "ap-south-1", 0);
  spot_only.on_demand.reset();
  spot_only.spot = 0.31;
  Offer gpu_alone = offer("gcp", "nvidia-tesla-a100", "A100", 8, "us-central1", 23.47);
  gpu_alone.attachment = true;
  snaps[0].offers.push_back(spot_only);
  snaps[1].offers.push_back(gpu_alone);
  auto r = query(snaps, Filter{}, 1000);
  CHECK(r.spot_only_left_out == 1);
  CHECK(r.attachments_left_out == 1);
  CHECK(to_json(r)["left_out"]["spot_only"] == 1);
  auto cheapest = query(snaps, parse_filter({{"gpu", "A100"}, {"gpus", "8"}, {"limit", "1"}}), 1000);
  REQUIRE(cheapest.matches.size() == 1);
  CHECK(cheapest.matches[0].offer.instance_type == "gpu_8x_a100_80gb_sxm4");
  CHECK(cheapest.warnings.at(0).find("part of a machine") != std::string::npos);
  auto spot = query(snaps, parse_filter({{"gpu", "L4"}, {"spot", "1"}}), 1000);
  CHECK(types(spot) == std::vector<std::string>{"g6.xlarge"});
  CHECK(spot.spot_only_left_out == 0);
}
