/* embedding.c - see embedding.h. */
#include "embedding.h"

#include <stddef.h>

void embedding_forward(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types,
                       const float *wte, const float *wpe, const float *wtt, int N, int E)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *a = wte + (size_t)ids[n] * E;
        const float *b = wpe + (size_t)pos[n] * E;
        const float *c = wtt + (size_t)types[n] * E;
        float *o = out + (size_t)n * E;
        for (int e = 0; e < E; e++)
            o[e] = a[e] + b[e] + c[e];
    }
}

#define EMB_BLOCK 32

void embedding_backward(float *dwte, float *dwpe, float *dwtt, const float *dout,
                        const int32_t *ids, const int32_t *pos, const int32_t *types, int N,
                        int E)
{
    /* Each task owns a block of channels of every table: no two threads touch
     * the same element, and each element sums its rows in row order. */
#pragma omp parallel for schedule(static)
    for (int e0 = 0; e0 < E; e0 += EMB_BLOCK) {
        int e1 = e0 + EMB_BLOCK < E ? e0 + EMB_BLOCK : E;
        for (int n = 0; n < N; n++) {
            const float *g = dout + (size_t)n * E;
            float *a = dwte ? dwte + (size_t)ids[n] * E : NULL;
            float *b = dwpe ? dwpe + (size_t)pos[n] * E : NULL;
            float *c = dwtt ? dwtt + (size_t)types[n] * E : NULL;
            for (int e = e0; e < e1; e++) {
                if (a)
                    a[e] += g[e];
                if (b)
                    b[e] += g[e];
                if (c)
                    c[e] += g[e];
            }
        }
    }
}

void embedding_backward_ref(float *dwte, float *dwpe, float *dwtt, const float *dout,
                            const int32_t *ids, const int32_t *pos, const int32_t *types, int N,
                            int E)
{
    for (int n = 0; n < N; n++)
        for (int e = 0; e < E; e++) {
            float g = dout[(size_t)n * E + e];
            if (dwte)
                dwte[(size_t)ids[n] * E + e] += g;
            if (dwpe)
                dwpe[(size_t)pos[n] * E + e] += g;
            if (dwtt)
                dwtt[(size_t)types[n] * E + e] += g;
        }
}
