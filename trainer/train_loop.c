/* train_loop.c - one optimizer step (micro-batches, forward, backward with the
 * overlapped all-reduce, global loss normalisation, non-finite guard, update),
 * periodic evaluation, divergence checks and metrics. */
#include "ckpt_dir.h"
#include "comm.h"
#include "log.h"
#include "reduce.h"
#include "schedule.h"
#include "signals.h"
#include "timer.h"
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Name of the first tensor whose gradient holds a non-finite value. */
static const char *first_nonfinite(const struct bert_model *m)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (reduce_first_nonfinite(m->grads + m->tensors[i].offset, m->tensors[i].numel) >= 0)
            return m->tensors[i].name;
    return "(none: the loss itself)";
}

/* Labels of a micro-batch: MLM predictions, sentence-pair labels, real tokens. */
static void count_labels(const struct batch *b, int64_t c[3])
{
    c[0] += b->n_pred;
    for (int r = 0; r < b->rows; r++)
        c[1] += b->nsp_labels[r] >= 0;
    c[2] += b->n_tokens;
}

struct step_result {
    double mlm_loss, nsp_loss, mlm_acc, nsp_acc, loss, grad_norm, lr;
    double t_data, t_fwd, t_bwd, t_comm, t_opt;
    double tokens;
    int skipped;
    int stop;       /* some rank received a stop signal */
};

static int train_step(struct trainer *t, struct step_result *sr, char *err)
{
    memset(sr, 0, sizeof *sr);
    double w0 = loader_wait_seconds(t->loader), t0 = timer_now();
    int64_t cnt[3] = {0, 0, 0};
    for (int a = 0; a < t->accum; a++) {
        int rc = loader_next(t->loader, &t->mb[a], err);
        if (rc != BT_OK)
            return rc;
        count_labels(&t->mb[a], cnt);
    }
    (void)t0;
    sr->t_data = loader_wait_seconds(t->loader) - w0;
    comm_allreduce_sum_i64(cnt, 3);
    struct bert_step st = {.seed = (uint64_t)t->rc.seed, .step = (uint64_t)t->step, .train = 1,
                           .mlm_scale = cnt[0] ? 1.0f / (float)cnt[0] : 0.0f,
                           .nsp_scale = cnt[1] ? 1.0f / (float)cnt[1] : 0.0f};
    memset(t->m.grads, 0, t->m.n_params * sizeof(float));
    struct bert_result res = {0};
    struct bert_wte_rows wr;
    for (int a = 0; a < t->accum; a++) {
        double f0 = timer_now();
        bert_forward(&t->m, t->acts, &t->mb[a], &st, &res);
        double f1 = timer_now();
        int last = a == t->accum - 1 && t->world > 1;
        if (last && t->gs.overlap) { /* word-embedding rows apart (grad_sync.h) */
            grad_sync_prepare_rows(&t->gs, t->mb[a].input_ids,
                                   (size_t)t->mb[a].B * (size_t)t->mb[a].T, &wr);
            st.wte_rows = &wr;
        }
        bert_backward(&t->m, t->acts, &t->mb[a], &st, last ? grad_sync_hook : NULL,
                      last ? &t->gs : NULL);
        sr->t_fwd += f1 - f0;
        sr->t_bwd += timer_now() - f1;
    }
    if (t->world > 1)
        sr->t_comm = grad_sync_finish(&t->gs);
    /* One all-reduce carries the loss sums and the ranks' stop requests. */
    double s[5] = {res.mlm_loss_sum, res.nsp_loss_sum, (double)res.mlm_correct,
                   (double)res.nsp_correct, signals_pending() ? 1.0 : 0.0};
    comm_allreduce_sum_f64(s, 5);
    sr->stop = s[4] > 0;
    sr->mlm_loss = cnt[0] ? s[0] / (double)cnt[0] : 0.0;
    sr->mlm_acc = cnt[0] ? s[2] / (double)cnt[0] : 0.0;
    sr->nsp_loss = cnt[1] ? s[1] / (double)cnt[1] : -1.0;
    sr->nsp_acc = cnt[1] ? s[3] / (double)cnt[1] : -1.0;
    sr->loss = sr->mlm_loss + (cnt[1] ? sr->nsp_loss : 0.0);
    sr->tokens = (double)cnt[2];
    double o0 = timer_now();
    sr->grad_norm = grad_global_norm(&t->m);
    sr->lr = schedule_lr(&t->rc, t->step);
    if (!isfinite(sr->grad_norm) || !isfinite(sr->loss)) {
        if (strcmp(t->rc.on_nonfinite, "skip"))
            return bt_errf(err, BT_ERUNTIME,
                           "non-finite %s at step %ld (loss %g, gradient norm %g); first "
                           "non-finite gradient: %s. Set on_nonfinite=skip to skip such steps.",
                           isfinite(sr->loss) ? "gradient" : "loss", t->step + 1, sr->loss,
                           sr->grad_norm, first_nonfinite(&t->m));
        sr->skipped = 1;
        if (t->rank == 0)
            log_warn("step %ld: non-finite loss or gradient (first: %s), update skipped",
                     t->step + 1, first_nonfinite(&t->m));
    } else {
        optimizer_step(&t->opt, &t->m, sr->lr, sr->grad_norm);
    }
    sr->t_opt = timer_now() - o0;
    return BT_OK;
}

/* 64-bit fingerprint of the parameter slab (exact bits). */
static int64_t param_fingerprint(const struct bert_model *m)
{
    uint64_t h = 1469598103934665603ull;
    const uint32_t *w = (const uint32_t *)(const void *)m->params;
    for (size_t i = 0; i < m->n_params; i++)
        h = (h ^ w[i]) * 1099511628211ull;
    return (int64_t)(h >> 1);
}

static int check_divergence(struct trainer *t, char *err)
{
    int64_t lo = param_fingerprint(&t->m), hi = lo;
    comm_allreduce_min_i64(&lo, 1);
    comm_allreduce_max_i64(&hi, 1);
    if (lo != hi)
        return bt_errf(err, BT_ERUNTIME,
                       "parameters differ between ranks at step %ld (non-deterministic "
                       "reduction or a faulty node); stopping",
                       t->step);
    return BT_OK;
}

int train_evaluate(struct trainer *t, struct eval_metrics *out, char *err)
{
    int rc = loader_seek(t->eval_loader, (struct data_state){0, 0}, err);
    if (rc != BT_OK)
        return rc;
    struct bert_step st = {.seed = (uint64_t)t->rc.seed, .train = 0};
    struct bert_result res = {0};
    int64_t tok = 0;
    for (long i = 0; i < t->rc.eval_batches; i++) {
        if ((rc = loader_next(t->eval_loader, &t->mb[0], err)) != BT_OK)
            return rc;
        bert_forward(&t->m, t->acts, &t->mb[0], &st, &res);
        tok += t->mb[0].n_tokens;
    }
    double s[6] = {res.mlm_loss_sum, res.nsp_loss_sum, (double)res.mlm_correct,
                   (double)res.nsp_correct, (double)res.mlm_count, (double)res.nsp_count};
    comm_allreduce_sum_f64(s, 6);
    out->step = t->step;
    out->mlm_loss = s[4] > 0 ? s[0] / s[4] : 0;
    out->mlm_acc = s[4] > 0 ? s[2] / s[4] : 0;
    out->nsp_loss = s[5] > 0 ? s[1] / s[5] : -1;
    out->nsp_acc = s[5] > 0 ? s[3] / s[5] : -1;
    out->predictions = (long long)s[4];
    out->tokens = tok;
    return BT_OK;
}

static void accumulate(struct train_interval *iv, const struct step_result *sr, double dt)
{
    iv->steps++;
    iv->t_data += sr->t_data;
    iv->t_fwd += sr->t_fwd;
    iv->t_bwd += sr->t_bwd;
    iv->t_comm += sr->t_comm;
    iv->t_opt += sr->t_opt;
    iv->t_step += dt;
    iv->tokens += sr->tokens;
}

static int log_step(struct trainer *t, const struct step_result *sr, char *err)
{
    struct train_interval *iv = &t->iv;
    double n = (double)(iv->steps ? iv->steps : 1);
    struct data_state ds = loader_state(t->loader);
    struct step_metrics m = {.step = t->step, .total_steps = t->rc.total_steps,
                             .loss = sr->loss, .mlm_loss = sr->mlm_loss,
                             .nsp_loss = sr->nsp_loss, .mlm_acc = sr->mlm_acc,
                             .nsp_acc = sr->nsp_acc, .lr = sr->lr, .grad_norm = sr->grad_norm,
                             .tokens_per_s = iv->t_step > 0 ? iv->tokens / iv->t_step : 0,
                             .samples = t->samples, .epoch = ds.epoch,
                             .t_data = iv->t_data / n, .t_fwd = iv->t_fwd / n,
                             .t_bwd = iv->t_bwd / n, .t_comm_exposed = iv->t_comm / n,
                             .t_opt = iv->t_opt / n, .t_step = iv->t_step / n,
                             .skipped = t->skipped, .elapsed = timer_now() - t->t_start};
    t->last = m;
    memset(iv, 0, sizeof *iv);
    if (t->rank != 0)
        return BT_OK;
    metrics_print(stdout, &m);
    return metrics_write(t->metrics, &m, t->metrics_path, err);
}

/* Saves a checkpoint of the current step (rank 0). */
static int save(struct trainer *t, int background, char *err)
{
    if (t->rank != 0)
        return BT_OK;
    struct data_state ds = loader_state(t->loader);
    struct train_state st = {.step = t->step, .skipped = t->skipped, .opt_t = t->opt.t,
                             .samples = t->samples, .data_epoch = ds.epoch,
                             .data_sample = ds.sample, .world = t->world,
                             .threads = t->threads};
    return ckpt_writer_save(&t->writer, t->m.params, t->opt.m, t->opt.v, &t->rc, &st, background,
                            err);
}

/* All ranks agree on the status of a rank-0 action. */
static int agree_rank0(int rc)
{
    int64_t v = rc;
    comm_bcast(&v, sizeof v, 0);
    return (int)v;
}

int train_run(struct trainer *t, int *stopped, char *err)
{
    *stopped = 0;
    t->t_start = timer_now();
    long first = t->step;
    if (t->step >= t->rc.total_steps && t->rank == 0)
        printf("the run is already complete at step %ld (total_steps %ld)\n", t->step,
               t->rc.total_steps);
    while (t->step < t->rc.total_steps) {
        double s0 = timer_now();
        struct step_result sr;
        int rc = train_step(t, &sr, err);
        if (rc != BT_OK)
            return rc;
        t->step++;
        t->skipped += sr.skipped;
        t->samples += t->rc.global_batch_size;
        if (t->step == first + 1)
            t->first_loss = sr.loss;
        accumulate(&t->iv, &sr, timer_now() - s0);
        if (t->step % t->rc.log_every == 0 || t->step == t->rc.total_steps)
            if ((rc = log_step(t, &sr, err)) != BT_OK)
                return rc;
        if (t->eval_loader && t->rc.eval_every && t->step % t->rc.eval_every == 0) {
            struct eval_metrics em;
            if ((rc = train_evaluate(t, &em, err)) != BT_OK)
                return rc;
            if (t->rank == 0) {
                printf("eval at step %ld: mlm loss %.4f acc %.4f", em.step, em.mlm_loss,
                       em.mlm_acc);
                if (em.nsp_acc >= 0)
                    printf(", nsp acc %.4f", em.nsp_acc);
                printf(" (%lld predictions)\n", em.predictions);
                if ((rc = metrics_write_eval(t->metrics, &em, t->metrics_path, err)) != BT_OK)
                    return rc;
            }
        }
        if (t->world > 1 && t->rc.check_every && t->step % t->rc.check_every == 0)
            if ((rc = check_divergence(t, err)) != BT_OK)
                return rc;
        if (sr.stop) {
            if ((rc = agree_rank0(save(t, 0, err))) != BT_OK)
                return err[0] ? rc : bt_errf(err, rc, "saving the checkpoint failed on rank 0");
            if (t->rank == 0)
                printf("stop requested by a signal: checkpoint %s/checkpoints/step_%08ld saved; "
                       "rerun the same command to resume (exit %d)\n",
                       t->args.run_dir, t->step, TRAIN_EXIT_PREEMPTED);
            *stopped = 1;
            return BT_OK;
        }
        if (t->rc.checkpoint_every && t->step % t->rc.checkpoint_every == 0 &&
            t->step < t->rc.total_steps && (rc = save(t, 1, err)) != BT_OK)
            return rc;
        if (t->rank == 0 && (rc = ckpt_writer_poll(&t->writer, err)) != BT_OK)
            return rc;
    }
    int rc = BT_OK;
    if (t->step > first || t->resumed_from < 0)
        rc = save(t, 0, err);
    if (t->rank == 0 && rc == BT_OK)
        rc = ckpt_writer_wait(&t->writer, err);
    if ((rc = agree_rank0(rc)) != BT_OK)
        return err[0] ? rc : bt_errf(err, rc, "saving the final checkpoint failed on rank 0");
    if (t->rank == 0) {
        double el = timer_now() - t->t_start;
        char where[4200];
        ckpt_dir_step_path(where, sizeof where, t->args.run_dir, t->step, 0);
        printf("done: %ld steps in %.1f s; loss %.4f -> %.4f; %.0f tokens/s; %ld skipped\n"
               "checkpoint: %s\n",
               t->step - first, el, t->first_loss, t->last.loss, t->last.tokens_per_s,
               t->skipped, where);
    }
    return BT_OK;
}
