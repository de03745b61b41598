/* wordpiece.h - greedy longest-match-first WordPiece on one word, as Hugging
 * Face's WordpieceTokenizer: the first piece is looked up as is, later pieces
 * with a "##" prefix; if some position has no match, or the word has more than
 * WORDPIECE_MAX_CHARS code points, the whole word becomes [UNK].
 * The word arrives as code points already normalised by tokenizer.c. */
#ifndef BT_WORDPIECE_H
#define BT_WORDPIECE_H

#include "tok_buf.h"
#include "vocab.h"

#include <stddef.h>
#include <stdint.h>

#define WORDPIECE_MAX_CHARS 100

/* Appends the pieces of word w[0..n) (n >= 1) to b->ids. */
void wordpiece_encode(const struct vocab *v, const int32_t *w, size_t n, struct tok_buf *b);

#endif
