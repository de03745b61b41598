/* vocab.h - a WordPiece vocabulary (BERT's vocab.txt): one token per line, the
 * id is the 0-based line number, as Hugging Face's load_vocab reads it (only
 * the trailing "\n" is removed; a duplicated token maps to its last line).
 *
 * Lookups are by byte string, split in two tables the way WordPiece asks:
 * word-initial pieces ("run") and continuation pieces ("##ning", looked up
 * without the "##"). The five special tokens [PAD] [UNK] [CLS] [SEP] [MASK]
 * must all be present. The checksum is FNV-1a 64 over the file's bytes; shards
 * record it so a loader can tell which vocabulary produced them.
 * Not here: tokenization (tokenizer.h), id -> token for tools (vocab_token). */
#ifndef BT_VOCAB_H
#define BT_VOCAB_H

#include "check.h"

#include <stddef.h>
#include <stdint.h>

enum vocab_special { VOCAB_PAD, VOCAB_UNK, VOCAB_CLS, VOCAB_SEP, VOCAB_MASK, VOCAB_SPECIAL_COUNT };

struct vocab;

/* Literal text of a special token, e.g. "[MASK]". */
const char *vocab_special_text(enum vocab_special s);

/* Loads vocab.txt. Errors (BT_EIO / BT_EFORMAT, one sentence naming the file):
 * unreadable, empty, more than 2^31-1 lines, a special token missing. */
int vocab_load(struct vocab **out, const char *path, char *err) BT_WUR;
/* Same from bytes already in memory (name is used in messages). */
int vocab_load_bytes(struct vocab **out, const char *bytes, size_t len, const char *name,
                     char *err) BT_WUR;
void vocab_free(struct vocab *v);

int vocab_size(const struct vocab *v);
int32_t vocab_special_id(const struct vocab *v, enum vocab_special s);
uint64_t vocab_checksum(const struct vocab *v);
/* The file's bytes (for storing the vocabulary inside shards). */
const char *vocab_bytes(const struct vocab *v, size_t *len);
/* Longest token in bytes (without a "##" prefix for continuations). */
size_t vocab_max_piece_len(const struct vocab *v);

/* Id of the exact token s[0..n), or -1. cont = 1 looks up "##" + s. */
int32_t vocab_lookup(const struct vocab *v, const char *s, size_t n, int cont);
/* Token text of an id (not NUL-terminated; *n gets its length), NULL if out of range. */
const char *vocab_token(const struct vocab *v, int32_t id, size_t *n);
/* 1 for tokens of the form "[...]" (the specials and [unusedN]); the masking
 * never draws these as random replacements. */
int vocab_is_bracketed(const struct vocab *v, int32_t id);

/* FNV-1a 64-bit hash of bytes (the checksum function, exposed for tests). */
uint64_t vocab_fnv1a64(const void *p, size_t n);

#endif
