# orch pricing on inputs shaped like the real ones: SkyPilot's current GCP catalog (A2/A3/G2 machine types
# without an accelerator name, TPU rows, the 700.0 placeholder), price sheets with other column names,
# spot-only and part-of-a-machine offers, and one rule for "nothing matches".

FIXTURES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/pricing" && pwd)

fresh_cache() {
  scratch
  export XDG_CACHE_HOME=$SCRATCH/cache
  unset ORCH_PRICING_MAX_AGE
}

test_skypilot_gcp_machine_families_are_gpus_and_tpus_are_not() {
  fresh_cache
  err=$("$ORCH" pricing import --provider gcp "$FIXTURES/skypilot/gcp-vms.csv" 2>&1 >/dev/null)
  assert_contains "$err" "3 TPU rows skipped"
  out=$("$ORCH" pricing ls --json --gpu A100 --provider gcp)
  assert_eq 0 $?
  assert_eq "a2-highgpu-1g:1 a2-ultragpu-1g:1 a2-highgpu-8g:8" \
    "$(python3 -c 'import json,sys; print(" ".join("%s:%d" % (o["instance_type"], o["gpu_count"]) for o in json.loads(sys.argv[1])["offers"]))' "$out")"
  out=$("$ORCH" pricing ls --json --provider gcp --currency any)
  assert_not_contains "$out" "TPU"
  assert_not_contains "$out" "700"
  assert_contains "$("$ORCH" pricing cheapest --gpu H100 --count 8 --provider gcp)" "a3-highgpu-8g"
}

test_import_sheet_columns_and_rows_without_price() {
  fresh_cache
  out=$("$ORCH" pricing import "$FIXTURES/sheets/unknown-columns.csv" 2>&1)
  assert_eq 2 $? "no price column is bad input"
  assert_contains "$out" "cost_per_hr"
  assert_contains "$out" "price_hourly_usd"
  assert_contains "$out" "spot_price_hourly_usd"
  assert_eq "" "$(ls "$XDG_CACHE_HOME/orch/pricing" 2>/dev/null | grep -v '^history' || true)" "nothing stored"
  out=$("$ORCH" pricing import --json "$FIXTURES/sheets/gpu-prices.csv" 2>"$SCRATCH/err")
  assert_eq 0 $?
  assert_eq 6 "$(json_get "$out" offers)"
  assert_eq 1 "$(json_get "$out" rows_without_price)"
  assert_contains "$(cat "$SCRATCH/err")" "1 rows have no price"
  out=$("$ORCH" pricing ls --json --gpu H100)
  assert_eq "23.92" "$(json_get "$out" offers.0.on_demand)" "price_hourly_usd read as the on-demand price"
  assert_eq H100-SXM "$(json_get "$out" offers.0.gpu_model)"
}

test_cheapest_never_ranks_a_gpu_without_its_host() {
  fresh_cache
  "$ORCH" pricing import "$FIXTURES/sheets/gpu-prices.csv" >/dev/null 2>&1 || fail "import"
  out=$("$ORCH" pricing cheapest --gpu A100 --count 8 --json 2>"$SCRATCH/err")
  assert_eq 0 $?
  assert_eq a2-highgpu-8g "$(json_get "$out" instance_type)" "the 23.47 GPU-only price is not a machine"
  assert_contains "$(cat "$SCRATCH/err")" "part of a machine"
  out=$("$ORCH" pricing ls --json --gpu A100 2>/dev/null)
  assert_eq 1 "$(json_get "$out" left_out.attachments)"
}

test_ls_counts_spot_only_offers_and_shares_the_no_match_rule() {
  fresh_cache
  printf 'provider,instance_type,gpu,gpu_count,region,price,spot_price\naws,g6.xlarge,L4,1,ap-south-1,,0.31\naws,g6.2xlarge,L4,1,us-east-1,0.9776,\n' > "$SCRATCH/l4.csv"
  "$ORCH" pricing import "$SCRATCH/l4.csv" >/dev/null 2>&1 || fail "import"
  err=$("$ORCH" pricing ls --gpu L4 2>&1 >/dev/null)
  assert_eq 0 $?
  assert_contains "$err" "1 spot-only offers left out"
  out=$("$ORCH" pricing ls --json --gpu L4)
  assert_eq 1 "$(json_get "$out" left_out.spot_only)"
  assert_eq 1 "$(json_get "$out" total)"
  out=$("$ORCH" pricing ls --json --gpu L4 --spot)
  assert_eq 0 "$(json_get "$out" left_out.spot_only)"
  # Nothing matches: ls and cheapest both exit 3; ls still prints its (empty) listing.
  out=$("$ORCH" pricing ls --json --gpu B200 2>/dev/null)
  assert_eq 3 $? "ls with no match"
  assert_eq 0 "$(json_get "$out" total)"
  assert_rc 3 "$ORCH" pricing cheapest --gpu B200
  assert_contains "$("$ORCH" pricing --help)" "ls and cheapest alike"
}
