/* vocab.h - a tokenizer vocabulary, in one of two formats (told apart by the
 * first non-blank byte of the file: '{' means JSON, as does a path ending in
 * ".json"):
 *
 *  - WordPiece (BERT's vocab.txt): one token per line, the id is the 0-based
 *    line number, as Hugging Face's load_vocab reads it (only the trailing "\n"
 *    is removed; a duplicated token maps to its last line). Lookups are split
 *    in two tables the way WordPiece asks: word-initial pieces ("run") and
 *    continuation pieces ("##ning", looked up without the "##"). The five
 *    special tokens [PAD] [UNK] [CLS] [SEP] [MASK] must all be present.
 *  - byte-level BPE (GPT-2's / RoBERTa's vocab.json): a JSON object mapping
 *    token strings (byte-to-unicode form, "Ġthe") to ids; the size is the
 *    largest id + 1 (ids nobody uses are holes: no token). The special roles
 *    are <pad> <unk> <s> </s> <mask> (RoBERTa's); a vocabulary without them
 *    (GPT-2's) loads, with -1 for the missing roles, and can tokenize but not
 *    make pre-training shards (vocab_check_specials).
 *
 * The checksum is FNV-1a 64 over the file's bytes; shards record it so a
 * loader can tell which vocabulary produced them.
 * Not here: tokenization (tokenizer.h, bpe.h). */
#ifndef BT_VOCAB_H
#define BT_VOCAB_H

#include "check.h"

#include <stddef.h>
#include <stdint.h>

enum vocab_special { VOCAB_PAD, VOCAB_UNK, VOCAB_CLS, VOCAB_SEP, VOCAB_MASK, VOCAB_SPECIAL_COUNT };
enum vocab_kind { VOCAB_WORDPIECE, VOCAB_BPE };

struct vocab;

/* Literal text of a WordPiece special token, e.g. "[MASK]". */
const char *vocab_special_text(enum vocab_special s);
/* The special token of role s in v's format: "[MASK]" or "<mask>". */
const char *vocab_special_name(const struct vocab *v, enum vocab_special s);

/* Loads vocab.txt or vocab.json. Errors (one sentence naming the file):
 * unreadable (BT_EIO); vocab.txt empty, more than 2^31-1 lines, a special token
 * missing (BT_EFORMAT); vocab.json not JSON, not an object of token -> id, an id
 * that is not an integer in 0..2^31-2 (BT_EUSAGE, naming the line or token). */
int vocab_load(struct vocab **out, const char *path, char *err) BT_WUR;
/* Same from bytes already in memory (name is used in messages). */
int vocab_load_bytes(struct vocab **out, const char *bytes, size_t len, const char *name,
                     char *err) BT_WUR;
void vocab_free(struct vocab *v);

int vocab_size(const struct vocab *v);
enum vocab_kind vocab_kind(const struct vocab *v);
/* -1 when the vocabulary has no token for the role (BPE only). */
int32_t vocab_special_id(const struct vocab *v, enum vocab_special s);
/* BT_OK when all five roles have a token, else BT_EUSAGE naming the first
 * missing one (what shards and pre-training need). */
int vocab_check_specials(const struct vocab *v, const char *name, char *err) BT_WUR;
uint64_t vocab_checksum(const struct vocab *v);
/* The file's bytes (for storing the vocabulary inside shards). */
const char *vocab_bytes(const struct vocab *v, size_t *len);
/* Longest token in bytes (without a "##" prefix for continuations). */
size_t vocab_max_piece_len(const struct vocab *v);

/* Id of the exact token s[0..n), or -1. cont = 1 looks up "##" + s (WordPiece). */
int32_t vocab_lookup(const struct vocab *v, const char *s, size_t n, int cont);
/* Token text of an id (not NUL-terminated; *n gets its length), NULL if out
 * of range or a hole. */
const char *vocab_token(const struct vocab *v, int32_t id, size_t *n);
/* 1 for ids the masking never draws as random replacements: WordPiece tokens
 * of the form "[...]" (the specials and [unusedN]); BPE holes, the special
 * roles and <|endoftext|>. */
int vocab_is_reserved(const struct vocab *v, int32_t id);
/* 1 when the token continues the word of the token before it: WordPiece
 * "##..." pieces; BPE tokens that do not start with the space marker "Ġ"
 * (U+0120). Reserved ids are never continuations. Whole-word masking groups
 * words with this. */
int vocab_is_continuation(const struct vocab *v, int32_t id);

/* FNV-1a 64-bit hash of bytes (the checksum function, exposed for tests). */
uint64_t vocab_fnv1a64(const void *p, size_t n);

#endif
