/* attention.c - see attention.h.
 * Per (b, h): S = q k^T / sqrt(HS); P = softmax_masked(S); P' = dropout(P);
 * ctx = P' v. Backward: dv = P'^T dctx; dP' = dctx v^T; dP = dropout(dP');
 * dS = P * (dP - rowsum(dP * P)) / sqrt(HS); dq = dS k; dk = dS^T q. */
#include "attention.h"
#include "fastmath.h"
#include "gemm.h"
#include "mem.h"

#include <math.h>
#include <string.h>

size_t attention_fwd_scratch_floats(int B, int T, int C, int NH)
{
    (void)C;
    return (size_t)B * NH * T * T; /* dropped probabilities */
}

size_t attention_bwd_scratch_floats(int B, int T, int C, int NH)
{
    (void)C;
    return 2 * (size_t)B * NH * T * T; /* dropped probabilities, dP */
}

/* One row: p[j] = exp(scale * (s[j] - max)) / sum over unmasked keys, 0 for masked. */
static void softmax_row(float *restrict row, const int32_t *restrict m, int T, float scale)
{
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int j = 0; j < T; j++)
        mx = m[j] && row[j] > mx ? row[j] : mx;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < T; j++) {
        float e = fm_expf((row[j] - mx) * scale);
        row[j] = m[j] ? e : 0.0f;
        sum += row[j];
    }
    float inv = sum > 0 ? 1.0f / sum : 0.0f;
    for (int j = 0; j < T; j++)
        row[j] *= inv;
}

static void masked_softmax(float *att, const int32_t *mask, int B, int NH, int T, float scale)
{
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < B * NH; bh++)
        for (int t = 0; t < T; t++)
            softmax_row(att + ((size_t)bh * T + t) * T, mask + (size_t)(bh / NH) * T, T, scale);
}
/* Strides of the (batch, head) blocks: a head inside a row-major (N, ld) buffer,
 * and the contiguous (B, NH, T, T) probabilities. */
#define HEAD(ld) (size_t)T *(ld), (size_t)HS
#define PROB (size_t)NH *T *T, (size_t)T *T

void attention_forward(float *ctx, float *att, float *scratch, const float *qkv,
                       const int32_t *mask, int B, int T, int C, int NH,
                       const struct dropout_cfg *drop, uint64_t site)
{
    int HS = C / NH, C3 = 3 * C;
    const float *q = qkv, *k = qkv + C, *v = qkv + 2 * C;
    gemm_batched2(B, NH, 0, 1, T, T, HS, q, C3, HEAD(C3), k, C3, HEAD(C3), 0, att, T, PROB);
    masked_softmax(att, mask, B, NH, T, 1.0f / sqrtf((float)HS));
    const float *p = att;
    if (drop && drop->p > 0.0f) {
        dropout_apply(scratch, att, B * NH * T, T, NH * T, site, drop);
        p = scratch;
    }
    gemm_batched2(B, NH, 0, 0, T, HS, T, p, T, PROB, v, C3, HEAD(C3), 0, ctx, C, HEAD(C));
}

void attention_backward(float *dqkv, float *scratch, const float *dctx, const float *qkv,
                        const float *att, int B, int T, int C, int NH,
                        const struct dropout_cfg *drop, uint64_t site)
{
    int HS = C / NH, C3 = 3 * C;
    size_t nTT = (size_t)B * NH * T * T;
    const float *q = qkv, *k = qkv + C, *v = qkv + 2 * C;
    float *pd = scratch, *dp = scratch + nTT;
    int use_drop = drop && drop->p > 0.0f;
    const float *p = att;
    if (use_drop) {
        dropout_apply(pd, att, B * NH * T, T, NH * T, site, drop);
        p = pd;
    }
    /* dV = P'^T dctx; dP' = dctx V^T */
    gemm_batched2(B, NH, 1, 0, T, HS, T, p, T, PROB, dctx, C, HEAD(C), 0, dqkv + 2 * C, C3,
                  HEAD(C3));
    gemm_batched2(B, NH, 0, 1, T, T, HS, dctx, C, HEAD(C), v, C3, HEAD(C3), 0, dp, T, PROB);
    if (use_drop)
        dropout_apply(dp, dp, B * NH * T, T, NH * T, site, drop);
    float scale = 1.0f / sqrtf((float)HS);
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < nTT / (size_t)T; r++) {
        const float *pr = att + r * T;
        float *g = dp + r * T;
        float dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < T; j++)
            dot += g[j] * pr[j];
        for (int j = 0; j < T; j++)
            g[j] = pr[j] * (g[j] - dot) * scale;
    }
    /* dQ = dS K; dK = dS^T Q */
    gemm_batched2(B, NH, 0, 0, T, HS, T, dp, T, PROB, k, C3, HEAD(C3), 0, dqkv, C3, HEAD(C3));
    gemm_batched2(B, NH, 1, 0, T, HS, T, dp, T, PROB, q, C3, HEAD(C3), 0, dqkv + C, C3, HEAD(C3));
}

#undef HEAD
#undef PROB

/* ---- reference twins ---- */

static double qkv_at(const float *qkv, int C, int part, int b, int T, int t, int h, int HS, int d)
{
    return qkv[((size_t)b * T + t) * 3 * C + (size_t)part * C + (size_t)h * HS + d];
}

/* att (B, NH, T, T) <- masked softmax of the scaled scores, computed in double. */
static void ref_probs(float *att, const float *qkv, const int32_t *mask, int B, int T, int C,
                      int NH)
{
    int HS = C / NH;
    double *s = xmalloc(sizeof(double) * T);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < T; j++) {
                    double dot = 0;
                    for (int d = 0; d < HS; d++)
                        dot += qkv_at(qkv, C, 0, b, T, t, h, HS, d) *
                               qkv_at(qkv, C, 1, b, T, j, h, HS, d);
                    s[j] = dot / sqrt((double)HS);
                    if (mask[(size_t)b * T + j] && s[j] > mx)
                        mx = s[j];
                }
                for (int j = 0; j < T; j++) {
                    s[j] = mask[(size_t)b * T + j] ? exp(s[j] - mx) : 0.0;
                    sum += s[j];
                }
                for (int j = 0; j < T; j++)
                    att[(((size_t)b * NH + h) * T + t) * T + j] = (float)(s[j] / sum);
            }
    xfree(s);
}

void attention_forward_ref(float *ctx, float *att, const float *qkv, const int32_t *mask, int B,
                           int T, int C, int NH, const struct dropout_cfg *drop, uint64_t site)
{
    int HS = C / NH;
    size_t nTT = (size_t)B * NH * T * T;
    ref_probs(att, qkv, mask, B, T, C, NH);
    float *pd = xmalloc(sizeof(float) * nTT);
    dropout_apply_ref(pd, att, B * NH * T, T, NH * T, site, drop);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++)
                for (int d = 0; d < HS; d++) {
                    double acc = 0;
                    for (int j = 0; j < T; j++)
                        acc += pd[(((size_t)b * NH + h) * T + t) * T + j] *
                               qkv_at(qkv, C, 2, b, T, j, h, HS, d);
                    ctx[((size_t)b * T + t) * C + (size_t)h * HS + d] = (float)acc;
                }
    xfree(pd);
}

void attention_backward_ref(float *dqkv, const float *dctx, const float *qkv, const float *att,
                            int B, int T, int C, int NH, const struct dropout_cfg *drop,
                            uint64_t site)
{
    int HS = C / NH;
    size_t nTT = (size_t)B * NH * T * T;
    float *pd = xmalloc(sizeof(float) * nTT), *dpd = xmalloc(sizeof(float) * nTT);
    float *dp = xmalloc(sizeof(float) * nTT);
    dropout_apply_ref(pd, att, B * NH * T, T, NH * T, site, drop);
    memset(dqkv, 0, sizeof(float) * (size_t)B * T * 3 * C);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < T; j++) {
                    double g = 0; /* dP'[t][j] = dctx[t] . v[j] */
                    for (int d = 0; d < HS; d++)
                        g += (double)dctx[((size_t)b * T + t) * C + (size_t)h * HS + d] *
                             qkv_at(qkv, C, 2, b, T, j, h, HS, d);
                    dpd[(((size_t)b * NH + h) * T + t) * T + j] = (float)g;
                }
    dropout_apply_ref(dp, dpd, B * NH * T, T, NH * T, site, drop);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                size_t row = (((size_t)b * NH + h) * T + t) * T;
                double dot = 0;
                for (int j = 0; j < T; j++)
                    dot += (double)dp[row + j] * att[row + j];
                for (int j = 0; j < T; j++) {
                    double ds = att[row + j] * (dp[row + j] - dot) / sqrt((double)HS);
                    for (int d = 0; d < HS; d++) {
                        size_t qi = ((size_t)b * T + t) * 3 * C + (size_t)h * HS + d;
                        size_t ki = ((size_t)b * T + j) * 3 * C + C + (size_t)h * HS + d;
                        dqkv[qi] += (float)(ds * qkv_at(qkv, C, 1, b, T, j, h, HS, d));
                        dqkv[ki] += (float)(ds * qkv_at(qkv, C, 0, b, T, t, h, HS, d));
                    }
                    /* dv[j] += P'[t][j] * dctx[t] */
                    for (int d = 0; d < HS; d++)
                        dqkv[((size_t)b * T + j) * 3 * C + 2 * (size_t)C + (size_t)h * HS + d] +=
                            pd[row + j] * dctx[((size_t)b * T + t) * C + (size_t)h * HS + d];
                }
            }
    xfree(pd);
    xfree(dpd);
    xfree(dp);
}
