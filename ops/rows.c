/* rows.c - see rows.h. */
#include "rows.h"

#include <string.h>

void gather_rows(float *out, const float *inp, const int32_t *idx, int M, int C)
{
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        if (idx[m] < 0)
            memset(out + (size_t)m * C, 0, sizeof(float) * C);
        else
            memcpy(out + (size_t)m * C, inp + (size_t)idx[m] * C, sizeof(float) * C);
    }
}

void scatter_add_rows(float *dinp, const float *dout, const int32_t *idx, int M, int C)
{
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        if (idx[m] < 0)
            continue;
        float *d = dinp + (size_t)idx[m] * C;
        const float *g = dout + (size_t)m * C;
        for (int c = 0; c < C; c++)
            d[c] += g[c];
    }
}

void residual_forward(float *out, const float *a, const float *b, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void add_inplace(float *out, const float *a, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] += a[i];
}
