#!/usr/bin/env bash
# studies_e2e.sh - launch/compare and launch/scaling end to end with tiny budgets:
#   studies_e2e.sh BUILD_DIR
# compare: BERT, RoBERTa and ALBERT (tiny) on the same text (RoBERTa with its
# own byte-level BPE shards, the others on WordPiece shards); the table has the
# three rows with tokenizer, parameters, tokens/s, losses and accuracies, and
# gnuplot wrote an SVG plot. scaling: strong and weak over 1..2 ranks; the table, the headline
# weak-scaling efficiency and an SVG plot exist.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$build/tmp/studies.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$src"
export BT_BUILD_DIR=$build
fail() { echo "FAIL: $*" >&2; exit 1; }
ranks=2
[ "$(nproc)" -ge 2 ] || ranks=1

bash launch/compare --steps 8 --ranks "$ranks" --out "$tmp/cmp" >"$tmp/cmp.log" 2>&1 ||
  fail "compare failed: $(tail -5 "$tmp/cmp.log")"
md=$tmp/cmp/compare.md
for m in bert roberta albert; do
  grep -qE "^\| $m \| [a-z-]+ \| [a-z]+, [a-z-]+ \| [a-z]+ [0-9.e-]+ \| [0-9,]+ \| [0-9,]+ \| 8 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| ([0-9.]+|-) \| [0-9.]+ \|$" "$md" ||
    fail "compare.md: no complete row for $m: $(cat "$md")"
done
grep -q '| bert | nsp | wordpiece, token | adamw 0.001 | 4,433,468 |' "$md" || fail "bert row: objective/optimizer/parameters"
grep -q '| roberta | full-sentences | bpe, token | adamw 0.002 |' "$md" || fail "roberta row: its own BPE shards"
grep -q '| albert | sop | wordpiece, token | lamb 0.02 | 2,248,700 |' "$md" || fail "albert row: objective/optimizer/parameters"
grep -q '<svg' "$tmp/cmp/compare.svg" && [ "$(grep -c '<path' "$tmp/cmp/compare.svg")" -gt 6 ] ||
  fail "compare.svg is not a plot"
grep -q "set output 'compare.svg'" "$tmp/cmp/compare.gp" || fail "compare.gp"
echo "ok: compare table and plot"; sed -n '3,7p' "$md"

bash launch/scaling --steps 6 --log-every 2 --ranks 1,$ranks --threads 1 --out "$tmp/sc" >"$tmp/sc.log" 2>&1 ||
  fail "scaling failed: $(tail -5 "$tmp/sc.log")"
md=$tmp/sc/scaling.md
grep -q '^## Strong scaling' "$md" && grep -q '^## Weak scaling' "$md" || fail "scaling.md sections"
grep -qE "^\| $ranks \| 1 \| $ranks \| 32 \| [0-9]+ \| [0-9,]+ \| [0-9.]+ \| [0-9.]+x \| [0-9.]+% \| [0-9.]+% \|" "$md" ||
  fail "scaling.md: no row for $ranks x 1: $(cat "$md")"
grep -qE "weak-scaling efficiency at the largest rank count \($ranks ranks x 1 thread\): \*\*[0-9.]+%\*\*" "$md" ||
  fail "scaling.md: no weak-scaling headline"
grep -q '<svg' "$tmp/sc/scaling.svg" || fail "scaling.svg is not a plot"
[ "$(wc -l <"$tmp/sc/results.tsv")" -ge 3 ] || fail "results.tsv"
echo "ok: scaling table and plot"; grep -A1 '^## Headline' -A3 "$md" | tail -2
