/* bpe.h - byte-level BPE (GPT-2, RoBERTa), matching Hugging Face's Python
 * GPT2Tokenizer / RobertaTokenizer encode(text, add_special_tokens=False),
 * add_prefix_space off (their default):
 *
 *  1. special tokens are cut out of the raw text wherever they occur (case-
 *     sensitive): the vocabulary's <s> </s> <pad> <unk> <mask>, or GPT-2's
 *     <|endoftext|> when it has no <unk>; before <mask> the whitespace is
 *     stripped (RoBERTa's mask token has lstrip=True);
 *  2. each stretch between them is cut into pre-tokens by GPT-2's regex
 *       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *     (first matching alternative at each position, as re.findall; the classes
 *     are unicode.h's uni_bpe_class);
 *  3. each pre-token's UTF-8 bytes become symbols through GPT-2's byte-to-
 *     unicode map, and the merges are applied by rank: repeatedly the adjacent
 *     pair of lowest rank is merged at all its non-overlapping occurrences,
 *     left to right, until no pair has a rank;
 *  4. the symbols are looked up in vocab.json (a byte the vocabulary lacks
 *     becomes its unk token).
 * Frequent pre-tokens (up to 64 bytes) are cached per tok_buf. Pre-tokens
 * longer than BPE_MAX_WORD bytes are encoded in BPE_MAX_WORD-byte pieces, so
 * that pathological input (a megabyte without a space) stays linear; Hugging
 * Face has no such limit, so ids differ only on such input. Ill-formed UTF-8
 * bytes are skipped, as the WordPiece tokenizer does.
 *
 * merges.txt: an optional first line "#version...", then one merge per line,
 * two symbols separated by a space (rank = order in the file; a pair listed
 * twice keeps its last rank, as HF's dict does). Errors (BT_EUSAGE, naming
 * file and line): a line that is not two symbols; a merge whose result is not
 * in vocab.json; a vocab.json with no token for some byte and no unk token.
 * A merge whose operands can never occur (neither a byte nor a merge result
 * in the vocabulary) is ignored. A struct bpe is read-only after loading and
 * may be shared by threads; it keeps a pointer to its vocabulary. */
#ifndef BT_BPE_H
#define BT_BPE_H

#include "check.h"
#include "tok_buf.h"
#include "vocab.h"

#include <stddef.h>
#include <stdint.h>

#define BPE_MAX_WORD 8192

struct bpe;

int bpe_load(struct bpe **out, const struct vocab *v, const char *merges_path,
             char *err) BT_WUR;
int bpe_load_bytes(struct bpe **out, const struct vocab *v, const char *bytes, size_t len,
                   const char *name, char *err) BT_WUR;
void bpe_free(struct bpe *m);
/* Merges in use, and the FNV-1a 64 of the merges file's bytes. */
int bpe_n_merges(const struct bpe *m);
uint64_t bpe_checksum(const struct bpe *m);

/* Appends the ids of text[0..len) to b->ids; with o (o->n == b->n on entry)
 * also the byte range of the input each id came from. */
void bpe_encode(const struct bpe *m, const char *text, size_t len, struct tok_buf *b,
                struct tok_offsets *o);

/* End of the pre-token that starts at s[pos] (pos < len, s valid UTF-8). */
size_t bpe_pretoken_end(const unsigned char *s, size_t len, size_t pos);
/* GPT-2's byte-to-unicode map and its inverse (-1: not the image of a byte). */
int32_t bpe_byte_char(unsigned byte);
int bpe_char_byte(int32_t cp);

void bpe_cache_free(struct bpe_cache *c);

#endif
