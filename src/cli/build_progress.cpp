#include "cli/build_progress.hpp"

#include <chrono>
#include <iostream>

#include "core/templates/build.hpp"

namespace orch::cli {

void build_template(engine::Engine& engine, const templates::Template& t, bool verbose) {
  auto t0 = std::chrono::steady_clock::now();
  std::cerr << "building template " << t.name << " -> " << t.image << "\n";
  templates::build(engine, t, [&](const std::string& line) {
    if (verbose || line.rfind("Step ", 0) == 0 || line.rfind("error", 0) == 0) std::cerr << "  " << line << "\n";
  });
  auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count() / 1000.0;
  std::cerr << "built " << t.image << " in " << secs << "s\n";
}

}  // namespace orch::cli
