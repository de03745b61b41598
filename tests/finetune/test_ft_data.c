/* test_ft_data.c - fine-tuning inputs, checked by hand:
 *  - tokenizer byte offsets (ASCII, accents, lowercase expansion, CJK, pieces,
 *    special literals, decomposed accents) and that the ids equal
 *    tokenizer_encode's on the Gutenberg fixture lines;
 *  - TSV / CoNLL / SQuAD readers, their errors (file and line, exit-2 status);
 *  - rows: pair truncation, first-sub-token labels, QA windows with doc stride,
 *    max-context flags, span decoding mapped back through byte offsets. */
#include "testutil.h"

#include "fileio.h"
#include "ft_conll.h"
#include "ft_feats.h"
#include "ft_qa.h"
#include "ft_squad.h"
#include "ft_tsv.h"
#include "mem.h"
#include "tokenizer.h"

#include <stdlib.h>

static struct vocab *g_vocab;
static char g_tmp[512];

static const char *tmpfile_with(const char *name, const char *text)
{
    static char path[4][700];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 700, "%s/%s", g_tmp, name);
    char err[BT_ERR_LEN];
    if (file_write_atomic(p, text, strlen(text), err) != BT_OK)
        fail_msg("%s", err);
    return p;
}

/* "token@start-end ..." for text. */
static const char *offsets_str(const char *text, int lowercase)
{
    static char out[2048];
    struct tokenizer tk = {g_vocab, lowercase, NULL};
    struct tok_buf b;
    struct tok_offsets o;
    tok_buf_init(&b);
    tok_offsets_init(&o);
    tokenizer_encode_offsets(&tk, text, strlen(text), &b, &o);
    assert_int_equal(o.n, b.n);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b.n; i++) {
        size_t n;
        const char *t = vocab_token(g_vocab, b.ids[i], &n);
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%.*s@%u-%u", i ? " " : "",
                                 (int)n, t, o.start[i], o.end[i]);
    }
    tok_buf_free(&b);
    tok_offsets_free(&o);
    return out;
}

static void test_offsets(void **state)
{
    (void)state;
    assert_string_equal(offsets_str("Hello, na\xc3\xafve world!", 1),
                        "hello@0-5 ,@5-6 naive@7-13 world@14-19 !@19-20");
    /* U+0130 lowercases to i + U+0307 (stripped): "istanbul" covers both bytes of İ. */
    assert_string_equal(offsets_str("\xc4\xb0stanbul \xe6\x9d\xb1\xe4\xba\xac ok", 1),
                        "istanbul@0-9 \xe6\x9d\xb1@10-13 \xe4\xba\xac@13-16 ok@17-19");
    assert_string_equal(offsets_str("the quokkaesque xyzzyq", 1),
                        "the@0-3 quo@4-7 ##kka@7-10 ##es@10-12 ##que@12-15 x@16-17 ##y@17-18 "
                        "##zzy@18-21 ##q@21-22");
    assert_string_equal(offsets_str("a[SEP]b", 1), "a@0-1 [SEP]@1-6 b@6-7");
    /* A decomposed accent at the end of a word belongs to the word's last piece. */
    assert_string_equal(offsets_str("Cafe\xcc\x81 ok", 1), "cafe@0-6 ok@7-9");
}

/* The offset-tracking path yields exactly tokenizer_encode's ids. */
static void test_offsets_same_ids(void **state)
{
    (void)state;
    char path[700], err[BT_ERR_LEN];
    tu_src_path(path, sizeof path, "tests/data/fixtures/gutenberg_valid.txt");
    char *text;
    size_t len;
    assert_int_equal(file_read_all(path, &text, &len, err), BT_OK);
    struct tokenizer tk = {g_vocab, 1, NULL};
    struct tok_buf a, b;
    struct tok_offsets o;
    tok_buf_init(&a);
    tok_buf_init(&b);
    tok_offsets_init(&o);
    tokenizer_encode(&tk, text, len, &a);
    tokenizer_encode_offsets(&tk, text, len, &b, &o);
    assert_int_equal(a.n, b.n);
    assert_true(a.n > 10000);
    assert_memory_equal(a.ids, b.ids, a.n * sizeof(int32_t));
    for (size_t i = 0; i < o.n; i++) { /* ranges are ordered, inside the text, non-empty */
        assert_true(o.start[i] < o.end[i] && o.end[i] <= len);
        if (i)
            assert_true(o.start[i] >= o.end[i - 1]);
    }
    tok_buf_free(&a);
    tok_buf_free(&b);
    tok_offsets_free(&o);
    xfree(text);
}

/* ---- readers ---- */

static void test_tsv(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    struct ft_labels L = {0};
    struct ft_seq_set s;
    const char *p = tmpfile_with("a.tsv", "\xef\xbb\xbfsentence\tlabel\r\n"
                                          "it 's good \t1\r\nbad\t0\n\nmeh\t10\n");
    assert_int_equal(ft_tsv_read(&s, p, &L, err), BT_OK);
    ft_labels_sort(&L);
    assert_int_equal(L.n, 3);
    assert_string_equal(L.name[0], "0");
    assert_string_equal(L.name[2], "10"); /* numeric order */
    assert_int_equal(ft_tsv_assign(&s, &L, err), BT_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.ex[0].a, "it 's good ");
    assert_null(s.ex[0].b);
    assert_int_equal(s.ex[0].label, 1);
    assert_int_equal(s.ex[2].line, 5);
    ft_seq_set_free(&s);
    /* Pairs, an index column, a label column that is not last. */
    p = tmpfile_with("b.tsv", "idx\tlabel\tquestion\tsentence\n0\tyes\tWho?\tMe.\n");
    struct ft_labels L2 = {0};
    assert_int_equal(ft_tsv_read(&s, p, &L2, err), BT_OK);
    assert_true(s.pair);
    assert_string_equal(s.ex[0].a, "Who?");
    assert_string_equal(s.ex[0].b, "Me.");
    assert_string_equal(s.ex[0].label_text, "yes");
    ft_seq_set_free(&s);
    ft_labels_free(&L2);
    /* Missing label column. */
    p = tmpfile_with("bad.tsv", "sentence\tlabel\nfine\t1\nno label here\n");
    assert_int_equal(ft_tsv_read(&s, p, NULL, err), BT_EUSAGE);
    assert_non_null(strstr(err, "bad.tsv:3: expected 2 tab-separated columns"));
    assert_non_null(strstr(err, "missing label column"));
    assert_null(strchr(err, '\n'));
    ft_seq_set_free(&s);
    /* Unknown label in a file read against a fixed label set. */
    p = tmpfile_with("dev.tsv", "sentence\tlabel\nok\t1\nodd\t2\n");
    struct ft_labels bin = {0};
    assert_int_equal(ft_labels_parse(&bin, "0,1", "test", err), BT_OK);
    assert_int_equal(ft_tsv_read(&s, p, NULL, err), BT_OK);
    assert_int_equal(ft_tsv_assign(&s, &bin, err), BT_EUSAGE);
    assert_non_null(strstr(err, "dev.tsv:3: unknown label '2' (the label set is 0, 1)"));
    ft_seq_set_free(&s);
    ft_labels_free(&bin);
    ft_labels_free(&L);
    /* Missing file: a usage error. */
    assert_int_equal(ft_tsv_read(&s, "/nonexistent/x.tsv", NULL, err), BT_EUSAGE);
    ft_seq_set_free(&s);
}

static void test_conll(void **state)
{
    (void)state;
    char path[700], err[BT_ERR_LEN];
    tu_src_path(path, sizeof path, "tests/finetune/fixtures/ner/raw-excerpt.conll");
    struct ft_labels L = {0};
    struct ft_conll_set s;
    assert_int_equal(ft_conll_read(&s, path, &L, err), BT_OK);
    /* Breaks are empty lines or a lone TAB; the excerpt ends mid-sentence. */
    assert_int_equal(s.n, 4);
    assert_int_equal(s.sent[0].n, 27);
    assert_int_equal(s.sent[1].n, 15);
    assert_int_equal(s.sent[2].n, 12);
    assert_int_equal(s.sent[3].n, 3);
    assert_string_equal(s.sent[0].words[0], "@paulwalk");
    assert_int_equal(s.sent[1].line, 29);
    ft_labels_sort_bio(&L);
    assert_string_equal(L.name[0], "O");
    for (int i = 1; i < L.n; i += 2) { /* B before I of each type */
        assert_int_equal(L.name[i][0], 'B');
        assert_int_equal(L.name[i + 1][0], 'I');
        assert_string_equal(L.name[i] + 2, L.name[i + 1] + 2);
    }
    assert_int_equal(ft_conll_assign(&s, &L, err), BT_OK);
    ft_conll_set_free(&s);
    ft_labels_free(&L);
    /* Malformed lines. */
    const char *p = tmpfile_with("bad.conll", "I\tO\nlove\tO\n\nParis\n");
    assert_int_equal(ft_conll_read(&s, p, NULL, err), BT_EUSAGE);
    assert_non_null(strstr(err, "bad.conll:4: malformed line 'Paris'"));
    ft_conll_set_free(&s);
    p = tmpfile_with("bad2.conll", "-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects\tVBZ\tPER\n");
    assert_int_equal(ft_conll_read(&s, p, NULL, err), BT_EUSAGE);
    assert_non_null(strstr(err, "bad2.conll:4:"));
    assert_non_null(strstr(err, "not BIO"));
    ft_conll_set_free(&s);
    /* CoNLL-2003 style columns: first is the token, last the tag. */
    p = tmpfile_with("c03.conll", "-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n");
    assert_int_equal(ft_conll_read(&s, p, NULL, err), BT_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.sent[0].words[0], "EU");
    assert_string_equal(s.sent[0].tag_text[0], "B-ORG");
    ft_conll_set_free(&s);
}

static const char *squad_json =
    "{\"data\": [{\"title\": \"T\", \"paragraphs\": [\n"
    "{\"context\": \"Caf\\u00e9 au lait \\u2013 tr\\u00e8s bon. Paris is big.\", \"qas\": [\n"
    "{\"answers\": [{\"answer_start\": 15, \"text\": \"tr\\u00e8s bon\"}, {\"answer_start\": "
    "25, \"text\": \"Paris\"}], \"question\": \"How?\", \"id\": \"q1\"}]}]}],\n"
    "\"version\": \"1.1\"}";

static void test_squad(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    struct ft_squad_set s;
    const char *p = tmpfile_with("s.json", squad_json);
    assert_int_equal(ft_squad_read(&s, p, err), BT_OK);
    assert_int_equal(s.n_q, 1);
    assert_int_equal(s.q[0].n_ans, 2);
    /* "Café au lait – " is 15 code points and 18 bytes (é 2 bytes, – 3 bytes). */
    assert_int_equal(s.q[0].ans[0].start, 18);
    assert_int_equal(s.q[0].ans[0].end, 18 + 9);
    assert_int_equal(s.q[0].ans[1].start, 29);
    ft_squad_set_free(&s);
    /* answer_start one character off: file:line:col of the question id. */
    char *bad = xstrdup(squad_json);
    char *at = strstr(bad, "\"answer_start\": 15");
    at[17] = '4';
    p = tmpfile_with("bad.json", bad);
    assert_int_equal(ft_squad_read(&s, p, err), BT_EUSAGE);
    assert_non_null(strstr(err, "bad.json:3:"));
    assert_non_null(strstr(err, "question 'q1' answer 1: answer_start 14 points at"));
    assert_non_null(strstr(err, "expected 'tr\xc3\xa8s bon'"));
    ft_squad_set_free(&s);
    xfree(bad);
    p = tmpfile_with("broken.json", "{\"data\": [}");
    assert_int_equal(ft_squad_read(&s, p, err), BT_EUSAGE);
    assert_non_null(strstr(err, "broken.json:1:"));
    ft_squad_set_free(&s);
}

/* ---- rows ---- */

static void test_seq_rows(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    struct ft_seq_set s;
    const char *p = tmpfile_with("p.tsv", "sentence1\tsentence2\tlabel\na b c d e\tf g\t0\n");
    struct ft_labels L = {0};
    assert_int_equal(ft_tsv_read(&s, p, &L, err), BT_OK);
    assert_int_equal(ft_tsv_assign(&s, &L, err), BT_OK);
    struct ft_tok t;
    ft_tok_init(&t, g_vocab, 1, 1);
    struct ft_feats f;
    ft_feats_seq(&f, &t, &s, 10); /* 5 + 2 fit in 10 - 3: no cut, one [PAD] */
    assert_int_equal(f.truncated, 0);
    assert_int_equal(f.ids[9], t.sep);
    ft_feats_free(&f);
    ft_feats_seq(&f, &t, &s, 11);
    assert_int_equal(f.ids[10], t.pad);
    assert_int_equal(f.mask[10], 0);
    ft_feats_free(&f);
    /* Longest first: 5 + 2 > 9 - 3, so "a b c d e" loses "e". */
    ft_feats_seq(&f, &t, &s, 9);
    const char *want[] = {"[CLS]", "a", "b", "c", "d", "[SEP]", "f", "g", "[SEP]"};
    const int types[] = {0, 0, 0, 0, 0, 0, 1, 1, 1};
    for (int i = 0; i < 9; i++) {
        size_t n;
        const char *tok = vocab_token(g_vocab, f.ids[i], &n);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(tok, want[i], n);
        assert_int_equal(f.types[i], types[i]);
        assert_int_equal(f.mask[i], 1);
    }
    assert_int_equal(f.truncated, 1);
    ft_feats_free(&f);
    ft_feats_seq(&f, &t, &s, 8); /* room 5: (5, 2) -> (4, 2) -> (3, 2) */
    assert_int_equal(f.truncated, 2);
    assert_int_equal(f.ids[4], t.sep);
    ft_feats_free(&f);
    ft_seq_set_free(&s);
    ft_labels_free(&L);
}

static void test_token_rows(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    struct ft_conll_set s;
    const char *p = tmpfile_with("t.conll", "Hello\tO\nna\xc3\xafve\tB-x\nquokkaesque\tI-x\n!\tO\n"
                                            "\xe2\x80\x8b\tO\n\n");
    struct ft_labels L = {0};
    assert_int_equal(ft_conll_read(&s, p, &L, err), BT_OK);
    ft_labels_sort_bio(&L); /* O, B-x, I-x */
    assert_int_equal(ft_conll_assign(&s, &L, err), BT_OK);
    struct ft_tok t;
    ft_tok_init(&t, g_vocab, 1, 1);
    struct ft_feats f;
    ft_feats_token(&f, &t, &s, 12);
    /* [CLS] hello naive quo ##kka ##es ##que ! [SEP]; the zero-width space
     * (U+200B, dropped by cleaning) has no piece and no label. */
    const int32_t lab[12] = {-100, 0, 1, 2, -100, -100, -100, 0, -100, -100, -100, -100};
    const int32_t word[12] = {-1, 0, 1, 2, -1, -1, -1, 3, -1, -1, -1, -1};
    assert_memory_equal(f.labels, lab, sizeof lab);
    assert_memory_equal(f.word, word, sizeof word);
    assert_int_equal(f.ids[8], t.sep);
    assert_int_equal(f.truncated, 0);
    ft_feats_free(&f);
    /* T = 6: room for 4 pieces after [CLS]: "quokkaesque" (4 pieces) does not fit. */
    ft_feats_token(&f, &t, &s, 6);
    assert_int_equal(f.truncated, 3);
    assert_int_equal(f.word[2], 1);
    assert_int_equal(f.ids[3], t.sep);
    ft_feats_free(&f);
    ft_conll_set_free(&s);
    ft_labels_free(&L);
}

/* Context "a b c d e f g h i j": ten one-piece tokens at bytes 2k..2k+1. */
static void qa_fixture(struct ft_squad_set *s, struct ft_feats *f, struct ft_qa_opts *o)
{
    char err[BT_ERR_LEN];
    const char *p = tmpfile_with("w.json",
                                 "{\"data\": [{\"title\": \"w\", \"paragraphs\": [{\"context\": "
                                 "\"a b c d e f g h i j\", \"qas\": [{\"answers\": "
                                 "[{\"answer_start\": 10, \"text\": \"f\"}], \"question\": "
                                 "\"q\", \"id\": \"x\"}]}]}], \"version\": \"1.1\"}");
    assert_int_equal(ft_squad_read(s, p, err), BT_OK);
    struct ft_tok t;
    ft_tok_init(&t, g_vocab, 1, 1);
    *o = (struct ft_qa_opts){.T = 9, .stride = 2, .max_query = 64, .n_best = 20,
                             .max_answer = 30};
    ft_feats_qa(f, &t, s, o);
}

static void test_qa_windows(void **state)
{
    (void)state;
    struct ft_squad_set s;
    struct ft_feats f;
    struct ft_qa_opts o;
    qa_fixture(&s, &f, &o);
    /* [CLS] q [SEP] + 5 context tokens + [SEP]; windows start at 0, 2, 4, 6. */
    assert_int_equal(f.n, 4);
    const int32_t starts[4] = {0, 2, 4, 6};
    for (int r = 0; r < 4; r++) {
        assert_int_equal(f.doc_start[r], starts[r]);
        assert_int_equal(f.example[r], 0);
        assert_int_equal(f.types[r * 9 + 3], 1);
        assert_int_equal(f.off_s[r * 9 + 3], 2 * starts[r]);
        assert_int_equal(f.off_e[r * 9 + 3], 2 * starts[r] + 1);
    }
    assert_int_equal(f.mask[3 * 9 + 7], 1);  /* last window: 4 tokens + [SEP] */
    assert_int_equal(f.mask[3 * 9 + 8], 0);
    assert_int_equal(f.off_s[3 * 9 + 7], -1); /* [SEP] is not context */
    /* "f" is token 5: outside window 0 and 3 -> (0, 0); position 5-2+3 and 5-4+3. */
    const int32_t lab[8] = {0, 0, 6, 6, 4, 4, 0, 0};
    assert_memory_equal(f.labels, lab, sizeof lab);
    /* Max context: e (token 4) in window 1; f (5) in window 1 (tie with 2, first
     * wins); c (2) in window 0; d (3) in window 0 (tie). */
    assert_int_equal(f.max_ctx[1 * 9 + 3 + 4 - 2], 1);
    assert_int_equal(f.max_ctx[0 * 9 + 3 + 4], 0);
    assert_int_equal(f.max_ctx[1 * 9 + 3 + 5 - 2], 1);
    assert_int_equal(f.max_ctx[2 * 9 + 3 + 5 - 4], 0);
    assert_int_equal(f.max_ctx[0 * 9 + 3 + 2], 1);
    assert_int_equal(f.max_ctx[0 * 9 + 3 + 3], 1);
    assert_int_equal(f.max_ctx[1 * 9 + 3 + 3 - 2], 0);
    ft_feats_free(&f);
    ft_squad_set_free(&s);
}

static void test_qa_decode(void **state)
{
    (void)state;
    struct ft_squad_set s;
    struct ft_feats f;
    struct ft_qa_opts o;
    qa_fixture(&s, &f, &o);
    float st[36] = {0}, en[36] = {0};
    st[2 * 9 + 4] = 10; /* f in window 2: not its max context, never a start */
    st[1 * 9 + 6] = 5;  /* f in window 1 */
    st[1 * 9 + 5] = -5; /* e in window 1 */
    en[1 * 9 + 5] = 9;  /* e: before the start */
    en[1 * 9 + 7] = 4;  /* g */
    en[0 * 9 + 1] = 50; /* the question token: not context */
    struct ft_qa_span sp = ft_qa_best_span(&f, 0, f.n, st, en, &o);
    assert_int_equal(sp.row, 1);
    assert_int_equal(sp.start, 6);
    assert_int_equal(sp.end, 7);
    assert_int_equal(sp.byte_start, 10);
    assert_int_equal(sp.byte_end, 13); /* "f g" */
    o.max_answer = 1;
    sp = ft_qa_best_span(&f, 0, f.n, st, en, &o);
    assert_int_equal(sp.row, 1);
    assert_int_equal(sp.end, 6);
    assert_int_equal(sp.byte_end, 11); /* "f" */
    ft_feats_free(&f);
    ft_squad_set_free(&s);
}

/* Answers map back to the original (non-ASCII) text through the offsets. */
static void test_qa_bytes_non_ascii(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    struct ft_squad_set s;
    assert_int_equal(ft_squad_read(&s, tmpfile_with("n.json", squad_json), err), BT_OK);
    struct ft_tok t;
    ft_tok_init(&t, g_vocab, 1, 1);
    struct ft_qa_opts o = {.T = 32, .stride = 8, .max_query = 8, .n_best = 5, .max_answer = 4};
    struct ft_feats f;
    ft_feats_qa(&f, &t, &s, &o);
    assert_int_equal(f.n, 1);
    /* [CLS] how ? [SEP] cafe au lait – tres bon . paris ... */
    int ts = f.labels[0], te = f.labels[1];
    assert_int_equal(f.off_s[ts], 18);
    assert_int_equal(f.off_e[te], 27);
    float st[32] = {0}, en[32] = {0};
    st[ts] = 3;
    en[te] = 3;
    struct ft_qa_span sp = ft_qa_best_span(&f, 0, 1, st, en, &o);
    assert_int_equal(sp.byte_start, 18);
    assert_int_equal(sp.byte_end, 27);
    assert_memory_equal(s.ctx[0] + sp.byte_start, "tr\xc3\xa8s bon", 9);
    ft_feats_free(&f);
    ft_squad_set_free(&s);
}

static int setup(void **state)
{
    (void)state;
    char path[700], err[BT_ERR_LEN];
    tu_src_path(path, sizeof path, "tests/data/fixtures/bert-base-uncased-vocab.txt");
    if (vocab_load(&g_vocab, path, err) != BT_OK)
        return 1;
    tu_tmpdir(g_tmp, sizeof g_tmp, "ft_data");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vocab_free(g_vocab);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets),      cmocka_unit_test(test_offsets_same_ids),
        cmocka_unit_test(test_tsv),          cmocka_unit_test(test_conll),
        cmocka_unit_test(test_squad),        cmocka_unit_test(test_seq_rows),
        cmocka_unit_test(test_token_rows),   cmocka_unit_test(test_qa_windows),
        cmocka_unit_test(test_qa_decode),    cmocka_unit_test(test_qa_bytes_non_ascii),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
