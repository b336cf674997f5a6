#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/sandbox/stats.hpp"
#include "core/session/record.hpp"
#include "core/session/result.hpp"

namespace orch::session {

using Owner = std::optional<std::string>;
struct CreateOptions;
struct ExecRequest;
struct FileEntry;
struct ServiceOptions;
struct GcResult;

// What `orch session` needs, from the engine directly (Manager) or through a server
// (remote::SessionClient, when ORCH_HOST is set).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Record create(const CreateOptions& o) = 0;
  virtual std::vector<Record> list(const Owner& owner = std::nullopt) = 0;
  virtual Record get(const std::string& id_or_name, const Owner& owner = std::nullopt) = 0;
  virtual void remove(const std::string& id_or_name, const Owner& owner = std::nullopt) = 0;
  virtual Record extend(const std::string& id_or_name, int64_t ttl_s, const Owner& owner = std::nullopt) = 0;
  virtual ExecResult exec(const std::string& id_or_name, const ExecRequest& req, ExecObserver& obs, const Owner& owner = std::nullopt) = 0;
  virtual void upload(const std::string& id_or_name, const std::string& path, const std::string& data, const Owner& owner = std::nullopt,
                      bool executable = false) = 0;
  virtual std::string download(const std::string& id_or_name, const std::string& path, size_t cap, const Owner& owner = std::nullopt) = 0;
  virtual std::vector<FileEntry> files(const std::string& id_or_name, const std::string& dir, bool recursive,
                                       const Owner& owner = std::nullopt) = 0;
  virtual ServiceInfo add_service(const std::string& id_or_name, const ServiceOptions& o, const Owner& owner = std::nullopt) = 0;
  virtual void remove_service(const std::string& id_or_name, const std::string& name, const Owner& owner = std::nullopt) = 0;
  // What the session's container and its services use now (CPU, memory, processes, network, disk).
  virtual std::vector<sandbox::Usage> stats(const std::string& id_or_name, const Owner& owner = std::nullopt) = 0;
  virtual GcResult gc() = 0;
};

}  // namespace orch::session
