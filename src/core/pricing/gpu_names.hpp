#pragma once
#include <string>
#include <string_view>

namespace orch::pricing {

// "NVIDIA GeForce RTX 4090" -> "RTX4090", "nvidia_h100" -> "H100", "A100 80GB" -> "A100-80GB".
std::string canonical_gpu(std::string_view raw);

// Whether a GPU model answers a user's --gpu: the first word must be equal and the user's other words present,
// so "A100" matches "A100-80GB" but "A10" does not match "A100", and "L4" does not match "L40S".
bool gpu_matches(std::string_view model, std::string_view wanted);

// What the instance type name alone tells about a machine, from the table in machines.cpp.
struct KnownMachine {
  const char* provider;
  const char* instance_type;
  const char* gpu_model;
  double gpu_count;
  double vcpus;
  double memory_gib;
};
const KnownMachine* known_machine(std::string_view provider, std::string_view instance_type);

// GPU model of an AWS instance family ("p5.48xlarge" -> "H100"), or "" when the family has no GPU we know.
std::string aws_family_gpu(std::string_view instance_type);

// GPUs built into a GCP machine type ("a2-highgpu-1g" -> 1x A100, "a3-highgpu-8g" -> 8x H100,
// "g2-standard-24" -> 2x L4); count 0 when the type has none.
struct GpuShape {
  std::string model;
  double count = 0;
};
GpuShape gcp_family_gpu(std::string_view machine_type);

}  // namespace orch::pricing
