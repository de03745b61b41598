/* wordpiece.h - greedy longest-match-first WordPiece on one word, as Hugging
 * Face's WordpieceTokenizer: the first piece is looked up as is, later pieces
 * with a "##" prefix; if some position has no match, or the word has more than
 * WORDPIECE_MAX_CHARS code points, the whole word becomes [UNK].
 * The word arrives as code points already normalised by tokenizer.c. */
#ifndef BT_WORDPIECE_H
#define BT_WORDPIECE_H

#include "vocab.h"

#include <stddef.h>
#include <stdint.h>

#define WORDPIECE_MAX_CHARS 100

/* Growable id list plus the scratch buffers one thread needs to tokenize. */
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
};

void tok_buf_init(struct tok_buf *b);
void tok_buf_free(struct tok_buf *b);
void tok_buf_push(struct tok_buf *b, int32_t id);

/* Appends the pieces of word w[0..n) (n >= 1) to b->ids. */
void wordpiece_encode(const struct vocab *v, const int32_t *w, size_t n, struct tok_buf *b);

#endif
