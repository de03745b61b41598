/* dropout.h - inverted dropout whose mask is never stored.
 * Element (r, j) of a rows x cols array is dropped when a Philox draw keyed by
 * (seed, stream(site, keys[r / rows_per_key]), counter) falls below p, where
 * counter enumerates the elements sharing that key. Keys come from the caller
 * (the global sample index and step), so the mask is the same on any rank count
 * and is regenerated exactly in backward. Kept elements are scaled by 1/(1-p).
 * dropout_apply works for forward (x -> y) and backward (dy -> dx): out may
 * alias inp; it OVERWRITES out. p == 0 copies (or does nothing in place). */
#ifndef BT_DROPOUT_H
#define BT_DROPOUT_H

#include <stdint.h>

struct dropout_cfg {
    float p;               /* drop probability, 0 = off */
    uint64_t seed;         /* run seed */
    const uint64_t *keys;  /* one key per batch row b (sample identity x step) */
};

void dropout_apply(float *out, const float *inp, int rows, int cols, int rows_per_key,
                   uint64_t site, const struct dropout_cfg *cfg);
void dropout_apply_ref(float *out, const float *inp, int rows, int cols, int rows_per_key,
                       uint64_t site, const struct dropout_cfg *cfg);

#endif
