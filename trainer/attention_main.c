/* bert-attention - draws what the attention heads of an encoder look at.
 *   bert-attention --model MODEL_DIR|CONFIG.json --text "The cat sat on the mat"
 *                  [--text-b "..."] [--layer L] [--head H | --all]
 *                  --out FILE.png|FILE.svg [--dump FILE.json|FILE.csv]
 *                  [--vocab VOCAB.txt] [--cased|--uncased] [--seed N]
 * Runs the encoder (inference mode, no dropout) on "[CLS] text [SEP]" (plus
 * "text-b [SEP]") and plots the softmax attention probabilities of one head
 * (default: the last layer, head 0) or of all heads of a layer. Layers and
 * heads count from 0. Exit 2 for usage errors and bad input, 1 at run time. */
#include "bert.h"
#include "ft_feats.h"
#include "ft_model.h"
#include "ft_plot.h"
#include "log.h"
#include "mem.h"
#include "ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage =
    "usage: bert-attention --model MODEL_DIR|CONFIG.json --text TEXT [--text-b TEXT]\n"
    "                      [--layer L] [--head H | --all] --out FILE.png|FILE.svg\n"
    "                      [--dump FILE.json|FILE.csv] [--vocab VOCAB.txt] [--cased|--uncased]\n"
    "Layers and heads count from 0; the default is the last layer, head 0.\n";

struct att_args {
    const char *model, *text, *text_b, *out, *dump, *vocab;
    int layer, head, all, lowercase;
    long seed;
};

static int parse_int(const char *opt, const char *v, long lo, long hi, long *out, char *err)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi)
        return bt_errf(err, BT_EUSAGE, "%s expects an integer in [%ld, %ld], got '%s'", opt, lo,
                       hi, v);
    *out = x;
    return BT_OK;
}

static int parse_args(struct att_args *a, int argc, char **argv, char *err)
{
    memset(a, 0, sizeof *a);
    a->layer = a->head = -1;
    a->lowercase = -1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help"))
            return bt_errf(err, BT_EUSAGE, "%s", usage);
        if (!strcmp(o, "--all") || !strcmp(o, "--cased") || !strcmp(o, "--uncased")) {
            if (!strcmp(o, "--all"))
                a->all = 1;
            else
                a->lowercase = !strcmp(o, "--uncased");
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        long x;
        int rc = BT_OK;
        if (!v)
            return bt_errf(err, BT_EUSAGE, "option '%s' needs a value (or is unknown)\n%s", o,
                           usage);
        if (!strcmp(o, "--model"))
            a->model = v;
        else if (!strcmp(o, "--text"))
            a->text = v;
        else if (!strcmp(o, "--text-b"))
            a->text_b = v;
        else if (!strcmp(o, "--out"))
            a->out = v;
        else if (!strcmp(o, "--dump"))
            a->dump = v;
        else if (!strcmp(o, "--vocab"))
            a->vocab = v;
        else if (!strcmp(o, "--layer") && (rc = parse_int(o, v, 0, 100000, &x, err)) == BT_OK)
            a->layer = (int)x;
        else if (!strcmp(o, "--head") && (rc = parse_int(o, v, 0, 100000, &x, err)) == BT_OK)
            a->head = (int)x;
        else if (!strcmp(o, "--seed") && (rc = parse_int(o, v, 0, 1L << 62, &x, err)) == BT_OK)
            a->seed = x;
        else if (rc == BT_OK)
            return bt_errf(err, BT_EUSAGE, "unknown option '%s'\n%s", o, usage);
        if (rc != BT_OK)
            return rc;
    }
    if (!a->model || !a->text || !a->out)
        return bt_errf(err, BT_EUSAGE, "--model, --text and --out are required\n%s", usage);
    if (a->all && a->head >= 0)
        return bt_errf(err, BT_EUSAGE, "--head and --all exclude each other");
    if (!ft_plot_format(a->out))
        return bt_errf(err, BT_EUSAGE, "--out %s: expected a .png or .svg file name", a->out);
    if (a->dump && !strstr(a->dump, ".json") && !strstr(a->dump, ".csv"))
        return bt_errf(err, BT_EUSAGE, "--dump %s: expected a .json or .csv file name", a->dump);
    return BT_OK;
}

struct att_run {
    struct ft_model_src src;
    struct bert_model m;
    struct vocab *vocab;
    struct bert_acts *acts;
    struct batch b;
    int T;
    char **tokens;
};

/* [CLS] text [SEP] (text_b [SEP]) into r->b (allocated for exactly T tokens). */
static int encode_input(struct att_run *r, const struct att_args *a, int lowercase, char *err)
{
    struct ft_tok tk;
    ft_tok_init(&tk, r->vocab, lowercase, r->m.cfg.type_vocab_size >= 2);
    struct tok_buf x, y;
    tok_buf_init(&x);
    tok_buf_init(&y);
    tokenizer_encode(&tk.tk, a->text, strlen(a->text), &x);
    if (a->text_b)
        tokenizer_encode(&tk.tk, a->text_b, strlen(a->text_b), &y);
    int T = (int)(x.n + y.n) + (a->text_b ? 3 : 2);
    int max = r->m.cfg.max_position_embeddings - bert_config_position_offset(&r->m.cfg);
    int rc = BT_OK;
    if (T > max) {
        rc = bt_errf(err, BT_EUSAGE, "the text has %d tokens with [CLS]/[SEP]; the model "
                     "takes at most %d", T, max);
    } else {
        r->T = T;
        batch_alloc(&r->b, 1, T, 1);
        r->b.rows = 1;
        r->b.nsp_labels[0] = -1;
        r->b.sample_index[0] = 0;
        int p = 0;
        int32_t *ids = r->b.input_ids, *ty = r->b.token_type_ids;
        ids[p++] = tk.cls;
        for (size_t i = 0; i < x.n; i++)
            ids[p++] = x.ids[i];
        ids[p++] = tk.sep;
        for (size_t i = 0; a->text_b && i < y.n; i++) {
            ty[p] = tk.two_types;
            ids[p++] = y.ids[i];
        }
        if (a->text_b) {
            ty[p] = tk.two_types;
            ids[p++] = tk.sep;
        }
        r->tokens = xcalloc((size_t)T, sizeof *r->tokens);
        for (int i = 0; i < T; i++) {
            r->b.attention_mask[i] = 1;
            size_t n;
            const char *s = vocab_token(r->vocab, ids[i], &n);
            r->tokens[i] = xmalloc(n + 1);
            memcpy(r->tokens[i], s, n);
            r->tokens[i][n] = '\0';
        }
        r->b.n_tokens = T;
    }
    tok_buf_free(&x);
    tok_buf_free(&y);
    return rc;
}

static int run(struct att_run *r, const struct att_args *a, char *err)
{
    int rc = ft_model_load(&r->src, a->model, &r->m, (uint64_t)a->seed, err);
    if (rc != BT_OK)
        return rc;
    const char *vp = a->vocab ? a->vocab : r->src.vocab[0] ? r->src.vocab : NULL;
    if (!vp)
        return bt_errf(err, BT_EUSAGE, "%s: no vocab.txt beside the model; pass --vocab FILE",
                       a->model);
    if ((rc = vocab_load(&r->vocab, vp, err)) != BT_OK)
        return BT_EUSAGE;
    if (vocab_kind(r->vocab) != VOCAB_WORDPIECE)
        return bt_errf(err, BT_EUSAGE, "%s: bert-attention reads WordPiece vocabularies "
                       "(vocab.txt) only", vp);
    int lc = a->lowercase >= 0 ? a->lowercase : r->src.lowercase >= 0 ? r->src.lowercase : 1;
    if ((rc = encode_input(r, a, lc, err)) != BT_OK)
        return rc;
    int L = r->m.cfg.num_layers * r->m.cfg.inner_group_num, NH = r->m.cfg.num_heads;
    int layer = a->layer >= 0 ? a->layer : L - 1, head = a->head >= 0 ? a->head : 0;
    if (layer >= L)
        return bt_errf(err, BT_EUSAGE, "--layer %d: the model has layers 0..%d", layer, L - 1);
    if (head >= NH)
        return bt_errf(err, BT_EUSAGE, "--head %d: the model has heads 0..%d", head, NH - 1);
    r->acts = bert_acts_alloc(&r->m, 1, r->T, 1);
    struct bert_step st = {.seed = (uint64_t)a->seed, .train = 0};
    bert_encoder_forward(&r->m, r->acts, &r->b, &st);
    const float *att = bert_acts_attention(r->acts, layer); /* (1, NH, T, T) */
    int n = a->all ? NH : 1;
    int *heads = xcalloc((size_t)n, sizeof *heads);
    const float **mats = xcalloc((size_t)n, sizeof *mats);
    size_t TT = (size_t)r->T * (size_t)r->T;
    for (int k = 0; k < n; k++) {
        heads[k] = a->all ? k : head;
        mats[k] = att + (size_t)heads[k] * TT;
    }
    struct ft_attn_view v = {r->T, n, layer, (const char *const *)r->tokens, heads, mats, a->text};
    rc = ft_plot_heatmap(a->out, &v, err);
    if (rc == BT_OK && a->dump)
        rc = ft_plot_dump(a->dump, &v, err);
    if (rc == BT_OK)
        printf("bert-attention: %d tokens, layer %d, %s -> %s%s%s\n", r->T, layer,
               a->all ? "all heads" : "one head", a->out, a->dump ? " and " : "",
               a->dump ? a->dump : "");
    xfree(heads);
    xfree(mats);
    return rc;
}

int main(int argc, char **argv)
{
    ops_init();
    struct att_args a;
    struct att_run r;
    memset(&r, 0, sizeof r);
    char err[BT_ERR_LEN] = "";
    int rc = parse_args(&a, argc, argv, err);
    if (rc == BT_OK)
        rc = run(&r, &a, err);
    if (rc != BT_OK)
        fprintf(stderr, "bert-attention: %s\n", err);
    for (int i = 0; r.tokens && i < r.T; i++)
        xfree(r.tokens[i]);
    xfree(r.tokens);
    if (r.b.input_ids)
        batch_free(&r.b);
    bert_acts_free(r.acts);
    bert_free(&r.m);
    if (r.vocab)
        vocab_free(r.vocab);
    ft_model_src_free(&r.src);
    ops_shutdown();
    return bt_exit_code(rc);
}
