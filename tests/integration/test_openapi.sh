# The OpenAPI document matches the server: the routes in both directions, Redocly's lint, a typed client
# (openapi-typescript + openapi-fetch, checked by tsc) calling every route, and every real answer
# validated against the document's schemas.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

DOC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../src/assets" && pwd)/openapi.json

test_every_documented_route_exists() {
  scratch
  # A tenant of its own, so sessions others made on the shared engine do not count.
  printf 'tok-openapi-probe-0000 probe-%s\n' "$$" > "$SCRATCH/tokens"
  start_server --tokens "$SCRATCH/tokens"
  H="Authorization: Bearer tok-openapi-probe-0000"
  doc=$(curl -s "$BASE/openapi.json")
  pairs=$(printf '%s' "$doc" | "$PY" -c 'import json,sys
d = json.load(sys.stdin)
for p, ops in d["paths"].items():
    for m in ops:
        if m != "parameters": print(m.upper(), p.replace("{id}", "x-unknown").replace("{name}", "x-unknown"))')
  [ -n "$pairs" ] || fail "no paths in the document"
  while read -r method path; do
    # A field no route accepts: the probe must reach the route without creating anything.
    body=$(curl -s -X "$method" -H "$H" -H 'Content-Type: application/json' --data '{"orch_probe":true}' "$BASE$path")
    assert_not_contains "$body" "no route for" "$method $path is documented but not served"
  done <<<"$pairs"
  left=$(curl -s -H "$H" "$BASE/v1/sessions")
  assert_eq "[]" "$(json_get "$left" sessions)" "the probe created a session"
}

test_every_served_route_is_documented() {
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../src/server" && pwd)
  missing=$("$PY" - "$src" "$DOC" <<'PY'
import json, pathlib, re, sys
doc = json.load(open(sys.argv[2]))["paths"]
found = 0
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.cpp")):
    for method, raw, plain in re.findall(r'svr\.(Get|Post|Put|Delete|Patch)\((?:R"\((.*?)\)"|"([^"]+)")', f.read_text()):
        found += 1
        # httplib patterns like /v1/sessions/([^/]+) are documented as /v1/sessions/{id}; a second one is {name}
        path = re.sub(r"\(\[\^/\]\+\)", "{id}", raw or plain, count=1)
        path = re.sub(r"\(\[\^/\]\+\)", "{name}", path)
        if method.lower() not in doc.get(path, {}): print(method.upper(), path, "is served but not in openapi.json")
if found < 20: print("found only", found, "routes in the server source")
PY
)
  [ -z "$missing" ] || fail "$missing"
}

test_redocly_lint_finds_no_errors() {
  need_js_tools
  out=$(cd "$JS" && npx redocly lint --format=json "$DOC" 2>/dev/null)
  totals=$(json_get "$out" totals)
  assert_eq 0 "$(json_get "$out" totals.errors)" "redocly errors: $out"
  # Left: no licence chosen yet, and /, /health, /openapi.json, /docs and /redoc have no 4xx answer to document.
  [ "$(json_get "$out" totals.warnings)" -le 6 ] || fail "redocly warnings grew: $totals"
}

test_typed_client_calls_every_route_and_answers_match_the_schemas() {
  need_js_tools
  scratch
  rm -rf "$JS/generated" "$JS/out"
  (cd "$JS" && npx openapi-typescript "$DOC" -o generated/orch-api.ts >/dev/null 2>&1) || fail "openapi-typescript failed"
  out=$(cd "$JS" && npx tsc -p . 2>&1) || fail "tsc: $out"
  export XDG_CACHE_HOME="$SCRATCH/cache"
  "$ORCH" pricing import "$(dirname "${BASH_SOURCE[0]}")/../fixtures/pricing/catalogs/v8/lambda/vms.csv" >/dev/null || fail "pricing import failed"
  printf 'tok-openapi-alice-000 alice admin=true\n' > "$SCRATCH/tokens"
  export ORCH_TEMPLATES="$SCRATCH/templates"
  start_server --tokens "$SCRATCH/tokens" --allow-repo-host 127.0.0.1 --allow-image 'orch/*'
  serve_git_repo
  out=$(cd "$JS" && timeout 300 node out/api_client.js "$BASE" "$DOC" tok-openapi-alice-000 "$GIT_URL" 2>&1)
  rc=$?
  kill "$GIT_DAEMON_PID" 2>/dev/null
  docker rmi -f orch/openapi-pad:latest >/dev/null 2>&1
  [ $rc -eq 0 ] || fail "client: $out"
  [ "$(json_get "$out" checked)" -ge 30 ] || fail "too few answers checked: $out"
}
