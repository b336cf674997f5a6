# orch session kernel for bash, with bash and coreutils only. Two modes:
#   relay [NAME [CWD]]: what each `docker exec` runs; reads request frames ("TYPE LEN\n" + LEN bytes)
#          from stdin, and for each one takes the lock, hands it to kernel NAME (default "bash",
#          started in CWD) through a FIFO, streams the output the kernel writes to files, and copies
#          the reply.
#   serve NAME: the long-lived shell; evaluates each request in itself, so cd and variables persist.
# Replies are frames too: out, err (raw bytes), done (JSON). Kernels live in $ORCH_KERNEL_DIR
# (default /tmp/.orch/k), one directory per NAME.
D=${ORCH_KERNEL_DIR:-/tmp/.orch/k}/${2:-bash}
CWD=${3:-/workspace}
ME=$0  # started by its absolute path

orch_relay() {
  export LC_ALL=C
  mkdir -p -m 700 "$D" || exit 1
  local type len code kpid
  while IFS=' ' read -r type len; do
    [[ $type =~ ^[a-z]+$ && $len =~ ^[0-9]+$ ]] || { echo "orch: bad request frame" >&2; exit 1; }
    code=
    ((len == 0)) || IFS= read -r -N "$len" code || [ "${#code}" -eq "$len" ] || exit 1
    exec 9>"$D/lock"
    flock 9
    kpid=
    [ -f "$D/pid" ] && read -r kpid <"$D/pid"
    if [ -z "$kpid" ] || ! kill -0 "$kpid" 2>/dev/null; then
      rm -f "$D/pid"
      (exec 9>&-; cd "$CWD" && exec setsid bash "$ME" serve "${D##*/}" </dev/null >/dev/null 2>&1 &)
      for _ in $(seq 2000); do [ -f "$D/pid" ] && break; sleep 0.01; done
      [ -f "$D/pid" ] || { echo "orch: the bash kernel did not start" >&2; exit 1; }
      read -r kpid <"$D/pid"
    fi
    # The kernel writes the call's output to files; the relay streams what they gain until the
    # kernel says done (or is gone), then the rest, then done.
    : >"$D/o"
    : >"$D/e"
    sent_o=0 sent_e=0
    exec 8<>"$D/out"
    printf '%s\n%s' "$type" "$code" >"$D/in"
    while ! orch_done 0.1; do
      orch_forward
      if ! { [ -f "$D/pid" ] && kill -0 "$kpid" 2>/dev/null; }; then
        orch_done 0.5  # the code called exit: its answer is on its way; killed after a timeout: none
        exit 0
      fi
    done
    exec 8>&-
    [ -f "$D/pid" ] || exit 0  # the kernel ended (the code called exit)
    exec 9>&-  # closing the descriptor releases the lock without another process
  done
}

orch_done() {  # TIMEOUT: when the kernel's answer arrives in time, sends the rest of the output and it
  local type len json
  IFS=' ' read -r -t "$1" -u 8 type len || return 1
  IFS= read -r -N "$len" -u 8 json
  orch_forward
  printf 'done %d\n%s' "${#json}" "$json"
}

orch_forward() {  # sends what the output files gained since the last look, as out/err frames
  local size_o size_e
  { read -r size_o; read -r size_e; } < <(stat -c %s "$D/o" "$D/e" 2>/dev/null)
  if ((size_o > sent_o)); then
    printf 'out %d\n' $((size_o - sent_o))
    tail -c +$((sent_o + 1)) "$D/o" | head -c $((size_o - sent_o))
    sent_o=$size_o
  fi
  if ((size_e > sent_e)); then
    printf 'err %d\n' $((size_e - sent_e))
    tail -c +$((sent_e + 1)) "$D/e" | head -c $((size_e - sent_e))
    sent_e=$size_e
  fi
}

__orch_reply() {  # EXIT_CODE STATE_LOST (the relay forwards the output files itself)
  local LC_ALL=C status=ok json
  [ "$1" = 0 ] || status=error
  json="{\"status\":\"$status\",\"exit_code\":$1,\"execution_count\":$__orch_count,\"state_lost\":$2,\"pid\":$$}"
  printf 'done %d\n%s' "${#json}" "$json" >"$__orch_d/out"
}

__orch_on_exit() {  # the code called exit: answer, then let the shell end
  local rc=$?
  rm -f "$__orch_d/pid"
  __orch_reply "$rc" true
}

orch_serve() {
  readonly __orch_d=$D
  rm -f "$D/in" "$D/out" "$D/o" "$D/e"
  mkfifo -m 600 "$D/in" "$D/out" || exit 1
  : >"$D/o"
  : >"$D/e"
  __orch_count=0
  echo $$ >"$D/pid.tmp" && mv -f "$D/pid.tmp" "$D/pid"
  unset -f orch_relay orch_serve
  unset D ME CWD
  while :; do
    __orch_req=
    IFS= read -r -d '' __orch_req <"$__orch_d/in"
    __orch_type=${__orch_req%%$'\n'*}
    __orch_req=${__orch_req#*$'\n'}
    if [ "$__orch_type" = exec ]; then
      __orch_count=$((__orch_count + 1))
      trap __orch_on_exit EXIT
      eval "$__orch_req" </dev/null >"$__orch_d/o" 2>"$__orch_d/e"
      __orch_rc=$?
      trap - EXIT
      __orch_reply "$__orch_rc" false
    else
      __orch_reply 0 false
    fi
  done
}

case ${1:-} in
  relay) orch_relay ;;
  serve) orch_serve ;;
  *) echo "usage: bash_kernel.sh relay|serve" >&2; exit 2 ;;
esac
