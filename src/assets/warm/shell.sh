# orch warm runner for any language: reads "SIZE\n" and a tar from stdin, unpacks it into
# /workspace, then sources .orch/run.sh, which exports the run's environment, runs the program and
# ends both streams with "\036ORCH-END-<token> <code>\036".
IFS= read -r size || exit 125
dd bs=65536 count="$size" iflag=count_bytes,fullblock 2>/dev/null | tar -x -o -C /workspace -f - || {
  echo 'orch: could not unpack the input files' >&2; exit 125; }
. /workspace/.orch/run.sh
