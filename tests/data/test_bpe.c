/* test_bpe.c - byte-level BPE (GPT-2 / RoBERTa) and vocab.json loading.
 *  - Hugging Face golden ids (fixtures/hf_bpe_golden.jsonl, see the README
 *    there): the tokenizers library's gpt2 golden file (Unicode, emoji, runs of
 *    spaces, contractions, numbers, code, URLs) and RoBERTa ids from
 *    transformers; every row must match id for id;
 *  - transformers' RobertaTokenizer unit test on its toy vocabulary;
 *  - pre-token boundaries of GPT-2's regex (expected lists from Python's regex);
 *  - special literals (<s>, <mask> with its left strip, <|endoftext|>), offsets,
 *    the word cache, ill-formed UTF-8;
 *  - vocab.json properties and the errors for bad vocab.json / merges.txt. */
#include "testutil.h"

#include "bpe.h"
#include "data_fixture.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"
#include "tokenizer.h"
#include "vocab.h"

#include <stdlib.h>
#include <unistd.h>

static char g_dir[4096];
static struct tok_model g_gpt2, g_roberta;

static void fixture(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/tests/data/fixtures/%s", BT_SOURCE_DIR, name);
}

static int setup(void **state)
{
    (void)state;
    char v[4096], m[4096], err[BT_ERR_LEN];
    fixture(m, sizeof m, "gpt2-merges.txt");
    fixture(v, sizeof v, "gpt2-vocab.json");
    if (tok_model_open(&g_gpt2, "bpe", v, m, err) != BT_OK)
        fail_msg("%s", err);
    fixture(v, sizeof v, "roberta-base-vocab.json");
    if (tok_model_open(&g_roberta, NULL, v, m, err) != BT_OK)
        fail_msg("%s", err);
    snprintf(g_dir, sizeof g_dir, "/tmp/bt_test_bpe.%ld", (long)getpid());
    if (file_mkdir_p(g_dir, err) != BT_OK)
        fail_msg("%s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    tok_model_close(&g_gpt2);
    tok_model_close(&g_roberta);
    if (file_remove_tree(g_dir, err) != BT_OK)
        fprintf(stderr, "%s\n", err);
    return 0;
}

static size_t encode(const struct tok_model *m, const char *text, size_t len, int32_t *out,
                     size_t cap)
{
    struct tokenizer tk = tok_model_tokenizer(m, 1);
    struct tok_buf b;
    tok_buf_init(&b);
    tokenizer_encode(&tk, text, len, &b);
    assert_true(b.n <= cap);
    memcpy(out, b.ids, b.n * sizeof *out);
    size_t n = b.n;
    tok_buf_free(&b);
    return n;
}

static int32_t id_of(const struct tok_model *m, const char *tok)
{
    return vocab_lookup(m->vocab, tok, strlen(tok), 0);
}

/* ---- Hugging Face golden ids -------------------------------------------- */

static const struct tokenizer *pick(void *ctx, const char *vocab)
{
    static struct tokenizer gpt2, roberta;
    (void)ctx;
    gpt2 = tok_model_tokenizer(&g_gpt2, 0);
    roberta = tok_model_tokenizer(&g_roberta, 0);
    return strcmp(vocab, "roberta") == 0 ? &roberta : &gpt2;
}

static void test_hf_golden(void **state)
{
    (void)state;
    int roberta_rows;
    int rows = df_check_golden("hf_bpe_golden.jsonl", pick, NULL, "roberta", &roberta_rows);
    assert_true(rows >= 21 && roberta_rows >= 3);
}

/* transformers' RobertaTokenizationTest.test_full_tokenizer: a toy vocabulary
 * without most bytes, merges "Ġ l", "Ġl o", "Ġlo w", "e r". */
static void test_hf_toy(void **state)
{
    (void)state;
    const char *vj = "{\"l\": 0, \"o\": 1, \"w\": 2, \"e\": 3, \"r\": 4, \"s\": 5, \"t\": 6, "
                     "\"i\": 7, \"d\": 8, \"n\": 9, \"\\u0120\": 10, \"\\u0120l\": 11, "
                     "\"\\u0120n\": 12, \"\\u0120lo\": 13, \"\\u0120low\": 14, \"er\": 15, "
                     "\"\\u0120lowest\": 16, \"\\u0120newer\": 17, \"\\u0120wider\": 18, "
                     "\"<unk>\": 19}\n";
    const char *mg = "#version: 0.2\n\xc4\xa0 l\n\xc4\xa0l o\n\xc4\xa0lo w\ne r\n";
    char err[BT_ERR_LEN];
    struct vocab *v;
    struct bpe *m;
    assert_int_equal(vocab_load_bytes(&v, vj, strlen(vj), "toy.json", err), BT_OK);
    assert_int_equal(bpe_load_bytes(&m, v, mg, strlen(mg), "toy-merges.txt", err), BT_OK);
    assert_int_equal(bpe_n_merges(m), 4);
    struct tok_buf b;
    tok_buf_init(&b);
    bpe_encode(m, "lower newer", 11, &b, NULL);
    static const int32_t want[] = {0, 1, 2, 15, 10, 9, 3, 2, 15};
    assert_int_equal(b.n, 9);
    assert_memory_equal(b.ids, want, sizeof want);
    b.n = 0;
    bpe_encode(m, " lowest!", 8, &b, NULL); /* "Ġlow" "e" "s" "t"; "!" is missing: <unk> */
    static const int32_t want2[] = {14, 3, 5, 6, 19};
    assert_int_equal(b.n, 5);
    assert_memory_equal(b.ids, want2, sizeof want2);
    assert_int_equal(vocab_special_id(v, VOCAB_UNK), 19);
    assert_int_equal(vocab_special_id(v, VOCAB_MASK), -1);
    assert_int_equal(vocab_check_specials(v, "toy.json", err), BT_EUSAGE);
    assert_non_null(strstr(err, "<pad>"));
    /* the same tok_buf with another model (perhaps at the same address): its
     * cached words must not leak into the new model's ids */
    bpe_free(m);
    const char *mg2 = "#version: 0.2\n\xc4\xa0 l\n";
    assert_int_equal(bpe_load_bytes(&m, v, mg2, strlen(mg2), "toy2.txt", err), BT_OK);
    b.n = 0;
    bpe_encode(m, "lower", 5, &b, NULL);
    static const int32_t want3[] = {0, 1, 2, 3, 4};
    assert_int_equal(b.n, 5);
    assert_memory_equal(b.ids, want3, sizeof want3);
    tok_buf_free(&b);
    bpe_free(m);
    vocab_free(v);
}

/* ---- pre-tokenizer --------------------------------------------------------- */

static void test_pretokens(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *pieces; /* separated by '|' (Python: regex.findall(GPT-2's pattern)) */
    } t[] = {
        {"I'm DON'T we'll ''s x's", "I|'m| DON|'|T| we|'ll| ''|s| x|'s"},
        {"a   b  \n\n x ", "a|  | b|  \n\n| x| "},
        {"abc123def 4.5", "abc|123|def| 4|.|5"},
        {"it's...\"", "it|'s|...\""},
        {" \t x", " \t| x"},
        {"x\xc2\xa0 y", "x|\xc2\xa0| y"},
        {"\xe3\x80\x80\xe3\x80\x80" "a", "\xe3\x80\x80|\xe3\x80\x80|a"},
        {"   ", "   "},
        {"'", "'"},
        {"'re're", "'re|'re"},
        /* Arabic-Indic digits and superscript two are N */
        {"\xd9\xa3\xd9\xa4 x\xc2\xb2", "\xd9\xa3\xd9\xa4| x|\xc2\xb2"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        const unsigned char *s = (const unsigned char *)t[i].text;
        size_t len = strlen(t[i].text);
        char got[256];
        size_t g = 0;
        for (size_t p = 0; p < len;) {
            size_t e = bpe_pretoken_end(s, len, p);
            assert_true(e > p && e <= len);
            g += (size_t)snprintf(got + g, sizeof got - g, "%s%.*s", p ? "|" : "", (int)(e - p),
                                  t[i].text + p);
            p = e;
        }
        if (strcmp(got, t[i].pieces) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, got, t[i].pieces);
    }
    for (unsigned b = 0; b < 256; b++) { /* the byte map is a bijection onto its image */
        int32_t c = bpe_byte_char(b);
        assert_true(c >= 0 && c < 324);
        assert_int_equal(bpe_char_byte(c), (int)b);
    }
    assert_int_equal(bpe_byte_char(' '), 0x120);
    assert_int_equal(bpe_char_byte(0x41), 0x41);
    assert_int_equal(bpe_char_byte(0x20), -1);
}

/* ---- specials, offsets, cache, ill-formed input ----------------------------- */

static void test_specials(void **state)
{
    (void)state;
    int32_t ids[64];
    const char *s1 = "<s>Hello</s><pad>";
    size_t n = encode(&g_roberta, s1, strlen(s1), ids, 64);
    assert_int_equal(n, 4);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 31414);
    assert_int_equal(ids[2], 2);
    assert_int_equal(ids[3], 1);
    /* transformers' test_space_encoding: after <mask> the space stays with the word */
    const char *s2 = "Encode <mask> sequence", *s3 = "Encode <mask>sequence";
    int32_t enc[8];
    size_t ne = encode(&g_roberta, "Encode", 6, enc, 8);
    n = encode(&g_roberta, s2, strlen(s2), ids, 64);
    assert_true(n == ne + 2 && ids[ne] == 50264);
    assert_int_equal(ids[ne + 1], id_of(&g_roberta, "\xc4\xa0sequence"));
    assert_memory_equal(ids, enc, ne * sizeof *enc);
    n = encode(&g_roberta, s3, strlen(s3), ids, 64);
    assert_true(n == ne + 2 && ids[ne] == 50264 && ids[ne + 1] == id_of(&g_roberta, "sequence"));
    /* the strip takes all whitespace before <mask>, not only one space */
    const char *s4 = "Encode \t\xc2\xa0 <mask>";
    n = encode(&g_roberta, s4, strlen(s4), ids, 64);
    assert_true(n == ne + 1 && ids[ne] == 50264);
    /* <|endoftext|> is GPT-2's special token, ordinary text for RoBERTa */
    const char *s5 = "a<|endoftext|>b";
    n = encode(&g_gpt2, s5, strlen(s5), ids, 64);
    assert_true(n == 3 && ids[1] == 50256);
    n = encode(&g_roberta, s5, strlen(s5), ids, 64);
    assert_true(n > 3);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(ids[i], 50260);
    /* GPT-2 has no <mask>: the literal is text there */
    n = encode(&g_gpt2, "<mask>", 6, ids, 64);
    assert_true(n >= 2);
}

static void test_offsets_cache_utf8(void **state)
{
    (void)state;
    struct tokenizer tk = tok_model_tokenizer(&g_roberta, 0);
    const char *s = "Hello w\xc3\xb6rld, <mask> caf\xc3\xa9!";
    size_t len = strlen(s);
    struct tok_buf b;
    struct tok_offsets o;
    tok_buf_init(&b);
    tok_offsets_init(&o);
    tokenizer_encode_offsets(&tk, s, len, &b, &o);
    assert_int_equal(o.n, b.n);
    uint32_t prev = 0;
    for (size_t i = 0; i < b.n; i++) { /* ranges tile the input, except the space <mask> ate */
        assert_true(o.start[i] >= prev && o.end[i] > o.start[i] && o.end[i] <= len);
        prev = o.end[i];
    }
    assert_int_equal(o.start[0], 0);
    assert_int_equal(o.end[b.n - 1], len);
    size_t k = 0;
    while (b.ids[k] != 50264)
        k++;
    assert_int_equal(o.end[k] - o.start[k], 6);
    assert_memory_equal(s + o.start[k], "<mask>", 6);
    /* the same ids without offsets, from a warm cache, and from a fresh buffer */
    struct tok_buf c;
    tok_buf_init(&c);
    for (int rep = 0; rep < 3; rep++) {
        c.n = 0;
        tokenizer_encode(&tk, s, len, &c);
        assert_int_equal(c.n, b.n);
        assert_memory_equal(c.ids, b.ids, b.n * sizeof *b.ids);
    }
    /* ill-formed bytes are skipped: the ids of the text without them, and
     * offsets that point into the original bytes */
    const char *bad = "Hel\xfflo w\xc3\xb6r\xc0ld, <mask> caf\xc3\xa9!";
    size_t blen = strlen(bad);
    struct tok_buf d;
    struct tok_offsets od;
    tok_buf_init(&d);
    tok_offsets_init(&od);
    tokenizer_encode_offsets(&tk, bad, blen, &d, &od);
    assert_int_equal(d.n, b.n);
    assert_memory_equal(d.ids, b.ids, b.n * sizeof *b.ids);
    assert_int_equal(od.end[d.n - 1], blen);
    assert_int_equal(od.start[1], o.start[1] + 1);
    tok_buf_free(&b);
    tok_buf_free(&c);
    tok_buf_free(&d);
    tok_offsets_free(&o);
    tok_offsets_free(&od);
    /* a word longer than BPE_MAX_WORD is encoded in pieces, without error */
    size_t big = 3 * BPE_MAX_WORD + 5;
    char *w = xmalloc(big);
    for (size_t i = 0; i < big; i++)
        w[i] = (char)('a' + i % 7);
    int32_t *ids = xmalloc(big * sizeof *ids);
    size_t n = encode(&g_gpt2, w, big, ids, big);
    assert_true(n > 0 && n < big);
    xfree(ids);
    xfree(w);
}

/* ---- vocab.json and merges.txt ------------------------------------------------ */

static void test_vocab_json(void **state)
{
    (void)state;
    const struct vocab *v = g_roberta.vocab;
    assert_int_equal(vocab_kind(v), VOCAB_BPE);
    assert_int_equal(vocab_size(v), 50265);
    assert_int_equal(vocab_special_id(v, VOCAB_CLS), 0);
    assert_int_equal(vocab_special_id(v, VOCAB_PAD), 1);
    assert_int_equal(vocab_special_id(v, VOCAB_SEP), 2);
    assert_int_equal(vocab_special_id(v, VOCAB_UNK), 3);
    assert_int_equal(vocab_special_id(v, VOCAB_MASK), 50264);
    assert_string_equal(vocab_special_name(v, VOCAB_MASK), "<mask>");
    char err[BT_ERR_LEN];
    assert_int_equal(vocab_check_specials(v, "r", err), BT_OK);
    size_t n;
    assert_null(vocab_token(v, 50262, &n)); /* a hole */
    assert_true(vocab_is_reserved(v, 50262) && vocab_is_reserved(v, 50260));
    assert_true(vocab_is_reserved(v, 0) && !vocab_is_reserved(v, 5));
    assert_false(vocab_is_continuation(v, id_of(&g_roberta, "\xc4\xa0the")));
    assert_true(vocab_is_continuation(v, id_of(&g_roberta, "ing")));
    assert_false(vocab_is_continuation(v, 0));
    const struct vocab *g = g_gpt2.vocab;
    assert_int_equal(vocab_size(g), 50257);
    assert_int_equal(vocab_special_id(g, VOCAB_MASK), -1);
    assert_int_equal(vocab_check_specials(g, "gpt2/vocab.json", err), BT_EUSAGE);
    assert_non_null(strstr(err, "gpt2/vocab.json"));
    assert_true(vocab_is_reserved(g, 50256));
    assert_int_equal(bpe_n_merges(g_gpt2.bpe), 50000);
}

static void write_file(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_open_error(const char *kind, const char *vocab, const char *merges,
                              int status, const char *needle1, const char *needle2)
{
    struct tok_model m;
    char err[BT_ERR_LEN];
    int rc = tok_model_open(&m, kind, vocab, merges, err);
    if (rc != status || !strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
        fail_msg("rc %d (want %d): %s (want '%s' and '%s')", rc, status, rc ? err : "",
                 needle1, needle2 ? needle2 : "");
}

static void test_errors(void **state)
{
    (void)state;
    char vj[4200], vbad[4200], varr[4200], vid[4200], mg[4200], mbad[4200], mres[4200],
        wp[4200];
    write_file("vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2, \"<unk>\": 3}", vj, sizeof vj);
    write_file("bad.json", "{\"a\": 0,\n \"b\": }", vbad, sizeof vbad);
    write_file("arr.json", "[\"a\", \"b\"]", varr, sizeof varr);
    write_file("id.json", "{\"a\": 0, \"b\": \"one\"}", vid, sizeof vid);
    write_file("merges.txt", "#version: 0.2\na b\n", mg, sizeof mg);
    write_file("mbad.txt", "#version: 0.2\na b\nab\n", mbad, sizeof mbad);
    write_file("mres.txt", "#version: 0.2\na b\nb a\n", mres, sizeof mres);
    write_file("wp.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n", wp, sizeof wp);
    struct tok_model m;
    char err[BT_ERR_LEN];
    assert_int_equal(tok_model_open(&m, NULL, vj, NULL, err), BT_OK); /* merges.txt beside */
    assert_non_null(m.bpe);
    tok_model_close(&m);
    expect_open_error(NULL, vbad, mg, BT_EUSAGE, "bad.json", "line 2");
    expect_open_error(NULL, varr, mg, BT_EUSAGE, "arr.json", "object");
    expect_open_error(NULL, vid, mg, BT_EUSAGE, "id.json", "\"b\"");
    expect_open_error(NULL, vj, mbad, BT_EUSAGE, "mbad.txt:3", "two symbols");
    expect_open_error(NULL, vj, mres, BT_EUSAGE, "mres.txt:3", "\"ba\"");
    expect_open_error("bpe", wp, mg, BT_EUSAGE, "wp.txt", "vocab.json");
    expect_open_error("wordpiece", vj, NULL, BT_EUSAGE, "vocab.json", "vocab.txt");
    expect_open_error(NULL, wp, mg, BT_EUSAGE, "--merges", "WordPiece");
    expect_open_error("sentencepiece", vj, NULL, BT_EUSAGE, "sentencepiece", "wordpiece or bpe");
    char nomerge[4200];
    snprintf(nomerge, sizeof nomerge, "%s/sub", g_dir);
    assert_int_equal(file_mkdir_p(nomerge, err), BT_OK);
    write_file("sub/vocab.json", "{\"a\": 0, \"<unk>\": 1}", nomerge, sizeof nomerge);
    expect_open_error(NULL, nomerge, NULL, BT_EUSAGE, "sub/merges.txt", "--merges");
    expect_open_error(NULL, vj, "/nonexistent/merges.txt", BT_EIO, "/nonexistent/merges.txt",
                      NULL);
    /* no token for a byte and no <unk> to stand for it */
    char vnounk[4200];
    write_file("nounk.json", "{\"a\": 0, \"b\": 1, \"ab\": 2}", vnounk, sizeof vnounk);
    expect_open_error(NULL, vnounk, mg, BT_EUSAGE, "byte 0x00", "<unk>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hf_golden),
        cmocka_unit_test(test_hf_toy),
        cmocka_unit_test(test_pretokens),
        cmocka_unit_test(test_specials),
        cmocka_unit_test(test_offsets_cache_utf8),
        cmocka_unit_test(test_vocab_json),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("bpe", tests, setup, teardown);
}
