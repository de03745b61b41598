/* pairs.h - sentence-pair examples for NSP (BERT) and SOP (ALBERT) for one
 * epoch, following Google's create_instances_from_document
 * (google-research/bert create_pretraining_data.py) document by document:
 *  - max_num_tokens = T - 3; target = max_num_tokens, or with probability
 *    short_seq_prob a uniform integer in [2, max_num_tokens] (drawn once per
 *    document, as in Google's code);
 *  - sentences are collected into a chunk until it reaches the target or the
 *    document ends; A = the first a_end sentences (a_end uniform in
 *    [1, #chunk-1], or 1), B = the rest;
 *  - NSP: if the chunk has one sentence or with probability 0.5, B is instead
 *    taken from a random other document (up to 10 draws to avoid this one),
 *    starting at a random sentence, until it reaches target - len(A) tokens;
 *    the chunk's unused sentences are put back (label 1 = random, 0 = next);
 *  - SOP: B is always the real continuation (a one-sentence chunk is cut at a
 *    uniform token position; a one-token chunk gives no example) and the pair
 *    is swapped with probability 0.5 (label 1 = swapped);
 *  - truncate_seq_pair: while len(A) + len(B) > max_num_tokens, drop a token
 *    from the longer side (B on ties), front or back with probability 1/2.
 * Randomness: the document's own stream rng_stream(PAIRS_TAG, epoch, doc), so an
 * epoch's list is a pure function of (corpus, T, short_seq_prob, seed, epoch).
 * A and B are token ranges of the corpus (contiguous by construction). */
#ifndef BT_PAIRS_H
#define BT_PAIRS_H

#include "corpus.h"

#include <stdint.h>

#define PAIRS_TAG 0x50414952ull /* "PAIR" */

struct pair_ex {
    int64_t a_lo, b_lo; /* token index of A and B in the corpus */
    uint16_t a_len, b_len;
    uint8_t label;      /* NSP: 1 = random next; SOP: 1 = swapped */
    uint8_t forced;     /* NSP: random next forced by a one-sentence chunk */
    uint8_t pad[2];     /* explicit, zero: the struct has no undefined bytes */
};

struct pair_list {
    struct pair_ex *ex;
    int64_t n, cap;
    int64_t n_forced; /* NSP examples whose random next was forced */
};

/* Appends the epoch's examples of all documents, in document order. */
void pairs_build(const struct corpus *c, int T, double short_seq_prob, int sop, uint64_t seed,
                 int64_t epoch, struct pair_list *out);
void pair_list_free(struct pair_list *l);

#endif
