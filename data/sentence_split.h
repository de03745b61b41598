/* sentence_split.h - optional, heuristic sentence splitting of a tokenized
 * line (bert-prep --split-sentences), for corpora with one paragraph per line:
 * Google's NSP construction needs several sentences per chunk, otherwise most
 * pairs are forced to "random next".
 *
 * A sentence ends after a run of terminators (. ? ! and the ellipsis …)
 * followed by closers (quotes, ) ] »), unless the run is the end of the line
 * or a single "." follows an abbreviation (mr, mrs, dr, st, etc, e.g. ...), a
 * single letter (initials, "u.s."), or sits between two numbers ("3.50").
 * It works on token ids (WordPiece, or BPE with the leading space marker
 * dropped; a BPE token such as ".\"" counts as terminator plus closer, and a
 * quote with a leading space opens rather than closes), so
 * case is not used; it is a heuristic, not NLTK. */
#ifndef BT_SENTENCE_SPLIT_H
#define BT_SENTENCE_SPLIT_H

#include "vocab.h"

#include <stddef.h>
#include <stdint.h>

struct sentence_splitter {
    uint8_t *flags; /* (vocab_size) per-id classification */
    int size;
};

void sentence_splitter_init(struct sentence_splitter *s, const struct vocab *v);
void sentence_splitter_free(struct sentence_splitter *s);
/* Length of the first sentence of ids[0..n) (n when there is no split). */
size_t sentence_split_next(const struct sentence_splitter *s, const int32_t *ids, size_t n);

#endif
