#include "core/pricing/gpu_names.hpp"

#include <cctype>
#include <sstream>
#include <vector>

namespace orch::pricing {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool all_alpha(const std::string& s) {
  for (char c : s)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      cur += c;
    } else if (!cur.empty()) {
      words.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

}  // namespace

std::string canonical_gpu(std::string_view raw) {
  std::vector<std::string> words;
  for (auto& w : split_words(upper(raw)))
    if (w != "NVIDIA" && w != "TESLA" && w != "GEFORCE") words.push_back(w);
  // "RTX A6000" is sold and searched for as "A6000".
  if (words.size() > 1 && words[0] == "RTX" && std::isalpha(static_cast<unsigned char>(words[1][0])))
    words.erase(words.begin());
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    // "RTX 4090" is one model name written in two words.
    bool glue = i > 0 && all_alpha(words[i - 1]) && std::isdigit(static_cast<unsigned char>(words[i][0])) &&
                (i == 1 || out.find('-') == std::string::npos);
    if (i > 0 && !glue) out += '-';
    out += words[i];
  }
  return out;
}

bool gpu_matches(std::string_view model, std::string_view wanted) {
  auto m = split_words(canonical_gpu(model));
  auto w = split_words(canonical_gpu(wanted));
  if (w.empty()) return true;
  if (m.empty() || m[0] != w[0]) return false;
  for (size_t i = 1; i < w.size(); ++i) {
    bool found = false;
    for (size_t j = 1; j < m.size(); ++j) found = found || m[j] == w[i];
    if (!found) return false;
  }
  return true;
}

std::string aws_family_gpu(std::string_view instance_type) {
  // Family -> GPU, from the AWS accelerated-computing instance pages.
  static const std::pair<const char*, const char*> kFamilies[] = {
      {"p5", "H100"},  {"p5e", "H200"},      {"p5en", "H200"}, {"p4d", "A100"}, {"p4de", "A100-80GB"},
      {"p3", "V100"},  {"p3dn", "V100-32GB"}, {"p2", "K80"},    {"g5", "A10G"}, {"g6", "L4"},
      {"g6e", "L40S"}, {"g4dn", "T4"},       {"g5g", "T4G"},   {"g3", "M60"},  {"g3s", "M60"},
  };
  auto dot = instance_type.find('.');
  if (dot == std::string_view::npos) return "";
  auto family = instance_type.substr(0, dot);
  for (const auto& [f, gpu] : kFamilies)
    if (family == f) return gpu;
  return "";
}

GpuShape gcp_family_gpu(std::string_view type) {
  // Accelerator-optimized families, from GCP's machine family documentation: the name ends in "-<N>g".
  static const std::pair<const char*, const char*> kFamilies[] = {
      {"a2-highgpu-", "A100"}, {"a2-megagpu-", "A100"}, {"a2-ultragpu-", "A100-80GB"}, {"a3-highgpu-", "H100"},
      {"a3-megagpu-", "H100"}, {"a3-edgegpu-", "H100"}, {"a3-ultragpu-", "H200"},      {"a4-highgpu-", "B200"},
  };
  for (const auto& [prefix, gpu] : kFamilies) {
    std::string_view p(prefix);
    if (type.substr(0, p.size()) != p || type.size() < p.size() + 2 || type.back() != 'g') continue;
    auto digits = type.substr(p.size(), type.size() - p.size() - 1);
    if (digits.find_first_not_of("0123456789") != std::string_view::npos) continue;
    return {gpu, std::stod(std::string(digits))};
  }
  // G2: one L4 up to 16 and at 32 vCPUs, two at 24, four at 48, eight at 96.
  static const std::pair<const char*, double> kG2[] = {{"g2-standard-4", 1},  {"g2-standard-8", 1},  {"g2-standard-12", 1},
                                                       {"g2-standard-16", 1}, {"g2-standard-24", 2}, {"g2-standard-32", 1},
                                                       {"g2-standard-48", 4}, {"g2-standard-96", 8}};
  for (const auto& [name, n] : kG2)
    if (type == name) return {"L4", n};
  return {};
}

}  // namespace orch::pricing
