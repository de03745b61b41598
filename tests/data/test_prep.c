/* test_prep.c - bert-prep's corpus -> shards path: text cleaning (BOM, CRLF,
 * ill-formed UTF-8), document/sentence structure read back equal to direct
 * tokenization, byte-identical output for any thread count, long-line
 * splitting, the bad-input errors (and that no output directory is left), and
 * shard-reader errors: truncated, corrupt, unknown version, incomplete sets. */
#include "testutil.h"

#include "corpus.h"
#include "data_fixture.h"
#include "fileio.h"
#include "mem.h"
#include "prep.h"
#include "sentence_split.h"
#include "shard_dir.h"
#include "shard_reader.h"
#include "text_reader.h"
#include "tokenizer.h"
#include "vocab.h"

#include <dirent.h>
#include <hdf5.h>
#include <stdlib.h>

static void write_file(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

static int run_prep(const char *const *inputs, int n, const char *vocab, const char *out,
                    int shards, int max_seq_len, int threads, char *err)
{
    struct prep_opts o = {0};
    o.vocab_path = vocab;
    o.inputs = inputs;
    o.n_inputs = n;
    o.output = out;
    o.shards = shards;
    o.max_seq_len = max_seq_len;
    o.lowercase = 1;
    o.threads = threads;
    o.quiet = 1;
    o.block_bytes = 4096; /* many blocks even for small inputs */
    struct prep_stats st;
    return prep_run(&o, &st, err);
}

static void load_dir(const char *dir, struct corpus *c)
{
    char **paths, err[BT_ERR_LEN];
    int n;
    if (shard_dir_list(dir, &paths, &n, err) != BT_OK || corpus_load(c, paths, n, err) != BT_OK)
        fail_msg("%s", err);
    shard_dir_free(paths, n);
}

/* Number of entries in dir whose name starts with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void test_text_clean(void **state)
{
    (void)state;
    char out[64];
    int64_t bad = 0;
    const char *in = "a\r\nb\rc\xff\xc3\xa9\xe2\x82\n\xed\xa0\x80z";
    size_t n = text_clean(out, in, strlen(in), &bad);
    assert_int_equal(n, 9);
    assert_memory_equal(out, "a\nb\rc\xc3\xa9\nz", 9);
    assert_int_equal(bad, 1 + 2 + 3); /* FF, truncated E2 82, surrogate ED A0 80 */
}

/* The corpus read back from shards equals tokenizing the input lines. */
static void test_roundtrip_structure(void **state)
{
    (void)state;
    char dir[4096], in[4200], out[4200], vocab[4096], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "prep_rt");
    df_fixture(vocab, sizeof vocab, "bert-base-uncased-vocab.txt");
    snprintf(in, sizeof in, "%s/in.txt", dir);
    /* BOM, CRLF, blank lines with spaces, a control-only line, ill-formed bytes */
    const char text[] = "\xef\xbb\xbf" "First doc one.\r\nFirst doc two\xff.\r\n \t\r\n"
                        "\x01\x02\nSecond doc.\n\n\n\nThird doc here.\n";
    write_file(in, text, sizeof text - 1);
    snprintf(out, sizeof out, "%s/shards", dir);
    const char *inputs[1] = {in};
    assert_int_equal(run_prep(inputs, 1, vocab, out, 2, 64, 2, err), BT_OK);
    struct corpus c;
    load_dir(out, &c);
    assert_int_equal(c.n_docs, 3);
    assert_int_equal(c.n_sent, 4);
    assert_int_equal(c.meta.invalid_utf8_bytes, 1);
    assert_int_equal(c.meta.n_shards, 2);
    struct vocab *v;
    assert_int_equal(vocab_load(&v, vocab, err), BT_OK);
    struct tokenizer tk = {v, 1, NULL};
    const char *lines[] = {"First doc one.", "First doc two.", "Second doc.", "Third doc here."};
    const int64_t doc_of[] = {0, 0, 1, 2};
    for (int s = 0; s < 4; s++) {
        struct tok_buf b;
        tok_buf_init(&b);
        tokenizer_encode(&tk, lines[s], strlen(lines[s]), &b);
        int64_t lo = c.sent_off[s], hi = c.sent_off[s + 1];
        assert_int_equal(hi - lo, (int64_t)b.n);
        assert_memory_equal(c.tokens + lo, b.ids, b.n * sizeof(int32_t));
        assert_int_equal(corpus_doc_of_sentence(&c, s), doc_of[s]);
        tok_buf_free(&b);
    }
    vocab_free(v);
    corpus_free(&c);
}

static int files_equal(const char *a, const char *b)
{
    char *x, *y, err[BT_ERR_LEN];
    size_t nx, ny;
    if (file_read_all(a, &x, &nx, err) != BT_OK || file_read_all(b, &y, &ny, err) != BT_OK)
        fail_msg("%s", err);
    int same = nx == ny && memcmp(x, y, nx) == 0;
    xfree(x);
    xfree(y);
    return same;
}

static void test_deterministic_and_split(void **state)
{
    (void)state;
    char dir[4096], in[4200], a[4200], b[4200], vocab[4096], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "prep_det");
    df_fixture(vocab, sizeof vocab, "bert-base-uncased-vocab.txt");
    snprintf(in, sizeof in, "%s/in.txt", dir);
    df_write_corpus(in, 40, 12, 2, 60, 7); /* some sentences longer than 30 tokens */
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    const char *inputs[1] = {in};
    assert_int_equal(run_prep(inputs, 1, vocab, a, 3, 32, 1, err), BT_OK);
    assert_int_equal(run_prep(inputs, 1, vocab, b, 3, 32, 3, err), BT_OK);
    for (int k = 0; k < 3; k++) {
        char pa[4300], pb[4300];
        snprintf(pa, sizeof pa, "%s/shard_%05d.h5", a, k);
        snprintf(pb, sizeof pb, "%s/shard_%05d.h5", b, k);
        assert_true(files_equal(pa, pb)); /* byte-identical, thread count irrelevant */
    }
    struct corpus c;
    load_dir(a, &c);
    assert_int_equal(c.n_docs, 40);
    int64_t longest = 0;
    for (int64_t s = 0; s < c.n_sent; s++)
        if (c.sent_off[s + 1] - c.sent_off[s] > longest)
            longest = c.sent_off[s + 1] - c.sent_off[s];
    assert_int_equal(longest, 30); /* lines over max_seq_len - 2 = 30 were split */
    corpus_free(&c);
    /* the output exists now: a second run refuses to overwrite it */
    assert_int_equal(run_prep(inputs, 1, vocab, a, 3, 32, 1, err), BT_EUSAGE);
    assert_non_null(strstr(err, "already exists"));
}

/* Bad inputs: the right status, a sentence naming the file, no output left. */
static void test_bad_inputs(void **state)
{
    (void)state;
    char dir[4096], in[4200], empty[4200], out[4200], vocab[4096], badv[4200],
        err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "prep_bad");
    df_fixture(vocab, sizeof vocab, "bert-base-uncased-vocab.txt");
    snprintf(in, sizeof in, "%s/in.txt", dir);
    df_write_corpus(in, 3, 3, 2, 5, 1);
    snprintf(empty, sizeof empty, "%s/empty.txt", dir);
    write_file(empty, " \n\n\t\n", 5);
    snprintf(badv, sizeof badv, "%s/nomask.txt", dir);
    write_file(badv, "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n", 27);
    snprintf(out, sizeof out, "%s/out", dir);
    const char *ok[1] = {in}, *emp[2] = {in, empty};
    const char *missing[1] = {"/nonexistent/input.txt"};
    struct {
        const char *const *inputs;
        int n;
        const char *vocab;
        int shards;
        int status;
        const char *needle;
    } cases[] = {
        {ok, 1, "/nonexistent/vocab.txt", 1, BT_EIO, "/nonexistent/vocab.txt"},
        {ok, 1, badv, 1, BT_EFORMAT, "[MASK]"},
        {missing, 1, vocab, 1, BT_EIO, "/nonexistent/input.txt"},
        {emp, 2, vocab, 1, BT_EUSAGE, "empty.txt"},
        {ok, 1, vocab, 4, BT_EUSAGE, "--shards 4"},
        {ok, 1, vocab, 0, BT_EUSAGE, "--shards 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        err[0] = '\0';
        int rc = run_prep(cases[i].inputs, cases[i].n, cases[i].vocab, out, cases[i].shards, 64,
                          2, err);
        if (rc != cases[i].status || !strstr(err, cases[i].needle))
            fail_msg("case %zu: status %d, message '%s'", i, rc, err);
        assert_false(file_exists(out));
        assert_int_equal(count_entries(dir, "out"), 0); /* no temporary directory either */
    }
}

/* ---- shard reader errors ---------------------------------------------------- */

static void make_shards(char *dir, size_t n, const char *name, int shards)
{
    char in[4300], out[4300];
    tu_tmpdir(dir, n, name);
    snprintf(in, sizeof in, "%s/in.txt", dir);
    df_write_corpus(in, 10, 5, 3, 12, 3);
    snprintf(out, sizeof out, "%s/shards", dir);
    df_prep(in, out, shards, 64, 1);
}

static void expect_load_error(const char *dir, int status, const char *needle)
{
    char **paths, err[BT_ERR_LEN];
    int n;
    int rc = shard_dir_list(dir, &paths, &n, err);
    if (rc == BT_OK) {
        struct corpus c;
        rc = corpus_load(&c, paths, n, err);
        if (rc == BT_OK)
            corpus_free(&c);
        shard_dir_free(paths, n);
    }
    if (rc != status || !strstr(err, needle))
        fail_msg("expected status %d with '%s', got %d: %s", status, needle, rc, err);
}

static void test_reader_errors(void **state)
{
    (void)state;
    char dir[4096], sh[4300], f0[4400], f1[4400], err[BT_ERR_LEN];
    make_shards(dir, sizeof dir, "prep_rd", 2);
    snprintf(sh, sizeof sh, "%s/shards", dir);
    snprintf(f0, sizeof f0, "%s/shard_00000.h5", sh);
    snprintf(f1, sizeof f1, "%s/shard_00001.h5", sh);
    struct corpus c;
    load_dir(sh, &c);
    corpus_free(&c);
    char *bytes;
    size_t n;
    assert_int_equal(file_read_all(f1, &bytes, &n, err), BT_OK);
    /* a missing shard */
    char moved[4400];
    snprintf(moved, sizeof moved, "%s/moved.h5", dir);
    assert_int_equal(rename(f1, moved), 0);
    expect_load_error(sh, BT_EFORMAT, "holds 1 shard files");
    /* truncated */
    write_file(f1, bytes, n / 2);
    expect_load_error(sh, BT_EFORMAT, "shard_00001.h5");
    /* corrupt payload: flip bytes in the middle (compressed token chunk) */
    char *bad = xmalloc(n);
    memcpy(bad, bytes, n);
    for (size_t i = n / 2; i < n / 2 + 64; i++)
        bad[i] ^= 0x5a;
    write_file(f1, bad, n);
    expect_load_error(sh, BT_EFORMAT, "shard_00001.h5");
    xfree(bad);
    /* not HDF5 at all */
    write_file(f1, "hello", 5);
    expect_load_error(sh, BT_EFORMAT, "not an HDF5 file");
    /* unknown format version */
    write_file(f1, bytes, n);
    hid_t f = H5Fopen(f1, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int v = 2;
    assert_true(H5Awrite(a, H5T_NATIVE_INT, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    expect_load_error(sh, BT_EFORMAT, "format version 2");
    /* no shards at all */
    remove(f0);
    remove(f1);
    expect_load_error(sh, BT_EUSAGE, "no shards found");
    xfree(bytes);
    remove(moved);
}

/* --split-sentences: where a paragraph is cut */
static void test_sentence_split(void **state)
{
    (void)state;
    char vpath[4096], err[BT_ERR_LEN];
    df_fixture(vpath, sizeof vpath, "bert-base-uncased-vocab.txt");
    struct vocab *v;
    assert_int_equal(vocab_load(&v, vpath, err), BT_OK);
    struct tokenizer tk = {v, 1, NULL};
    struct sentence_splitter ss;
    sentence_splitter_init(&ss, v);
    const char *text = "He said so. \xe2\x80\x9cShe left!\xe2\x80\x9d Did they?? Mr. Smith paid "
                       "3.50 dollars. U.S. troops came... Then J. R. Hartley wrote. End";
    const char *want[] = {"he said so .", "\xe2\x80\x9c she left ! \xe2\x80\x9d", "did they ? ?",
                          "mr . smith paid 3 . 50 dollars .", "u . s . troops came . . .",
                          "then j . r . hartley wrote .", "end"};
    struct tok_buf b;
    tok_buf_init(&b);
    tokenizer_encode(&tk, text, strlen(text), &b);
    const int32_t *ids = b.ids;
    size_t n = b.n;
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        assert_true(n > 0);
        size_t m = sentence_split_next(&ss, ids, n);
        char got[256];
        size_t o = 0;
        for (size_t i = 0; i < m; i++) {
            size_t len;
            const char *t = vocab_token(v, ids[i], &len);
            o += (size_t)snprintf(got + o, sizeof got - o, "%s%.*s", i ? " " : "", (int)len, t);
        }
        assert_string_equal(got, want[k]);
        ids += m;
        n -= m;
    }
    assert_int_equal(n, 0);
    tok_buf_free(&b);
    sentence_splitter_free(&ss);
    vocab_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_clean),
        cmocka_unit_test(test_roundtrip_structure),
        cmocka_unit_test(test_deterministic_and_split),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_sentence_split),
    };
    return cmocka_run_group_tests_name("prep", tests, NULL, NULL);
}
