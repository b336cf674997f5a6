#pragma once

namespace orch::agent {

// The in-sandbox agent (`orch agent`, started by the host in a session's container as the
// sandbox's user): reads requests on stdin and answers on stdout (wire.hpp), runs processes in
// their own process groups with pipes for their output and stdin, and works on files. When stdin
// ends (the host went away) it kills every process group it started and exits.
int run();

}  // namespace orch::agent
