/* test_examples.c - example construction below the loader:
 *  - pairs (NSP/SOP): lengths, A and B inside one document, "is next" and SOP
 *    pairs in document order, random-next pairs from another document, the
 *    label rates, determinism per (seed, epoch);
 *  - packing (full-sentences / doc-sentences): blocks tile the corpus, fit the
 *    row, separators counted, documents respected;
 *  - masking: count rule with round-half-even, positions, labels, no specials. */
#include "testutil.h"

#include "corpus.h"
#include "data_fixture.h"
#include "masking.h"
#include "mem.h"
#include "packing.h"
#include "pairs.h"
#include "rng.h"
#include "shard_dir.h"

#include <math.h>

static struct corpus C;
static char corpus_dir[4200];

static int setup(void **state)
{
    (void)state;
    char dir[4096], in[4200], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "examples");
    snprintf(in, sizeof in, "%s/in.txt", dir);
    df_write_corpus(in, 1500, 20, 3, 18, 11);
    snprintf(corpus_dir, sizeof corpus_dir, "%s/shards", dir);
    df_prep(in, corpus_dir, 2, 128, 2);
    char **paths;
    int n;
    if (shard_dir_list(corpus_dir, &paths, &n, err) != BT_OK ||
        corpus_load(&C, paths, n, err) != BT_OK)
        fail_msg("%s", err);
    shard_dir_free(paths, n);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    corpus_free(&C);
    return 0;
}

static int64_t doc_of_token(int64_t t)
{
    int64_t lo = 0, hi = C.n_docs - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (C.sent_off[C.doc_off[mid]] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void check_pairs(int sop)
{
    const int T = 64;
    struct pair_list l = {0}, again = {0}, e1 = {0};
    pairs_build(&C, T, 0.1, sop, 42, 0, &l);
    assert_true(l.n > 3000);
    int64_t pos = 0, nonforced = 0, pos_nonforced = 0, random_other_doc = 0;
    for (int64_t i = 0; i < l.n; i++) {
        const struct pair_ex *e = &l.ex[i];
        assert_true(e->a_len >= 1 && e->b_len >= 1 && e->a_len + e->b_len <= T - 3);
        int64_t da = doc_of_token(e->a_lo), db = doc_of_token(e->b_lo);
        assert_int_equal(doc_of_token(e->a_lo + e->a_len - 1), da);
        assert_int_equal(doc_of_token(e->b_lo + e->b_len - 1), db);
        if (sop || e->label == 0) { /* the real continuation */
            assert_int_equal(da, db);
            assert_true(e->b_lo >= e->a_lo + e->a_len);
        } else {
            random_other_doc += da != db;
        }
        if (e->forced)
            assert_int_equal(e->label, 1);
        pos += e->label;
        nonforced += !e->forced;
        pos_nonforced += !e->forced && e->label;
    }
    if (!sop)
        assert_true(random_other_doc >= (pos * 99) / 100);
    else
        assert_int_equal(l.n_forced, 0);
    /* the coin: 1/2 among examples whose label was drawn, within 4.5 sigma */
    double p = (double)pos_nonforced / (double)nonforced;
    assert_true(fabs(p - 0.5) < 4.5 * sqrt(0.25 / (double)nonforced));
    /* pure function of (seed, epoch): same again, different next epoch */
    pairs_build(&C, T, 0.1, sop, 42, 0, &again);
    assert_int_equal(again.n, l.n);
    assert_memory_equal(again.ex, l.ex, (size_t)l.n * sizeof *l.ex);
    pairs_build(&C, T, 0.1, sop, 42, 1, &e1);
    assert_true(e1.n != l.n || memcmp(e1.ex, l.ex, (size_t)l.n * sizeof *l.ex) != 0);
    pair_list_free(&l);
    pair_list_free(&again);
    pair_list_free(&e1);
}

static void test_pairs_nsp(void **state)
{
    (void)state;
    check_pairs(0);
}

static void test_pairs_sop(void **state)
{
    (void)state;
    check_pairs(1);
}

/* short_seq_prob = 0: every chunk aims at the full length, so most examples are
 * close to max_num_tokens; with 1 every document draws a shorter target. */
static void test_pairs_short_seq(void **state)
{
    (void)state;
    struct pair_list full = {0}, shortl = {0};
    pairs_build(&C, 64, 0.0, 0, 5, 0, &full);
    pairs_build(&C, 64, 1.0, 0, 5, 0, &shortl);
    double mf = 0, ms = 0;
    for (int64_t i = 0; i < full.n; i++)
        mf += full.ex[i].a_len + full.ex[i].b_len;
    for (int64_t i = 0; i < shortl.n; i++)
        ms += shortl.ex[i].a_len + shortl.ex[i].b_len;
    mf /= (double)full.n;
    ms /= (double)shortl.n;
    assert_true(mf > 45.0);
    assert_true(ms < mf - 10.0);
    assert_true(shortl.n > full.n);
    pair_list_free(&full);
    pair_list_free(&shortl);
}

static void check_packing(int cross, int T)
{
    struct pack_list l = {0};
    packing_build(&C, T, cross, &l);
    assert_true(l.n > 0);
    int64_t next = 0;
    int64_t d = 0; /* document of the current block start */
    for (int64_t i = 0; i < l.n; i++) {
        const struct pack_block *b = &l.b[i];
        assert_int_equal(b->lo, next); /* tiles the corpus in order */
        assert_true(b->len >= 1 && b->len + b->n_sep <= T - 2);
        while (d + 1 < C.n_docs && C.sent_off[C.doc_off[d + 1]] <= b->lo)
            d++;
        int seps = 0;
        for (int64_t e = d + 1; e < C.n_docs && C.sent_off[C.doc_off[e]] < b->lo + b->len; e++)
            seps++;
        assert_int_equal(b->n_sep, cross ? seps : 0);
        if (!cross)
            assert_int_equal(seps, 0); /* never crosses a document */
        next = b->lo + b->len;
    }
    assert_int_equal(next, C.n_tokens);
    pack_list_free(&l);
}

static void test_packing(void **state)
{
    (void)state;
    check_packing(1, 128);
    check_packing(0, 128);
    check_packing(1, 16); /* sentences longer than the row are cut */
    check_packing(0, 16);
}

static void test_masking_rule(void **state)
{
    (void)state;
    int32_t pool[100];
    for (int i = 0; i < 100; i++)
        pool[i] = 2000 + i;
    struct mask_params p = {0.15, 20, 103, {0, 100, 101, 102, 103}, pool, 100, MASK_TOKEN, 3};
    assert_int_equal(masking_count(&p, 3, 3), 1);     /* max(1, round(0.45)) */
    assert_int_equal(masking_count(&p, 10, 10), 2);   /* round(1.5) = 2, half to even */
    assert_int_equal(masking_count(&p, 128, 126), 19);
    assert_int_equal(masking_count(&p, 128, 5), 5);   /* no more than the candidates */
    assert_int_equal(masking_count(&p, 200, 198), 20); /* capped at max_pred */
    p.prob = 0.25;
    assert_int_equal(masking_count(&p, 10, 10), 2);   /* round(2.5) = 2 */
    assert_int_equal(masking_count(&p, 14, 14), 4);   /* round(3.5) = 4 */
    p.prob = 0.15;
    int32_t row[64], orig[64], pos[64], lab[64], scratch[256], again[64], pos2[64], lab2[64];
    int differs = 0;
    for (uint64_t r = 0; r < 200; r++) {
        int L = 8 + (int)(r % 50);
        for (int t = 0; t < L; t++)
            row[t] = 1000 + (int32_t)rng_below(1, 1, r * 64 + (uint64_t)t, 5000);
        row[0] = 101;
        row[L / 2] = 102;
        row[L - 1] = 102;
        row[L / 3] = 100; /* [UNK] is never masked either */
        memcpy(orig, row, sizeof row);
        int n_cand = L - 4;
        int k = masking_apply(&p, 9, r, row, L, NULL, pos, lab, scratch);
        assert_int_equal(k, masking_count(&p, L, n_cand));
        for (int j = 0; j < k; j++) {
            assert_true(j == 0 || pos[j] > pos[j - 1]);
            assert_true(pos[j] < L);
            assert_int_equal(lab[j], orig[pos[j]]);
            assert_true(lab[j] >= 1000);
            int32_t now = row[pos[j]];
            assert_true(now == 103 || now == orig[pos[j]] || (now >= 2000 && now < 2100));
        }
        for (int t = 0; t < L; t++) { /* only the chosen positions changed */
            int chosen = 0;
            for (int j = 0; j < k; j++)
                chosen |= pos[j] == t;
            if (!chosen)
                assert_int_equal(row[t], orig[t]);
        }
        memcpy(again, orig, sizeof orig); /* same stream: same result */
        int k2 = masking_apply(&p, 9, r, again, L, NULL, pos2, lab2, scratch);
        assert_int_equal(k2, k);
        assert_memory_equal(again, row, (size_t)L * sizeof(int32_t));
        assert_memory_equal(pos2, pos, (size_t)k * sizeof(int32_t));
        memcpy(again, orig, sizeof orig);
        masking_apply(&p, 9, r + 1000, again, L, NULL, pos2, lab2, scratch);
        differs += memcmp(pos2, pos, (size_t)k * sizeof(int32_t)) != 0;
    }
    assert_true(differs > 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs_nsp),
        cmocka_unit_test(test_pairs_sop),
        cmocka_unit_test(test_pairs_short_seq),
        cmocka_unit_test(test_packing),
        cmocka_unit_test(test_masking_rule),
    };
    return cmocka_run_group_tests_name("examples", tests, setup, teardown);
}
