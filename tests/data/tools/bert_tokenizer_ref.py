#!/usr/bin/env python3
"""bert_tokenizer_ref.py - an independent Python transcription of Hugging Face's
slow BertTokenizer (transformers, models/bert/tokenization_bert.py, the version
with the NFC step), written for this project to cross-check the C tokenizer on
large inputs where no Hugging Face installation is available.

It uses Python's own unicodedata and str.lower(), i.e. the same Unicode
functions Hugging Face's Python code calls, so it checks the C code's Unicode
handling (utf8proc) against Python's. It is NOT Hugging Face itself: the
algorithm is re-typed from reading HF's source, so an error in understanding
that source would be shared by both implementations. The authoritative checks
are the Hugging Face golden ids in tests/data/fixtures/.

usage: bert_tokenizer_ref.py VOCAB [--no-lowercase] < lines > id lines
"""
import sys
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def load_vocab(path):
    vocab = {}
    with open(path, "r", encoding="utf-8", newline="\n") as f:
        for i, line in enumerate(f.readlines()):
            vocab[line.rstrip("\n")] = i
    return vocab


def is_ws(ch):
    if ch in " \t\n\r":
        return True
    return unicodedata.category(ch) == "Zs"


def is_ctrl(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    ranges = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]
    return any(lo <= cp <= hi for lo, hi in ranges)


def split_specials(text):
    """Cuts the special literals out of text (leftmost occurrence first)."""
    parts, pos = [], 0
    while True:
        best = None
        for s in SPECIALS:
            k = text.find(s, pos)
            if k >= 0 and (best is None or k < best[0]):
                best = (k, s)
        if best is None:
            parts.append((False, text[pos:]))
            return parts
        parts.append((False, text[pos:best[0]]))
        parts.append((True, best[1]))
        pos = best[0] + len(best[1])


def basic(text, lower):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_ctrl(ch):
            continue
        if is_ws(ch):
            out.append(" ")
        elif is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = unicodedata.normalize("NFC", "".join(out))
    words = []
    for tok in text.split():
        if tok in SPECIALS:
            words.append(tok)
            continue
        if lower:
            tok = tok.lower()
            tok = "".join(c for c in unicodedata.normalize("NFD", tok)
                          if unicodedata.category(c) != "Mn")
        cur = []
        for c in tok:
            if is_punct(c):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(c)
            else:
                cur.append(c)
        if cur:
            words.append("".join(cur))
    return [w for w in " ".join(words).split()]


def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab, lower):
    ids = []
    if lower:  # PreTrainedTokenizer.tokenize lowercases char by char outside specials
        lowered, pos = [], 0
        for is_sp, part in split_specials(text):
            lowered.append(part if is_sp else "".join(c.lower() for c in part))
        text = "".join(lowered)
    for is_sp, part in split_specials(text):
        if is_sp:
            ids.append(vocab[part])
            continue
        for w in basic(part, lower):
            if w in SPECIALS:
                ids.append(vocab[w])
            else:
                ids.extend(vocab[p] for p in wordpiece(w, vocab))
    return ids


def main():
    args = sys.argv[1:]
    lower = "--no-lowercase" not in args
    args = [a for a in args if a != "--no-lowercase"]
    vocab = load_vocab(args[0])
    data = sys.stdin.buffer.read().decode("utf-8", "ignore")
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = sys.stdout
    for line in lines:
        out.write(" ".join(str(i) for i in encode(line, vocab, lower)) + "\n")


if __name__ == "__main__":
    main()
