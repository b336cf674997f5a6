#!/usr/bin/env bash
# Is a GPU affordable right now? Refreshes real prices from the providers' public sources, then
# compares the cheapest per-GPU hourly price with a budget: exit 0 within it, 1 over it, 3 when no
# offer has that GPU. For cron or a pipeline gate (`orch pricing watch` does the same in a loop).
# Usage: bash examples/gpu-budget.sh GPU MAX_USD_PER_GPU_HOUR
#   NO_REFRESH=1 uses the prices already cached (e.g. after `orch pricing import vms.csv`).
set -euo pipefail
orch=${ORCH:-orch}
gpu=${1:?usage: gpu-budget.sh GPU MAX_USD_PER_GPU_HOUR}
budget=${2:?usage: gpu-budget.sh GPU MAX_USD_PER_GPU_HOUR}
if [ -z "${NO_REFRESH:-}" ]; then
  # A provider that cannot be reached is reported and the others are still saved (exit 1).
  "$orch" pricing refresh >&2 || echo "gpu-budget: some providers failed; using what was fetched" >&2
fi
rc=0
offer=$("$orch" pricing cheapest --gpu "$gpu" --json) || rc=$?
if [ "$rc" = 3 ]; then
  echo "no offer with $gpu in the price store"
  exit 3
fi
[ "$rc" = 0 ] || exit "$rc"
python3 - "$offer" "$budget" <<'PY'
import json, sys
o, budget = json.loads(sys.argv[1]), float(sys.argv[2])
line = "%s %s in %s: %d x %s at %.4f %s/h per GPU (data %d min old)" % (
    o["provider"], o["instance_type"], o["region"], o["gpu_count"], o["gpu_model"], o["price_per_gpu"],
    o["currency"], o["age_seconds"] // 60)
within = o["price_per_gpu"] <= budget
print(("within budget: " if within else "over budget (%.2f): " % budget) + line)
sys.exit(0 if within else 1)
PY
