#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/docker/client.hpp"
#include "core/error.hpp"
#include "version.hpp"

namespace orch::cli {

int version_main(int argc, char** argv) {
  CLI::App app{"Print orch's version and the Docker engine's.", "version"};
  bool as_json = false;
  app.add_flag("--json", as_json, "print JSON");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  auto client = docker::Client::from_env();
  nlohmann::json out = {{"orch", ORCH_VERSION}, {"docker_host", client.endpoint_display()}};
  try {
    auto v = client.version();
    out["engine"] = {{"version", v.value("Version", "")}, {"api_version", client.api_version()}, {"os", v.value("Os", "")}};
    auto info = client.info();
    nlohmann::json runtimes = nlohmann::json::array();
    nlohmann::json engine_runtimes = info.value("Runtimes", nlohmann::json::object());
    for (const auto& [name, _] : engine_runtimes.items()) runtimes.push_back(name);
    out["engine"]["runtimes"] = runtimes;
  } catch (const Error& e) {
    out["engine_error"] = e.what();
  }
  if (as_json) {
    print_json(out);
  } else {
    std::cout << "orch " << ORCH_VERSION << "\n";
    if (out.contains("engine")) {
      std::cout << "engine: Docker " << out["engine"]["version"].get<std::string>() << " (API "
                << out["engine"]["api_version"].get<std::string>() << ") at " << client.endpoint_display() << "\n"
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
