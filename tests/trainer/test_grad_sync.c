/* test_grad_sync.c - run under mpiexec with 2 and 3 ranks: the overlapped
 * bucket all-reduce (segments started from the backward hook in reverse order,
 * progressed, then finished) and the grad_sync=blocking mode (hooks do nothing,
 * finish reduces the whole slab) equal a blocking all-reduce and the exact sum,
 * and every rank ends with bitwise identical gradients; the word-embedding
 * split (dense part early, touched rows at the end) gives the exact sum too. Gradients hold small
 * integers so that any summation order is exact. */
#include "testutil.h"

#include "bert.h"
#include "comm.h"
#include "grad_sync.h"
#include "mem.h"

static float value(int rank, size_t i)
{
    return (float)((int)((i * 7 + (size_t)rank * 13) % 17) - 8);
}

static void test_overlapped_equals_blocking(void **state)
{
    (void)state;
    int rank = comm_rank(), world = comm_size();
    struct bert_config c = {.type = MODEL_ALBERT, .vocab_size = 50, .hidden_size = 8,
                            .num_layers = 4, .num_heads = 2, .intermediate_size = 16,
                            .max_position_embeddings = 16, .type_vocab_size = 2,
                            .embedding_size = 4, .num_hidden_groups = 2, .inner_group_num = 1,
                            .layer_norm_eps = 1e-12f, .initializer_range = 0.02f};
    struct bert_model m;
    bert_init(&m, &c);
    assert_int_equal(m.n_segments, 2 + 2);
    size_t n = m.n_params;
    float *blocking = xmalloc(n * sizeof(float));
    for (int round = 0; round < 6; round++) { /* the plan is reusable step after step */
        int overlap = round < 3;
        for (size_t i = 0; i < n; i++)
            m.grads[i] = blocking[i] = value(rank + round, i);
        struct grad_sync gs;
        grad_sync_init(&gs, &m, world, overlap);
        for (int seg = m.n_segments - 1; seg >= 1; seg--) /* heads, layers, as backward does */
            grad_sync_hook(&gs, seg);
        if (!overlap) /* the hooks started nothing */
            for (size_t i = 0; i < n; i++)
                if (m.grads[i] != value(rank + round, i))
                    fail_msg("blocking mode: element %zu changed before finish", i);
        grad_sync_finish(&gs); /* starts the embeddings segment itself */
        grad_sync_free(&gs);
        comm_allreduce_sum_f32(blocking, n);
        for (size_t i = 0; i < n; i++) {
            float want = 0;
            for (int r = 0; r < world; r++)
                want += value(r + round, i);
            if (m.grads[i] != want || blocking[i] != want)
                fail_msg("rank %d element %zu (%s): grad_sync %g blocking %g exact %g", rank, i,
                         overlap ? "overlap" : "blocking", m.grads[i], blocking[i], want);
        }
    }
    /* Identical on every rank. */
    int64_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + (int64_t)m.grads[i];
    int64_t lo = h, hi = h;
    comm_allreduce_min_i64(&lo, 1);
    comm_allreduce_max_i64(&hi, 1);
    assert_true(lo == hi);
    xfree(blocking);
    bert_free(&m);
}

/* The word-embedding split: each rank holds its dense word-embedding gradient
 * in the slab and its lookup gradient as rows of the tokens it saw; after
 * finish every rank has sum(dense) + sum(lookup rows) in the slab, exactly, and
 * the same on every rank; tokens no rank saw get only the dense part. */
static void test_split_rows(void **state)
{
    (void)state;
    int rank = comm_rank(), world = comm_size();
    struct bert_config c = {.type = MODEL_BERT, .vocab_size = 40, .hidden_size = 8,
                            .num_layers = 2, .num_heads = 2, .intermediate_size = 16,
                            .max_position_embeddings = 16, .type_vocab_size = 2,
                            .embedding_size = 8, .num_hidden_groups = 2, .inner_group_num = 1,
                            .layer_norm_eps = 1e-12f, .initializer_range = 0.02f};
    struct bert_model m;
    bert_init(&m, &c);
    size_t n = m.n_params, V = 40, E = 8, N = 12;
    int32_t ids[12];
    for (int step = 0; step < 3; step++) {
        for (size_t i = 0; i < n; i++)
            m.grads[i] = value(rank + step, i);
        for (size_t k = 0; k < N; k++) /* rank r sees tokens around 3r + step; 39 never */
            ids[k] = (int32_t)((3 * (size_t)rank + (size_t)step + k % 5) % 30);
        struct grad_sync gs;
        grad_sync_init(&gs, &m, world, 1);
        struct bert_wte_rows wr;
        grad_sync_prepare_rows(&gs, ids, N, &wr);
        size_t nr = gs.n_rows;
        assert_true(nr >= 5 && nr <= 30);
        for (size_t k = 0; k < N; k++) /* what embedding_backward would add: 1 per use */
            for (size_t e = 0; e < E; e++)
                wr.rows[(size_t)wr.slot[k] * E + e] += 1.0f;
        for (int seg = m.n_segments - 1; seg >= 1; seg--)
            grad_sync_hook(&gs, seg);
        grad_sync_finish(&gs);
        grad_sync_free(&gs);
        for (size_t v = 0; v < V; v++)
            for (size_t e = 0; e < E; e++) {
                size_t i = v * E + e;
                float want = 0;
                for (int r = 0; r < world; r++) {
                    want += value(r + step, i);
                    for (size_t k = 0; k < N; k++)
                        want += (float)((3 * (size_t)r + (size_t)step + k % 5) % 30 == v);
                }
                if (m.grads[i] != want)
                    fail_msg("rank %d step %d token %zu: %g, want %g", rank, step, v, m.grads[i],
                             want);
            }
        for (size_t i = V * E; i < n; i++) { /* the rest: the plain sum */
            float want = 0;
            for (int r = 0; r < world; r++)
                want += value(r + step, i);
            if (m.grads[i] != want)
                fail_msg("rank %d element %zu: %g, want %g", rank, i, m.grads[i], want);
        }
    }
    bert_free(&m);
}

int main(int argc, char **argv)
{
    comm_init(&argc, &argv);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_overlapped_equals_blocking),
                                       cmocka_unit_test(test_split_rows)};
    int rc = cmocka_run_group_tests_name("grad_sync", tests, NULL, NULL);
    int64_t worst = rc;
    comm_allreduce_max_i64(&worst, 1);
    comm_finalize();
    return worst ? 1 : 0;
}
