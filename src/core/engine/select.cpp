#include <cstdlib>

#include "core/engine/docker_engine.hpp"
#include "core/error.hpp"
#include "core/kube/engine.hpp"

namespace orch::engine {

std::string backend_from_env() {
  const char* b = std::getenv("ORCH_BACKEND");
  std::string backend = b && *b ? b : "docker";
  if (backend != "docker" && backend != "kubernetes")
    throw Error(ErrorKind::BadInput, "ORCH_BACKEND '" + backend + "' is not a backend orch has (docker or kubernetes)");
  return backend;
}

std::unique_ptr<Engine> engine_from_env() {
  if (backend_from_env() == "kubernetes")
    return std::make_unique<kube::KubeEngine>(kube::load_config(), kube::pod_options_from_env());
  return DockerEngine::from_env();
}

}  // namespace orch::engine
