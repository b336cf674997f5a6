# orch warm runner for any language: answers "ping" frames with "\036ORCH-READY\036", then reads a
# "run" frame holding a tar from stdin, unpacks it into $ORCH_WORKSPACE (default /workspace) and
# sources .orch/run.sh there, which exports the run's environment, runs the program and ends both
# streams with "\036ORCH-END-<token> <code>\036". Started by `orch agent direct` with
# ORCH_DIRECT_IO=1, its stdout and stderr are orch's direct sockets: the answer to the first ping
# and every request after it go over stdout's.
requests=0
# A copy of the socket, as a pipeline's left side has the pipe for its fd 1.
[ "${ORCH_DIRECT_IO:-}" = 1 ] && exec 3<&1 && requests=3
unset ORCH_DIRECT_IO
IFS=' ' read -r kind size || exit 125
while [ "$kind" = ping ]; do  # orch asks whether the runner is up before it offers the sandbox
  printf '\036ORCH-READY\036'
  IFS=' ' read -r kind size <&$requests || exit 125
done
cd "${ORCH_WORKSPACE:-/workspace}" && [ "$kind" = run ] &&
  dd bs=65536 count="$size" iflag=count_bytes,fullblock 2>/dev/null <&$requests | tar -x -o -f - || {
  echo 'orch: could not unpack the input files' >&2; exit 125; }
exec 3<&-
unset requests kind size
. ./.orch/run.sh
