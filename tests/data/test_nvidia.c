/* test_nvidia.c - NVIDIA DeepLearningExamples shards as a data source, on two
 * small files this test writes itself in that schema (HDF5 C API, gzip):
 *  - static masks: rows, masks, segments, labels exactly as stored; an epoch
 *    visits every stored row once;
 *  - dynamic: the stored masks are undone (ids equal the originals) and new
 *    masks follow the masking rule and change with the epoch;
 *  - padding to a longer seq_len; option and file errors; inspect summary. */
#include "testutil.h"

#include "data_fixture.h"
#include "fileio.h"
#include "inspect.h"
#include "loader.h"
#include "masking.h"
#include "mem.h"

#include <math.h>

#define T0 32
#define P0 6
#define R0 40
#define R1 25

static char dir[4096];
static int32_t orig[R0 + R1][T0]; /* unmasked rows: file 0 then file 1 */

static int setup(void **state)
{
    (void)state;
    char p[4200];
    tu_tmpdir(dir, sizeof dir, "nvidia");
    snprintf(p, sizeof p, "%s/wiki_training_0.hdf5", dir);
    df_write_nvidia(p, R0, T0, P0, 1, &orig[0][0]);
    snprintf(p, sizeof p, "%s/wiki_training_1.hdf5", dir);
    df_write_nvidia(p, R1, T0, P0, 2, &orig[R0][0]);
    return 0;
}

static struct loader_opts opts(int T, int static_masks)
{
    struct loader_opts o = {0};
    o.dir = dir;
    o.seq_len = T;
    o.max_pred = P0;
    o.mask_prob = 0.15;
    o.short_seq_prob = 0.1;
    o.objective = OBJ_NSP;
    o.seed = 99;
    o.world = 1;
    o.global_batch = 5;
    o.micro_batch = 5;
    o.static_masks = static_masks;
    o.prefetch = 1;
    return o;
}

/* Index of the stored row whose unmasked ids equal row (restored by labels). */
static int find_row(const int32_t *ids, const struct batch *b, int r)
{
    int32_t u[64];
    int T = b->T;
    memcpy(u, ids, sizeof(int32_t) * (size_t)T);
    for (int k = 0; k < b->n_pred; k++)
        if (b->pred_pos[k] / T == r)
            u[b->pred_pos[k] % T] = b->pred_label[k];
    for (int i = 0; i < R0 + R1; i++)
        if (memcmp(u, orig[i], sizeof(int32_t) * T0) == 0)
            return i;
    return -1;
}

static void run_epoch(int static_masks, int T, int *seen, uint64_t *mask_positions_hash)
{
    struct loader_opts o = opts(T, static_masks);
    struct loader *L;
    char err[BT_ERR_LEN];
    if (loader_open(&L, &o, err) != BT_OK)
        fail_msg("%s", err);
    const struct data_info *I = loader_info(L);
    assert_int_equal(I->nvidia, 1);
    assert_int_equal(I->epoch_size, R0 + R1);
    assert_int_equal(I->mask_id, 103);
    struct batch b;
    batch_alloc(&b, 5, T, P0);
    struct mask_params mp = {0.15, P0, 103, {0, 100, 101, 102, 103}, NULL, 0, MASK_TOKEN, 3};
    *mask_positions_hash = 0;
    for (int step = 0; step < (R0 + R1) / 5; step++) {
        if (loader_next(L, &b, err) != BT_OK)
            fail_msg("%s", err);
        for (int r = 0; r < 5; r++) {
            const int32_t *ids = b.input_ids + r * T;
            int i = find_row(ids, &b, r);
            assert_true(i >= 0);
            seen[i]++;
            int len = 0;
            for (int t = 0; t < T; t++)
                len += b.attention_mask[r * T + t];
            for (int t = T0; t < T; t++) /* padded beyond the stored length */
                assert_true(ids[t] == 0 && b.attention_mask[r * T + t] == 0);
            int npred = 0;
            for (int k = 0; k < b.n_pred; k++) {
                if (b.pred_pos[k] / T != r)
                    continue;
                npred++;
                int t = b.pred_pos[k] % T;
                assert_true(t > 0 && t < len);
                assert_int_equal(b.pred_label[k], orig[i][t]);
                *mask_positions_hash = *mask_positions_hash * 31 + (uint64_t)t + 1;
            }
            if (static_masks) { /* exactly the stored masked row */
                int stored = 0;
                for (int t = 0; t < T0; t++)
                    stored += ids[t] == 103;
                assert_true(stored <= npred);
            } else {
                assert_int_equal(npred, masking_count(&mp, len, len - 3));
            }
        }
    }
    batch_free(&b);
    loader_close(L);
}

static void test_static_and_dynamic(void **state)
{
    (void)state;
    int seen[R0 + R1];
    uint64_t h_static, h_dyn, h_dyn_padded;
    memset(seen, 0, sizeof seen);
    run_epoch(1, T0, seen, &h_static);
    for (int i = 0; i < R0 + R1; i++)
        assert_int_equal(seen[i], 1); /* one epoch = every stored row once */
    memset(seen, 0, sizeof seen);
    run_epoch(0, T0, seen, &h_dyn);
    for (int i = 0; i < R0 + R1; i++)
        assert_int_equal(seen[i], 1);
    assert_true(h_dyn != h_static); /* re-masked: other positions */
    memset(seen, 0, sizeof seen);
    run_epoch(0, T0 + 8, seen, &h_dyn_padded); /* longer rows: padded */
    for (int i = 0; i < R0 + R1; i++)
        assert_int_equal(seen[i], 1);
}

/* With static masks the loader reproduces the stored masked ids exactly. */
static void test_static_rows_verbatim(void **state)
{
    (void)state;
    struct loader_opts o = opts(T0, 1);
    o.prefetch = 0;
    struct loader *L;
    char err[BT_ERR_LEN];
    assert_int_equal(loader_open(&L, &o, err), BT_OK);
    struct batch b;
    batch_alloc(&b, 5, T0, P0);
    assert_int_equal(loader_next(L, &b, err), BT_OK);
    for (int r = 0; r < 5; r++) {
        int i = find_row(b.input_ids + r * T0, &b, r);
        assert_true(i >= 0);
        int32_t remasked[T0];
        memcpy(remasked, orig[i], sizeof remasked);
        for (int k = 0; k < b.n_pred; k++)
            if (b.pred_pos[k] / T0 == r)
                remasked[b.pred_pos[k] % T0] = 103; /* the fixture masks with [MASK] only */
        assert_memory_equal(remasked, b.input_ids + r * T0, sizeof remasked);
    }
    batch_free(&b);
    loader_close(L);
}

static void test_errors_and_inspect(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    struct loader *L;
    struct loader_opts o = opts(T0, 1);
    o.objective = OBJ_SOP;
    assert_int_equal(loader_open(&L, &o, err), BT_EUSAGE);
    assert_non_null(strstr(err, "NSP"));
    o = opts(16, 0);
    assert_int_equal(loader_open(&L, &o, err), BT_EUSAGE);
    assert_non_null(strstr(err, "too small"));
    o = opts(T0, 1);
    o.max_pred = 3;
    assert_int_equal(loader_open(&L, &o, err), BT_EUSAGE);
    o.static_masks = 0; /* re-masking needs no stored width */
    assert_int_equal(loader_open(&L, &o, err), BT_OK);
    loader_close(L);
    /* inspect summary */
    char path[4300];
    snprintf(path, sizeof path, "%s/inspect.json", dir);
    FILE *f = fopen(path, "w");
    struct inspect_opts io = {0};
    io.dir = dir;
    io.masking = 1;
    io.samples = 65;
    io.seq_len = T0;
    io.mask_prob = 0.15;
    io.objective = OBJ_NSP;
    assert_int_equal(inspect_run(&io, f, err), BT_OK);
    fclose(f);
    char *text;
    size_t n;
    assert_int_equal(file_read_all(path, &text, &n, err), BT_OK);
    assert_non_null(strstr(text, "\"rows\": 65"));
    assert_non_null(strstr(text, "\"specials_masked\": 0"));
    xfree(text);
    /* a damaged file: the error names it */
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/wiki_training_2.hdf5", dir);
    f = fopen(bad, "w");
    fputs("not hdf5", f);
    fclose(f);
    assert_int_equal(loader_open(&L, &o, err), BT_EFORMAT);
    assert_non_null(strstr(err, "wiki_training_2.hdf5"));
    remove(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_and_dynamic),
        cmocka_unit_test(test_static_rows_verbatim),
        cmocka_unit_test(test_errors_and_inspect),
    };
    return cmocka_run_group_tests_name("nvidia", tests, setup, NULL);
}
