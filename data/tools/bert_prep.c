/* bert_prep.c - the bert-prep program (contract in shared/docs/DESIGN.md):
 *   bert-prep --vocab V --input FILE... --output DIR [--shards N] [--max-seq-len N]
 *             [--no-lowercase] [--split-sentences] [--threads N] [--quiet]
 *             [--tokenizer wordpiece|bpe] [--merges FILE]
 *   bert-prep tokenize --vocab V [--no-lowercase] [--tokenizer wordpiece|bpe] [--merges FILE]
 *   bert-prep inspect DIR [--masking --samples N --seed S --seq-len L --objective X
 *             [--max-pred P] [--mask-prob F] [--mask-mode M] [--static-masks]]
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error. The work
 * is done by data/ (tokenizer, prep, inspect); this file only parses options. */
#include "check.h"
#include "inspect.h"
#include "log.h"
#include "masking.h"
#include "mem.h"
#include "prep.h"
#include "tokenizer.h"
#include "vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "bert-prep";

/* With a message: one error line (exit 2). Without: the usage text (exit 2). */
static _Noreturn void usage(const char *msg)
{
    if (msg) {
        fprintf(stderr, "%s: %s (see '%s --help')\n", prog, msg, prog);
        exit(2);
    }
    fprintf(stderr,
            "usage: %s --vocab VOCAB --input FILE... --output DIR [--shards N] [--max-seq-len N]\n"
            "                 [--no-lowercase] [--split-sentences] [--threads N] [--quiet]\n"
            "                 [--tokenizer wordpiece|bpe] [--merges FILE]\n"
            "       %s tokenize --vocab VOCAB [--no-lowercase] [--tokenizer wordpiece|bpe]\n"
            "                 [--merges FILE]   (stdin lines -> id lines)\n"
            "  VOCAB: a WordPiece vocab.txt, or a byte-level BPE vocab.json (GPT-2, RoBERTa)\n"
            "  with its merges.txt (--merges; default: merges.txt beside VOCAB)\n"
            "       %s inspect DIR [--masking --samples N --seed S --seq-len L --objective X\n"
            "                 [--max-pred P] [--mask-prob F] [--mask-mode token|whole-word|ngram]\n"
            "                 [--static-masks]]\n",
            prog, prog, prog);
    exit(2);
}

static long parse_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s '%s' must be an integer in [%ld, %ld]", opt, s, lo, hi);
        usage(msg);
    }
    return v;
}

static double parse_double(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= lo && v <= hi)) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s '%s' must be a number in [%g, %g]", opt, s, lo, hi);
        usage(msg);
    }
    return v;
}

static const char *need_arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        char msg[128];
        snprintf(msg, sizeof msg, "option %s needs a value", argv[*i]);
        usage(msg);
    }
    return argv[++*i];
}

/* ---- tokenize ---------------------------------------------------------- */

static int cmd_tokenize(int argc, char **argv)
{
    const char *vocab_path = NULL, *kind = NULL, *merges = NULL;
    int lowercase = 1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--vocab"))
            vocab_path = need_arg(argc, argv, &i);
        else if (!strcmp(argv[i], "--tokenizer"))
            kind = need_arg(argc, argv, &i);
        else if (!strcmp(argv[i], "--merges"))
            merges = need_arg(argc, argv, &i);
        else if (!strcmp(argv[i], "--no-lowercase"))
            lowercase = 0;
        else {
            char msg[256];
            snprintf(msg, sizeof msg, "tokenize: unknown option '%s'", argv[i]);
            usage(msg);
        }
    }
    if (!vocab_path)
        usage("tokenize: --vocab is required");
    char err[BT_ERR_LEN];
    struct tok_model tm;
    int rc = tok_model_open(&tm, kind, vocab_path, merges, err);
    if (rc != BT_OK)
        bt_die(prog, rc, err);
    struct tokenizer tk = tok_model_tokenizer(&tm, lowercase);
    struct tok_buf tb;
    tok_buf_init(&tb);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    char *out = xmalloc(1 << 16);
    size_t on = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        tb.n = 0;
        tokenizer_encode(&tk, line, len, &tb);
        for (size_t k = 0; k < tb.n; k++) {
            if (on + 16 > (1 << 16)) {
                fwrite(out, 1, on, stdout);
                on = 0;
            }
            on += (size_t)sprintf(out + on, k ? " %d" : "%d", (int)tb.ids[k]);
        }
        if (on + 1 > (1 << 16)) {
            fwrite(out, 1, on, stdout);
            on = 0;
        }
        out[on++] = '\n';
    }
    fwrite(out, 1, on, stdout);
    int bad = ferror(stdin) || fflush(stdout) != 0 || ferror(stdout);
    free(line);
    xfree(out);
    tok_buf_free(&tb);
    tok_model_close(&tm);
    if (bad)
        bt_die(prog, BT_EIO, "tokenize: error reading stdin or writing stdout");
    return 0;
}

/* ---- inspect ------------------------------------------------------------ */

static int cmd_inspect(int argc, char **argv)
{
    struct inspect_opts o = {0};
    o.samples = 10000;
    o.seed = 12345;
    o.seq_len = 128;
    o.mask_prob = 0.15;
    o.objective = OBJ_NSP;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--masking"))
            o.masking = 1;
        else if (!strcmp(a, "--samples"))
            o.samples = parse_long(a, need_arg(argc, argv, &i), 1, 100000000);
        else if (!strcmp(a, "--seed"))
            o.seed = (uint64_t)parse_long(a, need_arg(argc, argv, &i), 0, 0x7fffffffffffffffL);
        else if (!strcmp(a, "--seq-len"))
            o.seq_len = (int)parse_long(a, need_arg(argc, argv, &i), 8, 65536);
        else if (!strcmp(a, "--max-pred"))
            o.max_pred = (int)parse_long(a, need_arg(argc, argv, &i), 1, 65536);
        else if (!strcmp(a, "--mask-prob"))
            o.mask_prob = parse_double(a, need_arg(argc, argv, &i), 1e-6, 1.0);
        else if (!strcmp(a, "--static-masks"))
            o.static_masks = 1;
        else if (!strcmp(a, "--mask-mode")) {
            const char *v = need_arg(argc, argv, &i);
            enum mask_mode mm;
            if (mask_mode_parse(v, &mm) != BT_OK) {
                char msg[256];
                snprintf(msg, sizeof msg, "--mask-mode '%s' must be token, whole-word or ngram", v);
                usage(msg);
            }
            o.mask_mode = (int)mm;
        }
        else if (!strcmp(a, "--objective")) {
            const char *v = need_arg(argc, argv, &i);
            if (objective_parse(v, &o.objective) != BT_OK) {
                char msg[256];
                snprintf(msg, sizeof msg, "--objective '%s' must be nsp, sop, full-sentences or "
                         "doc-sentences", v);
                usage(msg);
            }
        } else if (a[0] == '-' || o.dir) {
            char msg[256];
            snprintf(msg, sizeof msg, "inspect: unexpected argument '%s'", a);
            usage(msg);
        } else
            o.dir = a;
    }
    if (!o.dir)
        usage("inspect: the shard directory is required");
    char err[BT_ERR_LEN];
    int rc = inspect_run(&o, stdout, err);
    if (rc != BT_OK)
        bt_die(prog, rc, err);
    return 0;
}

/* ---- prep (default command) --------------------------------------------- */

static int cmd_prep(int argc, char **argv)
{
    struct prep_opts o = {0};
    o.shards = 1;
    o.max_seq_len = 512;
    o.lowercase = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
    const char **inputs = xcalloc((size_t)argc, sizeof *inputs);
    int ni = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--vocab"))
            o.vocab_path = need_arg(argc, argv, &i);
        else if (!strcmp(a, "--tokenizer"))
            o.tokenizer = need_arg(argc, argv, &i);
        else if (!strcmp(a, "--merges"))
            o.merges_path = need_arg(argc, argv, &i);
        else if (!strcmp(a, "--output"))
            o.output = need_arg(argc, argv, &i);
        else if (!strcmp(a, "--shards"))
            o.shards = (int)parse_long(a, need_arg(argc, argv, &i), 1, 100000);
        else if (!strcmp(a, "--max-seq-len"))
            o.max_seq_len = (int)parse_long(a, need_arg(argc, argv, &i), 8, 65536);
        else if (!strcmp(a, "--threads"))
            o.threads = (int)parse_long(a, need_arg(argc, argv, &i), 1, 256);
        else if (!strcmp(a, "--no-lowercase"))
            o.lowercase = 0;
        else if (!strcmp(a, "--quiet"))
            o.quiet = 1;
        else if (!strcmp(a, "--split-sentences"))
            o.split_sentences = 1;
        else if (!strcmp(a, "--input")) {
            inputs[ni++] = need_arg(argc, argv, &i);
            if (!strncmp(inputs[ni - 1], "--", 2))
                usage("--input needs at least one file");
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                inputs[ni++] = argv[++i];
        } else {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option '%s'", a);
            usage(msg);
        }
    }
    if (!o.vocab_path || !o.output || ni == 0)
        usage("--vocab, --input and --output are required");
    o.inputs = inputs;
    o.n_inputs = ni;
    char err[BT_ERR_LEN];
    struct prep_stats st;
    int rc = prep_run(&o, &st, err);
    xfree(inputs);
    if (rc != BT_OK)
        bt_die(prog, rc, err);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "tokenize"))
        return cmd_tokenize(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "inspect"))
        return cmd_inspect(argc, argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        usage(NULL);
    return cmd_prep(argc, argv);
}
