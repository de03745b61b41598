/* masking.c - see masking.h. */
#include "masking.h"
#include "rng.h"

#include <math.h>

static int is_special(const struct mask_params *p, int32_t id)
{
    for (int i = 0; i < 5; i++)
        if (id == p->special[i])
            return 1;
    return 0;
}

int masking_count(const struct mask_params *p, int L, int n_cand)
{
    long k = lrint(p->prob * (double)L); /* default rounding mode: half to even */
    if (k < 1)
        k = 1;
    if (k > p->max_pred)
        k = p->max_pred;
    if (k > n_cand)
        k = n_cand;
    return (int)k;
}

int masking_apply(const struct mask_params *p, uint64_t seed, uint64_t stream, int32_t *ids,
                  int L, int32_t *pos, int32_t *labels, int32_t *scratch)
{
    int n_cand = 0;
    for (int t = 0; t < L; t++)
        if (!is_special(p, ids[t]))
            scratch[n_cand++] = t;
    int k = masking_count(p, L, n_cand);
    struct rng r;
    rng_init(&r, seed, stream);
    for (int j = 0; j < k; j++) { /* partial Fisher-Yates: a uniform k-subset */
        int pick = j + (int)rng_next_below(&r, (uint64_t)(n_cand - j));
        int32_t tmp = scratch[j];
        scratch[j] = scratch[pick];
        scratch[pick] = tmp;
    }
    for (int j = 1; j < k; j++) { /* ascending positions */
        int32_t v = scratch[j];
        int i = j;
        while (i > 0 && scratch[i - 1] > v) {
            scratch[i] = scratch[i - 1];
            i--;
        }
        scratch[i] = v;
    }
    for (int j = 0; j < k; j++) {
        int32_t t = scratch[j];
        pos[j] = t;
        labels[j] = ids[t];
        double u = rng_next_double(&r);
        if (u < 0.8)
            ids[t] = p->mask_id;
        else if (u < 0.9 && p->pool_n > 0)
            ids[t] = p->pool[rng_next_below(&r, (uint64_t)p->pool_n)];
    }
    return k;
}
