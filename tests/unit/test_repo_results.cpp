#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/repo/junit.hpp"
#include "core/repo/results.hpp"
#include "core/repo/xml.hpp"

using namespace orch::repo;

TEST_CASE("xml: elements, attributes, entities, CDATA, comments and doctype") {
  auto root = xml::parse(
      "\xEF\xBB\xBF<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"boom\">]><!-- c -->"
      "<a k='v &amp; w' n=\"&#65;&#x42;\"><b>t&lt;1</b><![CDATA[<raw>]]><b/></a>");
  CHECK(root->name == "a");
  CHECK(root->attr("k") == "v & w");
  CHECK(root->attr("n") == "AB");
  CHECK(root->all("b").size() == 2);
  CHECK(root->first("b")->text == "t<1");
  CHECK(root->text == "<raw>");
}

TEST_CASE("xml: malformed input is a BadInput error, not a crash") {
  CHECK_THROWS_AS(xml::parse("<a><b></a>"), orch::Error);
  CHECK_THROWS_AS(xml::parse("<a"), orch::Error);
  CHECK_THROWS_AS(xml::parse("not xml"), orch::Error);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<d>";
  CHECK_THROWS_AS(xml::parse(deep), orch::Error);
}

TEST_CASE("xml: escape keeps documents valid whatever the bytes") {
  CHECK(xml::escape("a<b>&\"'\x01") == "a&lt;b&gt;&amp;&quot;&apos;");
  CHECK(xml::escape("x\ny", true) == "x&#10;y");
  CHECK(xml::escape("x\ny", false) == "x\ny");
  CHECK(xml::sanitize_utf8("ok\xff") == "ok\xEF\xBF\xBD");
}

TEST_CASE("junit: pytest report") {
  auto r = parse_junit(R"(<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4">
<testcase classname="test_math" name="test_add" time="0.001"/>
<testcase classname="test_math" name="test_sub" time="0.002"><failure message="assert 1 == 0">def test_sub():
&gt;   assert 1 == 0</failure></testcase>
<testcase classname="test_math" name="test_skip" time="0"><skipped type="pytest.skip" message="later">x</skipped></testcase>
<testcase classname="" name="test_math" time="0"><error message="collection failure">ImportError</error></testcase>
</testsuite></testsuites>)");
  CHECK(r.format == "junit");
  CHECK(r.counts.passed == 1);
  CHECK(r.counts.failed == 1);
  CHECK(r.counts.skipped == 1);
  CHECK(r.counts.errored == 1);
  CHECK(r.cases[1].name == "test_sub");
  CHECK(r.cases[1].message == "assert 1 == 0");
  CHECK(r.cases[1].details.find("> ") != std::string::npos);
}

TEST_CASE("junit: ctest status attributes") {
  auto r = parse_junit(R"(<testsuite><testcase name="a" classname="a" status="run"/><testcase name="b" classname="b" status="fail"><failure message="Failed"/></testcase><testcase name="c" status="disabled"/></testsuite>)");
  CHECK(r.counts.passed == 1);
  CHECK(r.counts.failed == 1);
  CHECK(r.counts.skipped == 1);
}

TEST_CASE("junit: the merged writer's output reads back with the same counts") {
  Results a;
  a.cases = {{"s", "ok", TestCase::Status::Passed, "", "", 0.5},
             {"s", "bad <one>", TestCase::Status::Failed, "boom & bust", "line1\nline2", 0.1},
             {"s", "skip", TestCase::Status::Skipped, "", "", 0}};
  a.counts = count(a.cases);
  std::vector<JunitSuite> suites = {{"repo-a", a, 1.0, "", "out\x01put"}, {"repo-b", Results{}, 0, "clone_failed: no such repo", ""}};
  std::string doc = write_junit(suites);
  auto back = parse_junit(doc);
  CHECK(back.counts.passed == 1);
  CHECK(back.counts.failed == 1);
  CHECK(back.counts.skipped == 1);
  CHECK(back.counts.errored == 1);
  CHECK(back.cases[1].name == "bad <one>");
  CHECK(back.cases[1].details == "line1\nline2");
  auto root = xml::parse(doc);
  CHECK(root->name == "testsuites");
  CHECK(root->attr("tests") == "4");
  CHECK(root->all("testsuite").size() == 2);
}

TEST_CASE("tap: node --test with nested suites, skips and YAML failures") {
  auto r = parse_tap(R"(TAP version 13
# Subtest: adds
ok 1 - adds
  ---
  duration_ms: 1.5
  ...
# Subtest: subtracts
not ok 2 - subtracts
  ---
  duration_ms: 5.8
  location: '/workspace/src/test/math.test.js:4:1'
  failureType: 'testCodeFailure'
  error: |-
    Expected values to be strictly equal:

    1 !== 0
  code: 'ERR_ASSERTION'
  ...
# Subtest: group
    # Subtest: inner ok
    ok 1 - inner ok
      ---
      duration_ms: 0.09
      ...
    # Subtest: inner skipped
    ok 2 - inner skipped # SKIP
    1..2
ok 3 - group
  ---
  type: 'suite'
  ...
1..3
# tests 4
)");
  CHECK(r.counts.passed == 2);
  CHECK(r.counts.failed == 1);
  CHECK(r.counts.skipped == 1);
  REQUIRE(r.cases.size() == 4);
  CHECK(r.cases[1].name == "subtracts");
  // Class names come from enclosing suites only, whether a test passed or failed (only failures carry a location).
  CHECK(r.cases[1].suite == r.cases[0].suite);
  CHECK(r.cases[1].suite.empty());
  CHECK(r.cases[1].details.rfind("at test/math.test.js:4:1\n", 0) == 0);
  CHECK(r.cases[1].message == "Expected values to be strictly equal: 1 !== 0");
  CHECK(r.cases[2].suite == "group");
  CHECK(r.cases[3].message == "SKIP");
  CHECK(r.cases[0].time_s == doctest::Approx(0.0015));
}

TEST_CASE("tap: plain TAP and bail out") {
  auto r = parse_tap("1..3\nok 1 - a\nnot ok 2 - b\nok 3 # skip no db\nBail out! db down\n");
  CHECK(r.cases.at(2).message == "no db");
  CHECK(r.counts.passed == 1);
  CHECK(r.counts.failed == 1);
  CHECK(r.counts.skipped == 1);
  CHECK(r.counts.errored == 1);
}

TEST_CASE("junit: a ctest failure tells what failed from the test's output") {
  auto r =
      parse_junit(R"(<testsuite><testcase name="version" classname="version" status="fail"><failure message=""/><system-out>version 0.2.5
test-version: tests/test-version.c:21: main: Assertion `major == 1' failed.
</system-out></testcase><testcase name="ok" status="run"><system-out>fine</system-out></testcase></testsuite>)");
  REQUIRE(r.cases.size() == 2);
  CHECK(r.cases[0].message == "test-version: tests/test-version.c:21: main: Assertion `major == 1' failed.");
  CHECK(r.cases[0].details.find("version 0.2.5") == 0);
  CHECK(r.cases[1].details.empty());  // a passing test's output is not a failure's details
}

TEST_CASE("tap: tape's comments name the tests, bats' diagnostics explain failures, a short plan is an error") {
  auto tape = parse_tap(R"(TAP version 13
# flag boolean default false
ok 1 should be deeply equivalent
not ok 2 should be deeply equivalent
  ---
    operator: deepEqual
    expected: |-
      { x: false }
    actual: |-
      { x: true }
    at: Test.<anonymous> (/workspace/src/test/bool.js:12:7)
  ...
# another test
ok 3 should be deeply equivalent

1..3
# tests 3
# pass  2
# fail  1
)");
  REQUIRE(tape.cases.size() == 3);
  CHECK(tape.cases[0].suite == "flag boolean default false");
  CHECK(tape.cases[1].suite == "flag boolean default false");
  CHECK(tape.cases[1].message.find("operator: deepEqual") == 0);
  CHECK(tape.cases[1].details.find("actual: |-") != std::string::npos);
  CHECK(tape.cases[2].suite == "another test");
  CHECK(tape.counts.errored == 0);

  auto bats = parse_tap(R"(1..4
ok 1 runs
not ok 2 fails loudly
# (in test file test/a.bats, line 7)
#   `[ "$status" -eq 0 ]' failed
ok 3 runs again
)");
  REQUIRE(bats.cases.size() == 4);
  CHECK(bats.cases[1].message == "`[ \"$status\" -eq 0 ]' failed");
  CHECK(bats.cases[1].details == "(in test file test/a.bats, line 7)\n`[ \"$status\" -eq 0 ]' failed");
  CHECK(bats.cases[2].suite.empty());
  CHECK(bats.cases[3].name == "TAP plan");
  CHECK(bats.cases[3].message == "the plan announced 4 tests; 3 reported");
  CHECK(bats.counts.errored == 1);
}

TEST_CASE("go test -json: leaves only, failures with output, build failures") {
  auto r = parse_go_test_json(R"({"Action":"run","Package":"ex/m","Test":"TestA"}
{"Action":"output","Package":"ex/m","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"ex/m","Test":"TestA","Elapsed":0.01}
{"Action":"run","Package":"ex/m","Test":"TestB"}
{"Action":"run","Package":"ex/m","Test":"TestB/sub1"}
{"Action":"output","Package":"ex/m","Test":"TestB/sub1","Output":"    m_test.go:12: want 3, got 4\n"}
{"Action":"fail","Package":"ex/m","Test":"TestB/sub1","Elapsed":0}
{"Action":"run","Package":"ex/m","Test":"TestB/sub2"}
{"Action":"skip","Package":"ex/m","Test":"TestB/sub2","Elapsed":0}
{"Action":"fail","Package":"ex/m","Test":"TestB","Elapsed":0}
{"Action":"fail","Package":"ex/m","Elapsed":0.2}
{"Action":"output","Package":"ex/broken","Output":"# ex/broken\nbroken.go:3:1: syntax error\n"}
{"Action":"fail","Package":"ex/broken","Elapsed":0}
not json at all
# ex/other
other.go:2:28: syntax error: unexpected }
)");
  CHECK(r.counts.passed == 1);
  CHECK(r.counts.failed == 1);
  CHECK(r.counts.skipped == 1);
  CHECK(r.counts.errored == 2);
  CHECK(r.cases[4].suite == "ex/other");
  CHECK(r.cases[4].message == "other.go:2:28: syntax error: unexpected }");
  CHECK(r.cases[1].name == "TestB/sub1");
  CHECK(r.cases[1].message == "m_test.go:12: want 3, got 4");
  CHECK(r.cases[3].suite == "ex/broken");
}

TEST_CASE("cargo test output") {
  auto r = parse_cargo_test(R"(   Compiling demo v0.1.0
     Running unittests src/lib.rs (target/debug/deps/demo-1)

running 3 tests
test tests::adds ... ok
test tests::fails ... FAILED
test tests::later ... ignored

failures:

---- tests::fails stdout ----
thread 'tests::fails' panicked at 'assertion failed: `(left == right)`', src/lib.rs:9:9

failures:
    tests::fails

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out
)");
  CHECK(r.counts.passed == 1);
  CHECK(r.counts.failed == 1);
  CHECK(r.counts.skipped == 1);
  CHECK(r.cases[1].suite == "src/lib.rs");
  CHECK(r.cases[1].message.find("panicked at") != std::string::npos);
}

TEST_CASE("python -m unittest -v output") {
  auto r = parse_unittest(R"(test_add (test_m.T.test_add) ... ok
test_doc (test_m.T.test_doc)
Adds things. ... FAIL
test_err (test_m.T.test_err) ... ERROR
test_skip (test_m.T.test_skip) ... skipped 'why'

======================================================================
ERROR: test_err (test_m.T.test_err)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "test_m.py", line 9, in test_err
ZeroDivisionError: division by zero

======================================================================
FAIL: test_doc (test_m.T.test_doc)
Adds things.
----------------------------------------------------------------------
Traceback (most recent call last):
AssertionError: 3 != 4

----------------------------------------------------------------------
Ran 4 tests in 0.001s

FAILED (failures=1, errors=1, skipped=1)
)");
  CHECK(r.counts.passed == 1);
  CHECK(r.counts.failed == 1);
  CHECK(r.counts.errored == 1);
  CHECK(r.counts.skipped == 1);
  CHECK(r.cases[0].suite == "test_m.T");
  CHECK(r.cases[2].message == "ZeroDivisionError: division by zero");
}

TEST_CASE("clip cuts on a UTF-8 boundary and says how much is gone") {
  std::string s = "a\xC3\xA9" + std::string(10, 'x');
  auto c = clip(s, 2);
  CHECK(c.rfind("a\n[...", 0) == 0);
  CHECK(clip("short", 100) == "short");
}

TEST_CASE("go test -json: a parent counts only when it fails on its own; skips keep their reason") {
  auto r = parse_go_test_json(R"({"Action":"run","Package":"ex/m","Test":"TestP"}
{"Action":"run","Package":"ex/m","Test":"TestP/fine"}
{"Action":"pass","Package":"ex/m","Test":"TestP/fine","Elapsed":0}
{"Action":"output","Package":"ex/m","Test":"TestP","Output":"    p_test.go:9: the parent's own check\n"}
{"Action":"fail","Package":"ex/m","Test":"TestP","Elapsed":0}
{"Action":"run","Package":"ex/m","Test":"TestQ"}
{"Action":"run","Package":"ex/m","Test":"TestQ/bad"}
{"Action":"fail","Package":"ex/m","Test":"TestQ/bad","Elapsed":0}
{"Action":"fail","Package":"ex/m","Test":"TestQ","Elapsed":0}
{"Action":"run","Package":"ex/m","Test":"TestS"}
{"Action":"output","Package":"ex/m","Test":"TestS","Output":"    s_test.go:3: needs a GPU\n"}
{"Action":"output","Package":"ex/m","Test":"TestS","Output":"--- SKIP: TestS (0.00s)\n"}
{"Action":"skip","Package":"ex/m","Test":"TestS","Elapsed":0}
)");
  std::vector<std::string> names;
  for (const auto& c : r.cases) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"TestP", "TestP/fine", "TestQ/bad", "TestS"});
  CHECK(r.cases[0].status == TestCase::Status::Failed);
  CHECK(r.cases[0].message == "p_test.go:9: the parent's own check");
  CHECK(r.cases[3].message == "s_test.go:3: needs a GPU");
  CHECK(r.counting.find("counted through its subtests") != std::string::npos);
}
