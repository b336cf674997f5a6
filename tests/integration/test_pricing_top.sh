# orch pricing top: the price store as a full-screen terminal program, driven under tmux with send-keys and
# read with capture-pane. The store is filled from the SkyPilot fixtures with `pricing import`.

CATALOGS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/pricing/catalogs/v8" && pwd)

# Fills a private price store, sets one watch threshold, and starts `pricing top` in a private tmux server.
start_top() {
  scratch
  command -v tmux >/dev/null || fail "tmux is missing (.ci/run installs it)"
  export XDG_CACHE_HOME=$SCRATCH/cache
  "$ORCH" pricing import "$CATALOGS/aws/vms.csv" >/dev/null || fail "import aws"
  "$ORCH" pricing import "$CATALOGS/lambda/vms.csv" >/dev/null || fail "import lambda"
  "$ORCH" pricing watch -q --gpu H100 --below 2.50 --once --no-refresh >/dev/null || fail "watch"
  TMUX_SOCK=orch-top-$$
  trap 'tmux -L "$TMUX_SOCK" kill-server 2>/dev/null; rm -rf "$SCRATCH"' EXIT
  # After orch ends, the pane says how it ended and whether the terminal is back in canonical mode.
  tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -x 150 -y 32 \
    "XDG_CACHE_HOME=$XDG_CACHE_HOME $ORCH pricing top --interval 1s $*; echo EXIT=\$?; stty -a | grep -o -- '-\?icanon' | head -1; sleep 600"
  wait_for 100 screen_has "orch pricing top" || fail "top did not draw: $(screen)"
}

screen() { tmux -L "$TMUX_SOCK" capture-pane -p; }
screen_has() { screen | grep -qF -- "$1"; }
keys() { tmux -L "$TMUX_SOCK" send-keys "$@"; }
# A row of the offers table: the GPU model at the start of the line.
row() { screen | grep -E "^$1 " | head -1; }

test_top_shows_cheapest_per_model_thresholds_and_crossings() {
  start_top
  local r
  r=$(row H100)
  assert_contains "$r" "2.4900"
  assert_contains "$r" "lambda"
  assert_contains "$r" "gpu_1x_h100_pcie"
  assert_contains "$(row A100-80GB)" "1.7900"
  assert_contains "$(row A100)" "4.0966"  # 32.7726 / 8, from aws
  assert_contains "$(screen)" "THRESHOLDS"
  assert_contains "$(screen | grep -F 'below 2.5000')" "H100"
  assert_contains "$(screen | grep -A2 'RECENT CROSSINGS')" "gpu_1x_h100_pcie"
  keys q
  wait_for 100 screen_has "EXIT=0" || fail "q did not quit: $(screen)"
  assert_not_contains "$(screen)" "-icanon" "the terminal is back in canonical mode"
  assert_contains "$(screen)" "icanon"
}

test_top_keys_filter_and_sort() {
  start_top
  keys s
  wait_for 100 screen_has "price: spot" || fail "s did not switch to spot"
  assert_contains "$(row H100)" "4.8125"  # aws spot 38.5 / 8; lambda has no spot price
  assert_eq "" "$(row A100-80GB)" "no spot price, no row"
  keys s / A 1 0 0 Enter
  wait_for 100 screen_has "GPU: A100 " || fail "/ did not filter: $(screen)"
  assert_eq "" "$(row H100)" "H100 filtered out"
  assert_contains "$(row A100-80GB)" "lambda"
  keys p
  wait_for 100 screen_has "provider: aws" || fail "p did not pick a provider: $(screen)"
  assert_eq "" "$(row A100-80GB)" "only aws rows"
  assert_contains "$(row A100)" "aws"
  keys o
  wait_for 100 screen_has "sort: model" || fail "o did not sort"
  keys C-c
  wait_for 100 screen_has "EXIT=130" || fail "Ctrl-C did not end top: $(screen)"
  assert_not_contains "$(screen)" "-icanon"
}

test_top_restores_the_terminal_on_sigterm_and_needs_a_tty() {
  start_top --gpu h100
  assert_contains "$(row H100)" "2.4900"
  assert_eq "" "$(row A100)" "--gpu filters from the start"
  local shell_pid orch_pid
  shell_pid=$(tmux -L "$TMUX_SOCK" display-message -p '#{pane_pid}')
  orch_pid=$(ps -o pid= --ppid "$shell_pid" | head -1)
  [ -n "$orch_pid" ] || fail "no orch under the pane's shell"
  kill -TERM "$orch_pid"
  wait_for 100 screen_has "EXIT=130" || fail "SIGTERM did not end top: $(screen)"
  assert_not_contains "$(screen)" "-icanon"
  assert_not_contains "$(screen)" "orch pricing top  " "the alternate screen is gone"
  local out
  out=$("$ORCH" pricing top </dev/null 2>&1)
  assert_eq 2 "$?"
  assert_contains "$out" "orch pricing ls --json"
}
