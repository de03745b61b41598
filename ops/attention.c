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
    /* dropped probabilities + head-major context */
    return (size_t)B * NH * T * T + (size_t)B * T * C;
}

size_t attention_bwd_scratch_floats(int B, int T, int C, int NH)
{
    /* dropped probabilities, dP, head-major dctx, dq, dk, dv */
    return 2 * (size_t)B * NH * T * T + 4 * (size_t)B * T * C;
}

/* (N, ld) row-major part at column offset off  <->  (B, NH, T, HS) head-major. */
static void split_heads(float *dst, const float *src, int ld, int off, int B, int T, int C, int NH)
{
    int HS = C / NH;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++)
                memcpy(dst + (((size_t)b * NH + h) * T + t) * HS,
                       src + ((size_t)b * T + t) * ld + off + h * HS, sizeof(float) * HS);
}

static void merge_heads(float *dst, int ld, int off, const float *src, int B, int T, int C, int NH)
{
    int HS = C / NH;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < NH; h++)
                memcpy(dst + ((size_t)b * T + t) * ld + off + h * HS,
                       src + (((size_t)b * NH + h) * T + t) * HS, sizeof(float) * HS);
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

void attention_forward(float *ctx, float *q, float *k, float *v, float *att, float *scratch,
                       const float *qkv, const int32_t *mask, int B, int T, int C, int NH,
                       const struct dropout_cfg *drop, uint64_t site)
{
    int HS = C / NH, BH = B * NH;
    size_t sTT = (size_t)T * T, sTH = (size_t)T * HS;
    split_heads(q, qkv, 3 * C, 0, B, T, C, NH);
    split_heads(k, qkv, 3 * C, C, B, T, C, NH);
    split_heads(v, qkv, 3 * C, 2 * C, B, T, C, NH);
    gemm_batched(BH, 0, 1, T, T, HS, q, HS, sTH, k, HS, sTH, 0, att, T, sTT);
    masked_softmax(att, mask, B, NH, T, 1.0f / sqrtf((float)HS));
    const float *p = att;
    float *pd = scratch, *ctx_h = scratch + (size_t)BH * sTT;
    if (drop && drop->p > 0.0f) {
        dropout_apply(pd, att, BH * T, T, NH * T, site, drop);
        p = pd;
    }
    gemm_batched(BH, 0, 0, T, HS, T, p, T, sTT, v, HS, sTH, 0, ctx_h, HS, sTH);
    merge_heads(ctx, C, 0, ctx_h, B, T, C, NH);
}

void attention_backward(float *dqkv, float *scratch, const float *dctx, const float *q,
                        const float *k, const float *v, const float *att, int B, int T, int C,
                        int NH, const struct dropout_cfg *drop, uint64_t site)
{
    int HS = C / NH, BH = B * NH;
    size_t sTT = (size_t)T * T, sTH = (size_t)T * HS, nTT = (size_t)BH * sTT;
    size_t nTH = (size_t)BH * sTH;
    float *pd = scratch, *dp = scratch + nTT, *dctx_h = scratch + 2 * nTT;
    float *dq = dctx_h + nTH, *dk = dq + nTH, *dv = dk + nTH;
    int use_drop = drop && drop->p > 0.0f;
    const float *p = att;
    split_heads(dctx_h, dctx, C, 0, B, T, C, NH);
    if (use_drop) {
        dropout_apply(pd, att, BH * T, T, NH * T, site, drop);
        p = pd;
    }
    gemm_batched(BH, 1, 0, T, HS, T, p, T, sTT, dctx_h, HS, sTH, 0, dv, HS, sTH);
    gemm_batched(BH, 0, 1, T, T, HS, dctx_h, HS, sTH, v, HS, sTH, 0, dp, T, sTT);
    if (use_drop)
        dropout_apply(dp, dp, BH * T, T, NH * T, site, drop);
    float scale = 1.0f / sqrtf((float)HS);
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < (size_t)BH * T; r++) {
        const float *pr = att + r * T;
        float *g = dp + r * T;
        float dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < T; j++)
            dot += g[j] * pr[j];
        for (int j = 0; j < T; j++)
            g[j] = pr[j] * (g[j] - dot) * scale;
    }
    gemm_batched(BH, 0, 0, T, HS, T, dp, T, sTT, k, HS, sTH, 0, dq, HS, sTH);
    gemm_batched(BH, 1, 0, T, HS, T, dp, T, sTT, q, HS, sTH, 0, dk, HS, sTH);
    merge_heads(dqkv, 3 * C, 0, dq, B, T, C, NH);
    merge_heads(dqkv, 3 * C, C, dk, B, T, C, NH);
    merge_heads(dqkv, 3 * C, 2 * C, dv, B, T, C, NH);
}

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
