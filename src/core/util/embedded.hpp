#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace orch {

// Files compiled into the binary at build time (templates/, kernels, the dashboard).
struct EmbeddedFile {
  std::string_view path;  // relative to the embedded root, e.g. "python/template.json"
  std::string_view data;
};

const std::vector<EmbeddedFile>& embedded_templates();
const std::vector<EmbeddedFile>& embedded_assets();
// One asset by path ("kernels/supervisor.sh"); throws orch::Error(Infrastructure) when this build lacks it.
std::string_view embedded_asset(std::string_view path);
// A program asset as it goes into a sandbox: a .py or .js one after its language's shared frame
// protocol and tar reader (lib/frames.py, lib/frames.js), the same code in kernels and warm runners.
std::string embedded_program(std::string_view path);

}  // namespace orch
