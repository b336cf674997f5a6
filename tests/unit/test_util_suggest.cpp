#include <doctest/doctest.h>

#include <string>

#include "core/util/suggest.hpp"

using namespace orch;

TEST_CASE("edit_distance") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("python", "pyhton") == 2);
  CHECK(edit_distance("node", "node") == 0);
}

TEST_CASE("did_you_mean picks the closest candidate within reach") {
  std::vector<std::string> names = {"bash", "minimal", "node", "python", "python-data"};
  CHECK(did_you_mean("pyton", names) == " (did you mean 'python'?)");
  CHECK(did_you_mean("nod", names) == " (did you mean 'node'?)");
  CHECK(did_you_mean("python-dat", names) == " (did you mean 'python-data'?)");
  CHECK(did_you_mean("haskell", names) == "");
  CHECK(did_you_mean("x", {}) == "");
  CHECK(did_you_mean("mininal", names) == " (did you mean 'minimal'?)");
}
