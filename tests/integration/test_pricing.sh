# it: long
# orch pricing: every fetcher against a replay server on 127.0.0.1 answering in the provider's format
# (tests/fixtures/pricing/replay.py), SkyPilot and orch catalog import, filters, watch, history, staleness.

FIXTURES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/pricing" && pwd)

# Starts the replay server over a private copy of the fixtures (tests may edit it) and points every provider
# at it. Sets FX (the copy), BASE (the server's URL), REQLOG (one line per request).
start_replay() {
  scratch
  export XDG_CACHE_HOME=$SCRATCH/cache
  FX=$SCRATCH/fx
  cp -r "$FIXTURES" "$FX"
  REQLOG=$SCRATCH/requests.log
  python3 "$FX/replay.py" "$FX" "$SCRATCH/port" "$REQLOG" &
  REPLAY_PID=$!
  trap 'kill $REPLAY_PID 2>/dev/null; wait $REPLAY_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
  wait_for 100 test -s "$SCRATCH/port" || fail "replay server did not start"
  BASE=http://127.0.0.1:$(cat "$SCRATCH/port")
  export ORCH_PRICING_AWS_URL=$BASE ORCH_PRICING_AWS_SPOT_URL=$BASE/aws-spot/spot.js
  export ORCH_PRICING_AZURE_URL=$BASE/azure/api/retail/prices ORCH_PRICING_LINODE_URL=$BASE/linode/v4
  export ORCH_PRICING_VULTR_URL=$BASE/vultr/v2 ORCH_PRICING_DIGITALOCEAN_URL=$BASE/do/v2
  export ORCH_PRICING_HETZNER_URL=$BASE/hetzner/v1 ORCH_PRICING_OVH_URL=$BASE/ovh/1.0
  export ORCH_PRICING_LAMBDA_URL=$BASE/lambda/api/v1 ORCH_PRICING_RUNPOD_URL=$BASE/runpod/graphql
  export ORCH_PRICING_VAST_URL=$BASE/vast/api/v0 ORCH_PRICING_ORACLE_URL=$BASE/oracle/cetools/api/v1
  export DIGITALOCEAN_TOKEN=test-do-token HCLOUD_TOKEN=test-hetzner-token LAMBDA_API_KEY=test-lambda-key
  export RUNPOD_API_KEY=test-runpod-key
  unset VULTR_API_KEY VAST_API_KEY ORCH_PRICING_MAX_AGE ORCH_PRICING_TIMEOUT ORCH_PRICING_ORACLE_CURRENCY
}

# One offer's field from `ls --json` output: offer_field JSON PROVIDER INSTANCE REGION FIELD
offer_field() {
  python3 -c '
import json, sys
d = json.loads(sys.argv[1])
hits = [o for o in d["offers"] if o["provider"] == sys.argv[2] and o["instance_type"] == sys.argv[3] and o["region"] == sys.argv[4]]
print(hits[0][sys.argv[5]] if hits else "MISSING")' "$@"
}

# A value computed from a fixture file with python, so expectations follow the input.
fixture_py() { python3 -c "import json,csv,sys; fx='$FX'; print($1)"; }
round6() { python3 -c "print(round(float($1), 6))"; }

# An Oracle part's price in the fixture by display name: its last tier, the rate beyond any free allowance.
oracle_part_price() {
  python3 - "$FX" "$1" <<'PY'
import json, sys
for page in (1, 2):
    for item in json.load(open(sys.argv[1] + "/oracle/products-page%d.json" % page))["items"]:
        if item["displayName"].replace("\u2013", "-") == sys.argv[2]:
            print(item["currencyCodeLocalizations"][0]["prices"][-1]["value"])
PY
}

test_pricing_help_lists_subcommands() {
  local out
  out=$("$ORCH" pricing --help)
  for sub in providers refresh import ls cheapest watch history; do assert_contains "$out" "$sub"; done
  assert_rc 2 "$ORCH" pricing nonsense
  out=$("$ORCH" pricing watch --help)
  assert_contains "$out" "ORCH_PRICE_PROVIDER"
}

test_pricing_providers_without_source_are_listed_as_such() {
  start_replay
  local out
  out=$("$ORCH" pricing providers --json)
  for p in aws azure gcp digitalocean linode vultr ovh hetzner oracle ibm lambda runpod vast; do
    assert_contains "$out" "\"name\": \"$p\""
  done
  assert_eq none "$(python3 -c 'import json,sys; print([p["access"] for p in json.loads(sys.argv[1]) if p["name"]=="gcp"][0])' "$out")"
  assert_eq none "$(python3 -c 'import json,sys; print([p["access"] for p in json.loads(sys.argv[1]) if p["name"]=="ibm"][0])' "$out")"
  assert_eq public "$(python3 -c 'import json,sys; print([p["access"] for p in json.loads(sys.argv[1]) if p["name"]=="oracle"][0])' "$out")"
  out=$("$ORCH" pricing providers)
  assert_contains "$out" "ORCH_PRICING_ORACLE_URL"
  out=$("$ORCH" pricing refresh --provider ibm 2>&1)
  assert_eq 1 "$?"
  assert_contains "$out" "ibm: failed: no fetcher"
}

test_pricing_refresh_every_fetcher_parses_its_format() {
  start_replay
  local out rc
  out=$("$ORCH" pricing refresh --json -q)
  rc=$?
  assert_eq 0 "$rc" "refresh exit code: $out"
  for p in aws azure digitalocean linode vultr ovh hetzner oracle lambda runpod vast; do
    assert_eq ok "$(python3 -c 'import json,sys; print([r["status"] for r in json.loads(sys.argv[1]) if r["source"]==sys.argv[2]][0])' "$out" "$p")" "$p status"
  done
  out=$("$ORCH" pricing ls --json --currency any)
  # AWS: Linux shared on-demand from the offer file; Windows, dedicated, reservations and reserved terms ignored.
  assert_eq "$(fixture_py 'float(json.load(open(fx+"/aws/offer-us-east-1.json"))["terms"]["OnDemand"]["SKUP5LINUX"]["SKUP5LINUX.JRTCKXETXF"]["priceDimensions"]["SKUP5LINUX.JRTCKXETXF.6YS6EN2CT7"]["pricePerUnit"]["USD"])')" \
    "$(offer_field "$out" aws p5.48xlarge us-east-1 on_demand)" "aws p5 on-demand"
  assert_eq 8 "$(offer_field "$out" aws p5.48xlarge us-east-1 gpu_count)"
  assert_eq H100 "$(offer_field "$out" aws p5.48xlarge us-east-1 gpu_model)"
  assert_eq 0.035 "$(offer_field "$out" aws m5.large us-east-1 spot)" "aws spot from the feed (us-east = us-east-1)"
  assert_eq 0.4 "$(offer_field "$out" aws g5.xlarge eu-west-1 spot)" "aws spot (eu-ireland = eu-west-1)"
  # Azure: both pages, spot meter merged, Windows and Low Priority skipped.
  assert_eq 98.32 "$(offer_field "$out" azure Standard_ND96isr_H100_v5 eastus on_demand)"
  assert_eq 39.33 "$(offer_field "$out" azure Standard_ND96isr_H100_v5 eastus spot)"
  assert_eq 0.192 "$(offer_field "$out" azure Standard_D4s_v5 eastus on_demand)" "azure page 2"
  assert_eq 4.409 "$(offer_field "$out" azure Standard_NC24ads_A100_v4 westeurope on_demand)" "DevTest meter ignored"
  # Linode: page 2 and per-region prices.
  assert_eq 0.009 "$(offer_field "$out" linode g6-nanode-1 id-cgk on_demand)"
  assert_eq RTX6000 "$(offer_field "$out" linode g1-gpu-rtx6000-1 global gpu_model)"
  # Vultr: cursor paging, hourly_cost preferred, monthly/730 otherwise.
  assert_eq 1.71 "$(offer_field "$out" vultr vcg-l40s-16c-180g-48vram sjc on_demand)"
  assert_eq "$(fixture_py 'round(5/730, 10)')" "$(python3 -c "print(round($(offer_field "$out" vultr vc2-1c-1gb ams on_demand), 10))")"
  # DigitalOcean: links.pages.next, gpu_info.
  assert_eq 23.92 "$(offer_field "$out" digitalocean gpu-h100x8-640gb nyc2 on_demand)"
  assert_eq MISSING "$(offer_field "$out" digitalocean s-retired nyc1 on_demand)" "unavailable sizes skipped"
  # Hetzner: EUR net prices (strings), cores from server_types page 2.
  assert_eq 0.573 "$(offer_field "$out" hetzner ccx63 fsn1 on_demand)"
  assert_eq EUR "$(offer_field "$out" hetzner ccx63 fsn1 currency)"
  assert_eq 48 "$(offer_field "$out" hetzner ccx63 fsn1 vcpus)"
  # Lambda, RunPod, Vast, OVH.
  assert_eq 2.49 "$(offer_field "$out" lambda gpu_1x_h100_pcie us-west-1 on_demand)"
  assert_eq 1.75 "$(offer_field "$out" runpod "NVIDIA H100 80GB HBM3" secure-cloud spot)"
  assert_eq MISSING "$(offer_field "$out" runpod "NVIDIA A40" secure-cloud on_demand)" "zero prices mean unavailable"
  assert_eq 17.6 "$(offer_field "$out" vast offer-7654321 "Norway, NO" on_demand)"
  assert_eq 2.8 "$(offer_field "$out" ovh h100-380 GRA11 on_demand)"
  assert_eq MISSING "$(offer_field "$out" ovh h100-380.monthly.postpaid GRA11 on_demand)"
  # Oracle: both pages, GPU shapes = per-GPU price x GPUs, flexible shapes composed from OCPU and memory parts.
  assert_eq "$(round6 "8 * $(oracle_part_price 'Compute - GPU Standard - H100')")" \
    "$(round6 "$(offer_field "$out" oracle BM.GPU.H100.8 global on_demand)")" "oracle H100 x8"
  assert_eq 8 "$(offer_field "$out" oracle BM.GPU.H100.8 global gpu_count)"
  assert_eq A100-80GB "$(offer_field "$out" oracle BM.GPU.A100-v2.8 global gpu_model)"
  assert_eq "$(round6 "$(oracle_part_price 'Compute - GPU Standard - A10')")" \
    "$(round6 "$(offer_field "$out" oracle VM.GPU.A10.1 global on_demand)")" "oracle A10 x1"
  assert_eq "$(round6 "4 * $(oracle_part_price 'Compute - Standard - E4 - OCPU') + 64 * $(oracle_part_price 'Compute - Standard - E4 - Memory')")" \
    "$(round6 "$(offer_field "$out" oracle VM.Standard.E4.Flex-4ocpu-64gb global on_demand)")" "oracle E4 composed"
  assert_eq 8 "$(offer_field "$out" oracle VM.Standard.E4.Flex-4ocpu-64gb global vcpus)"
  assert_contains "$(offer_field "$out" oracle VM.Standard.E4.Flex-4ocpu-64gb global source)" "composed"
  assert_eq "$(round6 "$(oracle_part_price 'Compute - Ampere A1 - OCPU') + 16 * $(oracle_part_price 'Compute - Ampere A1 - Memory')")" \
    "$(round6 "$(offer_field "$out" oracle VM.Standard.A1.Flex-1ocpu-16gb global on_demand)")" "oracle A1 beyond the free tier"
  assert_eq MISSING "$(offer_field "$out" oracle VM.Standard3.Flex-1ocpu-16gb global on_demand)" "X9 has no memory part: nothing invented"
  assert_eq 20 "$(python3 -c 'import json,sys; print(sum(o["provider"] == "oracle" for o in json.loads(sys.argv[1])["offers"]))' "$out")"
}

test_pricing_refresh_follows_paging() {
  start_replay
  "$ORCH" pricing refresh -q --provider linode,vultr,digitalocean,azure,hetzner,oracle >/dev/null || fail "refresh failed"
  local log
  log=$(cat "$REQLOG")
  assert_contains "$log" "GET /linode/v4/linode/types?page=2"
  assert_contains "$log" "cursor=bmV4dF9fMg%3D%3D"
  assert_contains "$log" "GET /do/v2/sizes?page=2&per_page=200 Bearer test-do-token"
  assert_contains "$log" '$skip=1000'
  assert_contains "$log" "GET /hetzner/v1/server_types?per_page=50&page=2"
  assert_contains "$log" "GET /oracle/cetools/api/v1/products/?currencyCode=USD&offset=8&limit=8"
}

test_pricing_token_providers_skip_or_fail_clearly() {
  start_replay
  unset DIGITALOCEAN_TOKEN HCLOUD_TOKEN LAMBDA_API_KEY RUNPOD_API_KEY
  local out
  out=$("$ORCH" pricing refresh -q --provider linode,hetzner 2>&1)
  assert_eq 1 "$?" "a named provider without its token fails the refresh"
  assert_contains "$out" "hetzner: failed: needs an API token: set HCLOUD_TOKEN"
  assert_contains "$out" "linode: ok"
  export ORCH_PRICING_AWS_URL=http://127.0.0.1:1 ORCH_PRICING_AZURE_URL=http://127.0.0.1:1
  out=$("$ORCH" pricing refresh -q --provider linode,vultr 2>&1)
  assert_eq 0 "$?"
  export LAMBDA_API_KEY=wrong-key
  out=$("$ORCH" pricing refresh -q --provider lambda 2>&1)
  assert_eq 1 "$?"
  assert_contains "$out" "HTTP 401"
  assert_contains "$out" "token"
}

test_pricing_garbage_timeout_and_unreachable_fail_alone() {
  start_replay
  export ORCH_PRICING_LINODE_URL=$BASE/garbage/v4 ORCH_PRICING_VULTR_URL=$BASE/slow/v2
  export ORCH_PRICING_VAST_URL=http://127.0.0.1:1/api/v0
  local out
  out=$("$ORCH" pricing refresh -q --timeout 1 --provider linode,vultr,vast,lambda,azure 2>&1)
  assert_eq 1 "$?" "refresh exit code"
  assert_contains "$out" "linode: failed: linode: $BASE/garbage/v4/linode/types did not answer JSON"
  assert_contains "$out" "vultr: failed: no answer from $BASE/slow/v2/plans in time"
  assert_contains "$out" "vast: failed: cannot reach http://127.0.0.1:1/api/v0/bundles/"
  assert_contains "$out" "lambda: ok, 3 offers"
  assert_contains "$out" "azure: ok"
  out=$("$ORCH" pricing ls --json)
  assert_eq 2.49 "$(offer_field "$out" lambda gpu_1x_h100_pcie us-east-1 on_demand)" "the healthy providers were saved"
}

test_pricing_failed_refresh_keeps_previous_prices() {
  start_replay
  "$ORCH" pricing refresh -q --provider linode >/dev/null || fail "first refresh failed"
  export ORCH_PRICING_LINODE_URL=$BASE/garbage/v4
  assert_rc 1 "$ORCH" pricing refresh -q --provider linode
  local out
  out=$("$ORCH" pricing ls --json --provider linode)
  assert_eq 1.5 "$(offer_field "$out" linode g1-gpu-rtx6000-1 global on_demand)"
}

test_pricing_import_skypilot_adds_gcp_host_vm_to_gpu_rows() {
  start_replay
  local out err
  err=$("$ORCH" pricing import "$FX/catalogs/v8/gcp/vms.csv" 2>&1 >/dev/null)
  assert_contains "$err" "1 GPU rows skipped" "the V100 row has no n1 host in europe-west4"
  out=$("$ORCH" pricing ls --json --gpu T4)
  assert_eq "$(fixture_py 'round(0.35 + 0.473212, 6)')" "$(python3 -c "print(round($(offer_field "$out" gcp n1-highmem-8+1xT4 us-central1 on_demand), 6))")"
  assert_eq "$(fixture_py 'round(0.14 + 0.100, 6)')" "$(python3 -c "print(round($(offer_field "$out" gcp n1-highmem-8+1xT4 us-central1 spot), 6))")"
  assert_eq "$(fixture_py 'round(0.7 + 0.946424, 6)')" "$(python3 -c "print(round($(offer_field "$out" gcp n1-highmem-16+2xT4 us-central1 on_demand), 6))")"
  assert_eq 16 "$(offer_field "$out" gcp n1-highmem-16+2xT4 us-central1 vcpus)"
  out=$("$ORCH" pricing ls --json --gpu H100 --provider gcp)
  assert_eq 88.25 "$(offer_field "$out" gcp a3-highgpu-8g us-central1 on_demand)"
  assert_eq None "$(offer_field "$out" gcp a3-highgpu-8g us-central1 spot)" "blank spot stays blank"
}

test_pricing_import_skypilot_aws_and_lambda_and_url() {
  start_replay
  "$ORCH" pricing import "$FX/catalogs/v8/aws/vms.csv" >/dev/null || fail "aws import"
  local out
  out=$("$ORCH" pricing import --json --provider lambda "$BASE/files/catalogs/v8/lambda/vms.csv")
  assert_eq 2 "$(json_get "$out" offers)"
  out=$("$ORCH" pricing ls --json --spot --gpu H100)
  assert_eq 38.5 "$(offer_field "$out" aws p5.48xlarge us-east-1 spot)" "lowest spot across zones"
  out=$("$ORCH" pricing ls --json --gpu A100-80GB)
  assert_eq 14.32 "$(offer_field "$out" lambda gpu_8x_a100_80gb_sxm4 us-east-1 on_demand)"
  out=$("$ORCH" pricing import "$FX/aws/index.json" 2>&1)
  assert_eq 2 "$?" "JSON that is not an export"
  assert_contains "$out" "is JSON without an 'offers' list"
  out=$("$ORCH" pricing import "$FX/replay.py" 2>&1)
  assert_eq 2 "$?" "not a catalog"
  assert_contains "$out" "not a catalog orch can read"
  assert_rc 3 "$ORCH" pricing import "$SCRATCH/missing.csv"
}

test_pricing_csv_and_json_export_round_trip() {
  start_replay
  "$ORCH" pricing refresh -q --provider linode,lambda >/dev/null || fail "refresh"
  "$ORCH" pricing ls --csv > "$SCRATCH/export.csv"
  "$ORCH" pricing ls --json > "$SCRATCH/export.json"
  local before after
  before=$("$ORCH" pricing ls --json | python3 -c 'import json,sys; print(sorted((o["provider"],o["instance_type"],o["region"],o["on_demand"]) for o in json.load(sys.stdin)["offers"]))')
  for f in export.csv export.json; do
    export XDG_CACHE_HOME=$SCRATCH/cache-$f
    "$ORCH" pricing import "$SCRATCH/$f" >/dev/null || fail "import $f"
    after=$("$ORCH" pricing ls --json | python3 -c 'import json,sys; print(sorted((o["provider"],o["instance_type"],o["region"],o["on_demand"]) for o in json.load(sys.stdin)["offers"]))')
    assert_eq "$before" "$after" "offers after importing $f"
  done
}

test_pricing_ls_filters_and_sorting() {
  start_replay
  "$ORCH" pricing refresh -q >/dev/null || fail "refresh"
  local out
  out=$("$ORCH" pricing ls --json --gpu H100 --min-gpus 8)
  python3 -c '
import json, sys
o = json.loads(sys.argv[1])["offers"]
assert o and all(x["gpu_count"] >= 8 and x["gpu_model"].startswith("H100") for x in o), o
p = [x["price"] for x in o]
assert p == sorted(p), p' "$out" || fail "gpu/min-gpus filter or price order"
  out=$("$ORCH" pricing ls --json --gpu H100 --sort price-per-gpu)
  python3 -c '
import json, sys
o = json.loads(sys.argv[1])["offers"]
p = [x["price_per_gpu"] for x in o]
assert len(p) > 3 and p == sorted(p), p' "$out" || fail "price-per-gpu order"
  out=$("$ORCH" pricing ls --json --provider aws,azure --spot --limit 2)
  assert_eq 2 "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["offers"]))' "$out")"
  assert_eq 5 "$(json_get "$out" total)" "aws and azure offers with a spot price (aws 3, azure 2)"
  assert_eq 0.0211 "$(json_get "$out" offers.0.price)" "cheapest spot first"
  out=$("$ORCH" pricing ls --json --region 'us-*' --max-price 3 --gpu H100)
  assert_eq "lambda lambda" "$(python3 -c 'import json,sys; print(" ".join(o["provider"] for o in json.loads(sys.argv[1])["offers"]))' "$out")"
  out=$("$ORCH" pricing ls --json --vcpus 100 --memory 1500 --currency any)
  # Offers that do not state their vCPUs or memory (RunPod's) are kept and counted, never dropped as if 0.
  python3 -c '
import json, sys
d = json.loads(sys.argv[1])
known = [x for x in d["offers"] if x["vcpus"] and x["memory_gib"] is not None]
unknown = [x for x in d["offers"] if not x["vcpus"] or x["memory_gib"] is None]
assert known and all(x["vcpus"] >= 100 and x["memory_gib"] >= 1500 for x in known), known
assert unknown and d["undecided"] == len(unknown), d["undecided"]
assert any("could not be checked" in w for w in d["warnings"]), d["warnings"]' "$out" || fail "vcpus/memory filter"
  out=$("$ORCH" pricing ls --gpu A10 2>/dev/null)
  assert_not_contains "$out" "A100" "A10 must not match A100"
  out=$("$ORCH" pricing ls --gpu a10g 2>/dev/null)
  assert_contains "$out" "g5.xlarge"
  assert_rc 2 "$ORCH" pricing ls --sort cost
  out=$("$ORCH" pricing ls --provider lamda 2>&1)
  assert_contains "$out" "did you mean 'lambda'"
}

test_pricing_cheapest_answers_in_one_line() {
  start_replay
  "$ORCH" pricing refresh -q >/dev/null || fail "refresh"
  local out
  out=$("$ORCH" pricing cheapest --gpu H100 --count 8 2>/dev/null)
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)"
  assert_contains "$out" "vast offer-7654321 in Norway, NO: 8x H100-SXM"
  assert_contains "$out" "17.6000 USD/h on-demand"
  out=$("$ORCH" pricing cheapest --gpu A100 --count 8 --json)
  assert_eq lambda "$(json_get "$out" provider)"
  out=$("$ORCH" pricing cheapest --gpu B200 2>&1)
  assert_eq 3 "$?"
  assert_contains "$out" "no cached offer matches B200"
}

# Records each hook run: env vars and stdin JSON, one line per run.
hook_cmd() {
  echo "printf '%s %s %s %s ' \"\$ORCH_PRICE_PROVIDER\" \"\$ORCH_PRICE_INSTANCE\" \"\$ORCH_PRICE_REGION\" \"\$ORCH_PRICE_PRICE\" >> $1; python3 -c 'import json,sys; print(json.load(sys.stdin)[\"price\"])' >> $1"
}

test_pricing_watch_fires_once_per_crossing_across_runs() {
  start_replay
  local csv=$SCRATCH/lambda.csv hooks=$SCRATCH/hooks.txt
  cp "$FX/catalogs/v8/lambda/vms.csv" "$csv"
  "$ORCH" pricing import --provider lambda "$csv" >/dev/null || fail "import"
  local out
  out=$("$ORCH" pricing watch -q --gpu H100 --below 2.50 --once --exec "$(hook_cmd "$hooks")")
  assert_eq 0 "$?"
  assert_contains "$out" "below 2.5000: lambda gpu_1x_h100_pcie"
  assert_eq "lambda gpu_1x_h100_pcie us-east-1 2.49 2.49" "$(cat "$hooks")"
  "$ORCH" pricing watch -q --gpu H100 --below 2.50 --once --exec "$(hook_cmd "$hooks")" >/dev/null
  assert_eq 1 "$(wc -l < "$hooks")" "still below: no second run"
  sed -i 's/,2.49,/,2.61,/' "$csv"
  "$ORCH" pricing watch -q --gpu H100 --below 2.50 --once --exec "$(hook_cmd "$hooks")" >/dev/null
  assert_eq 1 "$(wc -l < "$hooks")" "above: nothing runs"
  sed -i 's/,2.61,/,2.37,/' "$csv"
  "$ORCH" pricing watch -q --gpu H100 --below 2.50 --once --exec "$(hook_cmd "$hooks")" >/dev/null
  assert_eq 2 "$(wc -l < "$hooks")" "crossed again: runs again"
  assert_eq "lambda gpu_1x_h100_pcie us-east-1 2.37 2.37" "$(tail -1 "$hooks")"
  # A different threshold is a different watch, with its own memory.
  "$ORCH" pricing watch -q --gpu H100 --below 2.40 --once --exec "$(hook_cmd "$hooks")" >/dev/null
  assert_eq 3 "$(wc -l < "$hooks")"
}

test_pricing_watch_rereads_live_providers() {
  start_replay
  local hooks=$SCRATCH/hooks.txt
  "$ORCH" pricing refresh -q --provider lambda >/dev/null || fail "refresh"
  local out
  out=$("$ORCH" pricing watch -q --json --provider lambda --gpu H100 --below 2.50 --once --exec "$(hook_cmd "$hooks")")
  assert_eq 2 "$(printf '%s\n' "$out" | wc -l)" "two regions crossed"
  sed -i 's/"price_cents_per_hour": 249/"price_cents_per_hour": 265/' "$FX/lambda/instance-types.json"
  "$ORCH" pricing watch -q --provider lambda --gpu H100 --below 2.50 --once --exec "$(hook_cmd "$hooks")" >/dev/null
  sed -i 's/"price_cents_per_hour": 265/"price_cents_per_hour": 231/' "$FX/lambda/instance-types.json"
  out=$("$ORCH" pricing watch -q --json --provider lambda --gpu H100 --below 2.50 --once --exec "$(hook_cmd "$hooks")")
  assert_eq 2.31 "$(json_get "$(printf '%s\n' "$out" | head -1)" price)"
  assert_eq 4 "$(wc -l < "$hooks")" "2 crossings, a rise, 2 crossings"
  out=$("$ORCH" pricing watch -q --gpu H100 --below 5 --once --exec 'exit 7' 2>&1)
  assert_eq 1 "$?" "a failing hook fails --once"
  assert_contains "$out" "exited with 7"
}

test_pricing_watch_loop_until_signal() {
  start_replay
  local csv=$SCRATCH/lambda.csv hooks=$SCRATCH/hooks.txt
  cp "$FX/catalogs/v8/lambda/vms.csv" "$csv"
  sed -i 's/,2.49,/,2.61,/' "$csv"
  "$ORCH" pricing import --provider lambda "$csv" >/dev/null || fail "import"
  "$ORCH" pricing watch -q --gpu H100 --below 2.50 --interval 1s --exec "$(hook_cmd "$hooks")" >/dev/null &
  local pid=$!
  sleep 1.5
  sed -i 's/,2.61,/,2.45,/' "$csv"
  wait_for 60 test -s "$hooks" || { kill $pid; fail "watch did not fire after the price dropped"; }
  sleep 1.5
  kill -TERM $pid
  wait $pid
  assert_eq 0 "$?" "watch exits cleanly on SIGTERM"
  assert_eq 1 "$(wc -l < "$hooks")"
}

test_pricing_stale_cache_warns() {
  start_replay
  local csv=$SCRATCH/old.csv
  {
    echo "provider,instance_type,gpu_model,gpu_count,vcpus,memory_gib,region,on_demand,spot,currency,source,fetched_at"
    echo "lambda,gpu_1x_h100_pcie,H100,1,26,200,us-east-1,2.49,,USD,mirror,2020-01-02T03:04:05Z"
  } > "$csv"
  "$ORCH" pricing import "$csv" >/dev/null || fail "import"
  local err
  err=$("$ORCH" pricing ls 2>&1 >/dev/null)
  assert_contains "$err" "orch: warning: prices imported from $csv are "
  assert_contains "$err" "fetched 2020-01-02T03:04:05Z"
  assert_eq true "$("$ORCH" pricing ls --json 2>/dev/null | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["sources"][0]["stale"]).lower())')"
  err=$(ORCH_PRICING_MAX_AGE=100000d "$ORCH" pricing ls 2>&1 >/dev/null)
  assert_not_contains "$err" "warning"
  "$ORCH" pricing refresh -q --provider linode >/dev/null
  err=$("$ORCH" pricing ls --provider linode 2>&1 >/dev/null)
  # just fetched: a few seconds old at most (a loaded machine may cross a second boundary)
  [[ $err =~ linode\ [0-9]s($|[^0-9]) ]] || fail "a fresh refresh is not a few seconds old: $err"
  err=$(XDG_CACHE_HOME=$SCRATCH/empty "$ORCH" pricing ls 2>&1 >/dev/null)
  assert_contains "$err" "no prices cached yet"
}

test_pricing_history_shows_moves_with_a_chart() {
  start_replay
  local csv=$SCRATCH/lambda.csv
  cp "$FX/catalogs/v8/lambda/vms.csv" "$csv"
  for price in 2.49 2.10 2.80; do
    sed -i "s/^gpu_1x_h100_pcie,H100,1,26,200,[0-9.]*,/gpu_1x_h100_pcie,H100,1,26,200,$price,/" "$csv"
    "$ORCH" pricing import --provider lambda "$csv" >/dev/null || fail "import"
    sleep 1.1
  done
  local out
  out=$("$ORCH" pricing history --gpu H100)
  assert_contains "$out" "lambda"
  assert_contains "$out" "2.4900"
  assert_contains "$out" "2.8000"
  # 2.49 sits at (2.49-2.10)/(2.80-2.10) of the range: the 5th of 8 blocks.
  assert_contains "$out" "▅▁█"
  out=$("$ORCH" pricing history --gpu H100 --json)
  assert_eq "[2.49, 2.1, 2.8]" "$(python3 -c 'import json,sys; print([p["price_per_gpu"] for p in json.loads(sys.argv[1])[0]["points"]])' "$out")"
}

test_pricing_https_mirror_needs_a_trusted_certificate() {
  start_replay
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SCRATCH/key.pem" -out "$SCRATCH/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null || fail "openssl could not make a certificate"
  python3 - "$SCRATCH" "$FX/linode" <<'PY' &
import http.server, os, ssl, sys
scratch, fx = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        page = "2" if "page=2" in self.path else "1"
        body = open(os.path.join(fx, "types-page%s.json" % page), "rb").read()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(scratch + "/cert.pem", scratch + "/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(scratch + "/tls-port.tmp", "w").write(str(srv.server_address[1])); os.rename(scratch + "/tls-port.tmp", scratch + "/tls-port")
srv.serve_forever()
PY
  TLS_PID=$!
  trap 'kill $REPLAY_PID $TLS_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
  wait_for 100 test -s "$SCRATCH/tls-port" || fail "TLS server did not start"
  export ORCH_PRICING_LINODE_URL=https://127.0.0.1:$(cat "$SCRATCH/tls-port")
  local out
  out=$("$ORCH" pricing refresh -q --provider linode 2>&1)
  assert_eq 1 "$?"
  assert_contains "$out" "is not trusted"
  out=$(SSL_CERT_FILE=$SCRATCH/cert.pem "$ORCH" pricing refresh -q --provider linode 2>&1)
  assert_eq 0 "$?" "$out"
  assert_contains "$out" "linode: ok, 6 offers"
}
