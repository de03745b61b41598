/* test_loader.c - the loader's contract, as property tests on a synthetic
 * corpus of ~50k sentences (sentence per line, so NSP chunks rarely have one
 * sentence):
 *  - >= 10,000 examples per objective: row layout, masking count per row,
 *    specials and padding never masked, 80/10/10 and masked fraction within
 *    tight bounds, random tokens never special, random-next / swapped ~ 1/2;
 *  - determinism (same seed, prefetch on/off), seek == running through;
 *  - rank slices of each global batch for 1, 2, 3, 4, 8 ranks: disjoint,
 *    covering, the same examples (content included) as one rank, across an
 *    epoch boundary; loader_state identical on all ranks;
 *  - epochs differ; wait time accounting; option errors. */
#include "testutil.h"

#include "corpus.h"
#include "data_fixture.h"
#include "loader.h"
#include "masking.h"
#include "mem.h"
#include "sampler.h"
#include "shard_dir.h"

#include <math.h>

static char dir_main[4200];

static int setup(void **state)
{
    (void)state;
    char dir[4096], in[4200];
    tu_tmpdir(dir, sizeof dir, "loader");
    snprintf(in, sizeof in, "%s/in.txt", dir);
    df_write_corpus(in, 3000, 30, 3, 22, 2024);
    snprintf(dir_main, sizeof dir_main, "%s/shards", dir);
    df_prep(in, dir_main, 3, 128, 2);
    return 0;
}

static struct loader_opts opts(enum objective obj, int T, int G, int mb, int rank, int world)
{
    struct loader_opts o = {0};
    o.dir = dir_main;
    o.seq_len = T;
    o.max_pred = (int)lrint(T * 0.15) + 1;
    o.mask_prob = 0.15;
    o.short_seq_prob = 0.1;
    o.objective = obj;
    o.seed = 1234;
    o.rank = rank;
    o.world = world;
    o.global_batch = G;
    o.micro_batch = mb;
    o.prefetch = 1;
    return o;
}

static struct loader *open_ok(const struct loader_opts *o)
{
    struct loader *L;
    char err[BT_ERR_LEN];
    if (loader_open(&L, o, err) != BT_OK)
        fail_msg("loader_open: %s", err);
    return L;
}

static void next_ok(struct loader *L, struct batch *b)
{
    char err[BT_ERR_LEN];
    if (loader_next(L, b, err) != BT_OK)
        fail_msg("loader_next: %s", err);
}

static int is_special(const struct data_info *I, int32_t id)
{
    return id == I->pad_id || id == I->unk_id || id == I->cls_id || id == I->sep_id ||
           id == I->mask_id;
}

/* ---- 10,000-example properties ---------------------------------------------- */

static void check_objective(enum objective obj)
{
    const int T = 64, mb = 100;
    struct loader_opts o = opts(obj, T, mb, mb, 0, 1);
    struct loader *L = open_ok(&o);
    const struct data_info *I = loader_info(L);
    assert_true(I->epoch_size >= 10000); /* all rows come from epoch 0 */
    struct mask_params mp = {0.15, o.max_pred, I->mask_id,
                             {I->pad_id, I->unk_id, I->cls_id, I->sep_id, I->mask_id}, NULL, 0,
                             MASK_TOKEN, 3};
    struct batch b;
    batch_alloc(&b, mb, T, o.max_pred);
    int64_t rows = 0, preds = 0, real = 0, n_mask = 0, n_rand = 0, n_keep = 0, positive = 0;
    int32_t orig[64];
    while (rows < 10000) {
        next_ok(L, &b);
        assert_int_equal(b.rows, mb);
        int k = 0; /* walks the gathered predictions row by row */
        int64_t tokens = 0;
        for (int r = 0; r < mb; r++) {
            const int32_t *ids = b.input_ids + r * T, *tt = b.token_type_ids + r * T;
            const int32_t *am = b.attention_mask + r * T;
            int len = 0;
            while (len < T && am[len])
                len++;
            tokens += len;
            for (int t = len; t < T; t++) /* padding */
                assert_true(am[t] == 0 && ids[t] == I->pad_id && tt[t] == 0);
            memcpy(orig, ids, sizeof(int32_t) * (size_t)T);
            int k0 = k;
            for (; k < b.n_pred && b.pred_pos[k] / T == r; k++) {
                int t = b.pred_pos[k] % T;
                assert_true(t < len);
                assert_true(k == k0 || b.pred_pos[k] > b.pred_pos[k - 1]);
                assert_false(is_special(I, b.pred_label[k]));
                orig[t] = b.pred_label[k];
                if (ids[t] == I->mask_id)
                    n_mask++;
                else if (ids[t] == b.pred_label[k])
                    n_keep++;
                else {
                    n_rand++;
                    assert_true(ids[t] >= 999 && ids[t] < I->vocab_size); /* not [unused] */
                }
            }
            int n_cand = 0, seps = 0, first_sep = -1;
            for (int t = 0; t < len; t++) {
                n_cand += !is_special(I, orig[t]);
                if (orig[t] == I->sep_id) {
                    seps++;
                    if (first_sep < 0)
                        first_sep = t;
                }
            }
            assert_int_equal(k - k0, masking_count(&mp, len, n_cand));
            assert_int_equal(orig[0], I->cls_id);
            assert_int_equal(orig[len - 1], I->sep_id);
            if (obj == OBJ_NSP || obj == OBJ_SOP) {
                assert_int_equal(seps, 2);
                assert_true(b.nsp_labels[r] == 0 || b.nsp_labels[r] == 1);
                positive += b.nsp_labels[r];
                for (int t = 0; t < len; t++)
                    assert_int_equal(tt[t], t > first_sep);
            } else {
                assert_int_equal(b.nsp_labels[r], -1);
                for (int t = 0; t < len; t++)
                    assert_int_equal(tt[t], 0);
                if (obj == OBJ_DOC_SENTENCES)
                    assert_int_equal(seps, 1);
            }
            real += len;
        }
        assert_int_equal(k, b.n_pred);
        assert_int_equal(b.n_tokens, tokens);
        preds += b.n_pred;
        rows += mb;
    }
    double p = (double)preds;
    /* 80/10/10 within 4.5 sigma of a binomial (about +-0.006 / +-0.0045 here) */
    assert_true(fabs((double)n_mask / p - 0.8) < 4.5 * sqrt(0.16 / p));
    assert_true(fabs((double)n_rand / p - 0.1) < 4.5 * sqrt(0.09 / p));
    assert_true(fabs((double)n_keep / p - 0.1) < 4.5 * sqrt(0.09 / p));
    assert_true(fabs((double)preds / (double)real - 0.15) < 0.01);
    if (obj == OBJ_NSP) {
        /* 1/2 of the examples whose label was drawn, plus the share f whose
         * random next was forced by a one-sentence chunk (Google's rule; here
         * mostly the last sentence of a document) */
        double f = (double)loader_forced_random(L) / (double)I->epoch_size;
        double want = f + 0.5 * (1.0 - f);
        assert_true(f > 0.0 && f < 0.25);
        assert_true(fabs((double)positive / (double)rows - want) < 4.5 * sqrt(0.25 / (double)rows));
    } else if (obj == OBJ_SOP) {
        assert_true(fabs((double)positive / (double)rows - 0.5) < 4.5 * sqrt(0.25 / (double)rows));
    }
    batch_free(&b);
    loader_close(L);
}

static void test_properties_nsp(void **state)
{
    (void)state;
    check_objective(OBJ_NSP);
}

static void test_properties_sop(void **state)
{
    (void)state;
    check_objective(OBJ_SOP);
}

static void test_properties_full_sentences(void **state)
{
    (void)state;
    check_objective(OBJ_FULL_SENTENCES);
}

static void test_properties_doc_sentences(void **state)
{
    (void)state;
    check_objective(OBJ_DOC_SENTENCES);
}

/* ---- determinism and seek ---------------------------------------------------- */

static void assert_batch_equal(const struct batch *a, const struct batch *b)
{
    size_t n = (size_t)a->B * (size_t)a->T;
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->n_pred, b->n_pred);
    assert_int_equal(a->n_tokens, b->n_tokens);
    assert_memory_equal(a->input_ids, b->input_ids, n * sizeof(int32_t));
    assert_memory_equal(a->token_type_ids, b->token_type_ids, n * sizeof(int32_t));
    assert_memory_equal(a->attention_mask, b->attention_mask, n * sizeof(int32_t));
    assert_memory_equal(a->nsp_labels, b->nsp_labels, (size_t)a->B * sizeof(int32_t));
    assert_memory_equal(a->sample_index, b->sample_index, (size_t)a->B * sizeof(int64_t));
    assert_memory_equal(a->pred_pos, b->pred_pos, (size_t)a->n_pred * sizeof(int32_t));
    assert_memory_equal(a->pred_label, b->pred_label, (size_t)a->n_pred * sizeof(int32_t));
}

static void test_determinism_and_seek(void **state)
{
    (void)state;
    const int T = 64, G = 32, mb = 8, steps = 8;
    struct loader_opts o = opts(OBJ_NSP, T, G, mb, 0, 1);
    struct loader *A = open_ok(&o);
    o.prefetch = 0;
    struct loader *B = open_ok(&o);
    struct batch a[steps * 4], x;
    struct data_state after[steps];
    for (int s = 0; s < steps; s++) {
        for (int k = 0; k < 4; k++) {
            batch_alloc(&a[s * 4 + k], mb, T, o.max_pred);
            next_ok(A, &a[s * 4 + k]);
        }
        after[s] = loader_state(A);
        assert_int_equal(after[s].sample, (int64_t)(s + 1) * G);
    }
    batch_alloc(&x, mb, T, o.max_pred);
    for (int i = 0; i < steps * 4; i++) { /* prefetch on == off */
        next_ok(B, &x);
        assert_batch_equal(&x, &a[i]);
    }
    char err[BT_ERR_LEN];
    for (int s0 = 0; s0 < steps; s0 += 3) { /* seek to a saved state == running through */
        assert_int_equal(loader_seek(B, after[s0], err), BT_OK);
        assert_int_equal(loader_state(B).sample, after[s0].sample);
        for (int i = (s0 + 1) * 4; i < steps * 4; i++) {
            next_ok(B, &x);
            assert_batch_equal(&x, &a[i]);
        }
    }
    o.seed = 1235; /* another seed: another stream */
    struct loader *C = open_ok(&o);
    next_ok(C, &x);
    assert_true(memcmp(x.input_ids, a[0].input_ids, sizeof(int32_t) * (size_t)(mb * T)) != 0);
    for (int i = 0; i < steps * 4; i++)
        batch_free(&a[i]);
    batch_free(&x);
    loader_close(A);
    loader_close(B);
    loader_close(C);
}

/* ---- rank slices --------------------------------------------------------------- */

static uint64_t row_hash(const struct batch *b, int r)
{
    uint64_t h = 1469598103934665603ull;
    int T = b->T;
    for (int t = 0; t < T; t++) {
        h = (h ^ (uint64_t)b->input_ids[r * T + t]) * 1099511628211ull;
        h = (h ^ (uint64_t)b->token_type_ids[r * T + t]) * 1099511628211ull;
        h = (h ^ (uint64_t)b->attention_mask[r * T + t]) * 1099511628211ull;
    }
    h = (h ^ (uint64_t)(b->nsp_labels[r] + 7)) * 1099511628211ull;
    for (int k = 0; k < b->n_pred; k++)
        if (b->pred_pos[k] / T == r)
            h = (h ^ ((uint64_t)(b->pred_pos[k] % T) << 32 ^ (uint64_t)b->pred_label[k])) *
                1099511628211ull;
    return h;
}

static void test_rank_slices(void **state)
{
    (void)state;
    const int T = 32, G = 48, mb = 2, steps = 3;
    static const int worlds[] = {1, 2, 3, 4, 8};
    int64_t ref_idx[steps][48];
    uint64_t ref_hash[steps][48];
    struct data_state ref_state[steps];
    char err[BT_ERR_LEN];
    struct loader_opts o0 = opts(OBJ_NSP, T, G, mb, 0, 1);
    o0.prefetch = 0;
    struct loader *probe = open_ok(&o0);
    int64_t n0 = loader_info(probe)->epoch_size;
    loader_close(probe);
    struct data_state start = {0, n0 - 60}; /* step 1 straddles epochs 0 and 1 */
    for (size_t w = 0; w < sizeof worlds / sizeof *worlds; w++) {
        int world = worlds[w], accum = G / (world * mb);
        struct loader **L = xcalloc((size_t)world, sizeof *L);
        for (int r = 0; r < world; r++) {
            struct loader_opts o = opts(OBJ_NSP, T, G, mb, r, world);
            o.prefetch = r % 2; /* mix both modes */
            L[r] = open_ok(&o);
            assert_int_equal(loader_seek(L[r], start, err), BT_OK);
        }
        struct batch b;
        batch_alloc(&b, mb, T, o0.max_pred);
        for (int s = 0; s < steps; s++) {
            int64_t idx[48];
            uint64_t hash[48];
            for (int r = 0; r < world; r++) {
                for (int a = 0; a < accum; a++) {
                    next_ok(L[r], &b);
                    for (int i = 0; i < mb; i++) {
                        int g = r * (G / world) + a * mb + i; /* row of the global batch */
                        idx[g] = b.sample_index[i];
                        hash[g] = row_hash(&b, i);
                    }
                }
            }
            for (int g = 0; g < G; g++) /* disjoint: G distinct examples */
                for (int h = g + 1; h < G; h++)
                    assert_true(idx[g] != idx[h]);
            if (world == 1) {
                memcpy(ref_idx[s], idx, sizeof idx);
                memcpy(ref_hash[s], hash, sizeof hash);
                ref_state[s] = loader_state(L[0]);
            } else { /* the same global batch, row for row, content included */
                assert_memory_equal(idx, ref_idx[s], sizeof idx);
                assert_memory_equal(hash, ref_hash[s], sizeof hash);
            }
            for (int r = 0; r < world; r++) {
                struct data_state st = loader_state(L[r]);
                assert_true(st.epoch == ref_state[s].epoch && st.sample == ref_state[s].sample);
            }
        }
        /* step 1 crossed into epoch 1 */
        assert_int_equal(ref_state[steps - 1].epoch, 1);
        assert_true(ref_idx[1][0] >> 40 == 0 && ref_idx[1][G - 1] >> 40 == 1);
        batch_free(&b);
        for (int r = 0; r < world; r++)
            loader_close(L[r]);
        xfree(L);
    }
}

/* Epoch 1 is a new shuffle with new masks; state rolls over the epoch end. */
static void test_epochs(void **state)
{
    (void)state;
    const int T = 64;
    struct loader_opts o = opts(OBJ_FULL_SENTENCES, T, 4, 4, 0, 1);
    o.prefetch = 0;
    struct loader *L = open_ok(&o);
    char err[BT_ERR_LEN];
    int64_t n0, n1;
    assert_int_equal(loader_epoch_size(L, 0, &n0, err), BT_OK);
    assert_int_equal(loader_epoch_size(L, 1, &n1, err), BT_OK);
    assert_int_equal(n0, n1); /* the blocks are fixed; only their order changes */
    struct batch b;
    batch_alloc(&b, 4, T, o.max_pred);
    int same = 0;
    for (int i = 0; i < 50; i++) {
        b.n_pred = 0;
        b.n_tokens = 0;
        assert_int_equal(loader_example(L, 0, i, &b, 0, err), BT_OK);
        assert_int_equal(loader_example(L, 1, i, &b, 1, err), BT_OK);
        same += memcmp(b.input_ids, b.input_ids + T, sizeof(int32_t) * T) == 0;
    }
    assert_true(same < 3);
    struct data_state st = {0, n0 - 2};
    assert_int_equal(loader_seek(L, st, err), BT_OK);
    next_ok(L, &b);
    assert_int_equal(loader_state(L).epoch, 1);
    assert_int_equal(loader_state(L).sample, 2);
    assert_true(b.sample_index[1] == n0 - 1 && b.sample_index[2] == ((int64_t)1 << 40));
    /* wait accounting: a synchronous loader waits for every batch it builds */
    double w0 = loader_wait_seconds(L);
    next_ok(L, &b);
    assert_true(loader_wait_seconds(L) > w0);
    batch_free(&b);
    loader_close(L);
}

/* Rows hold exactly the sampler's example: A/B (swapped for SOP label 1) or the
 * packed block with [SEP] before each document start inside it. */
static void check_rows_match_examples(enum objective obj)
{
    const int T = 64;
    char err[BT_ERR_LEN], **paths;
    int n;
    struct corpus c;
    if (shard_dir_list(dir_main, &paths, &n, err) != BT_OK ||
        corpus_load(&c, paths, n, err) != BT_OK)
        fail_msg("%s", err);
    shard_dir_free(paths, n);
    struct loader_opts o = opts(obj, T, 1, 1, 0, 1);
    o.prefetch = 0;
    struct loader *L = open_ok(&o);
    const struct data_info *I = loader_info(L);
    struct sampler_cfg sc = {0};
    sc.kind = obj <= OBJ_SOP ? SAMPLER_PAIRS : SAMPLER_BLOCKS;
    sc.corpus = &c;
    sc.T = T;
    sc.short_seq_prob = o.short_seq_prob;
    sc.sop = obj == OBJ_SOP;
    sc.cross_docs = obj == OBJ_FULL_SENTENCES;
    sc.seed = o.seed;
    struct sampler sm;
    assert_int_equal(sampler_init(&sm, &sc, err), BT_OK);
    struct batch b;
    batch_alloc(&b, 1, T, o.max_pred);
    int32_t want[64];
    int with_sep = 0;
    for (int64_t idx = 0; idx < 300; idx++) {
        b.n_pred = 0;
        b.n_tokens = 0;
        assert_int_equal(loader_example(L, 0, idx, &b, 0, err), BT_OK);
        for (int k = 0; k < b.n_pred; k++) /* undo the masking */
            b.input_ids[b.pred_pos[k]] = b.pred_label[k];
        struct example_ref ex;
        assert_int_equal(sampler_get(&sm, 0, idx, &ex, err), BT_OK);
        int m = 0;
        want[m++] = I->cls_id;
        if (ex.pair) {
            int swap = obj == OBJ_SOP && ex.pair->label;
            int64_t lo1 = swap ? ex.pair->b_lo : ex.pair->a_lo;
            int64_t lo2 = swap ? ex.pair->a_lo : ex.pair->b_lo;
            int n1 = swap ? ex.pair->b_len : ex.pair->a_len;
            int n2 = swap ? ex.pair->a_len : ex.pair->b_len;
            for (int i = 0; i < n1; i++)
                want[m++] = c.tokens[lo1 + i];
            want[m++] = I->sep_id;
            for (int i = 0; i < n2; i++)
                want[m++] = c.tokens[lo2 + i];
            assert_int_equal(b.nsp_labels[0], ex.pair->label);
        } else {
            int64_t d = corpus_doc_of_sentence(&c, 0);
            for (int64_t t = ex.block->lo; t < ex.block->lo + ex.block->len; t++) {
                while (d + 1 < c.n_docs && c.sent_off[c.doc_off[d + 1]] <= t)
                    d++;
                int doc_start = t > ex.block->lo && c.sent_off[c.doc_off[d]] == t;
                if (doc_start && obj == OBJ_FULL_SENTENCES) {
                    want[m++] = I->sep_id;
                    with_sep++;
                }
                want[m++] = c.tokens[t];
            }
        }
        want[m++] = I->sep_id;
        assert_int_equal(b.n_tokens, m);
        assert_memory_equal(b.input_ids, want, (size_t)m * sizeof(int32_t));
    }
    if (obj == OBJ_FULL_SENTENCES)
        assert_true(with_sep > 50); /* document separators were exercised */
    sampler_free(&sm);
    batch_free(&b);
    loader_close(L);
    corpus_free(&c);
}

static void test_rows_match_examples(void **state)
{
    (void)state;
    for (int obj = 0; obj < OBJ_COUNT; obj++)
        check_rows_match_examples((enum objective)obj);
}

static void test_option_errors(void **state)
{
    (void)state;
    char err[BT_ERR_LEN], empty[4096];
    struct loader *L;
    struct {
        struct loader_opts o;
        int status;
        const char *needle;
    } c[8];
    for (int i = 0; i < 8; i++)
        c[i].o = opts(OBJ_NSP, 64, 8, 2, 0, 1);
    tu_tmpdir(empty, sizeof empty, "loader_empty");
    c[0].o.dir = empty, c[0].status = BT_EUSAGE, c[0].needle = "no shards found";
    c[1].o.seq_len = 4, c[1].status = BT_EUSAGE, c[1].needle = "seq_len 4";
    c[2].o.seq_len = 256, c[2].status = BT_EUSAGE, c[2].needle = "max_seq_len 128";
    c[3].o.global_batch = 10, c[3].o.world = 2, c[3].o.micro_batch = 2, c[3].status = BT_EUSAGE,
    c[3].needle = "not a multiple";
    c[4].o.rank = 2, c[4].o.world = 2, c[4].status = BT_EUSAGE, c[4].needle = "rank 2";
    c[5].o.max_pred = 0, c[5].status = BT_EUSAGE, c[5].needle = "max_pred";
    c[6].o.objective = OBJ_COUNT, c[6].status = BT_EUSAGE, c[6].needle = "objective";
    c[7].o.dir = "/nonexistent/shards", c[7].status = BT_EIO, c[7].needle = "/nonexistent/shards";
    for (int i = 0; i < 8; i++) {
        err[0] = '\0';
        int rc = loader_open(&L, &c[i].o, err);
        if (rc != c[i].status || !strstr(err, c[i].needle))
            fail_msg("case %d: status %d, '%s'", i, rc, err);
    }
    enum objective ob;
    assert_int_equal(objective_parse("full-sentences", &ob), BT_OK);
    assert_int_equal(ob, OBJ_FULL_SENTENCES);
    assert_int_equal(objective_parse("mlm", &ob), BT_EUSAGE);
    assert_string_equal(objective_name(OBJ_SOP), "sop");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_properties_nsp),
        cmocka_unit_test(test_properties_sop),
        cmocka_unit_test(test_properties_full_sentences),
        cmocka_unit_test(test_properties_doc_sentences),
        cmocka_unit_test(test_determinism_and_seek),
        cmocka_unit_test(test_rank_slices),
        cmocka_unit_test(test_epochs),
        cmocka_unit_test(test_rows_match_examples),
        cmocka_unit_test(test_option_errors),
    };
    return cmocka_run_group_tests_name("loader", tests, setup, NULL);
}
