# The session container's main process (root without capabilities, under tini).
# Unpacks the kernels from stdin, says it is ready, then stops the container once the expiry in
# /tmp/.orch/ctl/expires has passed. Only root can write that file, so sandboxed code cannot extend it.
# Arguments: EXPIRES (unix seconds) TAR_SIZE (bytes of kernel tar on stdin).
set -u
umask 022
mkdir -p /tmp/.orch/lib /tmp/.orch/ctl && mkdir -p -m 1777 /tmp/.orch/k || exit 125
dd bs=65536 count="$2" iflag=count_bytes,fullblock 2>/dev/null | tar -x -o -m -C /tmp/.orch/lib -f - ||
  { echo "orch: could not unpack the session kernels" >&2; exit 125; }
printf '%s\n' "$1" >/tmp/.orch/ctl/expires || exit 125
echo "orch-session-ready"
exec >/dev/null 2>&1
# While orch holds stdin open (a session being created, a pooled one waiting to be claimed), it
# may send "expires N" lines; at its end the loop only watches the clock.
open=1
while :; do
  if ((open)); then
    if IFS= read -r -t 1 line; then
      [[ $line =~ ^expires\ ([0-9]+)$ ]] && printf '%s\n' "${BASH_REMATCH[1]}" >/tmp/.orch/ctl/expires.new &&
        mv -f /tmp/.orch/ctl/expires.new /tmp/.orch/ctl/expires
    elif (($? <= 128)); then
      open=0
      exec </dev/null
    fi
  else
    sleep 1
  fi
  exp=0
  read -r exp </tmp/.orch/ctl/expires
  printf -v now '%(%s)T' -1
  [[ $exp =~ ^[0-9]+$ ]] && ((now >= exp)) && exit 0
done
