/* tok_buf.h - the growable id list a tokenizer appends to, plus the scratch
 * buffers one thread needs to tokenize (WordPiece's code points and bytes, the
 * BPE word cache). One thread owns a tok_buf; tokenizers are shared. */
#ifndef BT_TOK_BUF_H
#define BT_TOK_BUF_H

#include <stddef.h>
#include <stdint.h>

struct bpe_cache;

struct tok_buf {
    int32_t *ids;
    size_t n, cap;
    /* scratch, owned by the tokenizer functions */
    int32_t *cps, *norm;
    size_t cps_cap, norm_cap;
    unsigned char *bytes;
    size_t bytes_cap;
    uint32_t *offs;
    size_t offs_cap;
    struct bpe_cache *bpe_cache; /* frequent words of the last BPE model used (bpe.c) */
};

void tok_buf_init(struct tok_buf *b);
void tok_buf_free(struct tok_buf *b);
void tok_buf_push(struct tok_buf *b, int32_t id);

/* Byte ranges [start[i], end[i]) of the input text, parallel to tok_buf ids. */
struct tok_offsets {
    uint32_t *start, *end; /* (n) */
    size_t n, cap;
    /* scratch, owned by the tokenizer functions */
    uint32_t *cs, *ce;     /* per code point of the current word: source byte range */
    size_t c_cap;
    int32_t *map, *tmp;    /* normalised position -> code point of the word */
    size_t map_cap, tmp_cap;
};

void tok_offsets_init(struct tok_offsets *o);
void tok_offsets_free(struct tok_offsets *o);
/* Appends the range [s, e) (tokenizers call it once per id they push). */
void tok_offsets_push(struct tok_offsets *o, uint32_t s, uint32_t e);

#endif
