#!/usr/bin/env bash
# unseen_cases.sh BUILD_DIR - bert-check-ref on reference cases it has never
# seen: make_case.py writes four new ones (odd hidden sizes and head counts,
# head sizes 6 to 16, sequence lengths 9 to 37, several padded rows, both GELU
# forms, a factorized ALBERT embedding) with the PyTorch oracle; every one must
# pass on every matmul backend of this build, and a case checked against the
# wrong activation must fail. Exit 77 (skipped) without python3-torch.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
"$py" -c "import torch" 2>/dev/null || { echo "SKIP: $py has no torch (launch/install-deps.sh installs python3-torch)"; exit 77; }
tmp=$build/tmp/unseen-cases.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# name batch seq pads
cases=("bert-3x48h3 4 13 3,0,6" "bert-1x32h2-long 2 37 0,17" "roberta-2x40h5 3 11 4" "albert-3x36h6-e24 2 9 2")
for c in "${cases[@]}"; do
  read -r name b t pads <<<"$c"
  "$py" "$src/tests/reference/make_case.py" --config "$src/tests/reference/unseen/$name.json" \
    --out "$tmp/$name" --batch "$b" --seq "$t" --pad "$pads" --seed 11
done
dirs=("${cases[@]%% *}"); dirs=("${dirs[@]/#/$tmp/}")

backends=(ref)
if "$build/bin/bert-check-ref" --quiet "$src/tests/reference/bert-tiny" | grep -q oneDNN; then backends+=(dnnl); fi
for be in "${backends[@]}"; do
  "$build/bin/bert-check-ref" --quiet --backend "$be" "${dirs[@]}" >"$tmp/out" ||
    fail "bert-check-ref --backend $be: $(grep -v ' ok$' "$tmp/out")"
  [ "$(grep -c '^PASS' "$tmp/out")" = "${#cases[@]}" ] || fail "not every case passed: $(cat "$tmp/out")"
  grep '^PASS' "$tmp/out" | sed "s/^/$be: /"
done

# Negative control: the same case read with the other GELU form must fail.
cp -r "$tmp/bert-3x48h3" "$tmp/wrong-act"
sed -i 's/"hidden_act": "gelu"/"hidden_act": "gelu_new"/' "$tmp/wrong-act/config.json"
grep -q '"gelu_new"' "$tmp/wrong-act/config.json" || fail "could not edit the negative control's config"
set +e; "$build/bin/bert-check-ref" --quiet "$tmp/wrong-act" >"$tmp/out"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q '^FAIL' "$tmp/out" || fail "a case with the wrong activation did not fail (exit $rc): $(cat "$tmp/out")"
echo "ok: wrong activation detected: $(grep '^FAIL' "$tmp/out")"
