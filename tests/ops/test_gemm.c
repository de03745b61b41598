/* test_gemm.c - oneDNN matmul path against the reference twin for every
 * transpose combination, strided leading dimensions, bias, accumulation and
 * batched products; the primitive cache reuses entries for repeated shapes. */
#include "testutil.h"
#include "ops_setup.h"

#include "gemm.h"
#include "mem.h"
#include "ops.h"

static void run_case(int tA, int tB, int M, int N, int K, int pad, int use_bias, int beta,
                     int batch)
{
    int lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
    size_t sA = (size_t)(tA ? K : M) * lda + 3, sB = (size_t)(tB ? N : K) * ldb + 5,
           sC = (size_t)M * ldc + 7;
    float *A = xmalloc(sizeof(float) * sA * batch), *B = xmalloc(sizeof(float) * sB * batch);
    float *C1 = xmalloc(sizeof(float) * sC * batch), *C2 = xmalloc(sizeof(float) * sC * batch);
    float *bias = xmalloc(sizeof(float) * N);
    tu_fill_uniform(A, sA * batch, -1, 1, 1);
    tu_fill_uniform(B, sB * batch, -1, 1, 2);
    tu_fill_uniform(C1, sC * batch, -1, 1, 3);
    tu_fill_uniform(bias, N, -1, 1, 4);
    for (size_t i = 0; i < sC * batch; i++)
        C2[i] = C1[i];
    if (batch == 1) {
        ops_set_backend(OPS_BACKEND_DNNL);
        gemm(tA, tB, M, N, K, A, lda, B, ldb, use_bias ? bias : NULL, beta, C1, ldc);
        gemm_ref(tA, tB, M, N, K, A, lda, B, ldb, use_bias ? bias : NULL, beta, C2, ldc);
    } else {
        ops_set_backend(OPS_BACKEND_DNNL);
        gemm_batched(batch, tA, tB, M, N, K, A, lda, sA, B, ldb, sB, beta, C1, ldc, sC);
        gemm_batched_ref(batch, tA, tB, M, N, K, A, lda, sA, B, ldb, sB, beta, C2, ldc, sC);
    }
    char what[128];
    snprintf(what, sizeof what, "gemm tA=%d tB=%d %dx%dx%d pad=%d bias=%d beta=%d batch=%d", tA,
             tB, M, N, K, pad, use_bias, beta, batch);
    /* Includes the padding columns: they must be untouched by both paths. */
    tu_assert_close(what, C1, C2, sC * batch, 1e-5);
    xfree(A);
    xfree(B);
    xfree(C1);
    xfree(C2);
    xfree(bias);
}

static void test_gemm_vs_ref(void **state)
{
    (void)state;
    for (int tA = 0; tA < 2; tA++)
        for (int tB = 0; tB < 2; tB++)
            for (int pad = 0; pad < 2; pad++) {
                run_case(tA, tB, 37, 29, 53, pad * 3, 0, 0, 1);
                run_case(tA, tB, 37, 29, 53, pad * 3, 1, 0, 1);
                run_case(tA, tB, 16, 64, 8, pad * 3, 0, 1, 1);
                run_case(tA, tB, 13, 7, 19, pad * 2, 0, 0, 5);
                run_case(tA, tB, 13, 7, 19, pad * 2, 0, 1, 5);
            }
}

static void test_cache_reuse(void **state)
{
    (void)state;
    if (!ops_have_dnnl())
        skip();
    struct gemm_stats s0, s1;
    run_case(0, 1, 11, 12, 13, 0, 1, 0, 1);
    gemm_cache_stats(&s0);
    for (int i = 0; i < 5; i++)
        run_case(0, 1, 11, 12, 13, 0, 1, 0, 1);
    gemm_cache_stats(&s1);
    assert_int_equal(s1.misses, s0.misses);
    assert_int_equal(s1.hits, s0.hits + 5);
}

static void test_linear_backward(void **state)
{
    (void)state;
    /* linear_backward against explicit sums. */
    enum { N = 5, IC = 4, OC = 3 };
    float inp[N * IC], W[OC * IC], dout[N * OC], dinp[N * IC], dW[OC * IC] = {0}, db[OC] = {0};
    tu_fill_uniform(inp, N * IC, -1, 1, 7);
    tu_fill_uniform(W, OC * IC, -1, 1, 8);
    tu_fill_uniform(dout, N * OC, -1, 1, 9);
    ops_set_backend(OPS_BACKEND_DNNL);
    linear_backward(dinp, 0, dW, db, dout, inp, W, N, IC, OC);
    for (int n = 0; n < N; n++)
        for (int i = 0; i < IC; i++) {
            double s = 0;
            for (int o = 0; o < OC; o++)
                s += dout[n * OC + o] * W[o * IC + i];
            assert_float_equal(dinp[n * IC + i], s, 1e-5);
        }
    for (int o = 0; o < OC; o++) {
        double sb = 0;
        for (int n = 0; n < N; n++)
            sb += dout[n * OC + o];
        assert_float_equal(db[o], sb, 1e-5);
        for (int i = 0; i < IC; i++) {
            double s = 0;
            for (int n = 0; n < N; n++)
                s += dout[n * OC + o] * inp[n * IC + i];
            assert_float_equal(dW[o * IC + i], s, 1e-5);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_vs_ref),
        cmocka_unit_test(test_cache_reuse),
        cmocka_unit_test(test_linear_backward),
    };
    return cmocka_run_group_tests_name("gemm", tests, ops_setup, ops_teardown);
}
