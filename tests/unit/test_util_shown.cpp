#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "core/util/shown.hpp"

using namespace orch;

TEST_CASE("shown: control characters are escapes, long text is cut at a character") {
  CHECK(shown(std::string("ab\0cd", 5)) == "ab\\x00cd");
  CHECK(shown("a\x1b[31mred\x7f") == "a\\x1b[31mred\\x7f");
  CHECK(shown("line\nnext\ttab") == "line\\nnext\\ttab");
  CHECK(shown("c1 \xc2\x9b here, \xc3\xa9 stays") == "c1 \\x9b here, \xc3\xa9 stays");
  CHECK(shown(std::string(300, 'x')) == std::string(200, 'x') + "...");
  CHECK(shown(std::string(99, 'a') + "\xc3\xa9" + "b", 100) == std::string(99, 'a') + "...");  // é not cut in two
  CHECK(shown("short", 100) == "short");
  // An error's message quoting it is whole: what() ends at the first NUL.
  Error e(ErrorKind::NotFound, "no run '" + shown(std::string("ab\0cd", 5)) + "'");
  CHECK(std::string(e.what()) == "no run 'ab\\x00cd'");
  CHECK(terminal_safe("two\nlines\tand \x1b]0;title\x07") == "two\nlines\tand \\x1b]0;title\\x07");
}
