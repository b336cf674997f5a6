#pragma once
#include <string>

#include "core/sandbox/run.hpp"

namespace orch::cli {

// Reads `orch run -f LOCAL[:REMOTE]`: the local file's contents, its path under /workspace, and its mode.
sandbox::FileInput read_file_spec(const std::string& spec);

}  // namespace orch::cli
