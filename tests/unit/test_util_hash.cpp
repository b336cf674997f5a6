#include <doctest/doctest.h>

#include "core/util/hash.hpp"

TEST_CASE("stable_hash_hex: the values stored names depend on do not change") {
  CHECK(orch::stable_hash_hex("") == "14650fb0739d0383");
  CHECK(orch::stable_hash_hex("a") == "44bd8ad473cd9906");
  CHECK(orch::stable_hash_hex("foobar") == "88fad7c0a8ff07f2");
  CHECK(orch::stable_hash_hex("foobar").size() == 16);
}
