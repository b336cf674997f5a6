#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace orch::sandbox {

// The warm runner of every language without its own (bash, go, rust, ...), run in the sandbox as
// `orch agent shell DIR` from the read-only agent mount: it connects to orch's direct sockets in
// DIR (stdout and stderr then go there, and the requests come over the first), answers "ping"
// frames, unpacks a "run" frame's tar into $ORCH_WORKSPACE (default /workspace) and runs the
// command its .orch/run.json names in one fork and exec, its stdin left as it was. When the
// program ends, both streams end with "\x1eORCH-END-<token> <code>\x1e" (128 + the signal that
// killed it); with `linger_s` in run.json the runner then waits up to that long before it
// returns, for orch to remove the sandbox (see warm_request), or until orch closes the socket
// on stdout. With `prestart` (the command a request is expected to name: `bash main.sh`) that bash
// is started before the first ping's answer and waits in its startup for the request's arguments
// and environment; a request naming another command (or variables bash treats as its own) gets
// it killed and a fork of its own. The portable runner (assets/warm/shell.sh) does the same with
// sh, dd and tar where the agent cannot be mounted. Returns the exit code: 125 when the request
// is not one.
int shell_runner(const std::string& dir, const std::vector<std::string>& prestart = {});

// Unpacks orch's input archive into `into` as tar would for the sandbox's user (modes through the
// umask, parents made, symlinks as they are, never through one); the first copy of each .orch/
// entry is the run's description and stays in memory, in `own`. False on a malformed archive or a
// file that cannot be written, with why in `error`.
bool unpack_input(std::string_view archive, const std::string& into, std::map<std::string, std::string>& own, std::string& error);

}  // namespace orch::sandbox
