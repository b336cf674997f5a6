# orch warm runner for any language: answers "ping" frames with "\036ORCH-READY\036", then reads a
# "run" frame holding a tar from stdin, unpacks it into $ORCH_WORKSPACE (default /workspace) and
# sources .orch/run.sh there, which exports the run's environment, runs the program and ends both
# streams with "\036ORCH-END-<token> <code>\036".
IFS=' ' read -r kind size || exit 125
while [ "$kind" = ping ]; do  # orch asks whether the runner is up before it offers the sandbox
  printf '\036ORCH-READY\036'
  IFS=' ' read -r kind size || exit 125
done
cd "${ORCH_WORKSPACE:-/workspace}" && [ "$kind" = run ] &&
  dd bs=65536 count="$size" iflag=count_bytes,fullblock 2>/dev/null | tar -x -o -f - || {
  echo 'orch: could not unpack the input files' >&2; exit 125; }
. ./.orch/run.sh
