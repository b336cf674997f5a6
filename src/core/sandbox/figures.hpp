#pragma once
#include "core/sandbox/run.hpp"

namespace orch::sandbox {

// Where a one-shot run's figures are saved inside the sandbox (writable /tmp, so a read-only workspace keeps them too).
inline constexpr const char* kFigureDir = "/tmp/orch-figures";

// On a template that captures figures, a Python program that uses matplotlib gets a backend whose
// show() saves PNGs the run returns as image/png artifacts, as a session's figures are. Other runs
// are left as they are (and stay eligible for the warm pool).
void add_figure_capture(RunPlan& plan, const RunOptions& opts);

}  // namespace orch::sandbox
