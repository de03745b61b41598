/* inspect.h - `bert-prep inspect DIR`: a JSON summary of a shard directory
 * (ours or NVIDIA's) on stdout; with masking options it also runs the loader
 * for N samples and reports the statistics that show the pipeline behaves:
 * masked fraction, the 80/10/10 split, specials or padding masked (must be 0),
 * random-next / swapped fraction, mean real length, padding fraction. */
#ifndef BT_INSPECT_H
#define BT_INSPECT_H

#include "check.h"
#include "loader.h"

#include <stdint.h>
#include <stdio.h>

struct inspect_opts {
    const char *dir;
    int masking;       /* 1: run the loader and add "masking" statistics */
    int64_t samples;   /* N */
    uint64_t seed;
    int seq_len;
    int max_pred;      /* 0: round(seq_len * mask_prob) + 1, like 20 @128 */
    double mask_prob;
    enum objective objective;
    int static_masks;  /* NVIDIA shards */
    int mask_mode;     /* enum mask_mode: token, whole-word, ngram */
};

struct inspect_masking {
    int64_t rows, real_tokens, slots, preds;
    int64_t to_mask, to_random, kept, specials_masked, padding_masked;
    int64_t pair_rows, pair_positive, rows_at_cap;
};

/* Writes the JSON document to out. */
int inspect_run(const struct inspect_opts *o, FILE *out, char *err) BT_WUR;
/* The masking statistics alone (used by inspect_run and the tests). */
int inspect_masking_stats(const struct inspect_opts *o, struct inspect_masking *s,
                          char *err) BT_WUR;

#endif
