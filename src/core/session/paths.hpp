#pragma once
#include <string>
#include <string_view>

namespace orch::session {

inline constexpr const char* kWorkspace = "/workspace";

// Turns what a caller names ("data/x.csv", "/workspace/data/x.csv", "./a//b") into a clean path
// relative to /workspace, or throws orch::Error(BadInput) saying why: NUL bytes, "..", absolute
// paths elsewhere, over-long names. "" means /workspace itself and is only allowed with allow_root.
// Symbolic links are checked inside the sandbox, where they live (see files.cpp).
std::string workspace_relative(std::string_view path, bool allow_root);

// A path in a sandbox as E2B's agent reads it: absolute as given; "", "~" and "~/..." at `home`;
// anything else relative to `home` ("~name" is a name like any other).
std::string under_home(const std::string& path, const std::string& home);

}  // namespace orch::session
