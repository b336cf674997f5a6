#include <doctest/doctest.h>

#include "core/pricing/gpu_names.hpp"

using namespace orch::pricing;

TEST_CASE("canonical_gpu drops vendor words and joins model names") {
  CHECK(canonical_gpu("NVIDIA GeForce RTX 4090") == "RTX4090");
  CHECK(canonical_gpu("nvidia_h100") == "H100");
  CHECK(canonical_gpu("NVIDIA_A100") == "A100");
  CHECK(canonical_gpu("A100 80GB PCIe") == "A100-80GB-PCIE");
  CHECK(canonical_gpu("H100 SXM") == "H100-SXM");
  CHECK(canonical_gpu("RTX A6000") == "A6000");
  CHECK(canonical_gpu("Tesla V100") == "V100");
  CHECK(canonical_gpu("") == "");
}

TEST_CASE("gpu_matches: first word equal, other words present") {
  CHECK(gpu_matches("A100-80GB", "A100"));
  CHECK(gpu_matches("A100-80GB-SXM4", "a100-80gb"));
  CHECK(gpu_matches("H100-SXM", "H100"));
  CHECK(gpu_matches("RTX4090", "RTX 4090"));
  CHECK_FALSE(gpu_matches("A100", "A10"));
  CHECK_FALSE(gpu_matches("L40S", "L4"));
  CHECK_FALSE(gpu_matches("A100", "A100-80GB"));
  CHECK_FALSE(gpu_matches("H100", "H200"));
}

TEST_CASE("instance names map to GPUs through the documented table") {
  const auto* p5 = known_machine("aws", "p5.48xlarge");
  REQUIRE(p5);
  CHECK(std::string(p5->gpu_model) == "H100");
  CHECK(p5->gpu_count == 8);
  const auto* nd = known_machine("azure", "Standard_ND96isr_H100_v5");
  REQUIRE(nd);
  CHECK(nd->gpu_count == 8);
  CHECK(known_machine("aws", "m5.large") == nullptr);
  CHECK(known_machine("gcp", "p5.48xlarge") == nullptr);
  CHECK(aws_family_gpu("p4de.24xlarge") == "A100-80GB");
  CHECK(aws_family_gpu("g6e.2xlarge") == "L40S");
  CHECK(aws_family_gpu("m5.large") == "");
}
