#pragma once
#include "core/remote/client.hpp"
#include "core/session/manager.hpp"

namespace orch::remote {

// `orch session` through a running server (ORCH_HOST): the same calls as session::Manager, over
// /v1/sessions. Gc is the server's own business and is refused here.
class SessionClient : public session::Backend {
 public:
  explicit SessionClient(ServerAddress server) : s_(std::move(server)) {}
  session::Record create(const session::CreateOptions& o) override;
  std::vector<session::Record> list(const session::Owner& owner) override;
  session::Record get(const std::string& id, const session::Owner& owner) override;
  void remove(const std::string& id, const session::Owner& owner) override;
  session::Record extend(const std::string& id, int64_t ttl_s, const session::Owner& owner) override;
  session::ExecResult exec(const std::string& id, const session::ExecRequest& req, session::ExecObserver& obs,
                           const session::Owner& owner) override;
  void upload(const std::string& id, const std::string& path, const std::string& data, const session::Owner& owner,
              bool executable) override;
  std::string download(const std::string& id, const std::string& path, size_t cap, const session::Owner& owner) override;
  std::vector<session::FileEntry> files(const std::string& id, const std::string& dir, bool recursive,
                                        const session::Owner& owner) override;
  session::ServiceInfo add_service(const std::string& id, const session::ServiceOptions& o, const session::Owner& owner) override;
  void remove_service(const std::string& id, const std::string& name, const session::Owner& owner) override;
  std::vector<sandbox::Usage> stats(const std::string& id, const session::Owner& owner) override;
  session::GcResult gc() override;

 private:
  nlohmann::json call(const std::string& method, const std::string& path, const std::string& body = "");
  ServerAddress s_;
};

session::Record record_from_json(const nlohmann::json& j);
session::ExecResult exec_result_from_json(const nlohmann::json& j);

}  // namespace orch::remote
