#!/usr/bin/env bash
# bench_smoke.sh BUILD_DIR - bert-bench runs end to end on a tiny config and its
# JSON report is complete and self-consistent (no timing is judged).
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$build/tmp/bench-smoke.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
"$build/bin/bert-bench" --config "$src/configs/bert-tiny.json" --batch 2 --seq 16 --steps 2 \
  --warmup 1 --max-pred 3 --json "$tmp/bench.json" >"$tmp/out"
grep -q 'fastest step' "$tmp/out" || { echo "FAIL: no fastest-step line: $(cat "$tmp/out")"; exit 1; }
python3 - "$tmp/bench.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["model"]
assert m["batch"] == 2 and m["seq"] == 16 and m["n_pred"] == 6, m
assert 0 < m["fastest_step_s"] <= m["step_s"] * (1 + 1e-9), m
assert abs(m["step_s"] - m["fwd_s"] - m["bwd_s"]) < 1e-6 * m["step_s"], m
assert abs(m["tokens_per_s"] * m["step_s"] - 32) < 1e-6, m
assert d["ceiling_gflops"] >= max(g["gflops"] for g in d["gemm_before"] + d["gemm_after"]) - 1e-9, d
assert abs(m["fraction_of_ceiling"] - m["gflops"] / d["ceiling_gflops"]) < 1e-9, m
ops = d.get("ops", [])
assert ops and all(o.get("ms", 1) > 0 for o in ops), "no per-op figures"
print("ok: bert-bench report complete: %d ops, %.1f%% of the ceiling (not judged)" % (len(ops), 100 * m["fraction_of_ceiling"]))
PY
