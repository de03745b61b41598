/* gemm.c - backend dispatch for matrix products, the Linear-layer helpers and
 * ops_init; see gemm.h and ops.h. */
#include "gemm.h"
#include "check.h"
#include "dnnl_ctx.h"
#include "ops.h"
#include "parallel.h"

#include <stdio.h>

static enum ops_backend g_backend = OPS_BACKEND_REF;
static int g_have_dnnl;
static char g_name[80];

/* Flush-to-zero and denormals-are-zero on every OpenMP thread: a denormal operand
 * slows AVX-512 arithmetic by orders of magnitude, and values below 1.2e-38 are
 * far beneath float32 training precision anyway. MXCSR is per thread. */
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
        dnnl_ctx_gemm(1, transA, transB, M, N, K, A, lda, 0, B, ldb, 0, bias, beta, C, ldc, 0);
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
        dnnl_ctx_gemm(batch, transA, transB, M, N, K, A, lda, sA, B, ldb, sB, NULL, beta, C, ldc,
                      sC);
    else
        gemm_batched_ref(batch, transA, transB, M, N, K, A, lda, sA, B, ldb, sB, beta, C, ldc,
                         sC);
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

void linear_backward(float *dinp, int dinp_acc, float *dW, float *db, const float *dout,
                     const float *inp, const float *W, int N, int IC, int OC)
{
    if (dinp)
        gemm(0, 0, N, IC, OC, dout, OC, W, IC, NULL, dinp_acc, dinp, IC);
    if (dW)
        gemm(1, 0, OC, IC, N, dout, OC, inp, IC, NULL, 1, dW, IC);
    if (db)
        bias_backward(db, dout, N, OC);
}

void gemm_cache_stats(struct gemm_stats *s)
{
    dnnl_ctx_stats(&s->hits, &s->misses, &s->entries);
}
