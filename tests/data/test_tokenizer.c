/* test_tokenizer.c - vocabulary loading and BERT WordPiece tokenization.
 *  - Hugging Face golden ids (fixtures/hf_tokenizer_golden.jsonl, see the README
 *    there): the tokenizers library's bert-base-uncased golden file, HF docs and
 *    HF unit tests; every row must match id for id;
 *  - Hugging Face's BertTokenizer unit tests on their toy vocabularies;
 *  - hard cases (specials, control characters, CJK, emoji, accents, long words)
 *    with token strings checked by hand against vocab.txt;
 *  - UTF-8 decoding table, vocabulary errors. */
#include "testutil.h"

#include "data_fixture.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"
#include "tokenizer.h"
#include "unicode.h"
#include "vocab.h"

#include <stdlib.h>

static struct vocab *load_fixture_vocab(const char *name)
{
    char path[4096], err[BT_ERR_LEN];
    snprintf(path, sizeof path, "%s/tests/data/fixtures/%s", BT_SOURCE_DIR, name);
    struct vocab *v;
    if (vocab_load(&v, path, err) != BT_OK)
        fail_msg("%s", err);
    return v;
}

static struct vocab *toy_vocab(const char *const *toks, size_t n)
{
    char buf[4096];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\n", toks[i]);
    struct vocab *v;
    char err[BT_ERR_LEN];
    if (vocab_load_bytes(&v, buf, len, "toy", err) != BT_OK)
        fail_msg("%s", err);
    return v;
}

/* Tokens of text joined by single spaces (static buffer). */
static const char *tok_str(const struct vocab *v, int lowercase, const char *text, size_t len)
{
    static char out[8192];
    struct tokenizer tk = {v, lowercase, NULL};
    struct tok_buf b;
    tok_buf_init(&b);
    tokenizer_encode(&tk, text, len, &b);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b.n; i++) {
        size_t n;
        const char *t = vocab_token(v, b.ids[i], &n);
        assert_non_null(t);
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", i ? " " : "", (int)n, t);
    }
    tok_buf_free(&b);
    return out;
}

/* ---- Hugging Face golden ids ------------------------------------------- */

struct golden_vocabs {
    struct tokenizer uncased, cased;
};

static const struct tokenizer *pick(void *ctx, const char *vocab)
{
    struct golden_vocabs *g = ctx;
    return strcmp(vocab, "cased") == 0 ? &g->cased : &g->uncased;
}

static void test_hf_golden(void **state)
{
    (void)state;
    struct vocab *vu = load_fixture_vocab("bert-base-uncased-vocab.txt");
    struct vocab *vc = load_fixture_vocab("bert-base-cased-vocab.txt");
    struct golden_vocabs g = {{vu, 1, NULL}, {vc, 0, NULL}};
    int cased_rows;
    int rows = df_check_golden("hf_tokenizer_golden.jsonl", pick, &g, "cased", &cased_rows);
    assert_true(rows >= 37 && cased_rows >= 4);
    vocab_free(vu);
    vocab_free(vc);
}

/* ---- Hugging Face's BertTokenizer unit tests (toy vocabularies) ---------- */

static void test_hf_toy_vocab(void **state)
{
    (void)state;
    static const char *const toks[] = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "want",
                                       "##want", "##ed", "wa", "un", "runn", "##ing", ",",
                                       "low", "lowest"};
    struct vocab *v = toy_vocab(toks, sizeof toks / sizeof *toks);
    const char *s = "UNwant\xc3\xa9" "d,running";
    struct tokenizer tk = {v, 1, NULL};
    struct tok_buf b;
    tok_buf_init(&b);
    tokenizer_encode(&tk, s, strlen(s), &b);
    static const int32_t want[] = {9, 6, 7, 12, 10, 11};
    assert_int_equal(b.n, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(b.ids[i], want[i]);
    tok_buf_free(&b);
    /* test_wordpiece_tokenizer: "unwantedX" has no piece for X -> one [UNK] */
    assert_string_equal(tok_str(v, 1, "unwanted running", 16), "un ##want ##ed runn ##ing");
    assert_string_equal(tok_str(v, 1, "unwantedX running", 17), "[UNK] runn ##ing");
    assert_string_equal(tok_str(v, 1, "", 0), "");
    /* test_clean_text: soft hyphen alone gives nothing */
    assert_string_equal(tok_str(v, 1, "Test", 4), "[UNK]");
    assert_string_equal(tok_str(v, 1, "\xc2\xad", 2), "");
    vocab_free(v);

    static const char *const basic[] = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "hello",
                                        "!", "how", "are", "you", "?", "HeLLo", "Are", "yoU",
                                        "a", "'", "ll", "to", "d", "of", ",", "can", "t", ".",
                                        "ah", "zz", "\xe5\x8d\x9a", "\xe6\x8e\xa8", "hallo"};
    v = toy_vocab(basic, sizeof basic / sizeof *basic);
    const char *t1 = " \tHeLLo!how  \n Are yoU?  ";
    assert_string_equal(tok_str(v, 1, t1, strlen(t1)), "hello ! how are you ?");
    assert_string_equal(tok_str(v, 0, t1, strlen(t1)), "HeLLo ! how Are yoU ?");
    assert_string_equal(tok_str(v, 1, "H\xc3\xa9llo", 6), "hello");
    const char *t2 = " \tH\xc3\xa4LLo!how  \n Are yoU?  ";
    assert_string_equal(tok_str(v, 1, t2, strlen(t2)), "hallo ! how are you ?");
    const char *t3 = "a\n'll !!to?'d of, can't.";
    assert_string_equal(tok_str(v, 1, t3, strlen(t3)), "a ' ll ! ! to ? ' d of , can ' t .");
    const char *t4 = "ah\xe5\x8d\x9a\xe6\x8e\xa8zz"; /* test_chinese */
    assert_string_equal(tok_str(v, 1, t4, strlen(t4)), "ah \xe5\x8d\x9a \xe6\x8e\xa8 zz");
    const char *t5 = "\xe2\x80\x8e\xe2\x80\x8f"; /* LRM, RLM: format characters */
    assert_string_equal(tok_str(v, 1, t5, strlen(t5)), "");
    const char *t6 = " \tHeLLo!how  \n Are yoU? [UNK]"; /* never_split */
    assert_string_equal(tok_str(v, 0, t6, strlen(t6)), "HeLLo ! how Are yoU ? [UNK]");
    vocab_free(v);
}

/* ---- hard cases on the real vocabularies -------------------------------- */

struct tcase {
    const char *in;
    size_t len; /* 0: strlen */
    const char *want;
};

static void run_cases(const struct vocab *v, int lowercase, const struct tcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = c[i].len ? c[i].len : strlen(c[i].in);
        const char *got = tok_str(v, lowercase, c[i].in, len);
        if (strcmp(got, c[i].want) != 0)
            fail_msg("case %zu (%s): got '%s', want '%s'", i, lowercase ? "uncased" : "cased",
                     got, c[i].want);
    }
}

static void test_hard_cases_uncased(void **state)
{
    (void)state;
    struct vocab *v = load_fixture_vocab("bert-base-uncased-vocab.txt");
    static const struct tcase cases[] = {
        {"[CLS]hello[SEP]", 0, "[CLS] hello [SEP]"},          /* literal specials stay whole */
        {"x[UNK]y [PAD][MASK]", 0, "x [UNK] y [PAD] [MASK]"},  /* ... also inside words */
        {"[cls]", 0, "[ cl ##s ]"},                            /* case-sensitive */
        {"[CL\0S]", 6, "[ cl ##s ]"},                          /* lowercased before cleaning */
        {"a\x01" "b\x7f" "c", 0, "abc"},                       /* control characters dropped */
        {"\xc2\xadtest hel\xe2\x80\x8blo a\x0b" "b", 0, "test hello ab"}, /* Cf, VT dropped */
        {"\xef\xbf\xbd\0", 4, ""},                             /* U+FFFD and NUL */
        {"\xc3\x85ngstr\xc3\xb6m caf\xc3\xa9 na\xc3\xafve", 0, "ang ##strom cafe naive"},
        {"\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe7\xac\xa6", 0,
         "\xe4\xb8\xad \xe6\x96\x87 [UNK] [UNK]"},             /* CJK split per ideograph */
        {"I \xe2\x9d\xa4 NY \xf0\x9f\x98\x80", 0, "i [UNK] ny [UNK]"}, /* emoji */
        {"\xc4\xb0stanbul", 0, "istanbul"},                    /* U+0130 -> i + U+0307 */
        {"one\xe2\x80\xa8two\xe2\x80\xa9three", 0, "one two three"}, /* U+2028/2029 split */
        {"don't-stop!!", 0, "don ' t - stop ! !"},
        {"e\xcc\x81 \xcc\x81", 0, "e"},                        /* lone mark vanishes */
        {"\xcd\xbe x\xce\x87y", 0, "; x \xc2\xb7 y"},          /* NFD singletons */
        {"\xce\xa3\xce\x91\xce\xa3", 0, "\xcf\x83 ##\xce\xb1 ##\xcf\x83"}, /* per-char lower */
    };
    run_cases(v, 1, cases, sizeof cases / sizeof *cases);
    /* > 100 code points -> one [UNK]; exactly 100 is still split into pieces */
    char w[202];
    memset(w, 'a', 101);
    assert_string_equal(tok_str(v, 1, w, 101), "[UNK]");
    const char *p100 = tok_str(v, 1, w, 100);
    assert_true(strncmp(p100, "aa", 2) == 0 && strstr(p100, "##") != NULL);
    for (int i = 0; i < 101; i++) { /* 101 two-byte characters */
        w[2 * i] = (char)0xc3;
        w[2 * i + 1] = (char)0xa9;
    }
    assert_string_equal(tok_str(v, 1, w, 202), "[UNK]");
    vocab_free(v);
}

static void test_hard_cases_cased(void **state)
{
    (void)state;
    struct vocab *v = load_fixture_vocab("bert-base-cased-vocab.txt");
    static const struct tcase cases[] = {
        {"[CL\0S]", 6, "[CLS]"}, /* cleaned word equal to a special stays whole */
        {"[cls] [Cls]", 0, "[ c ##ls ] [ C ##ls ]"},
        {"Caf\xc3\xa9 Cafe\xcc\x81", 0, "Caf\xc3\xa9 Caf\xc3\xa9"}, /* NFC */
        {"\xc4\xb0stanbul", 0, "\xc4\xb0 ##stan ##bul"},
        {"\xc3\x85ngstr\xc3\xb6m na\xc3\xafve", 0,
         "\xc3\x85 ##ng ##st ##r\xc3\xb6m na ##\xc3\xaf ##ve"},
        {"\xce\xa3\xce\x91\xce\xa3", 0, "\xce\xa3 ##\xce\x91 ##\xce\xa3"},
    };
    run_cases(v, 0, cases, sizeof cases / sizeof *cases);
    vocab_free(v);
}

/* ---- Gutenberg lines: hand-checked tokens and a greedy-match invariant ---- */

static void test_gutenberg_lines(void **state)
{
    (void)state;
    struct vocab *v = load_fixture_vocab("bert-base-uncased-vocab.txt");
    const char *l1 = "HEART OF DARKNESS";
    assert_string_equal(tok_str(v, 1, l1, strlen(l1)), "heart of darkness");
    const char *l2 = "The Nellie, a cruising yawl, swung to her anchor";
    assert_string_equal(tok_str(v, 1, l2, strlen(l2)),
                        "the nellie , a cruising ya ##wl , swung to her anchor");
    const char *l3 = "\xe2\x80\x9c" "A slight clinking behind me made me turn my head.";
    assert_string_equal(tok_str(v, 1, l3, strlen(l3)),
                        "\xe2\x80\x9c a slight cl ##inking behind me made me turn my head .");
    /* the splits above are the greedy choice: no longer prefix is a token */
    assert_true(vocab_lookup(v, "yawl", 4, 0) < 0 && vocab_lookup(v, "yaw", 3, 0) < 0);
    assert_true(vocab_lookup(v, "ya", 2, 0) >= 0 && vocab_lookup(v, "wl", 2, 1) >= 0);
    assert_true(vocab_lookup(v, "clinking", 8, 0) < 0 && vocab_lookup(v, "clink", 5, 0) < 0);
    assert_true(vocab_lookup(v, "inking", 6, 1) >= 0);
    vocab_free(v);
}

/* ---- UTF-8 decoding and vocabulary errors -------------------------------- */

static void test_utf8_decode(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        int32_t cp;
        size_t adv;
    } t[] = {
        {"A", 1, 'A', 1},
        {"\xc3\xa9", 2, 0xe9, 2},
        {"\xe2\x82\xac", 3, 0x20ac, 3},
        {"\xf0\x9f\x98\x80", 4, 0x1f600, 4},
        {"\xc0\xaf", 2, -1, 1},         /* overlong */
        {"\xe0\x80\xaf", 3, -1, 1},     /* overlong */
        {"\xed\xa0\x80", 3, -1, 1},     /* surrogate */
        {"\xf4\x90\x80\x80", 4, -1, 1}, /* > U+10FFFF */
        {"\x80", 1, -1, 1},             /* lone continuation */
        {"\xe2\x82", 2, -1, 1},         /* truncated */
        {"\xff", 1, -1, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        size_t adv;
        int32_t cp = uni_decode((const unsigned char *)t[i].s, t[i].n, &adv);
        assert_int_equal(cp, t[i].cp);
        assert_int_equal(adv, t[i].adv);
    }
    /* ill-formed bytes are skipped by the tokenizer */
    struct vocab *v = load_fixture_vocab("bert-base-uncased-vocab.txt");
    assert_string_equal(tok_str(v, 1, "he\xffl\xc0lo", 7), "hello");
    vocab_free(v);
}

static void test_vocab_errors(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    struct vocab *v;
    assert_int_equal(vocab_load(&v, "/nonexistent/vocab.txt", err), BT_EIO);
    assert_non_null(strstr(err, "/nonexistent/vocab.txt"));
    assert_int_equal(vocab_load_bytes(&v, "", 0, "empty.txt", err), BT_EFORMAT);
    assert_non_null(strstr(err, "empty.txt"));
    assert_non_null(strstr(err, "empty"));
    const char *nomask = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n";
    assert_int_equal(vocab_load_bytes(&v, nomask, strlen(nomask), "v.txt", err), BT_EFORMAT);
    assert_non_null(strstr(err, "[MASK]"));
    const char *crlf = "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\n";
    assert_int_equal(vocab_load_bytes(&v, crlf, strlen(crlf), "v.txt", err), BT_EFORMAT);
    assert_non_null(strstr(err, "CRLF"));
    /* duplicates map to the last line; no trailing newline is fine */
    const char *dup = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nx\nx\n##y";
    assert_int_equal(vocab_load_bytes(&v, dup, strlen(dup), "v.txt", err), BT_OK);
    assert_int_equal(vocab_size(v), 8);
    assert_int_equal(vocab_lookup(v, "x", 1, 0), 6);
    assert_int_equal(vocab_lookup(v, "y", 1, 1), 7);
    assert_int_equal(vocab_lookup(v, "y", 1, 0), -1);
    assert_true(vocab_is_reserved(v, 4) && !vocab_is_reserved(v, 5));
    assert_true(vocab_checksum(v) == vocab_fnv1a64(dup, strlen(dup)));
    vocab_free(v);
    /* the real vocabulary: specials at their documented ids */
    v = load_fixture_vocab("bert-base-uncased-vocab.txt");
    assert_int_equal(vocab_size(v), 30522);
    assert_int_equal(vocab_special_id(v, VOCAB_PAD), 0);
    assert_int_equal(vocab_special_id(v, VOCAB_UNK), 100);
    assert_int_equal(vocab_special_id(v, VOCAB_CLS), 101);
    assert_int_equal(vocab_special_id(v, VOCAB_SEP), 102);
    assert_int_equal(vocab_special_id(v, VOCAB_MASK), 103);
    vocab_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hf_golden),
        cmocka_unit_test(test_hf_toy_vocab),
        cmocka_unit_test(test_hard_cases_uncased),
        cmocka_unit_test(test_hard_cases_cased),
        cmocka_unit_test(test_gutenberg_lines),
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_vocab_errors),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, NULL, NULL);
}
