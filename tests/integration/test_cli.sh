# The CLI as a person meets it: help from the one command table, suggestions at every level, options that
# take one value, program arguments after --, completions loaded into real shells, the man page.

COMPLETION_PROBE='t() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _orch; echo "${COMPREPLY[*]}"; }'

test_help_names_orch_examples_and_environment() {
  local out
  out=$("$ORCH" run --help)
  assert_contains "$out" "Usage: orch run"
  assert_contains "$out" "Examples:"
  for v in DOCKER_HOST ORCH_HOST ORCH_TOKEN ORCH_TEMPLATES; do assert_contains "$out" "$v"; done
  out=$("$ORCH" pricing watch --help)
  assert_contains "$out" "Usage: orch pricing watch"
  assert_contains "$out" "ORCH_PRICING_<PROVIDER>_URL"
  assert_eq "$("$ORCH" session exec --help)" "$("$ORCH" help session exec)" "orch help session exec is its --help"
  assert_eq "$("$ORCH" session exec --help)" "$("$ORCH" session help exec)" "so is orch session help exec"
  assert_contains "$("$ORCH" help templates build)" "Usage: orch templates build"
  out=$("$ORCH" help nosuch 2>&1)
  assert_eq 2 "$?" "help for an unknown command"
  assert_contains "$out" "unknown command 'nosuch'"
  assert_rc 2 "$ORCH" help session nosuch
  assert_rc 0 "$ORCH" help
  assert_rc 2 "$ORCH"
  for flag in -v -V --version; do assert_contains "$("$ORCH" $flag)" "orch "; done
}

test_unknown_subcommands_and_flags_suggest_at_every_level() {
  local out
  out=$("$ORCH" templates bild 2>&1); assert_eq 2 "$?"; assert_contains "$out" "did you mean 'build'"
  out=$("$ORCH" pricing chepest 2>&1); assert_eq 2 "$?"; assert_contains "$out" "did you mean 'cheapest'"
  out=$("$ORCH" repo tset 2>&1); assert_eq 2 "$?"; assert_contains "$out" "did you mean 'test'"
  out=$("$ORCH" session exce 2>&1); assert_eq 2 "$?"; assert_contains "$out" "did you mean 'exec'"
  out=$("$ORCH" pricing 2>&1); assert_eq 2 "$?"; assert_contains "$out" "Subcommands:"
  out=$("$ORCH" run --timout 5 -c 'print(1)' 2>&1); assert_eq 125 "$?"; assert_contains "$out" "did you mean '--timeout'"
  out=$("$ORCH" pricing ls --gpuu H100 2>&1); assert_eq 2 "$?"
  assert_contains "$out" "unknown option '--gpuu' (did you mean '--gpu'?)"
  assert_not_contains "$out" "unexpected argument 'H100'"
  out=$("$ORCH" pricing ls --provider aws lambda 2>&1); assert_eq 2 "$?"
  assert_contains "$out" "unexpected argument 'lambda'"
  # An option of one value given twice says so (not CLI11's "At Most 1 required but received 2").
  out=$("$ORCH" serve --listen 127.0.0.1:1 --listen 127.0.0.1:2 2>&1); assert_eq 2 "$?"
  assert_contains "$out" "--listen was given 2 times; it takes one value"
  # --pool repeats (one template a time or a list); a template named twice is refused before serving.
  out=$("$ORCH" serve --pool python=1 --pool node=1,python=2 2>&1); assert_eq 2 "$?"
  assert_contains "$out" "--pool: 'python' is given more than once"
  out=$("$ORCH" serve --session-pool python=x 2>&1); assert_eq 2 "$?"
  assert_contains "$out" "--session-pool: 'python=x' is not TEMPLATE=N"
}

test_repeatable_options_leave_the_program_alone() {
  scratch
  cd "$SCRATCH" || fail "no scratch"
  printf 'a,b\n' > data.csv
  printf 'import os, sys\nprint(open("data.csv").read().strip(), os.environ.get("A"), sys.argv[1:])\n' > script.py
  local out
  out=$("$ORCH" run -f data.csv script.py 2>&1) || fail "run -f data.csv script.py: $out"
  assert_eq "a,b None []" "$out"
  out=$("$ORCH" run -e A=1 script.py -f data.csv 2>&1) || fail "run -e A=1 script.py: $out"
  assert_eq "a,b 1 []" "$out"
  out=$("$ORCH" run -f data.csv -e A=2 script.py -- one --two -e 3 2>&1) || fail "program arguments: $out"
  assert_eq "a,b 2 ['one', '--two', '-e', '3']" "$out"
  out=$("$ORCH" run -c 'import sys; print(sys.argv[1:])' -- x y 2>&1)
  assert_eq "['x', 'y']" "$out"
}

test_bash_completion_from_the_real_script() {
  local script out
  script=$("$ORCH" completion bash)
  out=$(bash -c "source <(printf '%s\n' \"\$1\"); complete -p orch" _ "$script")
  assert_eq "complete -o default -F _orch orch" "$out"
  probe() { bash -c "source <(printf '%s\n' \"\$1\"); $COMPLETION_PROBE; shift; t \"\$@\"" _ "$script" "$@"; }
  assert_eq "session" "$(probe orch ses)"
  assert_eq "exec extend" "$(probe orch session e)"
  assert_eq "--timeout" "$(probe orch run --ti)"
  assert_eq "" "$(probe orch run --timeout '')" "a value position offers no subcommands (bash falls back to files)"
  assert_eq "--json" "$(probe orch run --timeout 5 --js)"
  assert_eq "watch" "$(probe orch pricing wa)"
  assert_eq "top" "$(probe orch pricing to)"
  assert_eq "exec extend" "$(probe orch help session e)"
  assert_eq "bash zsh fish" "$(probe orch completion '')"
  assert_contains "$(probe orch templates build --)" "--missing"
  assert_eq "python python-data" "$(probe "$ORCH" run -t py)" "template names come from the orch being completed"
  assert_contains "$(probe "$ORCH" session create --template '')" "minimal"
  # Every command and every option of run is offered: nothing drifts from the parser.
  out=$(probe orch '')
  for c in run serve session templates repo pricing gc version completion help; do assert_contains " $out " " $c "; done
  out=$(probe orch run --)
  for o in $("$ORCH" run --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do assert_contains " $out " " $o "; done
}

test_zsh_and_fish_completions_load_in_real_shells() {
  scratch
  if ! command -v zsh >/dev/null || ! command -v fish >/dev/null; then
    [ -n "${CI:-}" ] && fail "zsh and fish must be installed in CI (.ci/run installs them)"
    echo "skipping: zsh or fish missing"; return 0
  fi
  "$ORCH" completion zsh > "$SCRATCH/_orch"
  "$ORCH" completion fish > "$SCRATCH/orch.fish"
  zsh -n "$SCRATCH/_orch" || fail "zsh -n"
  fish -n "$SCRATCH/orch.fish" || fail "fish -n"
  # zsh: the script's own walker, with zsh's completion builtins replaced by printers.
  local out
  out=$(zsh -f -c 'compdef() { :; }; source "$1"
_describe() { local arr=${@[-1]}; print -r -- "${(@)${(P)arr}%%:*}"; }
_files() { print FILES; }
words=(orch session e); CURRENT=3; _orch_complete
compadd() { print -r -- "${(@P)${@[-1]}}"; }
words=(orch run --timeout ""); CURRENT=4; _orch_complete
words=("$2" run -t ""); CURRENT=4; _orch_complete' _ "$SCRATCH/_orch" "$ORCH")
  assert_contains "$out" "create exec ls"
  assert_contains "$out" "FILES"
  assert_contains "$out" "python-data"
  out=$(HOME=$SCRATCH fish -c 'source $argv[1]; complete -C"orch session e"; complete -C"orch pricing watch --bel"
    complete -C"$argv[2] run -t python-d"' "$SCRATCH/orch.fish" "$ORCH")
  assert_contains "$out" "exec"
  assert_contains "$out" "extend"
  assert_contains "$out" "--below"
  assert_contains "$out" "python-data"
  assert_not_contains "$out" "create"
}

test_man_page_renders_every_command() {
  scratch
  "$ORCH" help --man > "$SCRATCH/orch.1"
  local out
  out=$("$ORCH" help --man | head -1)
  assert_contains "$out" ".TH ORCH 1"
  if command -v groff >/dev/null; then
    out=$(groff -man -ww -z "$SCRATCH/orch.1" 2>&1)
    assert_eq "" "$out" "groff warnings"
    out=$(groff -man -Tutf8 "$SCRATCH/orch.1" 2>/dev/null | sed 's/.\x08//g')
    for s in "orch session exec" "orch pricing top" "ENVIRONMENT" "ORCH_TOKEN" "--timeout" "EXIT STATUS"; do assert_contains "$out" "$s"; done
  fi
}

test_engine_down_hint_works_anywhere() {
  local out
  out=$(DOCKER_HOST=unix:///nonexistent/docker.sock "$ORCH" run -c 'print(1)' 2>&1)
  assert_eq 125 "$?"
  assert_contains "$out" "cannot reach Docker at unix:///nonexistent/docker.sock"
  assert_contains "$out" "install Docker"
  assert_contains "$out" "set DOCKER_HOST"
  assert_not_contains "$out" "scripts/"
}

test_templates_build_missing_alone_builds_every_missing_one() {
  local out
  out=$("$ORCH" templates build --missing 2>&1)
  assert_eq 0 "$?" "templates build --missing: $out"
  for t in $("$ORCH" templates ls --no-engine | awk 'NR > 1 {print $1}'); do assert_contains "$out" "template $t:"; done
  out=$("$ORCH" templates build 2>&1)
  assert_eq 2 "$?"
  assert_contains "$out" "--missing"
}
