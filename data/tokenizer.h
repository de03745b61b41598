/* tokenizer.h - tokenization of text to ids: BERT's WordPiece (below) or, when
 * t->bpe is set, byte-level BPE (bpe.h: GPT-2 / RoBERTa).
 *
 * WordPiece matches Hugging Face's BertTokenizer (the Python class) for
 * do_lower_case = 1 (uncased) and 0 (cased), tokenize_chinese_chars and
 * strip_accents at their defaults.
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
 * passes its own struct tok_buf.
 *
 * tokenizer_encode_offsets also reports, for every id, the byte range of the
 * input it came from (for extractive QA and token labels): a special literal
 * covers its text; a piece covers the source characters it was normalised
 * from (a lowercase expansion such as U+0130 -> "i" U+0307 maps both code
 * points to the one source character; characters removed by accent stripping
 * at a word's start or end belong to its first or last piece, between two
 * pieces to neither). When per-character normalisation of a word differs from
 * whole-word normalisation (NFC composing across characters, cased mode), the
 * word's pieces get proportional ranges inside the word. [UNK] covers its whole
 * word. The ids are exactly those of tokenizer_encode. */
#ifndef BT_TOKENIZER_H
#define BT_TOKENIZER_H

#include "bpe.h"
#include "check.h"
#include "vocab.h"
#include "wordpiece.h"

#include <stddef.h>
#include <stdint.h>

struct tokenizer {
    const struct vocab *vocab;
    int lowercase;         /* WordPiece: 1 = uncased (lowercase + strip accents), 0 = cased */
    const struct bpe *bpe; /* NULL: WordPiece; else byte-level BPE over vocab (a vocab.json) */
};

/* The files behind a tokenizer, as bert-prep's --vocab / --tokenizer / --merges
 * name them. kind is "wordpiece", "bpe" or NULL (inferred: a vocab.json means
 * bpe); bpe reads merges_path, or merges.txt beside the vocabulary when NULL.
 * Errors (BT_EUSAGE unless the file system failed): kind unknown or not
 * matching the vocabulary's format, --merges given for WordPiece, no merges
 * file, and every error of vocab_load / bpe_load. */
struct tok_model {
    struct vocab *vocab;
    struct bpe *bpe; /* NULL for WordPiece */
};
int tok_model_open(struct tok_model *m, const char *kind, const char *vocab_path,
                   const char *merges_path, char *err) BT_WUR;
void tok_model_close(struct tok_model *m);
/* A tokenizer over m (lowercase applies to WordPiece only). */
struct tokenizer tok_model_tokenizer(const struct tok_model *m, int lowercase);

/* Appends the ids of text[0..len) to b->ids (no [CLS]/[SEP] are added). */
void tokenizer_encode(const struct tokenizer *t, const char *text, size_t len, struct tok_buf *b);

/* tokenizer_encode plus offsets: requires o->n == b->n on entry (both empty, or
 * filled together by earlier calls) and keeps them equal. Offsets are relative
 * to text (text[0] is byte 0); the caller adds its own base if needed. */
void tokenizer_encode_offsets(const struct tokenizer *t, const char *text, size_t len,
                              struct tok_buf *b, struct tok_offsets *o);

#endif
