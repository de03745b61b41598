/* masking.h - BERT's dynamic MLM masking of one row, keyed by a counter RNG
 * stream so it is a pure function of (seed, stream): the loader uses
 * stream = rng_stream(MASKING_TAG, epoch, index in epoch).
 *
 * Rule (Google's create_masked_lm_predictions without whole-word masking):
 *  - candidates: positions t < L whose id is not one of the special ids
 *    ([PAD] [UNK] [CLS] [SEP] [MASK]); padding (t >= L) is never a candidate;
 *  - count: min(max_pred, max(1, round(prob * L)), #candidates), where L counts
 *    [CLS]/[SEP] and round() is round-half-to-even (Python 3's round);
 *  - positions: a uniform random subset of that size, returned ascending;
 *  - each position: with probability 0.8 -> [MASK], 0.1 -> a uniformly random
 *    id from `pool` (the non-special vocabulary), 0.1 -> unchanged.
 * Labels are the original ids at the returned positions. */
#ifndef BT_MASKING_H
#define BT_MASKING_H

#include <stdint.h>

#define MASKING_TAG 0x4d41534bull /* "MASK" */

struct mask_params {
    double prob;          /* 0.15 */
    int max_pred;         /* per row */
    int32_t mask_id;
    int32_t special[5];   /* ids never masked */
    const int32_t *pool;  /* random replacement ids */
    int32_t pool_n;
};

/* Masks ids[0..L) in place; writes up to max_pred positions (ascending) and
 * original ids; returns how many. scratch must hold L ints. */
int masking_apply(const struct mask_params *p, uint64_t seed, uint64_t stream, int32_t *ids,
                  int L, int32_t *pos, int32_t *labels, int32_t *scratch);

/* Number of positions masking_apply picks for a row of L real tokens with
 * n_cand candidates. */
int masking_count(const struct mask_params *p, int L, int n_cand);

#endif
