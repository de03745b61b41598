/* dnnl_none.c - stand-in for dnnl_ctx.c in builds without oneDNN. */
#include "dnnl_ctx.h"
#include "check.h"

int dnnl_ctx_init(void) { return 0; }
void dnnl_ctx_shutdown(void) {}
const char *dnnl_ctx_version(void) { return "none"; }

void dnnl_ctx_gemm(int batch, int transA, int transB, int M, int N, int K, const float *A,
                   int lda, size_t sA, const float *B, int ldb, size_t sB, const float *bias,
                   int beta, float *C, int ldc, size_t sC)
{
    (void)batch; (void)transA; (void)transB; (void)M; (void)N; (void)K; (void)A; (void)lda;
    (void)sA; (void)B; (void)ldb; (void)sB; (void)bias; (void)beta; (void)C; (void)ldc; (void)sC;
    BT_CHECK(0, "built without oneDNN");
}

void dnnl_ctx_stats(long *hits, long *misses, long *entries)
{
    *hits = *misses = *entries = 0;
}
