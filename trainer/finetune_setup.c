/* finetune_setup.c - everything before the first step of bert-finetune and the
 * tear-down: recipe, model, vocabulary and label set, the two data splits and
 * their rows, optimizer, head, arenas and the output directory. */
#include "comm.h"
#include "fileio.h"
#include "finetune.h"
#include "log.h"
#include "mem.h"
#include "ops.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int read_split(struct finetuner *t, struct ft_split *s, const char *path, int collect,
                      char *err)
{
    struct ft_labels *c = collect ? &t->labels : NULL;
    s->path = path;
    switch (t->args.task) {
    case FT_TASK_SEQ_CLS: return ft_tsv_read(&s->seq, path, c, err);
    case FT_TASK_TOKEN_CLS: return ft_conll_read(&s->conll, path, c, err);
    default: return ft_squad_read(&s->squad, path, err);
    }
}

/* The label set: the recipe's, a fine-tuned model's, or the data's. */
static int setup_labels(struct finetuner *t, char *err)
{
    enum ft_task task = t->args.task;
    int given = t->rc.labels[0] != '\0';
    int from_model = !given && t->src.labels.n > 0 && !strcmp(t->src.task, ft_task_name(task));
    int rc = BT_OK;
    if (given)
        rc = ft_labels_parse(&t->labels, t->rc.labels, "recipe key 'labels'", err);
    for (int i = 0; from_model && i < t->src.labels.n && rc == BT_OK; i++)
        rc = ft_labels_add(&t->labels, t->src.labels.name[i], strlen(t->src.labels.name[i]),
                           NULL, err);
    int collect = !given && !from_model && task != FT_TASK_QA;
    if (rc == BT_OK)
        rc = read_split(t, &t->train, t->args.train, collect, err);
    if (rc == BT_OK)
        rc = read_split(t, &t->eval, t->args.eval, collect && task == FT_TASK_TOKEN_CLS, err);
    if (rc != BT_OK)
        return rc;
    if (collect && task == FT_TASK_SEQ_CLS)
        ft_labels_sort(&t->labels);
    if (collect && task == FT_TASK_TOKEN_CLS)
        ft_labels_sort_bio(&t->labels);
    if (task == FT_TASK_SEQ_CLS) {
        if ((rc = ft_tsv_assign(&t->train.seq, &t->labels, err)) != BT_OK ||
            (rc = ft_tsv_assign(&t->eval.seq, &t->labels, err)) != BT_OK)
            return rc;
        if (t->labels.n < 2)
            return bt_errf(err, BT_EUSAGE, "%s: only one label ('%s'); classification needs two "
                           "or more", t->args.train, t->labels.name[0]);
    }
    if (task == FT_TASK_TOKEN_CLS &&
        ((rc = ft_conll_assign(&t->train.conll, &t->labels, err)) != BT_OK ||
         (rc = ft_conll_assign(&t->eval.conll, &t->labels, err)) != BT_OK))
        return rc;
    return BT_OK;
}

static void build_rows(struct finetuner *t, struct ft_split *s)
{
    int T = (int)t->rc.seq_len;
    switch (t->args.task) {
    case FT_TASK_SEQ_CLS:
        ft_feats_seq(&s->f, &t->tok, &s->seq, T);
        s->n_examples = s->seq.n;
        break;
    case FT_TASK_TOKEN_CLS:
        ft_feats_token(&s->f, &t->tok, &s->conll, T);
        s->n_examples = s->conll.n;
        break;
    default:
        ft_feats_qa(&s->f, &t->tok, &s->squad, &t->qa);
        s->n_examples = s->squad.n_q;
        break;
    }
}

static int setup_vocab(struct finetuner *t, char *err)
{
    const char *vp = t->args.vocab ? t->args.vocab : t->src.vocab[0] ? t->src.vocab : NULL;
    if (!vp)
        return bt_errf(err, BT_EUSAGE, "%s: no vocab.txt beside the model; pass --vocab FILE",
                       t->args.model);
    int rc = vocab_load(&t->vocab, vp, err);
    if (rc != BT_OK)
        return BT_EUSAGE;
    if (vocab_kind(t->vocab) != VOCAB_WORDPIECE)
        return bt_errf(err, BT_EUSAGE, "%s: bert-finetune reads WordPiece vocabularies (vocab.txt) "
                       "only; byte-level BPE fine-tuning is not supported yet", vp);
    if (vocab_size(t->vocab) > t->m.cfg.vocab_size)
        return bt_errf(err, BT_EUSAGE, "%s has %d tokens but the model's vocab_size is %d", vp,
                       vocab_size(t->vocab), t->m.cfg.vocab_size);
    if (!strcmp(t->rc.lowercase, "auto"))
        t->lowercase = t->src.lowercase >= 0 ? t->src.lowercase : 1;
    else
        t->lowercase = !strcmp(t->rc.lowercase, "true");
    ft_tok_init(&t->tok, t->vocab, t->lowercase, t->m.cfg.type_vocab_size >= 2);
    return BT_OK;
}

static int setup_sizes(struct finetuner *t, char *err)
{
    const struct ft_recipe *r = &t->rc;
    int need = (int)r->seq_len + bert_config_position_offset(&t->m.cfg);
    if (need > t->m.cfg.max_position_embeddings)
        return bt_errf(err, BT_EUSAGE,
                       "seq_len %ld needs %d positions but the model has "
                       "max_position_embeddings %d",
                       r->seq_len, need, t->m.cfg.max_position_embeddings);
    if (r->batch_size % ((long)t->world * r->micro_batch_size))
        return bt_errf(err, BT_EUSAGE,
                       "batch_size %ld is not divisible by %d rank(s) x micro_batch_size %ld",
                       r->batch_size, t->world, r->micro_batch_size);
    if (r->micro_batch_size > 4096)
        return bt_errf(err, BT_EUSAGE, "micro_batch_size %ld is above 4096", r->micro_batch_size);
    t->micro = (int)r->micro_batch_size;
    t->accum = (int)(r->batch_size / ((long)t->world * r->micro_batch_size));
    t->qa = (struct ft_qa_opts){(int)r->seq_len, (int)r->doc_stride, (int)r->max_query_len,
                                (int)r->n_best, (int)r->max_answer_len};
    return BT_OK;
}

static int open_output(struct finetuner *t, char *err)
{
    int rc = file_mkdir_p(t->args.out, err);
    if (rc != BT_OK)
        return BT_EUSAGE;
    if (t->rank != 0)
        return BT_OK;
    snprintf(t->metrics_path, sizeof t->metrics_path, "%s/metrics.jsonl", t->args.out);
    t->metrics = fopen(t->metrics_path, "w");
    if (!t->metrics)
        return bt_errf(err, BT_EIO, "%s: cannot open for writing: %s", t->metrics_path,
                       strerror(errno));
    return BT_OK;
}

static void print_setup(const struct finetuner *t, int head_loaded)
{
    const struct bert_config *c = &t->m.cfg;
    char lab[512];
    printf("bert-finetune: %s on %s model from %s (%s): L=%d C=%d NH=%d V=%d\n",
           ft_task_name(t->args.task), model_type_name(c->type), t->args.model,
           t->src.kind == FT_MODEL_CONFIG ? "random init" : "pre-trained weights", c->num_layers,
           c->hidden_size, c->num_heads, c->vocab_size);
    printf("  train %s: %d examples -> %d rows; eval %s: %d examples -> %d rows (seq_len %ld)\n",
           t->train.path, t->train.n_examples, t->train.f.n, t->eval.path, t->eval.n_examples,
           t->eval.f.n, t->rc.seq_len);
    if (t->args.task != FT_TASK_QA)
        printf("  %d labels: %s\n", t->labels.n, ft_labels_str(&t->labels, lab, sizeof lab));
    if (t->train.f.truncated || t->eval.f.truncated)
        printf("  cut by seq_len: %ld (train) and %ld (eval) %s\n", t->train.f.truncated,
               t->eval.f.truncated, t->args.task == FT_TASK_TOKEN_CLS ? "words" : "pieces");
    printf("  head %s (%zu parameters, %s), dropout %.2f (head %.2f); %d rank(s) x %d "
           "thread(s), micro %d, accumulation %d, batch %ld; %ld steps (%ld per epoch), warmup "
           "%ld; matmuls on %s\n",
           ft_model_arch_name(c->type, t->args.task), t->head.n,
           head_loaded ? "loaded" : "new", c->hidden_dropout, t->head.p_drop, t->world,
           t->threads, t->micro,
           t->accum, t->rc.batch_size, t->total_steps, t->steps_per_epoch,
           t->opt_rc.warmup_steps, ops_backend_name());
    fflush(stdout);
}

int ft_setup(struct finetuner *t, char *err)
{
    int rc = ft_recipe_load(&t->rc, t->args.recipe, t->args.sets, t->args.n_sets, err);
    if (rc == BT_OK)
        rc = ft_model_load(&t->src, t->args.model, &t->m, (uint64_t)t->rc.seed, err);
    if (rc != BT_OK)
        return rc;
    if (t->rc.dropout >= 0)
        t->m.cfg.hidden_dropout = t->m.cfg.attn_dropout = t->m.cfg.classifier_dropout =
            (float)t->rc.dropout;
    if ((rc = setup_vocab(t, err)) != BT_OK || (rc = setup_sizes(t, err)) != BT_OK ||
        (rc = setup_labels(t, err)) != BT_OK)
        return rc;
    build_rows(t, &t->train);
    build_rows(t, &t->eval);
    t->threads = ops_max_threads();
    t->steps_per_epoch = (t->train.f.n + t->rc.batch_size - 1) / t->rc.batch_size;
    t->total_steps = t->rc.epochs * t->steps_per_epoch;
    if (t->rc.max_steps > 0 && t->rc.max_steps < t->total_steps)
        t->total_steps = t->rc.max_steps;
    ft_recipe_to_train(&t->rc, t->total_steps, &t->opt_rc);
    if ((rc = open_output(t, err)) != BT_OK)
        return rc;

    comm_bcast(t->m.params, t->m.n_params * sizeof(float), 0);
    optimizer_init(&t->opt, &t->m, &t->opt_rc);
    grad_sync_init(&t->gs, &t->m, t->world, 1);
    int T = (int)t->rc.seq_len;
    t->acts = bert_acts_alloc(&t->m, t->micro, T, 1);
    batch_alloc(&t->mb, t->micro, T, 1);
    const struct bert_config *c = &t->m.cfg;
    float p = c->type == MODEL_ALBERT ? c->classifier_dropout : c->hidden_dropout;
    ft_head_init(&t->head, t->args.task, c, t->labels.n, t->micro, T, p);
    ft_head_init_weights(&t->head, c->initializer_range, (uint64_t)t->rc.seed);
    int loaded;
    if ((rc = ft_model_load_head(&t->src, &t->head, &loaded, err)) != BT_OK)
        return rc;
    comm_bcast(t->head.params, t->head.n * sizeof(float), 0);
    if (t->src.missing_pooler && t->head.use_pooled && t->rank == 0)
        log_warn("%s has no pooler weights; the pooler starts from random weights", t->args.model);
    t->lab = xcalloc(xmul((size_t)t->micro, (size_t)t->train.f.lw), sizeof *t->lab);
    ft_scratch_alloc(&t->scratch, &t->m, t->micro, T);
    t->perm = xcalloc((size_t)t->train.f.n + 1, sizeof *t->perm);
    if (t->rank == 0)
        print_setup(t, loaded);
    return BT_OK;
}

void ft_teardown(struct finetuner *t)
{
    if (t->metrics)
        fclose(t->metrics);
    struct ft_split *sp[2] = {&t->train, &t->eval};
    for (int i = 0; i < 2; i++) {
        ft_seq_set_free(&sp[i]->seq);
        ft_conll_set_free(&sp[i]->conll);
        ft_squad_set_free(&sp[i]->squad);
        ft_feats_free(&sp[i]->f);
    }
    if (t->m.params && t->acts) {
        grad_sync_free(&t->gs);
        optimizer_free(&t->opt);
        ft_head_free(&t->head);
        batch_free(&t->mb);
    }
    bert_acts_free(t->acts);
    bert_free(&t->m);
    if (t->vocab)
        vocab_free(t->vocab);
    ft_labels_free(&t->labels);
    ft_model_src_free(&t->src);
    xfree(t->lab);
    ft_scratch_free(&t->scratch);
    xfree(t->perm);
    memset(t, 0, sizeof *t);
}
