#include "core/sandbox/figures.hpp"

#include <algorithm>

#include "core/util/embedded.hpp"

namespace orch::sandbox {

namespace {

std::string_view backend_source() {
  for (const auto& f : embedded_assets())
    if (f.path == "figures/orch_figures.py") return f.data;
  return {};
}

bool has_var(const std::vector<std::string>& env, const std::string& key) {
  return std::any_of(env.begin(), env.end(), [&](const std::string& kv) { return kv.rfind(key + "=", 0) == 0; });
}

}  // namespace

void add_figure_capture(RunPlan& p, const RunOptions& o) {
  if (!p.tmpl->capture_figures || p.lang->kernel != "python" || has_var(o.env, "MPLBACKEND")) return;
  auto mentions = [](const std::string& s) { return s.find("matplotlib") != std::string::npos; };
  if (!mentions(o.code) && std::none_of(o.files.begin(), o.files.end(), [&](const FileInput& f) { return mentions(f.data); })) return;
  p.capture_figures = true;
  p.files.push_back(FileInput{".orch/orch_figures.py", std::string(backend_source()), 0644});
  std::string pythonpath = "/workspace/.orch";
  auto& env = p.spec.env;
  for (auto it = env.begin(); it != env.end();) {
    if (it->rfind("PYTHONPATH=", 0) == 0) pythonpath.append(":").append(*it, 11);
    if (it->rfind("MPLBACKEND=", 0) == 0 || it->rfind("PYTHONPATH=", 0) == 0) it = env.erase(it);
    else ++it;
  }
  env.push_back("MPLBACKEND=module://orch_figures");
  env.push_back("PYTHONPATH=" + pythonpath);
}

}  // namespace orch::sandbox
