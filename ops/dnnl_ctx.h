/* dnnl_ctx.h - plain-C face of oneDNN for the rest of ops/ (dnnl_ctx.c is the
 * only file that includes dnnl.h; dnnl_none.c stands in when the project is
 * built without oneDNN and reports it as unavailable). */
#ifndef BT_DNNL_CTX_H
#define BT_DNNL_CTX_H

#include <stddef.h>

int dnnl_ctx_init(void);      /* 1 when oneDNN is usable */
void dnnl_ctx_shutdown(void);
const char *dnnl_ctx_version(void);
/* Strided matmul with up to two batch dimensions (B1 outer, B2 inner; 1 = none)
 * on the cached primitive for this shape; see gemm.h. */
void dnnl_ctx_gemm(int B1, int B2, int transA, int transB, int M, int N, int K, const float *A,
                   int lda, size_t sA1, size_t sA2, const float *B, int ldb, size_t sB1,
                   size_t sB2, const float *bias, int beta, float *C, int ldc, size_t sC1,
                   size_t sC2);
void dnnl_ctx_stats(long *hits, long *misses, long *entries);

#endif
