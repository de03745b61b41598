/* layernorm.c - see layernorm.h.
 * Backward: with xhat = (x - mean) * rstd and g = dout * w,
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dw += dout * xhat,  db += dout. */
#include "layernorm.h"

#include <math.h>
#include <stddef.h>

/* One row; the reductions are vectorised (omp simd), two passes for the variance. */
static void ln_row(float *restrict o, const float *restrict x, const float *restrict w,
                   const float *restrict b, int C, float eps, float *mean, float *rstd)
{
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int c = 0; c < C; c++)
        s += x[c];
    float m = s / (float)C, v = 0;
#pragma omp simd reduction(+ : v)
    for (int c = 0; c < C; c++)
        v += (x[c] - m) * (x[c] - m);
    float r = 1.0f / sqrtf(v / (float)C + eps);
    for (int c = 0; c < C; c++)
        o[c] = (x[c] - m) * r * w[c] + b[c];
    *mean = m;
    *rstd = r;
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                       const float *b, int N, int C, float eps)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        ln_row(out + (size_t)n * C, inp + (size_t)n * C, w, b, C, eps, &mean[n], &rstd[n]);
}

#define LN_BLOCK 64

void layernorm_backward(float *dinp, int dinp_acc, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, const float *mean, const float *rstd,
                        int N, int C)
{
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
            float *d = dinp + (size_t)n * C;
            float m = mean[n], r = rstd[n];
            float sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
            for (int c = 0; c < C; c++) {
                float gw = g[c] * w[c];
                sg += gw;
                sgx += gw * (x[c] - m) * r;
            }
            sg /= C;
            sgx /= C;
            if (dinp_acc)
                for (int c = 0; c < C; c++)
                    d[c] += r * (g[c] * w[c] - sg - (x[c] - m) * r * sgx);
            else
                for (int c = 0; c < C; c++)
                    d[c] = r * (g[c] * w[c] - sg - (x[c] - m) * r * sgx);
        }
    }
    if (!dw && !db)
        return;
#pragma omp parallel for schedule(static)
    for (int c0 = 0; c0 < C; c0 += LN_BLOCK) {
        int c1 = c0 + LN_BLOCK < C ? c0 + LN_BLOCK : C;
        float aw[LN_BLOCK] = {0}, ab[LN_BLOCK] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
            float m = mean[n], r = rstd[n];
            for (int c = c0; c < c1; c++) {
                aw[c - c0] += g[c] * (x[c] - m) * r;
                ab[c - c0] += g[c];
            }
        }
        for (int c = c0; c < c1; c++) {
            if (dw)
                dw[c] += aw[c - c0];
            if (db)
                db[c] += ab[c - c0];
        }
    }
}

void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w,
                           const float *b, int N, int C, float eps)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        double s = 0, v = 0;
        for (int c = 0; c < C; c++)
            s += x[c];
        double m = s / C;
        for (int c = 0; c < C; c++)
            v += (x[c] - m) * (x[c] - m);
        double r = 1.0 / sqrt(v / C + eps);
        for (int c = 0; c < C; c++)
            out[(size_t)n * C + c] = (float)((x[c] - m) * r * w[c] + b[c]);
        mean[n] = (float)m;
        rstd[n] = (float)r;
    }
}

void layernorm_backward_ref(float *dinp, int dinp_acc, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, const float *mean,
                            const float *rstd, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
        double sg = 0, sgx = 0;
        for (int c = 0; c < C; c++) {
            double xh = (x[c] - (double)mean[n]) * rstd[n];
            sg += (double)g[c] * w[c];
            sgx += (double)g[c] * w[c] * xh;
            if (dw)
                dw[c] += (float)(g[c] * xh);
            if (db)
                db[c] += g[c];
        }
        if (!dinp)
            continue;
        for (int c = 0; c < C; c++) {
            double xh = (x[c] - (double)mean[n]) * rstd[n];
            double d = rstd[n] * ((double)g[c] * w[c] - sg / C - xh * sgx / C);
            float *o = &dinp[(size_t)n * C + c];
            *o = dinp_acc ? *o + (float)d : (float)d;
        }
    }
}
