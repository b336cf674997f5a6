# The OpenAPI document matches the routes the server really has, in both directions.
source "$(dirname "${BASH_SOURCE[0]}")/serve_lib.sh"

test_every_documented_route_exists() {
  start_server
  doc=$(curl -s "$BASE/openapi.json")
  pairs=$(printf '%s' "$doc" | "$PY" -c 'import json,sys
d = json.load(sys.stdin)
for p, ops in d["paths"].items():
    for m in ops: print(m.upper(), p.replace("{id}", "x-unknown"))')
  [ -n "$pairs" ] || fail "no paths in the document"
  while read -r method path; do
    # A field no route accepts: the probe must reach the route without creating anything.
    body=$(curl -s -X "$method" -H 'Content-Type: application/json' --data '{"orch_probe":true}' "$BASE$path")
    assert_not_contains "$body" "no route for" "$method $path is documented but not served"
  done <<<"$pairs"
  left=$(curl -s "$BASE/v1/sessions")
  assert_eq "[]" "$(json_get "$left" sessions)" "the probe created a session"
}

test_every_served_route_is_documented() {
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../src/server" && pwd)
  doc=$(cat "$src/../assets/openapi.json")
  routes=$(grep -ohE 'svr\.(Get|Post|Put|Delete)\("[^"]+"' "$src"/*.cpp | sed -E 's/svr\.([A-Za-z]+)\("(.*)"/\1 \2/')
  [ -n "$routes" ] || fail "found no routes in the server source"
  while read -r method path; do
    # httplib patterns like /v1/sessions/([^/]+) are documented as /v1/sessions/{id}
    doc_path=$(sed -E 's#\(\[\^/\]\+\)#{id}#g' <<<"$path")
    m=$(tr 'A-Z' 'a-z' <<<"$method")
    printf '%s' "$doc" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if sys.argv[2] in d["paths"].get(sys.argv[1], {}) else 1)' "$doc_path" "$m" ||
      fail "$method $doc_path is served but not in openapi.json"
  done <<<"$routes"
}
