#include <doctest/doctest.h>

#include "cli/common.hpp"
#include "core/error.hpp"
#include "core/sandbox/run.hpp"

using namespace orch;

TEST_CASE("error_text: a field the core names is the flag that sets it") {
  CHECK(cli::error_text(Error::bad_field("output_limit", "must be between 1 byte and 64m")) ==
        "--output-limit must be between 1 byte and 64m");
  CHECK(cli::error_text(Error::bad_field("network", "must be none or bridge (got 'host')")) == "--net must be none or bridge (got 'host')");
  sandbox::RunOptions o;
  o.memory_bytes = 1;
  try {
    sandbox::check_run_options(o);
    FAIL("accepted 1 byte of memory");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "memory must be between 6m and 64g");
    CHECK(cli::error_text(e) == "--memory must be between 6m and 64g");
  }
}

TEST_CASE("error_text leaves other errors as they are") {
  CHECK(cli::error_text(Error(ErrorKind::NotFound, "memory of the engine is gone")) == "memory of the engine is gone");
  CHECK(cli::error_text(Error::bad_field("labels", "must be an object")) == "labels must be an object");
}
