#!/usr/bin/env python3
"""bpe_tokenizer_ref.py - an independent Python transcription of Hugging Face's
slow GPT2Tokenizer / RobertaTokenizer (transformers, models/gpt2 and
models/roberta tokenization_*.py) for encode(text, add_special_tokens=False),
written for this project to cross-check the C tokenizer (data/bpe.c) on large
inputs where no Hugging Face installation is available.

It uses the `regex` module with GPT-2's pre-tokenization pattern, as Hugging
Face's Python code does, so it checks the C code's hand-written pre-tokenizer
and Unicode classes (utf8proc) against the real regex engine. It is NOT
Hugging Face itself: the BPE loop is re-typed from reading HF's source, so an
error in understanding it would be shared. The authoritative checks are the
Hugging Face golden ids in tests/data/fixtures/hf_bpe_golden.jsonl.

usage: bpe_tokenizer_ref.py VOCAB_JSON MERGES_TXT < lines > id lines
(exit 77 when the regex module is missing: the test is skipped)
"""
import json
import sys

try:
    import regex
except ImportError:
    sys.stderr.write("bpe_tokenizer_ref.py: the Python 'regex' module is missing "
                     "(Debian: python3-regex)\n")
    sys.exit(77)

PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def byte_map():
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1))
            + list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


class Bpe:
    def __init__(self, vocab_path, merges_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = json.load(f)
        with open(merges_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[0].startswith("#version"):
            lines = lines[1:]
        self.ranks = {}
        for i, line in enumerate(l for l in lines if l.strip()):
            a, b = line.split()
            self.ranks[(a, b)] = i
        self.bytes = byte_map()
        self.cache = {}
        names = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
        self.specials = [n for n in names if n in self.vocab]
        if "<unk>" in self.vocab:
            self.unk = self.vocab["<unk>"]
        else:
            self.unk = self.vocab.get("<|endoftext|>")
            if self.unk is not None:
                self.specials.append("<|endoftext|>")

    def bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            pairs = set(zip(parts, parts[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == best[0] and parts[i + 1] == best[1]:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self.cache[word] = parts
        return parts

    def encode_plain(self, text):
        ids = []
        for piece in PATTERN.findall(text):
            word = "".join(self.bytes[b] for b in piece.encode("utf-8"))
            ids.extend(self.vocab.get(t, self.unk) for t in self.bpe(word))
        return ids

    def encode(self, text):
        """Special literals are split out first; <mask> strips the whitespace before it."""
        ids, pos = [], 0
        while True:
            best = None
            for s in self.specials:
                at = text.find(s, pos)
                if at >= 0 and (best is None or at < best[0]):
                    best = (at, s)
            if best is None:
                ids.extend(self.encode_plain(text[pos:]))
                return ids
            at, s = best
            left = text[pos:at]
            if s == "<mask>":
                left = left.rstrip()
            ids.extend(self.encode_plain(left))
            ids.append(self.vocab[s])
            pos = at + len(s)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    tok = Bpe(sys.argv[1], sys.argv[2])
    data = sys.stdin.buffer.read().decode("utf-8", errors="ignore")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = sys.stdout
    for line in lines:
        out.write(" ".join(str(i) for i in tok.encode(line)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
