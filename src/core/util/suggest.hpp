#pragma once
#include <string>
#include <vector>

namespace orch {

// " (did you mean 'x'?)" when a candidate is close to `word` by edit distance, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace orch
