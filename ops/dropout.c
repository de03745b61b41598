/* dropout.c - see dropout.h. One Philox block gives four 32-bit draws, used for
 * four consecutive elements of the same key. */
#include "dropout.h"
#include "rng.h"

#include <stddef.h>
#include <string.h>

static inline uint32_t threshold(float p)
{
    double t = (double)p * 4294967296.0;
    return t >= 4294967295.0 ? 0xffffffffu : (uint32_t)t;
}

#define DROP_CHUNK 256 /* elements per batch of draws */

/* Elements [j0, j0 + n) of one row whose draws start at index idx0 of its key's
 * stream: draws are made in bulk (vectorised Philox), then applied. */
static void drop_span(float *restrict y, const float *x, int n, uint64_t idx0, uint64_t seed,
                      uint64_t stream, uint32_t thr, float scale)
{
    uint32_t draws[DROP_CHUNK + 8];
    uint64_t first = idx0 / 4;
    int skip = (int)(idx0 % 4), blocks = (skip + n + 3) / 4;
    rng_blocks(draws, seed, stream, first, blocks);
    const uint32_t *d = draws + skip;
    for (int j = 0; j < n; j++)
        y[j] = d[j] < thr ? 0.0f : x[j] * scale;
}

void dropout_apply(float *out, const float *inp, int rows, int cols, int rows_per_key,
                   uint64_t site, const struct dropout_cfg *cfg)
{
    if (!cfg || cfg->p <= 0.0f) {
        if (out != inp)
            memcpy(out, inp, sizeof(float) * (size_t)rows * cols);
        return;
    }
    uint32_t thr = threshold(cfg->p);
    float scale = 1.0f / (1.0f - cfg->p);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        uint64_t stream = rng_stream(site, cfg->keys[r / rows_per_key], 0);
        uint64_t base = (uint64_t)(r % rows_per_key) * (uint64_t)cols;
        for (int j0 = 0; j0 < cols; j0 += DROP_CHUNK) {
            int n = cols - j0 < DROP_CHUNK ? cols - j0 : DROP_CHUNK;
            drop_span(out + (size_t)r * cols + j0, inp + (size_t)r * cols + j0, n,
                      base + (uint64_t)j0, cfg->seed, stream, thr, scale);
        }
    }
}

void dropout_apply_ref(float *out, const float *inp, int rows, int cols, int rows_per_key,
                       uint64_t site, const struct dropout_cfg *cfg)
{
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) {
            size_t i = (size_t)r * cols + j;
            if (!cfg || cfg->p <= 0.0f) {
                out[i] = inp[i];
                continue;
            }
            uint64_t idx = (uint64_t)(r % rows_per_key) * (uint64_t)cols + (uint64_t)j;
            uint32_t draw[4];
            rng_block(cfg->seed, rng_stream(site, cfg->keys[r / rows_per_key], 0), idx / 4, draw);
            out[i] = draw[idx % 4] < threshold(cfg->p) ? 0.0f : inp[i] / (1.0f - cfg->p);
        }
}
