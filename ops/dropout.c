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
        const float *x = inp + (size_t)r * cols;
        float *y = out + (size_t)r * cols;
        uint32_t draw[4];
        uint64_t block = UINT64_MAX;
        for (int j = 0; j < cols; j++) {
            uint64_t idx = base + (uint64_t)j;
            if (idx / 4 != block) {
                block = idx / 4;
                rng_block(cfg->seed, stream, block, draw);
            }
            y[j] = draw[idx % 4] < thr ? 0.0f : x[j] * scale;
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
