#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/docker/transport.hpp"
#include "core/error.hpp"

namespace orch::docker {

using json = nlohmann::json;

// An exec or attach stream that is live: raw socket after the HTTP upgrade.
struct AttachedStream {
  std::unique_ptr<Conn> conn;
  bool tty = false;
};

// A `wait` registered before start, so the exit cannot be missed; read the result after the output ends.
class PendingWait {
 public:
  PendingWait(std::unique_ptr<Conn> conn, ResponseHead head) : conn_(std::move(conn)), head_(std::move(head)) {}
  // Exit status of the container; throws on engine errors.
  int64_t result(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<Conn> conn_;
  ResponseHead head_;
};

struct ExecOptions {
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string workdir;
  bool attach_stdin = false;
  // How long the engine may take to create, start or report on it: an engine can hang on a
  // container whose processes are being stopped (runc's exec init runs as the container's user).
  std::chrono::milliseconds engine_timeout = std::chrono::seconds(60);
};

// Which engine answers the Docker API: settings that differ between them are chosen by it.
enum class Flavor { Docker, Podman };

// The Docker Engine API calls orch needs. Non-2xx answers become orch::Error with a kind.
class Client {
 public:
  explicit Client(std::shared_ptr<Transport> transport) : t_(std::move(transport)) {}
  static Client from_env();

  // Negotiated on first use from /_ping: min(orch's max, engine's max).
  std::string api_version();
  std::string endpoint_display() const;

  json version();  // slow on some engines (20.10 asks containerd and runc: ~20 ms)
  // Podman when the first /_ping's answer names its Libpod API (podman 4 and 5 do), else Docker.
  Flavor flavor();
  json info();
  // Asks /_ping every time (under a millisecond); returns the engine's version from the Server
  // header, or "" when the engine does not send one. Throws Unavailable when it does not answer 200.
  std::string ping();

  std::string create_container(const json& body, const std::string& name = "");
  void start(const std::string& id);
  AttachedStream attach(const std::string& id, bool with_stdin);
  PendingWait wait_next_exit(const std::string& id);
  void kill(const std::string& id, const std::string& signal = "KILL");
  // Removes with force and volumes; a container that is already gone is not an error.
  void remove(const std::string& id);
  json inspect(const std::string& id);
  std::optional<json> try_inspect(const std::string& id);
  // One sample of a container's resource use (GET /containers/{id}/stats?stream=false: the engine
  // waits about a second so CPU use has a previous sample to compare with).
  json stats(const std::string& id);
  json list_containers(const std::vector<std::string>& label_filters, bool all = true);
  void rename(const std::string& id, const std::string& new_name);

  std::string exec_create(const std::string& id, const ExecOptions& opts);
  AttachedStream exec_start(const std::string& exec_id, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  json exec_inspect(const std::string& exec_id, std::chrono::milliseconds timeout = std::chrono::seconds(60));

  std::optional<json> inspect_image(const std::string& name);
  // Builds from a context tar; each decoded progress object goes to on_progress. Throws on build errors.
  void build_image(const std::string& context_tar, const std::string& tag, const std::map<std::string, std::string>& labels,
                   const std::function<void(const json&)>& on_progress);

  // `options` are the bridge driver's (com.docker.network.bridge.*).
  std::string create_network(const std::string& name, bool internal, const std::map<std::string, std::string>& labels,
                             const std::map<std::string, std::string>& options = {});
  void remove_network(const std::string& id);
  json list_networks(const std::vector<std::string>& label_filters);

  // Volumes orch uses only for their labels (a pooled session's claim), never mounted.
  void create_volume(const std::string& name, const std::map<std::string, std::string>& labels);
  std::optional<json> inspect_volume(const std::string& name);
  void remove_volume(const std::string& name);
  json list_volumes(const std::vector<std::string>& label_filters);
  // The engine's event stream (GET /events) with these filters: the head is read, events follow on
  // the connection as long as it stays open.
  std::unique_ptr<Conn> events(const json& filters, ResponseHead& head);

  Response call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& content_type = "application/json",
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  std::string versioned(const std::string& path);
  void check(const Response& r, const std::string& what);

  std::shared_ptr<Transport> t_;
  std::string version_;
  std::optional<Flavor> flavor_;
  std::mutex mu_;
};

// Max API version orch speaks; the engine's is used when it is lower.
inline constexpr const char* kMaxApiVersion = "1.43";
std::string min_version(const std::string& a, const std::string& b);
std::string url_encode(std::string_view s);
// The Reason for a non-2xx answer with the engine's message.
Reason reason_for(int status, const std::string& message);

}  // namespace orch::docker
