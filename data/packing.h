/* packing.h - RoBERTa's FULL-SENTENCES and DOC-SENTENCES examples (fairseq
 * TokenBlockDataset break modes "complete" and "complete_doc"): contiguous
 * whole sentences packed into rows of capacity T - 2 ([CLS] ... [SEP]).
 *  - doc-sentences: a row never crosses a document boundary;
 *  - full-sentences: rows cross documents, and a [SEP] is inserted between the
 *    last sentence of one document and the first of the next (it takes one
 *    position of the row);
 *  - a sentence that does not fit the current row starts the next one; a
 *    sentence longer than the capacity is cut into capacity-sized pieces (its
 *    first piece starts a new row).
 * Every token of the corpus is in exactly one block. Blocks do not depend on
 * the epoch or the seed (the loader shuffles their order per epoch). */
#ifndef BT_PACKING_H
#define BT_PACKING_H

#include "corpus.h"

#include <stdint.h>

struct pack_block {
    int64_t lo;  /* first token (corpus index) */
    int32_t len; /* corpus tokens in the block (separators not counted) */
    int32_t n_sep; /* document separators inside the block (full-sentences) */
};

struct pack_list {
    struct pack_block *b;
    int64_t n, cap;
};

void packing_build(const struct corpus *c, int T, int cross_docs, struct pack_list *out);
void pack_list_free(struct pack_list *l);

#endif
