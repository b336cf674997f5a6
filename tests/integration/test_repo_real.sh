# orch repo on repositories shaped like real ones: declared runtimes, GOPATH Go behind a Makefile, suites
# that cannot run offline, Meson, entry points, credentials in URLs, and the reports checked by the tools
# that consume them (xmllint with the Jenkins JUnit schema, ajv with the SARIF schema).

SCHEMAS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/schemas" && pwd)
SARIF_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../js" && pwd)

make_repo() {  # dir: commits everything in it as a fresh repository
  git -C "$1" init -q -b main
  git -C "$1" add -A
  git -C "$1" -c user.name="Ada Tester" -c user.email=ada@example.com commit -qm "initial commit"
}

orch_repo() {
  "$ORCH" repo "$@"
}

# The report passes the Jenkins JUnit schema.
assert_junit_valid() {
  xmllint --noout --schema "$SCHEMAS/junit-10.xsd" "$1" 2>"$SCRATCH/xmllint.err" || fail "JUnit rejected by the schema: $(cat "$SCRATCH/xmllint.err")"
}

test_node_engines_picks_a_template_with_that_node() {
  scratch
  mkdir -p "$SCRATCH/n/test"
  printf '{"name":"modern","version":"1.0.0","engines":{"node":">=20"},"scripts":{"test":"node --test"}}\n' > "$SCRATCH/n/package.json"
  # Array.prototype.toSorted arrived in Node 20: on Node 18 every test crashes.
  printf "const t=require('node:test');const a=require('node:assert');\nt('sorts',()=>a.deepStrictEqual([3,1,2].toSorted(),[1,2,3]));\nt('version',()=>a.ok(Number(process.versions.node.split('.')[0])>=20));\n" \
    > "$SCRATCH/n/test/sort.test.js"
  make_repo "$SCRATCH/n"
  out=$(orch_repo test "$SCRATCH/n" --json 2>/dev/null)
  assert_eq 0 $? "a healthy package passes: $(json_get "$out" repositories.0.output_tail)"
  assert_eq node24 "$(json_get "$out" repositories.0.template)"
  assert_eq 2 "$(json_get "$out" counts.passed)"
}

test_runtime_no_template_satisfies_exits_4_before_running() {
  scratch
  mkdir -p "$SCRATCH/far/test" "$SCRATCH/iron" "$SCRATCH/go"
  printf '{"name":"future","version":"1.0.0","engines":{"node":">=99"},"scripts":{"test":"node --test"}}\n' > "$SCRATCH/far/package.json"
  echo "require('node:test')('x',()=>{})" > "$SCRATCH/far/test/x.test.js"
  make_repo "$SCRATCH/far"
  printf 'lts/iron\n' > "$SCRATCH/iron/.nvmrc"
  printf '{"name":"iron","version":"1.0.0","scripts":{"test":"node --test"}}\n' > "$SCRATCH/iron/package.json"
  make_repo "$SCRATCH/iron"
  printf 'module example.com/calc\n\ngo 1.22\n' > "$SCRATCH/go/go.mod"
  printf 'package calc\n\nimport "testing"\n\nfunc TestOne(t *testing.T) {}\n' > "$SCRATCH/go/calc_test.go"
  make_repo "$SCRATCH/go"
  out=$(orch_repo test "$SCRATCH/far" "$SCRATCH/iron" "$SCRATCH/go" --json 2>"$SCRATCH/err")
  assert_eq 4 $? "could not run"
  assert_contains "$(json_get "$out" repositories.0.message)" "package.json engines.node needs node >=99"
  assert_contains "$(json_get "$out" repositories.0.message)" "24.22.3 (node24)"
  assert_contains "$(json_get "$out" repositories.1.message)" ".nvmrc (lts/iron) needs node ^20"
  assert_contains "$(json_get "$out" repositories.2.message)" "go.mod go directive needs go 1.22"
  assert_not_contains "$(cat "$SCRATCH/err")" "testing:" "nothing ran"
  out=$(orch_repo test "$SCRATCH/go" --template go --json 2>/dev/null)
  assert_contains "$(json_get "$out" repositories.0.warnings)" "needs go 1.22" "a named template runs, with a warning"
}

test_gopath_go_behind_a_makefile_runs_in_the_go_template() {
  scratch
  mkdir -p "$SCRATCH/gp"
  printf 'package calc\n\nfunc Add(a, b int) int { return a + b }\n' > "$SCRATCH/gp/calc.go"
  printf 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal("bad sum")\n\t}\n}\n' > "$SCRATCH/gp/calc_test.go"
  printf '.PHONY: test\ntest:\n\tgo vet .\n\tgo test -v .\n' > "$SCRATCH/gp/Makefile"
  make_repo "$SCRATCH/gp"
  out=$(orch_repo test "$SCRATCH/gp" --json 2>/dev/null)
  assert_eq 0 $? "GOPATH repository passes: $(json_get "$out" repositories.0.output_tail)"
  assert_eq go "$(json_get "$out" repositories.0.template)"
  assert_eq "GO111MODULE=off make test" "$(json_get "$out" repositories.0.command)"
}

test_missing_commands_and_offline_dependencies_are_could_not_run() {
  scratch
  mkdir -p "$SCRATCH/jest/test" "$SCRATCH/py" "$SCRATCH/rs/src"
  printf '{"name":"j","version":"1.0.0","scripts":{"test":"jest --ci"},"devDependencies":{"jest":"^29.7.0"}}\n' > "$SCRATCH/jest/package.json"
  echo "test('x', () => expect(1).toBe(1));" > "$SCRATCH/jest/test/x.test.js"
  echo 'lockfileVersion: 9.0' > "$SCRATCH/jest/pnpm-lock.yaml"  # the hint names pnpm, not npm ci (no package-lock.json)
  make_repo "$SCRATCH/jest"
  printf 'requests>=2\n' > "$SCRATCH/py/requirements.txt"
  printf 'import requests\n\ndef test_get():\n    assert requests\n' > "$SCRATCH/py/test_api.py"
  printf 'def test_plain():\n    assert True\n' > "$SCRATCH/py/test_plain.py"
  make_repo "$SCRATCH/py"
  printf '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nserde = "1"\n' > "$SCRATCH/rs/Cargo.toml"
  printf 'pub fn add(a: i32, b: i32) -> i32 { a + b }\n#[test]\nfn adds() { assert_eq!(add(2, 2), 4); }\n' > "$SCRATCH/rs/src/lib.rs"
  make_repo "$SCRATCH/rs"
  out=$(orch_repo test "$SCRATCH/jest" "$SCRATCH/py" "$SCRATCH/rs" --jobs 1 --json 2>/dev/null)
  assert_eq 4 $? "could not run, never tests failed"
  for i in 0 1 2; do assert_eq error "$(json_get "$out" repositories.$i.status)" "repository $i"; done
  assert_contains "$(json_get "$out" repositories.0.message)" "jest: not found"
  assert_contains "$(json_get "$out" repositories.0.message)" "--setup 'npx --yes pnpm install --frozen-lockfile' --setup-net"
  assert_eq 0 "$(json_get "$out" repositories.0.counts.total)" "a run that could not test counts no case"
  assert_contains "$(json_get "$out" repositories.1.message)" "No module named 'requests'"
  assert_contains "$(json_get "$out" repositories.1.message)" "--setup"
  assert_contains "$(json_get "$out" repositories.2.message)" "no matching package named \`serde\` found"
}

test_meson_project_runs_meson_test() {
  scratch
  mkdir -p "$SCRATCH/ms"
  printf "project('calc', 'c')\nadds = executable('adds', 'adds.c')\ntest('adds', adds)\nbroken = executable('broken', 'broken.c')\ntest('broken', broken)\n" > "$SCRATCH/ms/meson.build"
  printf 'int main(void) { return 2 + 2 == 4 ? 0 : 1; }\n' > "$SCRATCH/ms/adds.c"
  printf 'int main(void) { return 1; }\n' > "$SCRATCH/ms/broken.c"
  make_repo "$SCRATCH/ms"
  out=$(orch_repo analyze "$SCRATCH/ms" --json)
  assert_contains "$(json_get "$out" build_systems)" "meson"
  assert_contains "$(json_get "$out" test_systems)" "meson test"
  out=$(orch_repo test "$SCRATCH/ms" --json --junit "$SCRATCH/j.xml" 2>/dev/null)
  assert_eq 1 $? "one meson test fails: $(json_get "$out" repositories.0.output_tail)"
  assert_eq meson "$(json_get "$out" repositories.0.runner)"
  assert_eq "1 1" "$(json_get "$out" counts.passed) $(json_get "$out" counts.failed)"
  assert_junit_valid "$SCRATCH/j.xml"
}

# A suite that tests nothing (CMake's enable_testing with every test behind an option left off, as
# googletest's) is "no tests ran", not a pass; a src-layout package imports without being installed.
test_no_tests_is_not_a_pass_and_src_layout_imports() {
  scratch
  mkdir -p "$SCRATCH/none" "$SCRATCH/lay/src/calc" "$SCRATCH/lay/tests"
  printf 'cmake_minimum_required(VERSION 3.13)\nproject(none C)\nenable_testing()\noption(BUILD_TESTS "tests" OFF)\nif(BUILD_TESTS)\n  add_test(NAME t COMMAND true)\nendif()\n' \
    > "$SCRATCH/none/CMakeLists.txt"
  make_repo "$SCRATCH/none"
  printf '[project]\nname = "calc"\nversion = "1"\n' > "$SCRATCH/lay/pyproject.toml"
  printf 'def add(a, b):\n    return a + b\n' > "$SCRATCH/lay/src/calc/__init__.py"
  printf 'import os\nfrom calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n\ndef test_elsewhere(tmp_path):\n    os.chdir(tmp_path)\n    import importlib, calc\n    assert importlib.reload(calc).add(1, 1) == 2\n' \
    > "$SCRATCH/lay/tests/test_calc.py"
  make_repo "$SCRATCH/lay"
  out=$(orch_repo test "$SCRATCH/none" "$SCRATCH/lay" --json --junit "$SCRATCH/j.xml" 2>/dev/null)
  assert_eq 4 $? "no tests ran is 'could not test': $(json_get "$out" repositories.0.output_tail)"
  assert_eq error "$(json_get "$out" repositories.0.status)"
  assert_contains "$(json_get "$out" repositories.0.message)" "no tests ran: No tests were found"
  assert_eq 0 "$(json_get "$out" repositories.0.counts.total)" "nothing ran, nothing counted"
  assert_eq passed "$(json_get "$out" repositories.1.status)" "src layout: $(json_get "$out" repositories.1.output_tail)"
  assert_eq 2 "$(json_get "$out" repositories.1.counts.passed)"
  assert_junit_valid "$SCRATCH/j.xml"
}

test_analyze_lists_only_entry_points_that_exist() {
  scratch
  mkdir -p "$SCRATCH/an/bin" "$SCRATCH/an/src/tool"
  printf '{"name":"pkg","main":"./dist/index.cjs","bin":{"pkg":"bin/cli.js","gone":"./dist/gone.js"}}\n' > "$SCRATCH/an/package.json"
  echo "console.log('hi')" > "$SCRATCH/an/bin/cli.js"
  printf '[project]\nname = "tool"\n\n[project.scripts]\ntool = "tool.cli:main"\nghost = "ghost.cli:main"\n' > "$SCRATCH/an/pyproject.toml"
  printf 'def main():\n    pass\n' > "$SCRATCH/an/src/tool/cli.py"
  touch "$SCRATCH/an/src/tool/__init__.py"
  make_repo "$SCRATCH/an"
  out=$(orch_repo analyze "$SCRATCH/an" --json)
  assert_contains "$(json_get "$out" entry_points)" "pkg -> bin/cli.js"
  assert_contains "$(json_get "$out" entry_points)" "tool -> tool.cli:main"
  assert_not_contains "$(json_get "$out" entry_points)" "dist/"
  assert_not_contains "$(json_get "$out" entry_points)" "ghost"
}

test_scan_finds_url_credentials_masked_and_sarif_validates() {
  scratch
  mkdir -p "$SCRATCH/sec/deploy"
  pass='Zq7-hunter2-9xL'
  printf 'remote = "https://deploy:%s@git.example.com/team/app.git"\ndocs = "https://user:password@host.example/"\n' "$pass" > "$SCRATCH/sec/deploy/push.toml"
  printf 'DATABASE_URL=postgres://app:%s@db.internal:5432/app\n' "$pass" > "$SCRATCH/sec/.env"
  make_repo "$SCRATCH/sec"
  help=$(orch_repo scan --help)
  assert_contains "$help" "credentials in URLs: url-credentials"
  assert_contains "$help" "service tokens:"
  out=$(orch_repo scan "$SCRATCH/sec" --json --fail-on none --sarif "$SCRATCH/s.sarif")
  assert_eq 0 $?
  assert_not_contains "$out$(cat "$SCRATCH/s.sarif")" "$pass" "the password never leaves"
  assert_contains "$out" "https://deploy:Zq*"
  assert_contains "$out" "@git.example.com"
  assert_contains "$out" "postgres://app:"
  assert_not_contains "$out" "host.example" "a placeholder password is no finding"
  # The SARIF report passes the OASIS schema, and carries what code-scanning dashboards need.
  [ -x "$SARIF_TOOLS/node_modules/.bin/ajv" ] || (cd "$SARIF_TOOLS" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1) ||
    fail "could not install ajv (tests/js)"
  cp "$SCHEMAS/sarif-schema-2.1.0.json" "$SCRATCH/sarif-schema.json"
  cp "$SCRATCH/s.sarif" "$SCRATCH/report.json"
  "$SARIF_TOOLS/node_modules/.bin/ajv" migrate -s "$SCRATCH/sarif-schema.json" --spec=draft7 >/dev/null 2>&1 || fail "ajv migrate"
  "$SARIF_TOOLS/node_modules/.bin/ajv" validate -s "$SCRATCH/sarif-schema.json" -d "$SCRATCH/report.json" --spec=draft7 \
    -c ajv-formats --strict=false --errors=text >"$SCRATCH/ajv.out" 2>&1 || fail "SARIF invalid: $(cat "$SCRATCH/ajv.out")"
  python3 - "$SCRATCH/s.sarif" "$(git -C "$SCRATCH/sec" rev-parse HEAD)" <<'PY' || fail "SARIF content"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
assert all(r.get("helpUri", "").startswith("https://") for r in run["tool"]["driver"]["rules"])
env = [r for r in run["results"] if r["ruleId"] == "risky-file-env"][0]
assert env["locations"][0]["physicalLocation"]["region"]["startLine"] == 1, env
prov = run["versionControlProvenance"][0]
assert prov["revisionId"] == sys.argv[2] and prov["repositoryUri"].startswith("file:///"), prov
PY
  # A document that breaks the schema is rejected, so the check above can fail.
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]=0; json.dump(d,open(sys.argv[1],"w"))' "$SCRATCH/report.json"
  "$SARIF_TOOLS/node_modules/.bin/ajv" validate -s "$SCRATCH/sarif-schema.json" -d "$SCRATCH/report.json" --spec=draft7 \
    -c ajv-formats --strict=false >/dev/null 2>&1 && fail "ajv accepted startLine 0"
  true
}

test_junit_validates_and_states_how_go_subtests_count() {
  scratch
  mkdir -p "$SCRATCH/gs" "$SCRATCH/nd/test"
  printf 'module example.com/sub\n\ngo 1.19\n' > "$SCRATCH/gs/go.mod"
  cat > "$SCRATCH/gs/sub_test.go" <<'GO'
package sub

import "testing"

func TestTable(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(map[int]string{1: "one", 2: "two"}[n], func(t *testing.T) {
			if n == 2 {
				t.Fatal("two is wrong")
			}
		})
	}
}

func TestParentFailsAlone(t *testing.T) {
	t.Run("fine", func(t *testing.T) {})
	t.Error("the parent's own check")
}

func TestSkipped(t *testing.T) { t.Skip("needs a GPU") }
GO
  make_repo "$SCRATCH/gs"
  cat > "$SCRATCH/nd/test/a.test.js" <<'JS'
const test = require('node:test');
test('top', () => {});
test('later', { skip: 'not on this platform' }, () => {});
test.describe('group', () => { test.it('inner', () => {}); });
JS
  make_repo "$SCRATCH/nd"
  out=$(orch_repo test "$SCRATCH/gs" "$SCRATCH/nd" --json --junit "$SCRATCH/j.xml" 2>/dev/null)
  assert_eq 1 $?
  # Go: leaves one, two and fine, the parent that failed on its own, and the skip: 2 passed, 2 failed, 1 skipped.
  assert_eq "2 2 1" "$(json_get "$out" repositories.0.counts.passed) $(json_get "$out" repositories.0.counts.failed) $(json_get "$out" repositories.0.counts.skipped)"
  assert_junit_valid "$SCRATCH/j.xml"
  python3 - "$SCRATCH/j.xml" <<'PY' || fail "JUnit content"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("skipped") is None, root.attrib
go, node = root.findall("testsuite")
props = {p.get("name"): p.get("value") for p in go.iter("property")}
assert "counted through its subtests" in props["orch.counting"], props
names = [c.get("name") for c in go.iter("testcase")]
assert "TestParentFailsAlone" in names and "TestTable" not in names, names
skip = [c for c in go.iter("testcase") if c.find("skipped") is not None][0]
assert "needs a GPU" in skip.find("skipped").get("message"), skip.find("skipped").attrib
cases = {c.get("name"): c for c in node.iter("testcase")}
assert cases["later"].find("skipped").get("message") == "not on this platform"
assert cases["inner"].get("classname") == "group", cases["inner"].attrib
assert cases["top"].get("classname") == cases["later"].get("classname"), [cases["top"].attrib, cases["later"].attrib]
PY
}
