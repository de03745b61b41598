/* finetune_eval.c - evaluation of bert-finetune: every rank runs the forward
 * pass on its contiguous share of the eval rows (whole micro-batches: the
 * results do not depend on the rank count), the per-row outputs (logits
 * or predicted tags) are summed over ranks into arrays that are zero outside
 * each rank's share (so the sum is exact), and rank 0 computes the official
 * metric and writes the predictions file: predictions.tsv (line, gold,
 * predicted), predictions.conll (conlleval's input: "word gold predicted",
 * blank line between sentences) or predictions.json ({id: answer}, the input of
 * SQuAD's evaluate-v1.1.py). report.json is written at the end of the run. */
#include "comm.h"
#include "fileio.h"
#include "finetune.h"
#include "ft_metrics.h"
#include "json_util.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int argmax(const float *x, int n)
{
    int a = 0;
    for (int i = 1; i < n; i++)
        a = x[i] > x[a] ? i : a;
    return a;
}

/* Growable text for the predictions files. */
struct sbuf {
    char *s;
    size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t len = strlen(s);
    if (b->n + len + 1 > b->cap) {
        b->cap = 2 * (b->n + len + 1) + 4096;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, len + 1);
    b->n += len;
}

/* Writes b to OUT/name atomically and frees it. */
static int sb_commit(const struct finetuner *t, struct sbuf *b, const char *name, char *err)
{
    char p[FT_PATH_LEN + 64];
    snprintf(p, sizeof p, "%s/%s", t->args.out, name);
    int rc = file_write_atomic(p, b->s ? b->s : "", b->n, err);
    xfree(b->s);
    memset(b, 0, sizeof *b);
    return rc;
}

/* ---- per-task metrics (rank 0) ---- */

static int seq_metrics(struct finetuner *t, const float *logits, struct ft_eval_result *e,
                       char *err)
{
    const struct ft_seq_set *s = &t->eval.seq;
    int K = t->labels.n, n = s->n;
    int *gold = xmalloc(xmul((size_t)n, sizeof(int)));
    int *pred = xmalloc(xmul((size_t)n, sizeof(int)));
    long *freq = xcalloc((size_t)K, sizeof(long));
    for (int i = 0; i < t->train.seq.n; i++)
        freq[t->train.seq.ex[i].label]++;
    int maj = 0;
    for (int k = 1; k < K; k++)
        maj = freq[k] > freq[maj] ? k : maj;
    long maj_ok = 0;
    struct sbuf b = {0};
    sb_add(&b, "line\tlabel\tprediction\n");
    for (int i = 0; i < n; i++) { /* one row per example */
        gold[i] = s->ex[i].label;
        pred[i] = argmax(logits + (size_t)i * (size_t)K, K);
        maj_ok += gold[i] == maj;
        char line[32];
        snprintf(line, sizeof line, "%ld\t", s->ex[i].line);
        sb_add(&b, line);
        sb_add(&b, t->labels.name[gold[i]]);
        sb_add(&b, "\t");
        sb_add(&b, t->labels.name[pred[i]]);
        sb_add(&b, "\n");
    }
    struct ft_cls_metrics m;
    ft_metrics_cls(gold, pred, n, K, &m);
    e->accuracy = m.accuracy;
    e->precision = m.precision;
    e->recall = m.recall;
    e->f1 = m.f1;
    e->majority = n ? (double)maj_ok / n : 0;
    e->main = m.accuracy;
    e->main_name = "accuracy";
    xfree(gold);
    xfree(pred);
    xfree(freq);
    return sb_commit(t, &b, "predictions.tsv", err);
}

static int token_metrics(struct finetuner *t, const float *tags, struct ft_eval_result *e,
                         char *err)
{
    const struct ft_conll_set *s = &t->eval.conll;
    const struct ft_feats *f = &t->eval.f;
    struct ft_ner_counts *c = xcalloc(1, sizeof *c);
    struct sbuf b = {0};
    const char **pred = NULL;
    int cap = 0;
    for (int i = 0; i < s->n; i++) { /* one row per sentence */
        const struct ft_conll_sent *st = &s->sent[i];
        if (st->n > cap) {
            cap = st->n;
            pred = xrealloc(pred, xmul((size_t)cap, sizeof *pred));
        }
        for (int k = 0; k < st->n; k++)
            pred[k] = "O"; /* words without a piece or cut by seq_len */
        for (int p = 0; p < f->T; p++) {
            size_t x = (size_t)i * (size_t)f->T + (size_t)p;
            if (f->word[x] >= 0)
                pred[f->word[x]] = t->labels.name[(int)tags[x]];
        }
        ft_ner_add(c, st->tag_text, pred, st->n);
        for (int k = 0; k < st->n; k++) {
            sb_add(&b, st->words[k]);
            sb_add(&b, " ");
            sb_add(&b, st->tag_text[k]);
            sb_add(&b, " ");
            sb_add(&b, pred[k]);
            sb_add(&b, "\n");
        }
        sb_add(&b, "\n");
    }
    ft_ner_prf(c, -1, &e->ner_p, &e->ner_r, &e->ner_f1);
    e->ner_pred = c->pred;
    e->ner_gold = c->gold;
    e->ner_correct = c->correct;
    e->main = e->ner_f1;
    e->main_name = "f1";
    xfree(pred);
    xfree(c);
    return sb_commit(t, &b, "predictions.conll", err);
}

static int qa_metrics(struct finetuner *t, const float *qs, const float *qe,
                      struct ft_eval_result *e, char *err)
{
    const struct ft_squad_set *s = &t->eval.squad;
    const struct ft_feats *f = &t->eval.f;
    json_t *preds = json_object();
    double em = 0, f1 = 0;
    const char **golds = NULL;
    int gcap = 0;
    for (int q = 0, r0 = 0; q < s->n_q; q++) {
        int r1 = r0;
        while (r1 < f->n && f->example[r1] == q)
            r1++;
        struct ft_qa_span sp = ft_qa_best_span(f, r0, r1, qs, qe, &t->qa);
        const struct ft_squad_question *qu = &s->q[q];
        const char *ctx = s->ctx[qu->ctx];
        size_t len = sp.row >= 0 ? sp.byte_end - sp.byte_start : 0;
        char *text = xmalloc(len + 1);
        memcpy(text, ctx + (sp.row >= 0 ? sp.byte_start : 0), len);
        text[len] = '\0';
        if (qu->n_ans > gcap) {
            gcap = qu->n_ans;
            golds = xrealloc(golds, xmul((size_t)gcap, sizeof *golds));
        }
        for (int k = 0; k < qu->n_ans; k++)
            golds[k] = qu->ans[k].text;
        double a, b;
        ft_squad_score(text, golds, qu->n_ans, &a, &b);
        em += a;
        f1 += b;
        json_object_set_new(preds, qu->id, json_string(text));
        xfree(text);
        r0 = r1;
    }
    e->em = s->n_q ? 100.0 * em / s->n_q : 0;
    e->qa_f1 = s->n_q ? 100.0 * f1 / s->n_q : 0;
    e->main = e->qa_f1;
    e->main_name = "f1";
    xfree(golds);
    struct sbuf b = {0};
    char *js = json_dumps(preds, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(preds);
    sb_add(&b, js);
    sb_add(&b, "\n");
    free(js);
    return sb_commit(t, &b, "predictions.json", err);
}

/* ---- the distributed forward passes ---- */

int ft_evaluate(struct finetuner *t, struct ft_eval_result *res, char *err)
{
    const struct ft_feats *f = &t->eval.f;
    enum ft_task task = t->args.task;
    int n = f->n, T = f->T, K = t->head.K;
    /* Shares are whole micro-batches, so every row is computed in the same
     * micro-batch (bitwise the same result) on any number of ranks. */
    int blocks = (n + t->micro - 1) / t->micro;
    int chunk = (blocks + t->world - 1) / t->world * t->micro;
    int lo = t->rank * chunk, hi = lo + chunk < n ? lo + chunk : n;
    size_t per = task == FT_TASK_SEQ_CLS ? (size_t)K : task == FT_TASK_QA ? 2 * (size_t)T
                                                                          : (size_t)T;
    float *out = xcalloc(xmul((size_t)n, per) + 1, sizeof(float));
    struct ft_head_result r = {0};
    int32_t idx[4096];
    int64_t sidx[4096];
    for (int b = lo; b < hi; b += t->micro) {
        int m = hi - b < t->micro ? hi - b : t->micro;
        for (int k = 0; k < m; k++) {
            idx[k] = b + k;
            sidx[k] = b + k;
        }
        ft_fill_batch(t, &t->eval, idx, m, sidx);
        ft_forward(t, 0, 0, 0.0f, &r);
        const float *lg = ft_head_logits(&t->head), *qs, *qe;
        ft_head_qa_logits(&t->head, &qs, &qe);
        for (int k = 0; k < m; k++) {
            float *o = out + (size_t)(b + k) * per;
            if (task == FT_TASK_SEQ_CLS)
                memcpy(o, lg + (size_t)k * (size_t)K, (size_t)K * sizeof(float));
            else if (task == FT_TASK_QA) {
                memcpy(o, qs + (size_t)k * (size_t)T, (size_t)T * sizeof(float));
                memcpy(o + T, qe + (size_t)k * (size_t)T, (size_t)T * sizeof(float));
            } else
                for (int p = 0; p < T; p++)
                    o[p] = (float)argmax(lg + ((size_t)k * (size_t)T + (size_t)p) * (size_t)K, K);
        }
    }
    comm_allreduce_sum_f32(out, xmul((size_t)n, per));
    double s[2] = {r.loss_sum, (double)r.count};
    comm_allreduce_sum_f64(s, 2);
    memset(res, 0, sizeof *res);
    res->loss = s[1] > 0 ? s[0] / s[1] : 0;
    int rc = BT_OK;
    if (t->rank == 0) {
        if (task == FT_TASK_SEQ_CLS)
            rc = seq_metrics(t, out, res, err);
        else if (task == FT_TASK_TOKEN_CLS)
            rc = token_metrics(t, out, res, err);
        else {
            /* Separate start and end arrays (n, T) for the decoder. */
            float *qs = xmalloc(xmul(xmul((size_t)n, (size_t)T), sizeof(float)) + 4);
            float *qe = xmalloc(xmul(xmul((size_t)n, (size_t)T), sizeof(float)) + 4);
            for (int i = 0; i < n; i++) {
                memcpy(qs + (size_t)i * T, out + (size_t)i * per, (size_t)T * sizeof(float));
                memcpy(qe + (size_t)i * T, out + (size_t)i * per + T, (size_t)T * sizeof(float));
            }
            rc = qa_metrics(t, qs, qe, res, err);
            xfree(qs);
            xfree(qe);
        }
    }
    /* Everyone learns the headline metric (best-epoch tracking is the same everywhere). */
    double mm[1] = {t->rank == 0 ? res->main : 0};
    comm_allreduce_sum_f64(mm, 1);
    res->main = mm[0];
    xfree(out);
    return rc;
}

/* ---- report ---- */

static json_t *eval_json(const struct finetuner *t, const struct ft_eval_result *e)
{
    switch (t->args.task) {
    case FT_TASK_SEQ_CLS:
        return t->labels.n == 2
                   ? json_pack("{s:f, s:f, s:f, s:f, s:f}", "accuracy", e->accuracy, "f1", e->f1,
                               "precision", e->precision, "recall", e->recall, "loss", e->loss)
                   : json_pack("{s:f, s:f}", "accuracy", e->accuracy, "loss", e->loss);
    case FT_TASK_TOKEN_CLS:
        return json_pack("{s:f, s:f, s:f, s:I, s:I, s:I, s:f}", "precision", e->ner_p, "recall",
                         e->ner_r, "f1", e->ner_f1, "gold_entities", (json_int_t)e->ner_gold,
                         "predicted_entities", (json_int_t)e->ner_pred, "correct_entities",
                         (json_int_t)e->ner_correct, "loss", e->loss);
    default:
        return json_pack("{s:f, s:f, s:f}", "exact_match", e->em, "f1", e->qa_f1, "loss",
                         e->loss);
    }
}

int ft_write_report(struct finetuner *t, double seconds, char *err)
{
    if (t->rank != 0)
        return BT_OK;
    static const char *const kinds[FT_MODEL_KIND_COUNT] = {"hf", "config (random init)",
                                                           "checkpoint"};
    json_t *j = json_object();
    json_object_set_new(j, "task", json_string(ft_task_name(t->args.task)));
    json_object_set_new(j, "model", json_string(t->args.model));
    json_object_set_new(j, "model_source", json_string(kinds[t->src.kind]));
    json_object_set_new(j, "model_type", json_string(model_type_name(t->m.cfg.type)));
    json_object_set_new(j, "train", json_pack("{s:s, s:i, s:i}", "path", t->train.path,
                                              "examples", t->train.n_examples, "rows",
                                              t->train.f.n));
    json_object_set_new(j, "eval", json_pack("{s:s, s:i, s:i}", "path", t->eval.path,
                                             "examples", t->eval.n_examples, "rows", t->eval.f.n));
    json_t *labels = json_array();
    for (int i = 0; i < t->labels.n; i++)
        json_array_append_new(labels, json_string(t->labels.name[i]));
    json_object_set_new(j, "labels", labels);
    json_object_set_new(j, "ranks", json_integer(t->world));
    json_object_set_new(j, "threads", json_integer(t->threads));
    json_object_set_new(j, "steps", json_integer(t->step));
    json_object_set_new(j, "epochs", json_integer(t->epoch));
    json_object_set_new(j, "seconds", json_real(seconds));
    json_object_set_new(j, "first_loss", json_real(t->first_loss));
    json_object_set_new(j, "last_loss", json_real(t->last_loss));
    json_object_set_new(j, "final", eval_json(t, &t->last_eval));
    json_object_set_new(j, "best_epoch", json_integer(t->best_epoch));
    json_object_set_new(j, "best", eval_json(t, &t->best_eval));
    if (t->args.task == FT_TASK_SEQ_CLS)
        json_object_set_new(j, "majority_baseline", json_real(t->last_eval.majority));
    char *rj = ft_recipe_to_json(&t->rc);
    json_t *r = jsonu_loads(rj, strlen(rj), "recipe", err);
    free(rj);
    if (r)
        json_object_set_new(j, "recipe", r);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(j);
    char p[FT_PATH_LEN + 32];
    snprintf(p, sizeof p, "%s/report.json", t->args.out);
    int rc = file_write_atomic(p, s, strlen(s), err);
    free(s);
    return rc;
}
