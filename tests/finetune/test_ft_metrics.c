/* test_ft_metrics.c - the official metrics against known values:
 *  - accuracy and binary F1;
 *  - conlleval / seqeval entity scores: seqeval's README example (P = R = F1 =
 *    0.5), chunks started by I- after O or after another type, type changes
 *    inside a run, per-type counts;
 *  - SQuAD v1.1: normalisation (case, ASCII punctuation, articles as whole
 *    words, whitespace, non-ASCII kept), EM, token F1 with repeated tokens, the
 *    maximum over gold answers, empty predictions. */
#include "testutil.h"

#include "ft_metrics.h"
#include "mem.h"

#include <math.h>

static void test_cls(void **state)
{
    (void)state;
    const int gold[] = {1, 0, 1, 1, 0, 0}, pred[] = {1, 1, 0, 1, 0, 0};
    struct ft_cls_metrics m;
    ft_metrics_cls(gold, pred, 6, 2, &m);
    assert_int_equal(m.correct, 4);
    assert_float_equal(m.accuracy, 4.0 / 6, 1e-12);
    assert_float_equal(m.precision, 2.0 / 3, 1e-12); /* tp 2, fp 1 */
    assert_float_equal(m.recall, 2.0 / 3, 1e-12);    /* fn 1 */
    assert_float_equal(m.f1, 2.0 / 3, 1e-12);
    const int g3[] = {0, 1, 2}, p3[] = {0, 2, 2};
    ft_metrics_cls(g3, p3, 3, 3, &m);
    assert_float_equal(m.accuracy, 2.0 / 3, 1e-12);
    assert_float_equal(m.f1, 0, 0); /* only for two labels */
}

static void prf(struct ft_ner_counts *c, double p, double r, double f)
{
    double P, R, F;
    ft_ner_prf(c, -1, &P, &R, &F);
    assert_float_equal(P, p, 1e-12);
    assert_float_equal(R, r, 1e-12);
    assert_float_equal(F, f, 1e-12);
}

static void test_ner_seqeval_example(void **state)
{
    (void)state;
    /* seqeval's README: classification_report / f1_score give 0.50 for all. */
    const char *g1[] = {"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"};
    const char *p1[] = {"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"};
    const char *g2[] = {"B-PER", "I-PER", "O"}, *p2[] = {"B-PER", "I-PER", "O"};
    struct ft_ner_counts *c = xcalloc(1, sizeof *c);
    ft_ner_add(c, g1, p1, 7);
    ft_ner_add(c, g2, p2, 3);
    assert_int_equal(c->gold, 2);
    assert_int_equal(c->pred, 2);
    assert_int_equal(c->correct, 1);
    prf(c, 0.5, 0.5, 0.5);
    /* Per type: MISC 0/1, PER 1/1. */
    for (int t = 0; t < c->n_types; t++) {
        double P, R, F;
        ft_ner_prf(c, t, &P, &R, &F);
        assert_float_equal(F, strcmp(c->type[t], "PER") ? 0.0 : 1.0, 1e-12);
    }
    xfree(c);
}

static void test_ner_chunk_rules(void **state)
{
    (void)state;
    struct ft_ner_counts *c = xcalloc(1, sizeof *c);
    /* I-X after O starts a chunk (conlleval), so this prediction is correct. */
    const char *g[] = {"B-PER", "I-PER", "O"}, *p[] = {"I-PER", "I-PER", "O"};
    ft_ner_add(c, g, p, 3);
    prf(c, 1, 1, 1);
    memset(c, 0, sizeof *c);
    /* A type change inside a run closes the chunk: LOC(0) + PER(1..2). */
    const char *g2[] = {"B-LOC", "I-PER", "I-PER", "O", "B-ORG", "B-ORG"};
    const char *p2[] = {"B-LOC", "B-PER", "I-PER", "O", "B-ORG", "I-ORG"};
    ft_ner_add(c, g2, p2, 6);
    /* gold chunks: LOC 0-0, PER 1-2, ORG 4-4, ORG 5-5; predicted: LOC 0-0, PER 1-2, ORG 4-5 */
    assert_int_equal(c->gold, 4);
    assert_int_equal(c->pred, 3);
    assert_int_equal(c->correct, 2);
    prf(c, 2.0 / 3, 0.5, 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5));
    memset(c, 0, sizeof *c);
    /* Nothing predicted, nothing gold: all zero (no division by zero). */
    const char *o[] = {"O", "O"};
    ft_ner_add(c, o, o, 2);
    prf(c, 0, 0, 0);
    /* A chunk running to the sentence end, types with hyphens. */
    const char *g3[] = {"O", "B-creative-work", "I-creative-work"};
    ft_ner_add(c, g3, g3, 3);
    prf(c, 1, 1, 1);
    assert_string_equal(c->type[0], "creative-work");
    xfree(c);
}

static void norm_is(const char *in, const char *want)
{
    char *n = ft_squad_normalize(in);
    if (strcmp(n, want))
        fail_msg("normalize('%s') = '%s', want '%s'", in, n, want);
    xfree(n);
}

static void test_squad_normalize(void **state)
{
    (void)state;
    norm_is("The  Denver Broncos.", "denver broncos");
    norm_is("  an apple a day ", "apple day");
    norm_is("Anatole, thEater's \"the\"", "anatole theaters");
    norm_is("Théâtre – “quoted”", "théâtre – “quoted”"); /* non-ASCII punctuation kept */
    norm_is("A-ha!", "aha");
    norm_is("a\tb\nc", "b c");
    norm_is("The", "");
    norm_is("İ", "i\xcc\x87"); /* Python's full lowercase mapping */
}

static void test_squad_scores(void **state)
{
    (void)state;
    assert_float_equal(ft_squad_em("Denver Broncos", "the Denver Broncos."), 1, 0);
    assert_float_equal(ft_squad_em("Denver", "Denver Broncos"), 0, 0);
    /* pred [cat, sat], gold [cat, sat, on, mat]: P 1, R 0.5. */
    assert_float_equal(ft_squad_f1("the cat sat", "a cat sat on the mat"), 2 * 0.5 / 1.5, 1e-12);
    /* Multiset intersection: x x y vs x y y share one x and one y. */
    assert_float_equal(ft_squad_f1("x x y", "x y y"), 2.0 / 3, 1e-12);
    assert_float_equal(ft_squad_f1("", "answer"), 0, 0);
    assert_float_equal(ft_squad_f1("the", "a"), 0, 0); /* both empty after normalisation */
    assert_float_equal(ft_squad_em("the", "a"), 1, 0);
    const char *golds[] = {"Saint Bernadette Soubirous", "a copper statue of Christ",
                           "the Main Building"};
    double em, f1;
    ft_squad_score("Saint Bernadette", golds, 3, &em, &f1);
    assert_float_equal(em, 0, 0);
    assert_float_equal(f1, 2 * (1.0 * 2 / 3) / (1 + 2.0 / 3), 1e-12);
    ft_squad_score("Main Building", golds, 3, &em, &f1);
    assert_float_equal(em, 1, 0);
    assert_float_equal(f1, 1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cls),
        cmocka_unit_test(test_ner_seqeval_example),
        cmocka_unit_test(test_ner_chunk_rules),
        cmocka_unit_test(test_squad_normalize),
        cmocka_unit_test(test_squad_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
