#include "core/engine/engine.hpp"

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

}  // namespace orch::engine
