#include "core/engine/engine.hpp"

#include "core/error.hpp"
#include "core/util/ip.hpp"

namespace orch::engine {

namespace {
constexpr std::pair<State, const char*> kStateNames[] = {
    {State::Created, "created"}, {State::Running, "running"}, {State::Paused, "paused"},   {State::Restarting, "restarting"},
    {State::Removing, "removing"}, {State::Exited, "exited"},   {State::Dead, "dead"},       {State::Unknown, "unknown"},
};
}  // namespace

const char* state_name(State s) {
  for (const auto& [state, name] : kStateNames)
    if (state == s) return name;
  return "unknown";
}

State parse_state(const std::string& word) {
  for (const auto& [state, name] : kStateNames)
    if (word == name) return state;
  return State::Unknown;
}

std::vector<std::string> refused_ranges(const Egress& egress) {
  std::vector<std::string> out;
  for (const char* cls : {"link-local", "special", "private"}) {
    if (egress.lan && std::string(cls) == "private") continue;
    for (const auto& r : ranges_of_class(cls)) out.push_back(r.str());
  }
  return out;
}

void Engine::guard_network(const std::string&, const Egress&) {
  throw Error(ErrorKind::BadInput,
              "this backend cannot keep a networked sandbox from its host's own and link-local addresses; "
              "run without a network (--net none)");
}

void Engine::prepare(const std::function<void(const std::string&)>&) {}
void Engine::create_record(const std::string& name, const Labels&) {
  throw Error(ErrorKind::Unavailable, "engine at " + endpoint() + " keeps no records (wanted '" + name + "')");
}

std::optional<Labels> Engine::find_record(const std::string&) { return std::nullopt; }

std::vector<std::pair<std::string, Labels>> Engine::list_records(const Labels&) { return {}; }

void Engine::remove_record(const std::string&) {}

bool Engine::oom_reported(const std::string&, int64_t) { return false; }

ResourceUse Engine::usage(const std::string&) {
  throw Error(ErrorKind::Unavailable, "the " + backend_from_env() + " engine does not report what a sandbox uses");
}

std::optional<ImageInfo> Engine::image(const std::string& ref) {
  if (!image_exists(ref)) return std::nullopt;
  ImageInfo i;
  i.tags = {ref};
  return i;
}

std::vector<ImageInfo> Engine::images(const Labels&) { return {}; }

bool Engine::remove_image(const std::string&) {
  throw Error(ErrorKind::Unavailable, "the " + backend_from_env() + " engine does not remove images");
}

}  // namespace orch::engine
