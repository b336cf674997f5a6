#include <doctest/doctest.h>

#include "server/sessions.hpp"

using namespace orch;
using namespace orch::server;

namespace {

session::Record rec(const std::string& id, int64_t expires) {
  session::Record r;
  r.id = id;
  r.expires = expires;
  return r;
}

}  // namespace

TEST_CASE("expiry watch: a session gone after its expiry counts once; one removed before it does not") {
  ExpiryWatch w;
  CHECK(w.gone_after_expiry({rec("s-a", 100), rec("s-b", 200), rec("s-c", 150)}, 90) == 0);
  // s-a expired and went; s-b was deleted early; s-c is still there past its expiry (not yet removed).
  CHECK(w.gone_after_expiry({rec("s-c", 150)}, 160) == 1);
  CHECK(w.gone_after_expiry({rec("s-c", 150)}, 161) == 0);
  // An extended session is judged by its latest expiry.
  CHECK(w.gone_after_expiry({rec("s-c", 300)}, 170) == 0);
  CHECK(w.gone_after_expiry({}, 180) == 0);
  CHECK(w.gone_after_expiry({rec("s-d", 190)}, 185) == 0);
  CHECK(w.gone_after_expiry({}, 190) == 1);
}
