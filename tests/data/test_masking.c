/* test_masking.c - whole-word and n-gram masking (masking.h), property tests
 * on 10,000 synthetic rows per mode and on the loader over real shards:
 *  - never split a word: every word (tokens joined by continuation flags, cut
 *    by special tokens) is masked whole or not at all;
 *  - the budget: never more than masking_count tokens, and on average within a
 *    few percent of it; token mode keeps exactly its old stream;
 *  - 80/10/10 per word: a word's tokens are all [MASK], all random or all
 *    unchanged, in those proportions;
 *  - n-gram spans: p(n) proportional to 1/n, and masked runs of words longer
 *    than whole-word masking gives;
 *  - the loader over WordPiece and RoBERTa BPE shards (bert-prep): masked
 *    "##" / non-"Ġ" tokens come with their word; determinism. */
#include "testutil.h"

#include "data_fixture.h"
#include "loader.h"
#include "masking.h"
#include "mem.h"
#include "prep.h"
#include "rng.h"
#include "vocab.h"

#include <math.h>

#define ROWS 10000
#define MAXL 160
#define POOL0 2000
#define POOL_N 100

static int32_t g_pool[POOL_N];

static void params(struct mask_params *p, enum mask_mode mode)
{
    for (int i = 0; i < POOL_N; i++)
        g_pool[i] = POOL0 + i;
    struct mask_params q = {0.15, 20, 103, {0, 100, 101, 102, 103}, g_pool, POOL_N, mode,
                            MASKING_MAX_NGRAM};
    *p = q;
}

/* Row r: [CLS] words [SEP] words [SEP], word lengths 1..4 tokens, ids >= 3000;
 * one row in 7 has a continuation flag right after a [SEP] (a word cannot
 * cross it). */
static int make_row(uint64_t r, int32_t *ids, uint8_t *cont)
{
    int L = 24 + (int)rng_below(3, 0, r, 120), mid = L / 2;
    ids[0] = 101;
    cont[0] = 0;
    int left = 0;
    for (int t = 1; t < L; t++) {
        if (t == mid || t == L - 1) {
            ids[t] = 102;
            cont[t] = 0;
            left = 0;
            continue;
        }
        ids[t] = 3000 + (int32_t)rng_below(3, 1, r * 256 + (uint64_t)t, 20000);
        if (left > 0) {
            cont[t] = 1;
            left--;
        } else {
            cont[t] = (t == mid + 1 && r % 7 == 0);
            left = (int)rng_below(3, 2, r * 256 + (uint64_t)t, 4);
        }
    }
    return L;
}

struct stats {
    int64_t rows, masked, budget, words_masked, w_mask, w_random, w_keep, runs, run_words;
};

/* Masks ROWS rows in mode and checks the per-row properties. */
static void run_mode(enum mask_mode mode, struct stats *st)
{
    struct mask_params p;
    params(&p, mode);
    int32_t ids[MAXL], orig[MAXL], pos[MAXL], lab[MAXL], scratch[4 * MAXL], again[MAXL];
    int32_t pos2[MAXL], lab2[MAXL], word[MAXL];
    uint8_t cont[MAXL], hit[MAXL];
    memset(st, 0, sizeof *st);
    for (uint64_t r = 0; r < ROWS; r++) {
        int L = make_row(r, ids, cont);
        memcpy(orig, ids, sizeof(int32_t) * (size_t)L);
        int n_cand = L - 3, nw = 0;
        for (int t = 0; t < L; t++) { /* the test's own word numbering */
            if (ids[t] < 1000)
                word[t] = -1;
            else
                word[t] = (cont[t] && t > 0 && word[t - 1] >= 0) ? word[t - 1] : nw++;
        }
        int k = masking_apply(&p, 5, r, ids, L, cont, pos, lab, scratch);
        int budget = masking_count(&p, L, n_cand);
        assert_true(k >= 1 && k <= budget);
        memset(hit, 0, sizeof hit);
        for (int j = 0; j < k; j++) {
            assert_true(j == 0 || pos[j] > pos[j - 1]);
            assert_true(orig[pos[j]] >= 1000); /* never a special */
            assert_int_equal(lab[j], orig[pos[j]]);
            hit[pos[j]] = 1;
        }
        for (int t = 0; t < L; t++) {
            if (!hit[t])
                assert_int_equal(ids[t], orig[t]);
            if (word[t] >= 0 && t > 0 && word[t - 1] == word[t]) /* never split a word */
                assert_int_equal(hit[t], hit[t - 1]);
        }
        int prev_word_masked = 0;
        for (int t = 0; t < L; t++) { /* per word: one action; runs of masked words */
            if (word[t] < 0) {
                prev_word_masked = 0;
                continue;
            }
            if (t > 0 && word[t - 1] == word[t])
                continue;
            int e = t;
            while (e + 1 < L && word[e + 1] == word[t])
                e++;
            if (!hit[t]) {
                prev_word_masked = 0;
                continue;
            }
            int all_mask = 1, all_keep = 1, all_random = 1;
            for (int q = t; q <= e; q++) {
                all_mask &= ids[q] == 103;
                all_keep &= ids[q] == orig[q];
                all_random &= ids[q] >= POOL0 && ids[q] < POOL0 + POOL_N;
            }
            if (!(all_mask || all_keep || all_random))
                fail_msg("row %llu: word at %d has mixed replacements", (unsigned long long)r, t);
            st->w_mask += all_mask;
            st->w_keep += all_keep;
            st->w_random += all_random;
            st->words_masked++;
            st->runs += !prev_word_masked;
            st->run_words++;
            prev_word_masked = 1;
        }
        memcpy(again, orig, sizeof(int32_t) * (size_t)L); /* the same stream again */
        int k2 = masking_apply(&p, 5, r, again, L, cont, pos2, lab2, scratch);
        assert_int_equal(k2, k);
        assert_memory_equal(pos2, pos, sizeof(int32_t) * (size_t)k);
        assert_memory_equal(again, ids, sizeof(int32_t) * (size_t)L);
        st->rows++;
        st->masked += k;
        st->budget += budget;
    }
}

static void check_common(const struct stats *s, const char *name)
{
    double fill = (double)s->masked / (double)s->budget;
    double fm = (double)s->w_mask / (double)s->words_masked;
    double fr = (double)s->w_random / (double)s->words_masked;
    double fk = (double)s->w_keep / (double)s->words_masked;
    print_message("%s: %lld tokens masked of a budget of %lld (%.3f), words %lld: mask %.3f "
                  "random %.3f keep %.3f, mean run %.3f words\n",
                  name, (long long)s->masked, (long long)s->budget, fill,
                  (long long)s->words_masked, fm, fr, fk, (double)s->run_words / (double)s->runs);
    assert_true(fill > 0.95 && fill <= 1.0);
    assert_true(fabs(fm - 0.8) < 0.015 && fabs(fr - 0.1) < 0.012 && fabs(fk - 0.1) < 0.012);
}

static void test_whole_word(void **state)
{
    (void)state;
    struct stats s;
    run_mode(MASK_WHOLE_WORD, &s);
    check_common(&s, "whole-word");
    assert_true((double)s.run_words / (double)s.runs < 1.3);
}

static void test_ngram(void **state)
{
    (void)state;
    /* p(n) proportional to 1/n: on an even grid of u the counts are exact */
    int counts[4] = {0};
    const int N = 110000;
    for (int i = 0; i < N; i++)
        counts[masking_ngram_length((i + 0.5) / N, 3)]++;
    assert_int_equal(counts[1], 60000);
    assert_int_equal(counts[2], 30000);
    assert_int_equal(counts[3], 20000);
    assert_int_equal(masking_ngram_length(0.999, 1), 1);
    assert_int_equal(masking_ngram_length(0.6, 2), 1);
    assert_int_equal(masking_ngram_length(0.7, 2), 2);
    struct stats s;
    run_mode(MASK_NGRAM, &s);
    check_common(&s, "ngram");
    assert_true((double)s.run_words / (double)s.runs > 1.4); /* spans of several words */
}

static void test_token_mode_unchanged(void **state)
{
    (void)state;
    /* token mode ignores the continuation flags */
    struct mask_params p;
    params(&p, MASK_TOKEN);
    int32_t ids[MAXL], pos[MAXL], lab[MAXL], scratch[4 * MAXL], ids2[MAXL], pos2[MAXL];
    uint8_t cont[MAXL];
    int L = make_row(3, ids, cont);
    memcpy(ids2, ids, sizeof ids2);
    int k = masking_apply(&p, 5, 3, ids, L, cont, pos, lab, scratch);
    int k2 = masking_apply(&p, 5, 3, ids2, L, NULL, pos2, lab, scratch);
    assert_int_equal(k, masking_count(&p, L, L - 3));
    assert_int_equal(k2, k);
    assert_memory_equal(pos, pos2, sizeof(int32_t) * (size_t)k);
    enum mask_mode m;
    assert_int_equal(mask_mode_parse("whole-word", &m), BT_OK);
    assert_int_equal(m, MASK_WHOLE_WORD);
    assert_int_equal(mask_mode_parse("ngram", &m), BT_OK);
    assert_int_equal(mask_mode_parse("token", &m), BT_OK);
    assert_int_equal(mask_mode_parse("span", &m), BT_EUSAGE);
    assert_string_equal(mask_mode_name(MASK_NGRAM), "ngram");
}

/* ---- the loader over real shards ------------------------------------------ */

static void check_loader(const char *dir, const char *vocab_path, enum objective obj,
                         enum mask_mode mode)
{
    char err[BT_ERR_LEN];
    struct vocab *v;
    if (vocab_load(&v, vocab_path, err) != BT_OK)
        fail_msg("%s", err);
    struct loader_opts o = {0};
    o.dir = dir;
    o.seq_len = 128;
    o.max_pred = 20;
    o.mask_prob = 0.15;
    o.short_seq_prob = 0.1;
    o.objective = obj;
    o.seed = 4;
    o.world = 1;
    o.global_batch = 8;
    o.micro_batch = 8;
    o.masking = mode;
    struct loader *L;
    if (loader_open(&L, &o, err) != BT_OK)
        fail_msg("%s", err);
    struct batch b;
    batch_alloc(&b, 8, 128, 20);
    int64_t cont_masked = 0, joined = 0, preds = 0;
    for (int step = 0; step < 40; step++) {
        if (loader_next(L, &b, err) != BT_OK)
            fail_msg("%s", err);
        uint8_t hit[8 * 128] = {0};
        int32_t orig[8 * 128];
        memcpy(orig, b.input_ids, sizeof orig);
        for (int j = 0; j < b.n_pred; j++) {
            hit[b.pred_pos[j]] = 1;
            orig[b.pred_pos[j]] = b.pred_label[j];
        }
        preds += b.n_pred;
        for (int j = 0; j < b.n_pred; j++) { /* a masked continuation has its word's start masked */
            int at = b.pred_pos[j], t = at % 128;
            if (t == 0 || !vocab_is_continuation(v, orig[at]) || vocab_is_reserved(v, orig[at - 1]))
                continue;
            cont_masked++;
            joined += hit[at - 1];
        }
        for (int i = 0; i < 8 * 128 - 1; i++) /* and a WordPiece word goes on masked */
            if (vocab_kind(v) == VOCAB_WORDPIECE && hit[i] && b.attention_mask[i + 1] &&
                (i + 1) % 128 != 0 && vocab_is_continuation(v, orig[i + 1]) && !hit[i + 1])
                fail_msg("%s: masked token at %d, its continuation at %d is not", dir, i, i + 1);
    }
    print_message("%s (%s): %lld predictions, %lld masked continuation tokens, %lld with their "
                  "predecessor masked\n", dir, mask_mode_name(mode), (long long)preds,
                  (long long)cont_masked, (long long)joined);
    assert_true(cont_masked > 20);
    /* WordPiece: "##" never starts a sentence, so every one is joined; BPE: a
     * sentence's first word has no space marker and starts a word anyway */
    if (vocab_kind(v) == VOCAB_WORDPIECE)
        assert_int_equal(joined, cont_masked);
    else
        assert_true(joined >= cont_masked * 9 / 10);
    batch_free(&b);
    loader_close(L);
    vocab_free(v);
}

static void test_loader_shards(void **state)
{
    (void)state;
    char dir[4096], wp[4200], bpe[4200], in[4200], vocab[4200], merges[4200], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "masking");
    df_fixture(in, sizeof in, "gutenberg_valid.txt");
    snprintf(wp, sizeof wp, "%s/wp", dir);
    df_prep(in, wp, 2, 128, 1);
    df_fixture(vocab, sizeof vocab, "bert-base-uncased-vocab.txt");
    check_loader(wp, vocab, OBJ_NSP, MASK_WHOLE_WORD);
    check_loader(wp, vocab, OBJ_SOP, MASK_NGRAM);
    snprintf(bpe, sizeof bpe, "%s/bpe", dir);
    df_fixture(vocab, sizeof vocab, "roberta-base-vocab.json");
    df_fixture(merges, sizeof merges, "gpt2-merges.txt");
    const char *inputs[1] = {in};
    struct prep_opts po = {0};
    po.vocab_path = vocab;
    po.merges_path = merges;
    po.inputs = inputs;
    po.n_inputs = 1;
    po.output = bpe;
    po.shards = 2;
    po.max_seq_len = 128;
    po.threads = 2;
    po.quiet = 1;
    po.split_sentences = 1;
    struct prep_stats st;
    if (prep_run(&po, &st, err) != BT_OK)
        fail_msg("%s", err);
    check_loader(bpe, vocab, OBJ_FULL_SENTENCES, MASK_WHOLE_WORD);
    check_loader(bpe, vocab, OBJ_DOC_SENTENCES, MASK_NGRAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_word),
        cmocka_unit_test(test_ngram),
        cmocka_unit_test(test_token_mode_unchanged),
        cmocka_unit_test(test_loader_shards),
    };
    return cmocka_run_group_tests_name("masking", tests, NULL, NULL);
}
