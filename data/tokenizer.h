/* tokenizer.h - BERT tokenization of text to ids, matching Hugging Face's
 * BertTokenizer (the Python class) for do_lower_case = 1 (uncased) and 0 (cased),
 * tokenize_chinese_chars and strip_accents at their defaults.
 *
 * Steps, in Hugging Face's order:
 *  1. the literal special tokens [PAD] [UNK] [CLS] [SEP] [MASK] are cut out of the
 *     raw text wherever they occur (case-sensitive, like its added-token trie)
 *     and become their ids;
 *  2. uncased: every character is lowercased (full mapping of str.lower());
 *  3. cleaning: NUL, U+FFFD and control/format characters (C*) go, whitespace
 *     (\t \n \r, Zs, and the line/paragraph separators) splits words, and each
 *     CJK ideograph becomes a word of its own;
 *  4. per word: a word equal to a special token is kept whole; uncased: NFD and
 *     removal of Mn (accent stripping); cased: NFC; then every punctuation
 *     character becomes a word of its own;
 *  5. WordPiece (wordpiece.h) on each word; > 100 code points -> [UNK].
 * Ill-formed UTF-8 bytes are skipped (the caller normally removed them already).
 * A struct tokenizer is read-only and may be shared by threads; each thread
 * passes its own struct tok_buf. */
#ifndef BT_TOKENIZER_H
#define BT_TOKENIZER_H

#include "vocab.h"
#include "wordpiece.h"

#include <stddef.h>

struct tokenizer {
    const struct vocab *vocab;
    int lowercase; /* 1 = uncased (lowercase + strip accents), 0 = cased */
};

/* Appends the ids of text[0..len) to b->ids (no [CLS]/[SEP] are added). */
void tokenizer_encode(const struct tokenizer *t, const char *text, size_t len, struct tok_buf *b);

#endif
