/* gemm.c - backend dispatch for matrix products, the Linear-layer helpers and
 * ops_init; see gemm.h and ops.h. */
#include "gemm.h"
#include "check.h"
#include "dnnl_ctx.h"
#include "mem.h"
#include "ops.h"
#include "parallel.h"

#include <stdio.h>

static enum ops_backend g_backend = OPS_BACKEND_REF;
static int g_have_dnnl;
static char g_name[80];

/* Flush-to-zero and denormals-are-zero on every OpenMP thread: a denormal operand
 * slows AVX-512 arithmetic by orders of magnitude, and values below 1.2e-38 are
 * far beneath float32 training precision anyway. MXCSR is per thread. */
/* Two scratch slots for transposed weights and weight gradients, grown on demand
 * (ops run on one thread). */
static float *g_scratch[2];
static size_t g_scratch_n[2];

static float *scratch(int slot, size_t n)
{
    if (n > g_scratch_n[slot]) {
        xfree(g_scratch[slot]);
        g_scratch[slot] = xaligned_alloc(xmul(n, sizeof(float)));
        g_scratch_n[slot] = n;
    }
    return g_scratch[slot];
}

static void set_ftz_daz(void)
{
#if defined(__SSE__)
    unsigned int csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    csr |= 0x8040u; /* FTZ (bit 15) | DAZ (bit 6) */
    __asm__ volatile("ldmxcsr %0" : : "m"(csr));
#endif
}

void ops_init(void)
{
    set_ftz_daz();
#pragma omp parallel
    set_ftz_daz();
    g_have_dnnl = dnnl_ctx_init();
    g_backend = g_have_dnnl ? OPS_BACKEND_DNNL : OPS_BACKEND_REF;
}

void ops_shutdown(void)
{
    for (int i = 0; i < 2; i++) {
        xfree(g_scratch[i]);
        g_scratch[i] = NULL;
        g_scratch_n[i] = 0;
    }
    dnnl_ctx_shutdown();
    g_have_dnnl = 0;
}

int ops_have_dnnl(void)
{
    return g_have_dnnl;
}

void ops_set_backend(enum ops_backend b)
{
    g_backend = (b == OPS_BACKEND_DNNL && !g_have_dnnl) ? OPS_BACKEND_REF : b;
}

enum ops_backend ops_get_backend(void)
{
    return g_backend;
}

const char *ops_backend_name(void)
{
    if (g_backend == OPS_BACKEND_DNNL)
        snprintf(g_name, sizeof g_name, "%s", dnnl_ctx_version());
    else
        snprintf(g_name, sizeof g_name, "reference kernels");
    return g_name;
}

int ops_max_threads(void)
{
    return par_max_threads();
}

void gemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
          int ldb, const float *bias, int beta, float *C, int ldc)
{
    if (M == 0 || N == 0)
        return;
    if (g_backend == OPS_BACKEND_DNNL && K > 0)
        dnnl_ctx_gemm(1, 1, transA, transB, M, N, K, A, lda, 0, 0, B, ldb, 0, 0, bias, beta, C,
                      ldc, 0, 0);
    else
        gemm_ref(transA, transB, M, N, K, A, lda, B, ldb, bias, beta, C, ldc);
}

void gemm_batched(int batch, int transA, int transB, int M, int N, int K, const float *A, int lda,
                  size_t sA, const float *B, int ldb, size_t sB, int beta, float *C, int ldc,
                  size_t sC)
{
    if (batch == 0 || M == 0 || N == 0)
        return;
    if (g_backend == OPS_BACKEND_DNNL && K > 0)
        dnnl_ctx_gemm(batch, 1, transA, transB, M, N, K, A, lda, sA, 0, B, ldb, sB, 0, NULL, beta,
                      C, ldc, sC, 0);
    else
        gemm_batched_ref(batch, transA, transB, M, N, K, A, lda, sA, B, ldb, sB, beta, C, ldc,
                         sC);
}

void gemm_batched2(int B1, int B2, int transA, int transB, int M, int N, int K, const float *A,
                   int lda, size_t sA1, size_t sA2, const float *B, int ldb, size_t sB1,
                   size_t sB2, int beta, float *C, int ldc, size_t sC1, size_t sC2)
{
    if (B1 == 0 || B2 == 0 || M == 0 || N == 0)
        return;
    if (g_backend == OPS_BACKEND_DNNL && K > 0)
        dnnl_ctx_gemm(B1, B2, transA, transB, M, N, K, A, lda, sA1, sA2, B, ldb, sB1, sB2, NULL,
                      beta, C, ldc, sC1, sC2);
    else
        gemm_batched2_ref(B1, B2, transA, transB, M, N, K, A, lda, sA1, sA2, B, ldb, sB1, sB2,
                          beta, C, ldc, sC1, sC2);
}

void linear_forward(float *out, const float *inp, const float *W, const float *b, int N, int IC,
                    int OC)
{
    gemm(0, 1, N, OC, IC, inp, IC, W, IC, b, 0, out, OC);
}

void bias_backward(float *db, const float *dout, int N, int OC)
{
    /* Blocks of 16 columns per task: each thread owns whole columns of db. */
#pragma omp parallel for schedule(static)
    for (int j0 = 0; j0 < OC; j0 += 16) {
        int j1 = j0 + 16 < OC ? j0 + 16 : OC;
        float acc[16] = {0};
        for (int i = 0; i < N; i++) {
            const float *row = dout + (size_t)i * OC;
            for (int j = j0; j < j1; j++)
                acc[j - j0] += row[j];
        }
        for (int j = j0; j < j1; j++)
            db[j] += acc[j - j0];
    }
}

/* dst (R, S) (+)= src^T where src is (S, R); 32 x 32 tiles, parallel over tiles. */
static void transpose(float *dst, const float *src, int R, int S, int accumulate)
{
    int tr = (R + 31) / 32, ts = (S + 31) / 32;
#pragma omp parallel for schedule(static)
    for (int tile = 0; tile < tr * ts; tile++) {
        int r0 = (tile / ts) * 32, s0 = (tile % ts) * 32;
        int r1 = r0 + 32 < R ? r0 + 32 : R, s1 = s0 + 32 < S ? s0 + 32 : S;
        for (int r = r0; r < r1; r++)
            for (int c = s0; c < s1; c++) {
                float v = src[(size_t)c * R + r];
                dst[(size_t)r * S + c] = accumulate ? dst[(size_t)r * S + c] + v : v;
            }
    }
}

void linear_backward(float *dinp, int dinp_acc, float *dW, float *db, const float *dout,
                     const float *inp, const float *W, int N, int IC, int OC)
{
    /* oneDNN's matmul is faster with the weights operand in the "transposed" (N, K)
     * layout, so dinp = dout W uses a transposed copy of W (one pass over W); and for
     * wide inputs, inp^T dout (= dW^T) beats dout^T inp 2-3x, so dW^T is computed and
     * added back transposed. Measurements in docs/performance.md. */
    int dnnl = g_backend == OPS_BACKEND_DNNL;
    if (dinp && dnnl) {
        float *wt = scratch(0, (size_t)IC * OC);
        transpose(wt, W, IC, OC, 0);
        gemm(0, 1, N, IC, OC, dout, OC, wt, OC, NULL, dinp_acc, dinp, IC);
    } else if (dinp) {
        gemm(0, 0, N, IC, OC, dout, OC, W, IC, NULL, dinp_acc, dinp, IC);
    }
    if (dW && IC > OC && dnnl) {
        float *t = scratch(1, (size_t)IC * OC);
        gemm(1, 0, IC, OC, N, inp, IC, dout, OC, NULL, 0, t, OC);
        transpose(dW, t, OC, IC, 1);
    } else if (dW) {
        gemm(1, 0, OC, IC, N, dout, OC, inp, IC, NULL, 1, dW, IC);
    }
    if (db)
        bias_backward(db, dout, N, OC);
}

void gemm_cache_stats(struct gemm_stats *s)
{
    dnnl_ctx_stats(&s->hits, &s->misses, &s->entries);
}
