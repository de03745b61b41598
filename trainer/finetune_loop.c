/* finetune_loop.c - bert-finetune's step (micro-batches, forward, backward with
 * the overlapped all-reduce, global label-count normalisation, clipping shared
 * by encoder and head, AdamW), the epoch loop with per-epoch evaluation, the
 * metrics lines, and saving the model at the end. */
#include "comm.h"
#include "finetune.h"
#include "ft_compose.h"
#include "json_util.h"
#include "log.h"
#include "reduce.h"
#include "rng.h"
#include "schedule.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

long ft_fill_batch(struct finetuner *t, const struct ft_split *s, const int32_t *idx, int n,
                   const int64_t *sample_index)
{
    const struct ft_feats *f = &s->f;
    struct batch *b = &t->mb;
    size_t T = (size_t)f->T, lw = (size_t)f->lw;
    long labelled = 0;
    b->rows = n;
    b->n_pred = 0;
    b->n_tokens = 0;
    for (int r = 0; r < t->micro; r++) {
        /* Padding rows repeat row 0 with every label ignored: zero gradient. */
        size_t src = r < n ? (size_t)idx[r] : 0, d = (size_t)r * T;
        memcpy(b->input_ids + d, f->ids + src * T, T * sizeof(int32_t));
        memcpy(b->token_type_ids + d, f->types + src * T, T * sizeof(int32_t));
        memcpy(b->attention_mask + d, f->mask + src * T, T * sizeof(int32_t));
        b->nsp_labels[r] = -1;
        b->sample_index[r] = r < n ? sample_index[r] : -1;
        for (size_t k = 0; k < lw; k++) {
            int32_t y = r < n ? f->labels[src * lw + k] : FT_IGNORE;
            t->lab[(size_t)r * lw + k] = y;
            labelled += y >= 0 && (k == 0 || t->args.task == FT_TASK_TOKEN_CLS);
        }
        for (size_t k = 0; r < n && k < T; k++)
            b->n_tokens += b->attention_mask[d + k];
    }
    return labelled;
}

void ft_forward(struct finetuner *t, int train, uint64_t step, float grad_scale,
                struct ft_head_result *r)
{
    struct bert_step st = {.seed = (uint64_t)t->rc.seed, .step = step, .train = train};
    ft_compose_forward(&t->m, t->acts, &t->head, &t->mb, t->lab, &st, grad_scale, r);
}

static void backward(struct finetuner *t, int last)
{
    struct bert_step st = {.seed = (uint64_t)t->rc.seed, .step = (uint64_t)t->step, .train = 1};
    int sync = last && t->world > 1;
    ft_compose_backward(&t->m, t->acts, &t->head, &t->mb, &st, &t->scratch,
                        sync ? grad_sync_hook : NULL, sync ? &t->gs : NULL);
}

/* Labels in row `row` of f (rows for seq-cls and QA, tagged words for token-cls). */
static long row_labels(const struct ft_feats *f, int row, enum ft_task task)
{
    if (task != FT_TASK_TOKEN_CLS)
        return f->labels[(size_t)row * (size_t)f->lw] >= 0;
    long c = 0;
    for (int k = 0; k < f->lw; k++)
        c += f->labels[(size_t)row * (size_t)f->lw + (size_t)k] >= 0;
    return c;
}

struct step_out {
    double loss, acc, grad_norm, lr, t_comm;
    long rows, tokens;
};

/* One update on global batch rows gidx[0..gn); first is the batch's position
 * in the epoch's stream (keys dropout through the global row index). */
static int train_step(struct finetuner *t, const int32_t *gidx, int gn, int64_t first,
                      struct step_out *so, char *err)
{
    const struct ft_feats *f = &t->train.f;
    int per_rank = (int)(t->rc.batch_size / t->world), lo = t->rank * per_rank;
    int64_t cnt[2] = {0, 0};
    for (int i = lo; i < lo + per_rank && i < gn; i++)
        cnt[0] += row_labels(f, gidx[i], t->args.task);
    comm_allreduce_sum_i64(cnt, 1);
    float scale = cnt[0] ? 1.0f / (float)cnt[0] : 0.0f;
    memset(t->m.grads, 0, t->m.n_params * sizeof(float));
    memset(t->head.grads, 0, t->head.n * sizeof(float));
    struct ft_head_result r = {0};
    int64_t sidx[4096];
    BT_CHECK(t->micro <= 4096, "micro_batch_size %d is above 4096", t->micro);
    for (int a = 0; a < t->accum; a++) {
        int b0 = lo + a * t->micro, n = gn - b0;
        n = n < 0 ? 0 : n > t->micro ? t->micro : n;
        for (int k = 0; k < n; k++)
            sidx[k] = (int64_t)t->epoch * (f->n + 1) + first + b0 + k;
        cnt[1] += ft_fill_batch(t, &t->train, gidx + (b0 < gn ? b0 : 0), n, sidx);
        so->tokens += t->mb.n_tokens;
        ft_forward(t, 1, (uint64_t)t->step, scale, &r);
        backward(t, a == t->accum - 1);
    }
    so->t_comm = 0;
    if (t->world > 1) {
        double c0 = timer_now();
        comm_allreduce_sum_f32(t->head.grads, t->head.n);
        so->t_comm = grad_sync_finish(&t->gs) + (timer_now() - c0);
    }
    double s[3] = {r.loss_sum, (double)r.correct, (double)so->tokens};
    comm_allreduce_sum_f64(s, 3);
    so->loss = cnt[0] ? s[0] / (double)cnt[0] : 0;
    so->acc = cnt[0] ? s[1] / (double)cnt[0] : 0;
    so->tokens = (long)s[2];
    so->rows = gn;
    double gsq = reduce_sumsq(t->m.grads, t->m.n_params) + reduce_sumsq(t->head.grads, t->head.n);
    so->grad_norm = sqrt(gsq);
    so->lr = schedule_lr(&t->opt_rc, t->step);
    if (!isfinite(so->loss) || !isfinite(so->grad_norm))
        return bt_errf(err, BT_ERUNTIME,
                       "non-finite %s at step %ld (loss %g, gradient norm %g); lower lr or "
                       "check the input",
                       isfinite(so->loss) ? "gradient" : "loss", t->step + 1, so->loss,
                       so->grad_norm);
    optimizer_step(&t->opt, &t->m, so->lr, so->grad_norm);
    struct adam_hparams hp = {.lr = (float)so->lr, .beta1 = t->opt.beta1, .beta2 = t->opt.beta2,
                              .eps = t->opt.eps, .wd = t->opt.weight_decay,
                              .bc1 = (float)(1.0 - pow(t->opt.beta1, (double)t->opt.t)),
                              .bc2 = (float)(1.0 - pow(t->opt.beta2, (double)t->opt.t))};
    float gscale = 1.0f;
    if (t->opt.grad_clip > 0 && so->grad_norm > t->opt.grad_clip)
        gscale = (float)(t->opt.grad_clip / (so->grad_norm + 1e-6));
    ft_head_step(&t->head, &hp, gscale);
    return BT_OK;
}

int ft_metrics_line(struct finetuner *t, void *json_obj, char *err)
{
    json_t *j = json_obj;
    if (t->rank != 0 || !t->metrics) {
        json_decref(j);
        return BT_OK;
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(j);
    int bad = fprintf(t->metrics, "%s\n", s) < 0 || fflush(t->metrics) != 0;
    free(s);
    return bad ? bt_errf(err, BT_EIO, "%s: cannot append the metrics line", t->metrics_path)
               : BT_OK;
}

static int log_step(struct finetuner *t, const struct step_out *so, double dt, char *err)
{
    if (t->rank != 0)
        return BT_OK;
    printf("step %ld/%ld epoch %d loss %.4f acc %.3f | lr %.2e | |g| %.3f | %.1f rows/s | "
           "comm %.0f%%\n",
           t->step, t->total_steps, t->epoch + 1, so->loss, so->acc, so->lr, so->grad_norm,
           dt > 0 ? (double)so->rows / dt : 0.0, dt > 0 ? 100 * so->t_comm / dt : 0.0);
    fflush(stdout);
    json_t *j = json_pack("{s:I, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "step",
                          (json_int_t)t->step, "epoch", t->epoch + 1, "loss", so->loss, "acc",
                          so->acc, "lr", so->lr, "grad_norm", so->grad_norm, "rows_per_s",
                          dt > 0 ? (double)so->rows / dt : 0.0, "tokens_per_s",
                          dt > 0 ? (double)so->tokens / dt : 0.0, "t_comm_exposed", so->t_comm);
    return ft_metrics_line(t, j, err);
}

static int log_eval(struct finetuner *t, const struct ft_eval_result *e, char *err)
{
    if (t->rank != 0)
        return BT_OK;
    json_t *j = json_pack("{s:I, s:i, s:f}", "step", (json_int_t)t->step, "epoch", t->epoch,
                          "eval_loss", e->loss);
    switch (t->args.task) {
    case FT_TASK_SEQ_CLS:
        printf("eval after epoch %d: accuracy %.4f", t->epoch, e->accuracy);
        if (t->labels.n == 2)
            printf(" f1 %.4f", e->f1);
        printf(" (majority baseline %.4f) loss %.4f\n", e->majority, e->loss);
        json_object_set_new(j, "eval_accuracy", json_real(e->accuracy));
        if (t->labels.n == 2) {
            json_object_set_new(j, "eval_f1", json_real(e->f1));
            json_object_set_new(j, "eval_precision", json_real(e->precision));
            json_object_set_new(j, "eval_recall", json_real(e->recall));
        }
        json_object_set_new(j, "eval_majority_baseline", json_real(e->majority));
        break;
    case FT_TASK_TOKEN_CLS:
        printf("eval after epoch %d: entity precision %.4f recall %.4f f1 %.4f (%ld gold, %ld "
               "predicted, %ld correct) loss %.4f\n",
               t->epoch, e->ner_p, e->ner_r, e->ner_f1, e->ner_gold, e->ner_pred, e->ner_correct,
               e->loss);
        json_object_set_new(j, "eval_precision", json_real(e->ner_p));
        json_object_set_new(j, "eval_recall", json_real(e->ner_r));
        json_object_set_new(j, "eval_f1", json_real(e->ner_f1));
        break;
    default:
        printf("eval after epoch %d: exact match %.2f f1 %.2f loss %.4f\n", t->epoch, e->em,
               e->qa_f1, e->loss);
        json_object_set_new(j, "eval_exact_match", json_real(e->em));
        json_object_set_new(j, "eval_f1", json_real(e->qa_f1));
        break;
    }
    fflush(stdout);
    return ft_metrics_line(t, j, err);
}

static int evaluate_and_log(struct finetuner *t, char *err)
{
    struct ft_eval_result e;
    int rc = ft_evaluate(t, &e, err);
    if (rc == BT_OK)
        rc = log_eval(t, &e, err);
    t->last_eval = e;
    if (t->best_epoch == 0 || e.main > t->best_eval.main) {
        t->best_eval = e;
        t->best_epoch = t->epoch;
    }
    return rc;
}

static void shuffle(struct finetuner *t)
{
    int n = t->train.f.n;
    for (int i = 0; i < n; i++)
        t->perm[i] = i;
    uint64_t stream = rng_stream(0xF75F, (uint64_t)t->epoch, 0);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below((uint64_t)t->rc.seed, stream, (uint64_t)i, (uint64_t)i + 1);
        int32_t x = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = x;
    }
}

/* OUT/checkpoint (ours) and/or OUT/model (Hugging Face), by save_format. */
static int save(struct finetuner *t, char *err)
{
    const char *fmt = t->rc.save_format;
    if (t->rank != 0 || !strcmp(fmt, "none"))
        return BT_OK;
    char dir[FT_PATH_LEN + 16];
    char *rj = ft_recipe_to_json(&t->rc);
    struct ft_save_info info = {t->args.task, &t->labels, t->vocab, t->lowercase, rj};
    int rc = BT_OK;
    if (strcmp(fmt, "hf")) {
        snprintf(dir, sizeof dir, "%s/checkpoint", t->args.out);
        if ((rc = ft_model_save_ckpt(dir, &t->m, &t->head, &info, err)) == BT_OK)
            printf("saved the fine-tuned model to %s (bert-ckpt export-hf exports it)\n", dir);
    }
    if (rc == BT_OK && strcmp(fmt, "checkpoint")) {
        snprintf(dir, sizeof dir, "%s/model", t->args.out);
        if ((rc = ft_model_save_hf(dir, &t->m, &t->head, &info, err)) == BT_OK)
            printf("saved the fine-tuned model to %s (Hugging Face format)\n", dir);
    }
    free(rj);
    return rc;
}

int ft_run(struct finetuner *t, char *err)
{
    t->t_start = timer_now();
    int rc = BT_OK;
    int n = t->train.f.n, bs = (int)t->rc.batch_size;
    while (t->step < t->total_steps && rc == BT_OK) {
        shuffle(t);
        for (long g = 0; g < t->steps_per_epoch && t->step < t->total_steps && rc == BT_OK;
             g++) {
            int64_t first = g * bs;
            int gn = n - (int)first < bs ? n - (int)first : bs;
            struct step_out so = {0};
            double s0 = timer_now();
            rc = train_step(t, t->perm + first, gn, first, &so, err);
            if (rc != BT_OK)
                break;
            t->step++;
            if (t->step == 1)
                t->first_loss = so.loss;
            t->last_loss = so.loss;
            if (t->step % t->rc.log_every == 0 || t->step == t->total_steps)
                rc = log_step(t, &so, timer_now() - s0, err);
        }
        t->epoch++;
        if (rc == BT_OK)
            rc = evaluate_and_log(t, err);
    }
    if (rc == BT_OK && t->total_steps == 0)
        rc = evaluate_and_log(t, err);
    if (rc == BT_OK)
        rc = save(t, err);
    if (rc == BT_OK)
        rc = ft_write_report(t, timer_now() - t->t_start, err);
    return rc;
}
