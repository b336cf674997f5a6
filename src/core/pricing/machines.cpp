#include <string_view>

#include "core/pricing/gpu_names.hpp"

namespace orch::pricing {

namespace {

// Machines whose GPUs, vCPUs or memory the price source does not state, from each provider's public
// instance-type documentation. Prices never come from here: only the shape of the machine.
const KnownMachine kMachines[] = {
    // AWS (the offer files give vCPUs, memory and GPU count; the spot feed gives none of them).
    {"aws", "p5.48xlarge", "H100", 8, 192, 2048},
    {"aws", "p5e.48xlarge", "H200", 8, 192, 2048},
    {"aws", "p5en.48xlarge", "H200", 8, 192, 2048},
    {"aws", "p4d.24xlarge", "A100", 8, 96, 1152},
    {"aws", "p4de.24xlarge", "A100-80GB", 8, 96, 1152},
    {"aws", "p3.2xlarge", "V100", 1, 8, 61},
    {"aws", "p3.8xlarge", "V100", 4, 32, 244},
    {"aws", "p3.16xlarge", "V100", 8, 64, 488},
    {"aws", "p3dn.24xlarge", "V100-32GB", 8, 96, 768},
    {"aws", "g5.xlarge", "A10G", 1, 4, 16},
    {"aws", "g5.2xlarge", "A10G", 1, 8, 32},
    {"aws", "g5.4xlarge", "A10G", 1, 16, 64},
    {"aws", "g5.8xlarge", "A10G", 1, 32, 128},
    {"aws", "g5.16xlarge", "A10G", 1, 64, 256},
    {"aws", "g5.12xlarge", "A10G", 4, 48, 192},
    {"aws", "g5.24xlarge", "A10G", 4, 96, 384},
    {"aws", "g5.48xlarge", "A10G", 8, 192, 768},
    {"aws", "g6.xlarge", "L4", 1, 4, 16},
    {"aws", "g6.2xlarge", "L4", 1, 8, 32},
    {"aws", "g6.4xlarge", "L4", 1, 16, 64},
    {"aws", "g6.8xlarge", "L4", 1, 32, 128},
    {"aws", "g6.16xlarge", "L4", 1, 64, 256},
    {"aws", "g6.12xlarge", "L4", 4, 48, 192},
    {"aws", "g6.24xlarge", "L4", 4, 96, 384},
    {"aws", "g6.48xlarge", "L4", 8, 192, 768},
    {"aws", "g6e.xlarge", "L40S", 1, 4, 32},
    {"aws", "g6e.2xlarge", "L40S", 1, 8, 64},
    {"aws", "g6e.4xlarge", "L40S", 1, 16, 128},
    {"aws", "g6e.8xlarge", "L40S", 1, 32, 256},
    {"aws", "g6e.16xlarge", "L40S", 1, 64, 512},
    {"aws", "g6e.12xlarge", "L40S", 4, 48, 384},
    {"aws", "g6e.24xlarge", "L40S", 4, 96, 768},
    {"aws", "g6e.48xlarge", "L40S", 8, 192, 1536},
    {"aws", "g4dn.xlarge", "T4", 1, 4, 16},
    {"aws", "g4dn.2xlarge", "T4", 1, 8, 32},
    {"aws", "g4dn.4xlarge", "T4", 1, 16, 64},
    {"aws", "g4dn.8xlarge", "T4", 1, 32, 128},
    {"aws", "g4dn.16xlarge", "T4", 1, 64, 256},
    {"aws", "g4dn.12xlarge", "T4", 4, 48, 192},
    {"aws", "g4dn.metal", "T4", 8, 96, 384},
    // Azure (the Retail Prices API names the SKU and nothing else about it).
    {"azure", "Standard_ND96isr_H100_v5", "H100", 8, 96, 1900},
    {"azure", "Standard_ND96isr_H200_v5", "H200", 8, 96, 1850},
    {"azure", "Standard_ND96asr_v4", "A100", 8, 96, 900},
    {"azure", "Standard_ND96amsr_A100_v4", "A100-80GB", 8, 96, 1900},
    {"azure", "Standard_NC24ads_A100_v4", "A100-80GB", 1, 24, 220},
    {"azure", "Standard_NC48ads_A100_v4", "A100-80GB", 2, 48, 440},
    {"azure", "Standard_NC96ads_A100_v4", "A100-80GB", 4, 96, 880},
    {"azure", "Standard_NC40ads_H100_v5", "H100-NVL", 1, 40, 320},
    {"azure", "Standard_NC80adis_H100_v5", "H100-NVL", 2, 80, 640},
    {"azure", "Standard_NC4as_T4_v3", "T4", 1, 4, 28},
    {"azure", "Standard_NC8as_T4_v3", "T4", 1, 8, 56},
    {"azure", "Standard_NC16as_T4_v3", "T4", 1, 16, 110},
    {"azure", "Standard_NC64as_T4_v3", "T4", 4, 64, 440},
    {"azure", "Standard_NC6s_v3", "V100", 1, 6, 112},
    {"azure", "Standard_NC12s_v3", "V100", 2, 12, 224},
    {"azure", "Standard_NC24s_v3", "V100", 4, 24, 448},
    {"azure", "Standard_NC24rs_v3", "V100", 4, 24, 448},
    {"azure", "Standard_NV36ads_A10_v5", "A10", 1, 36, 440},
    {"azure", "Standard_NV72ads_A10_v5", "A10", 2, 72, 880},
    // Oracle (the price list prices a GPU-hour, not a shape). vCPUs are OCPUs x 2; memory is the shape's GB.
    {"oracle", "BM.GPU4.8", "A100", 8, 128, 2048},
    {"oracle", "BM.GPU.A100-v2.8", "A100-80GB", 8, 256, 2048},
    {"oracle", "BM.GPU.H100.8", "H100", 8, 224, 2048},
    {"oracle", "VM.GPU.A10.1", "A10", 1, 30, 240},
    {"oracle", "VM.GPU.A10.2", "A10", 2, 60, 480},
    {"oracle", "BM.GPU.A10.4", "A10", 4, 128, 1024},
    {"oracle", "VM.GPU3.1", "V100", 1, 12, 90},
    {"oracle", "BM.GPU3.8", "V100", 8, 104, 768},
};

}  // namespace

const KnownMachine* known_machine(std::string_view provider, std::string_view instance_type) {
  for (const auto& m : kMachines)
    if (provider == m.provider && instance_type == m.instance_type) return &m;
  return nullptr;
}

}  // namespace orch::pricing
