#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/pricing/csv.hpp"
#include "core/pricing/offer.hpp"

using namespace orch::pricing;

TEST_CASE("parse_csv handles quotes, embedded commas and newlines, CRLF and a missing last newline") {
  auto rows = parse_csv("a,b,c\r\n1,\"x, \"\"y\"\"\",3\n,\"two\nlines\",\nlast,row,here");
  REQUIRE(rows.size() == 4);
  CHECK(rows[1][1] == "x, \"y\"");
  CHECK(rows[2].size() == 3);
  CHECK(rows[2][0] == "");
  CHECK(rows[2][1] == "two\nlines");
  CHECK(rows[2][2] == "");
  CHECK(rows[3][2] == "here");
}

TEST_CASE("csv_join quotes only what needs it and parses back") {
  std::vector<std::string> f = {"plain", "with,comma", "with \"quote\"", ""};
  auto line = csv_join(f);
  CHECK(line == "plain,\"with,comma\",\"with \"\"quote\"\"\",");
  CHECK(parse_csv(line)[0] == f);
}

TEST_CASE("CsvHeader finds columns by name and ignores a byte order mark") {
  CsvHeader h({"\xEF\xBB\xBFInstanceType", "Price"});
  CHECK(h.has("InstanceType"));
  CHECK(h.get({"p5.48xlarge", "98.32"}, "Price") == "98.32");
  CHECK(h.get({"p5.48xlarge"}, "Price") == "");
  CHECK(h.get({"x", "y"}, "Missing") == "");
}

TEST_CASE("offers survive JSON and CSV round trips") {
  Offer o;
  o.provider = "vast";
  o.instance_type = "offer-1";
  o.gpu_model = "RTX4090";
  o.gpu_count = 2;
  o.vcpus = 16;
  o.memory_gib = 62.5;
  o.region = "Texas, US";
  o.on_demand = 0.812;
  o.fetched_at = 1700000000;
  auto back = offer_from_json(to_json(o));
  CHECK(back.key() == o.key());
  CHECK(*back.on_demand == doctest::Approx(0.812));
  CHECK_FALSE(back.spot);
  CHECK(back.fetched_at == o.fetched_at);
  auto rows = parse_csv(to_csv({o}));
  REQUIRE(rows.size() == 2);
  CsvHeader h(rows[0]);
  CHECK(h.get(rows[1], "region") == "Texas, US");
  CHECK(h.get(rows[1], "spot") == "");
  CHECK(h.get(rows[1], "fetched_at") == "2023-11-14T22:13:20Z");
  CHECK_THROWS_AS(offer_from_json(nlohmann::json{{"provider", "aws"}}), orch::Error);
}

TEST_CASE("parse_number reads the ways sources write numbers") {
  CHECK(*parse_number("98.3200000000") == doctest::Approx(98.32));
  CHECK(*parse_number("1,152 GiB") == doctest::Approx(1152));
  CHECK(*parse_number(" 8 ") == 8);
  CHECK_FALSE(parse_number("N/A*"));
  CHECK_FALSE(parse_number(""));
  CHECK(*parse_iso_time("2020-01-02T03:04:05Z") == 1577934245);
  CHECK(format_age(90) == "90s");
  CHECK(format_age(3 * 86400) == "3d");
}
