#!/usr/bin/env bash
# bpe_corpus.sh BUILD_DIR - `bert-prep tokenize` with byte-level BPE must give,
# line for line, the ids of tests/data/tools/bpe_tokenizer_ref.py (a Python
# transcription of Hugging Face's GPT2Tokenizer / RobertaTokenizer that uses
# the real `regex` module for GPT-2's pre-tokenizer) on: the whole Gutenberg
# training and validation text, Google's sample text, and 4,000 generated lines
# mixing letters of many scripts, digits, Unicode spaces, runs of spaces and
# tabs, contractions, punctuation runs, emoji and special literals; with the
# GPT-2 and with the RoBERTa vocabulary. Exit 77 (skipped) when no python3 with
# `regex` is installed (Debian: python3-regex; launch/install-deps.sh has it).
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
py=""
for p in /usr/bin/python3 python3; do  # Debian's first: what CI installs
  if command -v "$p" >/dev/null && "$p" -c "import regex" 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "SKIP: no python3 with the regex module (Debian: python3-regex)"; exit 77; }
fx=$src/tests/data/fixtures
tmp=$build/tmp/bpe-corpus.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

"$py" - "$tmp/generated.txt" <<'PY'
import random, sys
rng = random.Random(8)
pools = [
    [chr(c) for c in range(0x61, 0x7b)] * 4 + [chr(c) for c in range(0x41, 0x5b)] * 2,
    [chr(c) for c in range(0xe0, 0x100) if c != 0xf7],          # Latin-1 letters
    [chr(c) for c in range(0x3b1, 0x3ca)],                        # Greek
    [chr(c) for c in range(0x430, 0x450)],                        # Cyrillic
    [chr(c) for c in range(0x5d0, 0x5eb)],                        # Hebrew
    [chr(c) for c in range(0x627, 0x64b)],                        # Arabic
    [chr(c) for c in range(0x915, 0x939)] + ["\u093e", "\u094d"], # Devanagari + marks
    [chr(c) for c in range(0x4e00, 0x4e80)] + [chr(c) for c in range(0x3041, 0x3094)],
    [chr(c) for c in range(0xac00, 0xac40)],                      # Hangul
    list("0123456789") * 3 + ["\u0663", "\u00b2", "\u2155", "\u2167"],  # N*: Nd, No, Nl
    list(".,;:!?-()[]{}\"'/\\@#$%^&*+=<>|~`_") + ["\u2014", "\u201c", "\u201d", "\u2019", "\u00a7"],
    [" "] * 6 + ["  ", "   ", "\t", " \t ", "\u00a0", "\u2009", "\u3000", "\u2028", "\u0085"],
    ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "''", "'x"],
    ["\U0001F600", "\U0001F917", "\U0001F44D\U0001F3FD", "\U0001F468\u200d\U0001F469", "\u2764\ufe0f"],
    ["\u0301", "\u0308", "\u200b", "\ufeff", "\u00ad", "\x01", "\x7f"],       # marks, format, controls
    ["<s>", "</s>", "<pad>", "<unk>", "<mask>", " <mask>", "<|endoftext|>", "<", ">"],
]
weights = [30, 4, 3, 3, 2, 2, 2, 3, 2, 8, 10, 14, 3, 2, 1, 1]
with open(sys.argv[1], "w", encoding="utf-8", newline="\n") as f:
    for _ in range(4000):
        n = rng.randint(1, 40)
        parts = []
        for _ in range(n):
            pool = rng.choices(pools, weights)[0]
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
        f.write("".join(parts).replace("\n", " ") + "\n")
PY

inputs=("$fx/gutenberg_train.txt" "$fx/gutenberg_valid.txt" "$fx/sample_text.txt" "$tmp/generated.txt")
for vocab in gpt2-vocab.json roberta-base-vocab.json; do
  for f in "${inputs[@]}"; do
    "$build/bin/bert-prep" tokenize --vocab "$fx/$vocab" --merges "$fx/gpt2-merges.txt" <"$f" >"$tmp/c.txt"
    "$py" "$src/tests/data/tools/bpe_tokenizer_ref.py" "$fx/$vocab" "$fx/gpt2-merges.txt" <"$f" >"$tmp/p.txt"
    if ! cmp -s "$tmp/c.txt" "$tmp/p.txt"; then
      line=$(cmp "$tmp/c.txt" "$tmp/p.txt" | sed -n 's/.* line \([0-9]*\).*/\1/p')
      echo "FAIL: $vocab on $(basename "$f"): first difference at line $line" >&2
      echo "  text: $(sed -n "${line}p" "$f" | head -c 300)" >&2
      echo "  C:    $(sed -n "${line}p" "$tmp/c.txt" | head -c 300)" >&2
      echo "  py:   $(sed -n "${line}p" "$tmp/p.txt" | head -c 300)" >&2
      exit 1
    fi
    echo "ok: $vocab $(basename "$f") ($(wc -l <"$tmp/c.txt") lines, $(wc -w <"$tmp/c.txt") ids)"
  done
done
# the check can fail: a wrong merges file must change the ids
head -n 20000 "$fx/gpt2-merges.txt" >"$tmp/short-merges.txt"
"$build/bin/bert-prep" tokenize --vocab "$fx/gpt2-vocab.json" --merges "$tmp/short-merges.txt" \
  <"$fx/sample_text.txt" >"$tmp/c.txt"
"$py" "$src/tests/data/tools/bpe_tokenizer_ref.py" "$fx/gpt2-vocab.json" "$fx/gpt2-merges.txt" \
  <"$fx/sample_text.txt" >"$tmp/p.txt"
if cmp -s "$tmp/c.txt" "$tmp/p.txt"; then echo "FAIL: negative control: fewer merges gave the same ids" >&2; exit 1; fi
echo "ok: negative control (20,000 of 50,000 merges) differs"
