#pragma once
#include <atomic>
#include <string>
#include <vector>

#include "core/sandbox/run.hpp"

namespace orch::sandbox {

// The command a pooled container starts with: the language's interpreter already running a small
// runner (src/assets/warm/) that waits on stdin for a "run" frame (session/protocol.hpp) with a
// tar holding the files and .orch/run.json (argv, command, env, token, linger_s) and .orch/run.sh
// (the same for the shell runner).
std::vector<std::string> warm_command(const templates::Language& lang);
// What a warm runner reads to run `plan` (the "run" frame with the tar), before the program's stdin;
// `token` marks the end of its output. After its end mark the runner waits up to `linger_s` seconds
// before it exits (orch removes the sandbox first: see run_warm), with direct output only until
// orch closes the socket the request came over.
std::string warm_request(const RunPlan& plan, const std::string& token, int linger_s);
// The sandbox a pooled run of `t` gets: the template's limits, the pool's runtime.
engine::SandboxSpec pool_spec(const templates::Template& t, const std::string& runtime, const std::string& id);
// Whether a plan can use a warm sandbox of its template (default language, limits, network, no --out).
bool fits_warm(const RunPlan& plan, const std::string& runtime);

// Starts one pooled sandbox of `t` and returns once its runner has answered (the interpreter is up).
// With `direct` (the engine runs on this host), python's output is set up to bypass the engine;
// `direct` is cleared when the engine cannot mount the directory that needs.
Started prepare_warm(engine::Engine& engine, const templates::Template& t, const std::string& runtime, std::atomic<bool>& direct);

class Pool;
// Runs a plan in a warm sandbox taken from `pool`, which then removes it in the background.
RunResult run_warm(engine::Engine& engine, Pool& pool, Started st, const RunPlan& plan, Observer& observer);

}  // namespace orch::sandbox
