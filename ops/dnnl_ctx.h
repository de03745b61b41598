/* dnnl_ctx.h - plain-C face of oneDNN for the rest of ops/ (dnnl_ctx.c is the
 * only file that includes dnnl.h; dnnl_none.c stands in when the project is
 * built without oneDNN and reports it as unavailable). */
#ifndef BT_DNNL_CTX_H
#define BT_DNNL_CTX_H

#include <stddef.h>

int dnnl_ctx_init(void);      /* 1 when oneDNN is usable */
void dnnl_ctx_shutdown(void);
const char *dnnl_ctx_version(void);
/* Batched strided matmul on the cached primitive for this shape; see gemm.h. */
void dnnl_ctx_gemm(int batch, int transA, int transB, int M, int N, int K, const float *A,
                   int lda, size_t sA, const float *B, int ldb, size_t sB, const float *bias,
                   int beta, float *C, int ldc, size_t sC);
void dnnl_ctx_stats(long *hits, long *misses, long *entries);

#endif
