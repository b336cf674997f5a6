#pragma once
// Helpers shared by several unit-test files.
#include <doctest/doctest.h>

#include <functional>

#include "core/error.hpp"
#include "core/templates/template.hpp"
#include "fake_daemon.hpp"

namespace orch::testing {

// The built-in templates alone (ORCH_TEMPLATES points at an empty folder while they load).
inline templates::Store builtin_templates() {
  TempDir empty;
  ScopedEnv env("ORCH_TEMPLATES", empty.path());
  return templates::Store::load();
}

// The kind of the orch::Error `f` throws; fails the test when it throws none.
inline ErrorKind error_kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no orch::Error thrown");
  return ErrorKind::Infrastructure;
}

}  // namespace orch::testing
