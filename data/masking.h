/* masking.h - BERT's dynamic MLM masking of one row, keyed by a counter RNG
 * stream so it is a pure function of (seed, stream): the loader uses
 * stream = rng_stream(MASKING_TAG, epoch, index in epoch).
 *
 * Budget (all modes, Google's create_masked_lm_predictions):
 *  - candidates: positions t < L whose id is not one of the special ids
 *    ([PAD] [UNK] [CLS] [SEP] [MASK]); padding (t >= L) is never a candidate;
 *  - k = min(max_pred, max(1, round(prob * L)), #candidates) tokens, where L
 *    counts [CLS]/[SEP] and round() is round-half-to-even (Python 3's round).
 *
 * Modes:
 *  - token (BERT): a uniform random subset of k candidate positions; each
 *    position: with probability 0.8 -> [MASK], 0.1 -> a uniformly random id
 *    from `pool` (the non-special vocabulary), 0.1 -> unchanged;
 *  - whole-word (Google's do_whole_word_mask): candidates are grouped into
 *    words (a token with cont[t] = 1 joins the word of the candidate before
 *    it; a special token ends a word); the words are shuffled and taken in
 *    that order, skipping any that would exceed k tokens, until k is reached;
 *    the 80/10/10 choice is drawn once per word and applies to all its tokens
 *    (a random replacement draws a separate id for each token);
 *  - ngram (ALBERT): like whole-word, but each shuffled start word opens a
 *    span of n consecutive words of the same segment, n in 1..max_ngram drawn
 *    with p(n) proportional to 1/n (limited to the words available), shortened
 *    while it would exceed k, skipped if it still does or if it overlaps a span
 *    already taken; 80/10/10 per word.
 * Words are never split and at most k tokens are masked (whole words may leave
 * the budget a few tokens short). The returned positions are ascending; labels
 * are the original ids there. */
#ifndef BT_MASKING_H
#define BT_MASKING_H

#include <stdint.h>

#define MASKING_TAG 0x4d41534bull /* "MASK" */
#define MASKING_MAX_NGRAM 3

enum mask_mode { MASK_TOKEN, MASK_WHOLE_WORD, MASK_NGRAM, MASK_MODE_COUNT };
/* "token", "whole-word", "ngram"; BT_EUSAGE otherwise. */
int mask_mode_parse(const char *s, enum mask_mode *out);
const char *mask_mode_name(enum mask_mode m);

struct mask_params {
    double prob;          /* 0.15 */
    int max_pred;         /* per row */
    int32_t mask_id;
    int32_t special[5];   /* ids never masked */
    const int32_t *pool;  /* random replacement ids */
    int32_t pool_n;
    enum mask_mode mode;
    int max_ngram;        /* ngram: longest span in words (MASKING_MAX_NGRAM) */
};

/* Masks ids[0..L) in place; writes up to max_pred positions (ascending) and
 * original ids; returns how many. cont (whole-word, ngram; may be NULL for
 * token) marks tokens that continue the previous token's word. scratch must
 * hold 4 * L ints. */
int masking_apply(const struct mask_params *p, uint64_t seed, uint64_t stream, int32_t *ids,
                  int L, const uint8_t *cont, int32_t *pos, int32_t *labels, int32_t *scratch);

/* Number of tokens masking_apply may mask in a row of L real tokens with
 * n_cand candidates (exactly that many in token mode). */
int masking_count(const struct mask_params *p, int L, int n_cand);

/* ngram: the span length for a start with `avail` consecutive words, from a
 * uniform u in [0, 1) (exposed for the distribution test). */
int masking_ngram_length(double u, int avail);

#endif
