# orch repo: clone-and-test jobs, analysis, scanning and GitHub info, against git repositories made
# on the fly and a loopback HTTP server replaying GitHub API answers.

# Commits everything in $1 as a fresh repository.
make_repo() {
  git -C "$1" init -q -b main
  git -C "$1" add -A
  git -C "$1" -c user.name="Ada Tester" -c user.email=ada@example.com commit -qm "${2:-initial commit}"
}

# orch with its temporary clones kept in the scratch dir, so leftovers are visible.
orch_repo() {
  mkdir -p "$SCRATCH/tmp"
  TMPDIR="$SCRATCH/tmp" "$ORCH" repo "$@"
}

assert_no_leftovers() {
  local left
  left=$(ls -A "$SCRATCH/tmp" 2>/dev/null | wc -l)
  assert_eq 0 "$left" "temporary clones left behind"
}

python_repo() {  # dir: 2 passing, 1 failing, 1 skipped pytest tests
  mkdir -p "$1"
  cat > "$1/test_math.py" <<'PY'
import pytest

def test_add():
    assert 1 + 1 == 2

def test_sub():
    assert 2 - 1 == 0, "subtraction is broken"

@pytest.mark.skip(reason="not yet")
def test_later():
    pass

def test_div():
    assert 4 / 2 == 2
PY
  make_repo "$1"
}

test_python_pytest_counts_failures_and_junit() {
  scratch
  python_repo "$SCRATCH/py"
  out=$(orch_repo test "$SCRATCH/py" --json --junit "$SCRATCH/junit.xml" 2>"$SCRATCH/err")
  rc=$?
  assert_eq 1 "$rc" "exit code for failing tests"
  assert_eq failed "$(json_get "$out" repositories.0.status)"
  assert_eq pytest "$(json_get "$out" repositories.0.runner)"
  assert_eq 2 "$(json_get "$out" counts.passed)"
  assert_eq 1 "$(json_get "$out" counts.failed)"
  assert_eq 1 "$(json_get "$out" counts.skipped)"
  assert_eq 0 "$(json_get "$out" counts.errored)"
  assert_eq test_sub "$(json_get "$out" repositories.0.failures.0.name)"
  assert_contains "$(json_get "$out" repositories.0.failures.0.message)" "subtraction is broken"
  assert_contains "$(cat "$SCRATCH/err")" "testing: python3 -m pytest"
  python3 - "$SCRATCH/junit.xml" <<'PY' || fail "junit invalid"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
assert root.get("tests") == "4" and root.get("failures") == "1", root.attrib
assert root.find("testsuite").get("skipped") == "1", root.find("testsuite").attrib
cases = root.findall("./testsuite/testcase")
failed = [c.get("name") for c in cases if c.find("failure") is not None]
assert failed == ["test_sub"], failed
PY
  assert_no_leftovers
}

test_python_passing_exits_0_with_human_summary() {
  scratch
  mkdir -p "$SCRATCH/ok"
  printf 'def test_one():\n    assert True\n\ndef test_two():\n    assert "a" in "abc"\n' > "$SCRATCH/ok/test_ok.py"
  make_repo "$SCRATCH/ok"
  out=$(orch_repo test "$SCRATCH/ok" 2>/dev/null)
  assert_eq 0 $? "exit code when all pass"
  assert_contains "$out" "PASSED"
  assert_contains "$out" "2 passed, 0 failed, 0 errored, 0 skipped"
  assert_contains "$out" "1 of 1 repositories passed"
  out=$(orch_repo test "$SCRATCH/ok" --cmd 'sleep 30' --timeout 2 2>/dev/null)
  assert_eq 4 $? "a timeout means the tests could not run"
  assert_contains "$out" "timed out after 2s"
}

test_python_unittest_suite() {
  scratch
  mkdir -p "$SCRATCH/ut"
  cat > "$SCRATCH/ut/test_calc.py" <<'PY'
import unittest

class Calc(unittest.TestCase):
    def test_mul(self):
        self.assertEqual(2 * 3, 6)

    def test_bad(self):
        self.assertEqual(2 * 3, 7)

    def test_err(self):
        1 / 0
PY
  make_repo "$SCRATCH/ut"
  out=$(orch_repo test "$SCRATCH/ut" --json 2>/dev/null)
  assert_eq 1 $?
  assert_eq unittest "$(json_get "$out" repositories.0.runner)"
  assert_eq 1 "$(json_get "$out" counts.passed)"
  assert_eq 1 "$(json_get "$out" counts.failed)"
  assert_eq 1 "$(json_get "$out" counts.errored)"
  assert_contains "$out" "ZeroDivisionError"
}

test_node_test_runner_tap() {
  scratch
  mkdir -p "$SCRATCH/nd/test"
  cat > "$SCRATCH/nd/test/math.test.js" <<'JS'
const test = require('node:test');
const assert = require('node:assert');
test('adds', () => { assert.strictEqual(1 + 1, 2); });
test('subtracts', () => { assert.strictEqual(2 - 1, 0); });
test.describe('group', () => {
  test.it('inner ok', () => {});
  test.it('inner skipped', { skip: true }, () => {});
});
JS
  make_repo "$SCRATCH/nd"
  out=$(orch_repo test "$SCRATCH/nd" --json --junit "$SCRATCH/j.xml" 2>/dev/null)
  assert_eq 1 $? "exit code"
  assert_eq node-test "$(json_get "$out" repositories.0.runner)"
  assert_eq tap "$(json_get "$out" repositories.0.result_format)"
  assert_eq 2 "$(json_get "$out" counts.passed)"
  assert_eq 1 "$(json_get "$out" counts.failed)"
  assert_eq 1 "$(json_get "$out" counts.skipped)"
  assert_eq subtracts "$(json_get "$out" repositories.0.failures.0.name)"
  assert_eq "" "$(json_get "$out" repositories.0.failures.0.suite)" "a top-level test has no enclosing suite, failing or not"
  assert_contains "$(json_get "$out" repositories.0.failures.0.details)" "at test/math.test.js:"
  python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.get("tests")=="4", r.attrib' "$SCRATCH/j.xml" \
    || fail "junit invalid"
}

test_npm_test_script() {
  scratch
  mkdir -p "$SCRATCH/npm/test"
  printf '{"name":"demo","version":"1.0.0","scripts":{"test":"node --test"}}\n' > "$SCRATCH/npm/package.json"
  printf "const t=require('node:test');const a=require('node:assert');t('one',()=>a.ok(true));t('two',()=>a.ok(true));\n" \
    > "$SCRATCH/npm/test/a.test.js"
  make_repo "$SCRATCH/npm"
  out=$(orch_repo test "$SCRATCH/npm" --json 2>/dev/null)
  assert_eq 0 $? "exit code"
  assert_eq npm "$(json_get "$out" repositories.0.runner)"
  assert_eq 2 "$(json_get "$out" counts.passed)"
}

test_makefile_project() {
  scratch
  mkdir -p "$SCRATCH/mk"
  cat > "$SCRATCH/mk/calc.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int c, char** v) { (void)c; printf("%d\n", atoi(v[1]) + atoi(v[2])); return 0; }
C
  printf 'calc: calc.c\n\tcc -o calc calc.c\ntest: calc\n\t./calc 2 3 | grep -qx 5\n' > "$SCRATCH/mk/Makefile"
  make_repo "$SCRATCH/mk"
  out=$(orch_repo test "$SCRATCH/mk" --json 2>/dev/null)
  assert_eq 0 $? "passing make test"
  assert_eq "make test" "$(json_get "$out" repositories.0.command)"
  assert_eq cpp "$(json_get "$out" repositories.0.template)"
  assert_eq exit-code "$(json_get "$out" repositories.0.result_format)"
  # Break it on a branch: the failing make target is one failed case, exit 1.
  git -C "$SCRATCH/mk" checkout -q -b broken
  sed -i 's/grep -qx 5/grep -qx 6/' "$SCRATCH/mk/Makefile"
  git -C "$SCRATCH/mk" -c user.name=A -c user.email=a@x commit -qam broken
  out=$(orch_repo test "$SCRATCH/mk" --ref broken --json 2>/dev/null)
  assert_eq 1 $? "failing make test"
  assert_eq broken "$(json_get "$out" repositories.0.ref)"
  assert_eq 1 "$(json_get "$out" counts.failed)"
  assert_contains "$(json_get "$out" repositories.0.failures.0.message)" "exited with 2"
}

test_hostile_hook_and_symlinks_never_touch_the_host() {
  scratch
  mkdir -p "$SCRATCH/evil/sub"
  echo 'data' > "$SCRATCH/evil/sub/real.txt"
  echo "host secret" > "$SCRATCH/host-secret.txt"
  ln -s sub/real.txt "$SCRATCH/evil/inside"
  ln -s "$SCRATCH/host-secret.txt" "$SCRATCH/evil/absolute"
  ln -s ../../host-secret.txt "$SCRATCH/evil/sub/climb"
  mkdir -p "$SCRATCH/evil/.githooks"
  printf '#!/bin/sh\ntouch %s/pwned-committed\n' "$SCRATCH" > "$SCRATCH/evil/.githooks/post-checkout"
  chmod +x "$SCRATCH/evil/.githooks/post-checkout"
  make_repo "$SCRATCH/evil"
  # Hooks in the source repository itself, and a config pointing hooks at the committed folder.
  for h in post-checkout post-merge reference-transaction fsmonitor-watchman; do
    printf '#!/bin/sh\ntouch %s/pwned-%s\n' "$SCRATCH" "$h" > "$SCRATCH/evil/.git/hooks/$h"
    chmod +x "$SCRATCH/evil/.git/hooks/$h"
  done
  git -C "$SCRATCH/evil" config core.hooksPath .githooks
  cmd='test -L inside && cat inside && test ! -e absolute && test ! -e sub/climb && ! grep -rq "host secret" . && echo SANDBOX-OK'
  out=$(orch_repo test "$SCRATCH/evil" --cmd "$cmd" --template minimal --json 2>"$SCRATCH/err")
  assert_eq 0 $? "the command saw a safe tree: $(json_get "$out" repositories.0.output_tail)"
  assert_contains "$(json_get "$out" repositories.0.output_tail)" "SANDBOX-OK"
  assert_contains "$out" "dropped symlink absolute"
  assert_contains "$out" "dropped symlink sub/climb"
  assert_eq "" "$(ls "$SCRATCH" | grep pwned)" "a hook ran on the host"
  assert_no_leftovers
}

# A repository's submodule URLs are the repository's: one naming a path on this host (file:// or
# plain) is not fetched, even when the repository itself is a local one.
test_submodules_on_the_hosts_disk_are_not_fetched() {
  scratch
  mkdir -p "$SCRATCH/victim" "$SCRATCH/outer"
  echo "HOST-PRIVATE-DATA" > "$SCRATCH/victim/secret.txt"
  make_repo "$SCRATCH/victim"
  printf 'def test_x():\n    pass\n' > "$SCRATCH/outer/test_x.py"
  make_repo "$SCRATCH/outer"
  local n=0 url
  for url in "file://$SCRATCH/victim" "$SCRATCH/victim"; do
    git -C "$SCRATCH/outer" -c protocol.file.allow=always submodule -q add --force "$url" "sm$((++n))" >/dev/null 2>&1 || fail "submodule add $url"
  done
  git -C "$SCRATCH/outer" -c user.name=t -c user.email=t@t commit -qm subs
  out=$(orch_repo test "$SCRATCH/outer" --submodules --cmd 'cat sm1/secret.txt sm2/secret.txt' 2>&1)
  assert_eq 3 $? "the clone with host submodules fails: $out"
  assert_not_contains "$out" "HOST-PRIVATE-DATA"
  assert_contains "$out" "is not fetched"
}

test_too_large_repository_is_refused() {
  scratch
  mkdir -p "$SCRATCH/big"
  head -c 3000000 /dev/urandom > "$SCRATCH/big/blob.bin"
  echo 'def test_x(): pass' > "$SCRATCH/big/test_x.py"
  make_repo "$SCRATCH/big"
  out=$(orch_repo test "$SCRATCH/big" --max-size 1m 2>&1)
  assert_eq 3 $? "exit code for a repository over --max-size"
  assert_contains "$out" "CLONE FAILED"
  assert_contains "$out" "larger than the limit of 1"
  assert_no_leftovers
}

test_clone_failures_exit_3_and_token_is_never_printed() {
  scratch
  token=ghp_TopSecretTokenValue0123456789abcdefXY
  out=$(GITHUB_TOKEN=$token orch_repo test https://github.com/octo-org/does-not-exist --clone-timeout 20 --json 2>&1)
  assert_eq 3 $? "exit code for an unreachable repository"
  assert_not_contains "$out" "$token"
  assert_not_contains "$out" "TopSecretToken"
  assert_contains "$out" "clone_failed"
  out=$(MY_TOKEN=$token orch_repo test "https://x-access-token:$token@github.com/o/r" --token-env MY_TOKEN --clone-timeout 20 2>&1)
  assert_eq 3 $?
  assert_not_contains "$out" "TopSecretToken"
  python_repo "$SCRATCH/py"
  out=$(orch_repo test "$SCRATCH/py" --ref no-such-branch 2>&1)
  assert_eq 3 $? "exit code for a missing ref"
  assert_contains "$out" "no-such-branch"
  out=$(orch_repo test "$SCRATCH/nope" 2>&1)
  assert_eq 3 $? "exit code for a missing path"
  assert_no_leftovers
}

test_parallel_jobs_summary_and_undetectable_repo() {
  scratch
  python_repo "$SCRATCH/a"
  mkdir -p "$SCRATCH/b" && echo '# docs only' > "$SCRATCH/b/README.md" && make_repo "$SCRATCH/b"
  mkdir -p "$SCRATCH/c" && printf 'def test_ok():\n    pass\n' > "$SCRATCH/c/test_c.py" && make_repo "$SCRATCH/c"
  out=$(orch_repo test "$SCRATCH/a" "$SCRATCH/b" "$SCRATCH/c" --jobs 3 --json --junit "$SCRATCH/all.xml" 2>/dev/null)
  assert_eq 4 $? "tests that could not run outrank failures"
  assert_eq failed "$(json_get "$out" repositories.0.status)"
  assert_eq error "$(json_get "$out" repositories.1.status)"
  assert_contains "$(json_get "$out" repositories.1.message)" "no test suite detected"
  assert_eq passed "$(json_get "$out" repositories.2.status)"
  assert_eq 3 "$(json_get "$out" counts.passed)"
  python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert len(r.findall("testsuite"))==3; assert r.get("errors")=="1", r.attrib' \
    "$SCRATCH/all.xml" || fail "merged junit"
  assert_no_leftovers
}

test_setup_gets_network_tests_do_not() {
  scratch
  mkdir -p "$SCRATCH/net"
  printf 'def test_x():\n    pass\n' > "$SCRATCH/net/test_x.py"
  make_repo "$SCRATCH/net"
  # ... and Cargo and Go may fetch there (the templates keep them offline for the tests).
  cmd='ls /sys/class/net > test-net.txt; cat setup-net.txt test-net.txt; grep -q eth0 setup-net.txt && ! grep -q eth0 test-net.txt &&
    grep -qx CARGO_NET_OFFLINE=false setup-env.txt && grep -q "^GOPROXY=https://" setup-env.txt'
  out=$(orch_repo test "$SCRATCH/net" --setup 'ls /sys/class/net > setup-net.txt; env > setup-env.txt' --setup-net --cmd "$cmd" --json 2>/dev/null)
  assert_eq 0 $? "setup saw a network, the tests none: $(json_get "$out" repositories.0.output_tail)"
  # Without --setup-net the setup shares the offline sandbox.
  out=$(orch_repo test "$SCRATCH/net" --setup 'ls /sys/class/net > setup-net.txt' --cmd 'grep -q eth0 setup-net.txt' --json 2>/dev/null)
  assert_eq 1 $? "no network without --setup-net"
  out=$(orch_repo test "$SCRATCH/net" --setup 'exit 7' --json 2>/dev/null)
  assert_eq 4 $? "a failed setup means the tests could not run"
  assert_contains "$(json_get "$out" repositories.0.message)" "setup command failed (exit code 7)"
  # A setup that hangs says where: its output comes with the timeout.
  out=$(orch_repo test "$SCRATCH/net" --setup 'echo fetching-deps; sleep 60' --setup-net --timeout 3 --json 2>/dev/null)
  assert_eq 4 $? "a setup that timed out"
  assert_contains "$(json_get "$out" repositories.0.message)" "the setup timed out after 3s"
  assert_contains "$(json_get "$out" repositories.0.output_tail)" "fetching-deps"
}

# pip in a setup installs where the tests find it (the user's site in the workspace: the system's is
# read-only and Debian's pip refuses it), carried from the setup's sandbox to the offline one.
test_setup_pip_install_reaches_the_tests() {
  scratch
  mkdir -p "$SCRATCH/pp/deps/helper/helper"
  printf '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "helper"\nversion = "1.0"\n' \
    > "$SCRATCH/pp/deps/helper/pyproject.toml"
  printf 'def twice(x):\n    return 2 * x\n' > "$SCRATCH/pp/deps/helper/helper/__init__.py"
  printf 'from helper import twice\n\ndef test_twice():\n    assert twice(2) == 4\n' > "$SCRATCH/pp/test_app.py"
  make_repo "$SCRATCH/pp"
  out=$(orch_repo test "$SCRATCH/pp" --json 2>/dev/null)
  assert_eq 4 $? "without the setup the module is missing"
  assert_contains "$(json_get "$out" repositories.0.message)" "No module named 'helper'"
  out=$(orch_repo test "$SCRATCH/pp" --setup 'pip install --no-index --no-build-isolation ./deps/helper' --setup-net --json 2>/dev/null)
  assert_eq 0 $? "installed by the setup: $(json_get "$out" repositories.0.output_tail)"
  assert_eq 1 "$(json_get "$out" counts.passed)"
  # The job's PATH is the setup's and the tests' only: orch's own steps still find tar.
  out=$(orch_repo test "$SCRATCH/pp" -e PATH=/nowhere --setup '/bin/echo "setup $PATH"' --cmd '/bin/echo "tests $PATH"' --json 2>/dev/null)
  assert_eq 0 $? "$(json_get "$out" repositories.0.message)"
  assert_contains "$(json_get "$out" repositories.0.output_tail)" "setup /nowhere"
  assert_contains "$(json_get "$out" repositories.0.output_tail)" "tests /nowhere"
}

test_analyze_reports_languages_and_last_commit() {
  scratch
  mkdir -p "$SCRATCH/an/src" "$SCRATCH/an/test"
  printf 'print(1)\nprint(2)\nprint(3)\n' > "$SCRATCH/an/main.py"
  printf 'const a = 1;\nmodule.exports = a;\n' > "$SCRATCH/an/src/index.js"
  printf '{"name":"an","main":"src/index.js","scripts":{"test":"node --test"}}\n' > "$SCRATCH/an/package.json"
  head -c 5000 /dev/zero > "$SCRATCH/an/big.dat"
  make_repo "$SCRATCH/an" "add the analyzer fixture"
  out=$(orch_repo analyze "file://$SCRATCH/an" --json)
  assert_eq 0 $?
  assert_eq Python "$(json_get "$out" languages.0.name)"
  assert_eq 3 "$(json_get "$out" languages.0.lines)"
  assert_eq 4 "$(json_get "$out" files)"
  assert_eq "Ada Tester" "$(json_get "$out" last_commit.author)"
  assert_eq "add the analyzer fixture" "$(json_get "$out" last_commit.message)"
  assert_eq big.dat "$(json_get "$out" largest_files.0.path)"
  assert_contains "$out" "npm (package.json)"
  assert_contains "$out" "src/index.js (package.json main)"
  assert_contains "$out" "main.py"
  human=$(orch_repo analyze "$SCRATCH/an")
  assert_contains "$human" "last commit:"
  assert_no_leftovers
}

test_scan_finds_secrets_redacted_with_sarif_and_allowlist() {
  scratch
  mkdir -p "$SCRATCH/sec"
  aws=AKIAQWERTYUIOPASDFGH
  printf 'import os\nKEY = "%s"\nok = 1\n' "$aws" > "$SCRATCH/sec/config.py"
  printf 'DB_PASSWORD=1\n' > "$SCRATCH/sec/.env"
  make_repo "$SCRATCH/sec"
  out=$(orch_repo scan "$SCRATCH/sec" --sarif "$SCRATCH/s.sarif")
  assert_eq 1 $? "critical finding reaches the default --fail-on high"
  assert_contains "$out" "config.py:2:8"
  assert_contains "$out" "aws-access-key-id"
  assert_not_contains "$out" "$aws"
  assert_not_contains "$(cat "$SCRATCH/s.sarif")" "$aws"
  python3 - "$SCRATCH/s.sarif" <<'PY' || fail "sarif invalid"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == "2.1.0"
res = s["runs"][0]["results"]
rules = {r["ruleId"] for r in res}
assert rules == {"aws-access-key-id", "risky-file-env"}, rules
aws = [r for r in res if r["ruleId"] == "aws-access-key-id"][0]
assert aws["level"] == "error"
assert aws["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
assert aws["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "config.py"
PY
  json=$(orch_repo scan "$SCRATCH/sec" --json --fail-on none)
  assert_eq 0 $? "--fail-on none"
  fp=$(json_get "$json" findings.1.fingerprint)
  assert_eq aws-access-key-id "$(json_get "$json" findings.1.rule)"
  printf '# known test key\nfingerprint:%s\n' "$fp" > "$SCRATCH/allow.txt"
  out=$(orch_repo scan "$SCRATCH/sec" --allowlist "$SCRATCH/allow.txt")
  assert_eq 0 $? "allowlisted key, only a medium finding left"
  assert_contains "$out" "1 allowlisted"
  orch_repo scan "$SCRATCH/sec" --allowlist "$SCRATCH/allow.txt" --fail-on medium >/dev/null
  assert_eq 1 $? "--fail-on medium"
  orch_repo scan "$SCRATCH/sec" --fail-on urgent >/dev/null 2>&1
  assert_eq 2 $? "bad severity is a usage error"
  out=$(orch_repo scan "file://$SCRATCH/sec" --json)
  assert_eq 1 $? "scanning a clone"
  assert_eq 40 "$(json_get "$out" commit | tr -d '\n' | wc -c)" "commit of the clone"
  assert_no_leftovers
}

# Replays GitHub REST answers (documented shapes and rate-limit headers) on loopback; records the
# Authorization header it saw.
start_fake_github() {
  cat > "$SCRATCH/gh.py" <<'PY'
import http.server, json, sys
seen = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body, remaining="59"):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-ratelimit-limit", "60")
        self.send_header("x-ratelimit-remaining", remaining)
        self.send_header("x-ratelimit-reset", "4102444800")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        open(seen, "a").write(self.headers.get("Authorization", "none") + "\n")
        if self.path == "/repos/octo/hello":
            self.send(200, {"full_name": "octo/hello", "description": "A demo", "default_branch": "trunk",
                            "stargazers_count": 1234, "forks_count": 5, "open_issues_count": 17,
                            "license": {"key": "apache-2.0", "name": "Apache License 2.0", "spdx_id": "Apache-2.0"},
                            "html_url": "https://github.com/octo/hello"})
        elif self.path == "/repos/octo/hello/languages":
            self.send(200, {"Go": 9000, "Shell": 1000})
        elif self.path.startswith("/repos/octo/limited"):
            self.send(403, {"message": "API rate limit exceeded"}, remaining="0")
        else:
            self.send(404, {"message": "Not Found"})
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(srv.server_port))
srv.serve_forever()
PY
  python3 "$SCRATCH/gh.py" "$SCRATCH/port" "$SCRATCH/seen" &
  GH_PID=$!
  trap 'kill $GH_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
  wait_for 50 test -s "$SCRATCH/port" || fail "fake GitHub did not start"
  export GITHUB_API_URL="http://127.0.0.1:$(cat "$SCRATCH/port")"
}

test_info_through_the_github_api() {
  scratch
  start_fake_github
  token=ghp_InfoTokenMustStayHidden0123456789abcd
  out=$(GITHUB_TOKEN=$token "$ORCH" repo info octo/hello --json)
  assert_eq 0 $?
  assert_eq trunk "$(json_get "$out" default_branch)"
  assert_eq 1234 "$(json_get "$out" stars)"
  assert_eq 17 "$(json_get "$out" open_issues)"
  assert_eq Apache-2.0 "$(json_get "$out" license)"
  assert_eq 9000 "$(json_get "$out" languages.Go)"
  assert_not_contains "$out" "$token"
  assert_contains "$(cat "$SCRATCH/seen")" "Bearer $token"
  human=$(GITHUB_TOKEN=$token "$ORCH" repo info octo/hello)
  assert_contains "$human" "Go 90.0%"
  out=$(GITHUB_TOKEN=$token "$ORCH" repo info octo/limited 2>&1)
  assert_eq 5 $? "exit code when the rate limit is exhausted"
  assert_contains "$out" "rate limit is exhausted"
  assert_contains "$out" "2100-01-01"
  assert_not_contains "$out" "$token"
  out=$("$ORCH" repo info octo/missing 2>&1)
  assert_eq 3 $? "not found"
  "$ORCH" repo info not-a-repo >/dev/null 2>&1
  assert_eq 2 $? "malformed name"
}

test_go_rust_and_cmake_stacks() {
  scratch
  mkdir -p "$SCRATCH/go/broken" "$SCRATCH/rs/src" "$SCRATCH/cm"
  printf 'module example.com/m\n\ngo 1.19\n' > "$SCRATCH/go/go.mod"
  printf 'package m\nfunc Add(a, b int) int { return a + b }\n' > "$SCRATCH/go/m.go"
  printf 'package m\nimport "testing"\nfunc TestAdd(t *testing.T) { if Add(1, 2) != 3 { t.Fatal("bad") } }\nfunc TestSub(t *testing.T) {\n\tt.Run("one", func(t *testing.T) { t.Errorf("want 3, got %%d", 4) })\n\tt.Run("two", func(t *testing.T) { t.Skip("later") })\n}\n' > "$SCRATCH/go/m_test.go"
  printf 'package broken\nfunc X() int { return 1 + }\n' > "$SCRATCH/go/broken/b.go"
  make_repo "$SCRATCH/go"
  printf '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n' > "$SCRATCH/rs/Cargo.toml"
  printf 'pub fn add(a: i32, b: i32) -> i32 { a + b }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test] fn adds() { assert_eq!(add(1, 2), 3); }\n    #[test] fn fails() { assert_eq!(add(1, 2), 4); }\n    #[test] #[ignore] fn later() {}\n}\n' > "$SCRATCH/rs/src/lib.rs"
  make_repo "$SCRATCH/rs"
  printf 'cmake_minimum_required(VERSION 3.16)\nproject(demo C)\nenable_testing()\nadd_executable(t t.c)\nadd_test(NAME passes COMMAND t 0)\nadd_test(NAME fails COMMAND t 1)\n' > "$SCRATCH/cm/CMakeLists.txt"
  printf '#include <stdlib.h>\nint main(int c, char** v) { return c > 1 ? atoi(v[1]) : 0; }\n' > "$SCRATCH/cm/t.c"
  make_repo "$SCRATCH/cm"
  out=$(orch_repo test "$SCRATCH/go" "$SCRATCH/rs" "$SCRATCH/cm" --jobs 3 --json 2>/dev/null)
  assert_eq 1 $? "exit code"
  assert_eq go-json "$(json_get "$out" repositories.0.result_format)"
  assert_eq "1 1 1 1" "$(json_get "$out" repositories.0.counts.passed) $(json_get "$out" repositories.0.counts.failed) $(json_get "$out" repositories.0.counts.errored) $(json_get "$out" repositories.0.counts.skipped)"
  assert_eq TestSub/one "$(json_get "$out" repositories.0.failures.0.name)"
  assert_eq example.com/m/broken "$(json_get "$out" repositories.0.failures.1.suite)"
  assert_eq cargo "$(json_get "$out" repositories.1.runner)"
  assert_eq "1 1 1" "$(json_get "$out" repositories.1.counts.passed) $(json_get "$out" repositories.1.counts.failed) $(json_get "$out" repositories.1.counts.skipped)"
  assert_eq tests::fails "$(json_get "$out" repositories.1.failures.0.name)"
  assert_eq ctest "$(json_get "$out" repositories.2.runner)"
  assert_eq "1 1" "$(json_get "$out" repositories.2.counts.passed) $(json_get "$out" repositories.2.counts.failed)"
  assert_eq fails "$(json_get "$out" repositories.2.failures.0.name)"
  assert_no_leftovers
}
