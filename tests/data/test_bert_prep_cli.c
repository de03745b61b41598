/* test_bert_prep_cli.c - the bert-prep program as users and scripts see it:
 * exit codes (0 ok, 1 runtime, 2 usage/config), one error line on stderr that
 * names the file or option, no output directory after a failure, `tokenize`
 * output, `inspect` JSON (summary and masking statistics). */
#include "testutil.h"

#include "data_fixture.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>

/* snprintf that fails the test instead of truncating. */
static void fmt(char *buf, size_t n, const char *f, ...) BT_PRINTF(3, 4);
static void fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int k = vsnprintf(buf, n, f, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n)
        fail_msg("formatted string too long");
}

static char tmp[4096], prog[4200], vocab[4096], errfile[4300], outfile[4300];

static int setup(void **state)
{
    (void)state;
    tu_tmpdir(tmp, sizeof tmp, "cli");
    fmt(prog, sizeof prog, "%s/bin/bert-prep", BT_BINARY_DIR);
    df_fixture(vocab, sizeof vocab, "bert-base-uncased-vocab.txt");
    fmt(errfile, sizeof errfile, "%s/stderr.txt", tmp);
    fmt(outfile, sizeof outfile, "%s/stdout.txt", tmp);
    return 0;
}

/* Runs "bert-prep ARGS" (stdin from in_file or /dev/null); returns the exit code. */
static int run(const char *args, const char *in_file)
{
    char cmd[16384];
    fmt(cmd, sizeof cmd, "%s %s < %s > %s 2> %s", prog, args, in_file ? in_file : "/dev/null",
             outfile, errfile);
    int st = system(cmd);
    assert_true(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void slurp(const char *path, char **s)
{
    char err[BT_ERR_LEN];
    size_t n;
    if (file_read_all(path, s, &n, err) != BT_OK)
        fail_msg("%s", err);
}

/* stderr is exactly one line and contains needle. */
static void expect_error_line(const char *needle)
{
    char *e;
    slurp(errfile, &e);
    size_t len = strlen(e);
    int one_line = len > 0 && e[len - 1] == '\n' && memchr(e, '\n', len - 1) == NULL;
    int found = strstr(e, needle) != NULL;
    if (!one_line || !found)
        fail_msg("stderr should be one line containing '%s', got: %s", needle, e);
    xfree(e);
}

static void test_prep_exit_codes(void **state)
{
    (void)state;
    char in[4300], empty[4300], nomask[4300], out[4300], args[12000];
    fmt(in, sizeof in, "%s/in.txt", tmp);
    df_write_corpus(in, 4, 6, 3, 10, 5);
    fmt(empty, sizeof empty, "%s/empty.txt", tmp);
    FILE *f = fopen(empty, "w");
    fclose(f);
    fmt(nomask, sizeof nomask, "%s/nomask.txt", tmp);
    f = fopen(nomask, "w");
    fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n", f);
    fclose(f);
    fmt(out, sizeof out, "%s/out", tmp);
    struct {
        const char *fmt;
        int code;
        const char *needle;
    } cases[] = {
        {"--vocab %s --input %s --output %s --shards 0", 2, "--shards"},
        {"--vocab %s --input %s --output %s --max-seq-len 4", 2, "--max-seq-len"},
        {"--vocab %s --input %s --output %s --bogus", 2, "--bogus"},
        {"--vocab %s/none.txt --input %s --output %s", 1, "none.txt"},
        {"--vocab %s --input %s/none.txt --output %s", 1, "none.txt"},
        {"--vocab %s --input %s --output %s --shards 9", 2, "--shards 9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fmt(args, sizeof args, cases[i].fmt, i == 3 ? tmp : vocab, i == 4 ? tmp : in, out);
        int code = run(args, NULL);
        if (code != cases[i].code)
            fail_msg("case %zu: exit %d, want %d", i, code, cases[i].code);
        expect_error_line(cases[i].needle);
        assert_false(file_exists(out));
    }
    fmt(args, sizeof args, "--vocab %s --input %s --output %s", nomask, in, out);
    assert_int_equal(run(args, NULL), 1);
    expect_error_line("[MASK]");
    fmt(args, sizeof args, "--vocab %s --input %s %s --output %s", vocab, in, empty, out);
    assert_int_equal(run(args, NULL), 2);
    expect_error_line("empty.txt");
    assert_false(file_exists(out));
    assert_int_equal(run("", NULL), 2);
    /* success: shards and a one-line summary; then the output exists -> 2 */
    fmt(args, sizeof args, "--vocab %s --input %s --output %s --shards 2", vocab, in, out);
    assert_int_equal(run(args, NULL), 0);
    expect_error_line("4 documents");
    assert_true(file_is_dir(out));
    assert_int_equal(run(args, NULL), 2);
    expect_error_line("already exists");
}

static void test_tokenize(void **state)
{
    (void)state;
    char in[4300], args[8300];
    fmt(in, sizeof in, "%s/lines.txt", tmp);
    FILE *f = fopen(in, "w");
    fputs("Hello, my dog is cute\n\nA Titan RTX has 24GB of VRAM\n", f);
    fclose(f);
    fmt(args, sizeof args, "tokenize --vocab %s", vocab);
    assert_int_equal(run(args, in), 0);
    char *o;
    slurp(outfile, &o);
    assert_string_equal(o, "7592 1010 2026 3899 2003 10140\n\n"
                           "1037 16537 19387 2595 2038 2484 18259 1997 27830 3286\n");
    xfree(o);
    assert_int_equal(run("tokenize", in), 2); /* --vocab is required */
}

/* byte-level BPE through the program: RoBERTa ids, shards with RoBERTa's
 * specials, whole-word masking statistics, and exit 2 with one line naming the
 * file (and line) for bad vocab.json / merges.txt. */
static void test_bpe_cli(void **state)
{
    (void)state;
    char rv[4096], gv[4096], mg[4096], in[4300], lines[4300], bad[4300], badm[4300],
        out[4300], args[16000], err[BT_ERR_LEN];
    df_fixture(rv, sizeof rv, "roberta-base-vocab.json");
    df_fixture(gv, sizeof gv, "gpt2-vocab.json");
    df_fixture(mg, sizeof mg, "gpt2-merges.txt");
    fmt(lines, sizeof lines, "%s/bpe-lines.txt", tmp);
    FILE *f = fopen(lines, "w");
    fputs("Hello world!\nA, <mask> AllenNLP sentence.\n", f);
    fclose(f);
    fmt(args, sizeof args, "tokenize --vocab %s --merges %s", rv, mg);
    assert_int_equal(run(args, lines), 0);
    char *o;
    slurp(outfile, &o);
    assert_string_equal(o, "31414 232 328\n250 6 50264 3823 487 21992 3645 4\n");
    xfree(o);
    fmt(args, sizeof args, "tokenize --vocab %s --merges %s --tokenizer bpe", gv, mg);
    assert_int_equal(run(args, lines), 0); /* GPT-2 ids: <mask> is text there */
    slurp(outfile, &o);
    assert_true(strncmp(o, "15496 995 0\n", 12) == 0);
    xfree(o);
    /* shards: RoBERTa's specials; GPT-2's vocabulary has none -> exit 2 */
    fmt(in, sizeof in, "%s/bpe-in.txt", tmp);
    df_write_corpus(in, 6, 8, 3, 12, 21);
    fmt(out, sizeof out, "%s/bpe-shards", tmp);
    fmt(args, sizeof args, "--vocab %s --merges %s --input %s --output %s --quiet", gv, mg, in,
        out);
    assert_int_equal(run(args, NULL), 2);
    expect_error_line("<pad>");
    assert_false(file_exists(out));
    fmt(args, sizeof args, "--vocab %s --merges %s --input %s --output %s --quiet", rv, mg, in,
        out);
    assert_int_equal(run(args, NULL), 0);
    fmt(args, sizeof args, "inspect %s --masking --samples 300 --objective full-sentences "
        "--mask-mode whole-word", out);
    assert_int_equal(run(args, NULL), 0);
    char *text;
    slurp(outfile, &text);
    json_t *j = jsonu_loads(text, strlen(text), "inspect output", err);
    if (!j)
        fail_msg("%s", err);
    assert_int_equal(json_integer_value(json_object_get(j, "vocab_size")), 50265);
    json_t *sp = json_object_get(j, "special_ids");
    assert_int_equal(json_integer_value(json_object_get(sp, "cls")), 0);
    assert_int_equal(json_integer_value(json_object_get(sp, "pad")), 1);
    assert_int_equal(json_integer_value(json_object_get(sp, "mask")), 50264);
    json_t *m = json_object_get(j, "masking");
    assert_string_equal(json_string_value(json_object_get(m, "mask_mode")), "whole-word");
    assert_int_equal(json_integer_value(json_object_get(m, "specials_masked")), 0);
    json_decref(j);
    xfree(text);
    /* bad files: exit 2, one line naming the file (and the line) */
    fmt(bad, sizeof bad, "%s/bad-vocab.json", tmp);
    f = fopen(bad, "w");
    fputs("{\"a\": 0,\n \"b\": 1,,}\n", f);
    fclose(f);
    fmt(args, sizeof args, "tokenize --vocab %s --merges %s", bad, mg);
    assert_int_equal(run(args, lines), 2);
    expect_error_line("bad-vocab.json");
    fmt(badm, sizeof badm, "%s/bad-merges.txt", tmp);
    f = fopen(badm, "w");
    fputs("#version: 0.2\n\xc4\xa0 t\nh e llo\n", f);
    fclose(f);
    fmt(args, sizeof args, "tokenize --vocab %s --merges %s", rv, badm);
    assert_int_equal(run(args, lines), 2);
    expect_error_line("bad-merges.txt:3");
    fmt(args, sizeof args, "tokenize --vocab %s", rv); /* no merges.txt beside it */
    assert_int_equal(run(args, lines), 2);
    expect_error_line("--merges");
    fmt(args, sizeof args, "tokenize --vocab %s --tokenizer bpe", vocab);
    assert_int_equal(run(args, lines), 2);
    expect_error_line("vocab.json");
    fmt(args, sizeof args, "tokenize --vocab %s --tokenizer unigram", vocab);
    assert_int_equal(run(args, lines), 2);
    expect_error_line("unigram");
    fmt(args, sizeof args, "inspect %s --masking --mask-mode span", out);
    assert_int_equal(run(args, NULL), 2);
    expect_error_line("--mask-mode");
}

static void test_inspect(void **state)
{
    (void)state;
    char in[4300], out[4300], args[12000], err[BT_ERR_LEN];
    fmt(in, sizeof in, "%s/in2.txt", tmp);
    df_write_corpus(in, 30, 12, 3, 15, 9);
    fmt(out, sizeof out, "%s/shards2", tmp);
    df_prep(in, out, 3, 128, 1);
    fmt(args, sizeof args,
             "inspect %s --masking --samples 500 --seed 3 --seq-len 64 --objective sop", out);
    assert_int_equal(run(args, NULL), 0);
    char *text;
    slurp(outfile, &text);
    json_t *j = jsonu_loads(text, strlen(text), "inspect output", err);
    if (!j)
        fail_msg("%s", err);
    assert_int_equal(json_integer_value(json_object_get(j, "n_shards")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "documents")), 30);
    json_t *m = json_object_get(j, "masking");
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "samples")), 500);
    assert_int_equal(json_integer_value(json_object_get(m, "specials_masked")), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "padding_masked")), 0);
    double fm = json_real_value(json_object_get(m, "frac_mask_token"));
    double sw = json_real_value(json_object_get(m, "swapped_fraction"));
    assert_true(fm > 0.75 && fm < 0.85);
    assert_true(sw > 0.4 && sw < 0.6);
    json_decref(j);
    xfree(text);
    /* a sequence length over what the shards were prepared for: config error */
    fmt(args, sizeof args, "inspect %s --masking --seq-len 256", out);
    assert_int_equal(run(args, NULL), 2);
    expect_error_line("max_seq_len 128");
    fmt(args, sizeof args, "inspect %s/nothing", tmp);
    assert_int_equal(run(args, NULL), 1);
    expect_error_line("nothing");
    fmt(args, sizeof args, "inspect %s --objective mlm", out);
    assert_int_equal(run(args, NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prep_exit_codes),
        cmocka_unit_test(test_tokenize),
        cmocka_unit_test(test_bpe_cli),
        cmocka_unit_test(test_inspect),
    };
    return cmocka_run_group_tests_name("bert_prep_cli", tests, setup, NULL);
}
