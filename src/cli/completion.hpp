#pragma once
#include <string>

#include "cli/describe.hpp"

namespace orch::cli {

// The completion script for "bash", "zsh" or "fish", from the command table and each command's options.
std::string completion_script(const std::string& shell);

// The manual page (roff, man(7) macros) from the same source.
std::string manpage(const CommandSpec& all);

}  // namespace orch::cli
