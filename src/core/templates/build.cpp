#include "core/templates/build.hpp"

#include "core/util/tar.hpp"

namespace orch::templates {

void build(docker::Client& client, const Template& t, const std::function<void(const std::string&)>& on_line) {
  tar::Writer w;
  for (const auto& [path, data] : t.files) w.add_file(path, data, 0644);
  std::string pending;
  client.build_image(w.finish(), t.image, {{"orch.template", t.name}}, [&](const nlohmann::json& j) {
    std::string text = j.value("stream", "");
    if (text.empty() && j.contains("status")) text = j.value("status", "") + "\n";
    if (text.empty() && j.contains("error")) text = "error: " + j.value("error", "") + "\n";
    pending += text;
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  });
  if (!pending.empty()) on_line(pending);
}

bool image_present(docker::Client& client, const Template& t) { return client.inspect_image(t.image).has_value(); }

}  // namespace orch::templates
