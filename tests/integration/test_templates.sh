# orch templates against the real engine.

test_templates_ls_json_lists_builtins() {
  out=$("$ORCH" templates ls --json)
  for name in python node bash minimal python-data; do assert_contains "$out" "\"name\": \"$name\""; done
  state=$(printf '%s' "$out" | "$PY" -c 'import json,sys; print({t["name"]: t["image_state"] for t in json.load(sys.stdin)}["python"])')
  assert_eq "built" "$state"
}

test_templates_show() {
  out=$("$ORCH" templates show node)
  assert_contains "$out" "image:       orch/node:latest"
  assert_contains "$out" "node (default): main.js -> node main.js"
  out=$("$ORCH" templates show nope 2>&1)
  assert_eq "3" "$?"
}

test_user_template_builds_and_runs() {
  scratch
  mkdir -p "$SCRATCH/tpl/shout"
  # An extra file beside the Dockerfile must reach the build context.
  printf '#!/bin/sh\nexec tr a-z A-Z < "$1"\n' > "$SCRATCH/tpl/shout/shout.sh"
  printf 'FROM debian:bookworm-slim\nCOPY shout.sh /usr/local/bin/shout\nRUN chmod 755 /usr/local/bin/shout\n' > "$SCRATCH/tpl/shout/Dockerfile"
  echo '{"name":"shout","description":"test","image":"orch-test/shout:latest","languages":{"txt":{"file":"in.txt","extensions":[".txt"],"run":["shout","{file}"]}}}' > "$SCRATCH/tpl/shout/template.json"
  ORCH_TEMPLATES="$SCRATCH/tpl" "$ORCH" templates build shout 2>"$SCRATCH/build.log" || { cat "$SCRATCH/build.log"; fail "build failed"; }
  assert_contains "$(cat "$SCRATCH/build.log")" "Step 1/"
  out=$(ORCH_TEMPLATES="$SCRATCH/tpl" "$ORCH" run -t shout -c 'quiet words')
  docker rmi -f orch-test/shout:latest >/dev/null 2>&1
  assert_eq "QUIET WORDS" "$out"
}

test_broken_user_template_warns() {
  scratch
  mkdir -p "$SCRATCH/tpl/bad"
  echo '{"name":"bad"}' > "$SCRATCH/tpl/bad/template.json"
  out=$(ORCH_TEMPLATES="$SCRATCH/tpl" "$ORCH" templates ls --no-engine 2>&1)
  assert_contains "$out" "warning: template"
  assert_contains "$out" "python"
}
