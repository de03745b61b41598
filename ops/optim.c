/* optim.c - see optim.h. */
#include "optim.h"

#include <math.h>

void adamw_update(float *p, const float *g, float *m, float *v, size_t n, float gscale,
                  const struct adam_hparams *h)
{
    float b1 = h->beta1, b2 = h->beta2, eps = h->eps, lr = h->lr, wd = h->wd;
    float ibc1 = 1.0f / h->bc1, isbc2 = 1.0f / sqrtf(h->bc2);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * (mi * ibc1 / (sqrtf(vi) * isbc2 + eps) + wd * p[i]);
    }
}

void lamb_direction(float *u, const float *p, const float *g, float *m, float *v, size_t n,
                    float gscale, const struct adam_hparams *h, double *p_sq, double *u_sq)
{
    float b1 = h->beta1, b2 = h->beta2, eps = h->eps, wd = h->wd;
    float ibc1 = 1.0f / h->bc1, isbc2 = 1.0f / sqrtf(h->bc2);
    double ps = 0, us = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : ps, us)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float ui = mi * ibc1 / (sqrtf(vi) * isbc2 + eps) + wd * p[i];
        u[i] = ui;
        ps += (double)p[i] * p[i];
        us += (double)ui * ui;
    }
    *p_sq = ps;
    *u_sq = us;
}

void axpy_update(float *p, const float *u, size_t n, float a)
{
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        p[i] -= a * u[i];
}
