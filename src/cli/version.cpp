#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/engine/engine.hpp"
#include "core/error.hpp"
#include "version.hpp"

namespace orch::cli {

int version_main(int argc, char** argv) {
  CLI::App app{"Print orch's version and the Docker engine's.", "version"};
  bool as_json = false;
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  auto engine = engine::engine_from_env();
  nlohmann::json out = {{"orch", ORCH_VERSION}, {"docker_host", engine->endpoint()}};
  try {
    auto info = engine->info();
    out["engine"] = {{"version", info.version}, {"api_version", info.api_version}, {"os", info.os}, {"runtimes", info.runtimes}};
  } catch (const Error& e) {
    out["engine_error"] = e.what();
  }
  if (as_json) {
    print_json(out);
  } else {
    std::cout << "orch " << ORCH_VERSION << "\n";
    if (out.contains("engine")) {
      std::cout << "engine: Docker " << out["engine"]["version"].get<std::string>() << " (API "
                << out["engine"]["api_version"].get<std::string>() << ") at " << engine->endpoint() << "\n"
                << "runtimes:";
      for (const auto& r : out["engine"]["runtimes"]) std::cout << " " << r.get<std::string>();
      std::cout << "\n";
    } else {
      std::cout << "engine: unreachable: " << out["engine_error"].get<std::string>() << "\n";
    }
  }
  return out.contains("engine") ? 0 : 125;
}

}  // namespace orch::cli
