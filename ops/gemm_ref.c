/* gemm_ref.c - naive matrix products: the oracle for the oneDNN path and the
 * fallback when the project is built without oneDNN (BT_USE_DNNL=OFF). */
#include "gemm.h"

static inline float elem(const float *X, int trans, int ld, int r, int c)
{
    return trans ? X[(size_t)c * ld + r] : X[(size_t)r * ld + c];
}

void gemm_ref(int transA, int transB, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, const float *bias, int beta, float *C, int ldc)
{
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double acc = bias ? bias[j] : 0.0;
            for (int k = 0; k < K; k++)
                acc += (double)elem(A, transA, lda, i, k) * elem(B, transB, ldb, k, j);
            float *c = &C[(size_t)i * ldc + j];
            *c = beta ? *c + (float)acc : (float)acc;
        }
    }
}

void gemm_batched_ref(int batch, int transA, int transB, int M, int N, int K, const float *A,
                      int lda, size_t sA, const float *B, int ldb, size_t sB, int beta, float *C,
                      int ldc, size_t sC)
{
    for (int b = 0; b < batch; b++)
        gemm_ref(transA, transB, M, N, K, A + b * sA, lda, B + b * sB, ldb, NULL, beta,
                 C + b * sC, ldc);
}

void gemm_batched2_ref(int B1, int B2, int transA, int transB, int M, int N, int K,
                       const float *A, int lda, size_t sA1, size_t sA2, const float *B, int ldb,
                       size_t sB1, size_t sB2, int beta, float *C, int ldc, size_t sC1, size_t sC2)
{
    for (int i = 0; i < B1; i++)
        for (int j = 0; j < B2; j++)
            gemm_ref(transA, transB, M, N, K, A + i * sA1 + j * sA2, lda, B + i * sB1 + j * sB2,
                     ldb, NULL, beta, C + i * sC1 + j * sC2, ldc);
}
