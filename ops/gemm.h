/* gemm.h - matrix products on row-major float arrays.
 *
 *   C (M, N) = op(A) (M, K) * op(B) (K, N) [+ bias (N) on every row] [+ C if beta]
 * op(A) = A stored (M, K) with row stride lda, or (K, M) when transA;
 * op(B) = B stored (K, N) with row stride ldb, or (N, K) when transB.
 * beta is 0 (overwrite) or 1 (accumulate; the backward += contract).
 * On the DNNL backend each distinct shape becomes one oneDNN matmul primitive,
 * created on first use and reused (gemm_cache_stats counts hits and misses).
 * gemm_batched runs `batch` independent products with element strides sA, sB, sC.
 */
#ifndef BT_GEMM_H
#define BT_GEMM_H

#include <stddef.h>

void gemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
          int ldb, const float *bias, int beta, float *C, int ldc);
void gemm_batched(int batch, int transA, int transB, int M, int N, int K, const float *A, int lda,
                  size_t sA, const float *B, int ldb, size_t sB, int beta, float *C, int ldc,
                  size_t sC);

/* Doubly batched products: for i < B1, j < B2,
 *   C + i*sC1 + j*sC2 = op(A + i*sA1 + j*sA2) op(B + i*sB1 + j*sB2) [+ C],
 * e.g. (batch, head) pairs read in place from a (tokens, 3 x hidden) buffer. */
void gemm_batched2(int B1, int B2, int transA, int transB, int M, int N, int K, const float *A,
                   int lda, size_t sA1, size_t sA2, const float *B, int ldb, size_t sB1,
                   size_t sB2, int beta, float *C, int ldc, size_t sC1, size_t sC2);
void gemm_batched2_ref(int B1, int B2, int transA, int transB, int M, int N, int K,
                       const float *A, int lda, size_t sA1, size_t sA2, const float *B, int ldb,
                       size_t sB1, size_t sB2, int beta, float *C, int ldc, size_t sC1,
                       size_t sC2);

/* Reference twins (OpenMP loops, double accumulation). */
void gemm_ref(int transA, int transB, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, const float *bias, int beta, float *C, int ldc);
void gemm_batched_ref(int batch, int transA, int transB, int M, int N, int K, const float *A,
                      int lda, size_t sA, const float *B, int ldb, size_t sB, int beta, float *C,
                      int ldc, size_t sC);

/* Linear layer helpers, weights [out, in]:
 *   linear_forward:  out (N, OC) = inp (N, IC) * W^T + b
 *   linear_backward: dinp (N, IC) (+)= dout * W   (skipped when dinp is NULL;
 *                    accumulates when dinp_acc, else overwrites),
 *                    dW (OC, IC) += dout^T * inp,  db (OC) += column sums of dout. */
void linear_forward(float *out, const float *inp, const float *W, const float *b, int N, int IC,
                    int OC);
void linear_backward(float *dinp, int dinp_acc, float *dW, float *db, const float *dout,
                     const float *inp, const float *W, int N, int IC, int OC);
/* db (OC) += column sums of dout (N, OC); deterministic (parallel over columns). */
void bias_backward(float *db, const float *dout, int N, int OC);

struct gemm_stats {
    long hits, misses, entries;
};
void gemm_cache_stats(struct gemm_stats *s);

#endif
