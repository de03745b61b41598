/* dnnl_none.c - stand-in for dnnl_ctx.c in builds without oneDNN. */
#include "dnnl_ctx.h"
#include "check.h"

int dnnl_ctx_init(void) { return 0; }
void dnnl_ctx_shutdown(void) {}
const char *dnnl_ctx_version(void) { return "none"; }

void dnnl_ctx_gemm(int B1, int B2, int transA, int transB, int M, int N, int K, const float *A,
                   int lda, size_t sA1, size_t sA2, const float *B, int ldb, size_t sB1,
                   size_t sB2, const float *bias, int beta, float *C, int ldc, size_t sC1,
                   size_t sC2)
{
    (void)B1; (void)B2; (void)transA; (void)transB; (void)M; (void)N; (void)K; (void)A;
    (void)lda; (void)sA1; (void)sA2; (void)B; (void)ldb; (void)sB1; (void)sB2; (void)bias;
    (void)beta; (void)C; (void)ldc; (void)sC1; (void)sC2;
    BT_CHECK(0, "built without oneDNN");
}

void dnnl_ctx_stats(long *hits, long *misses, long *entries)
{
    *hits = *misses = *entries = 0;
}
