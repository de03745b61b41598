/* train_resume.c - a fresh start or an exact resume. Rank 0 looks for the
 * newest complete checkpoint of the run directory that loads (every tensor's
 * checksum is checked while loading), falls back to older ones with a warning,
 * refuses a checkpoint of another model shape or one whose recipe differs in a
 * key that changes results, and broadcasts the state; every rank then positions
 * its loader at the saved data state. metrics.jsonl is cut back to the resumed
 * step so that the resumed run appends exactly the lines an uninterrupted run
 * would have written. */
#include "ckpt_dir.h"
#include "ckpt_state.h"
#include "comm.h"
#include "fileio.h"
#include "log.h"
#include "mem.h"
#include "train.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads one checkpoint file; BT_EUSAGE for a mismatch the user must resolve,
 * other errors mean "damaged, try an older one". */
static int load_one(struct trainer *t, const char *file, struct train_state *st, char *err)
{
    struct ckpt_file *f;
    int rc = ckpt_file_open(&f, file, err);
    if (rc != BT_OK)
        return rc == BT_EUSAGE ? BT_EIO : rc;
    struct bert_config saved;
    struct recipe sr;
    char diff[512], unsafe[512];
    if ((rc = ckpt_state_config(f, &saved, err)) == BT_OK &&
        (rc = ckpt_state_train(f, st, &sr, err)) == BT_OK) {
        ckpt_config_diff(&saved, &t->cfg, diff, sizeof diff);
        if (diff[0]) {
            rc = bt_errf(err, BT_EUSAGE,
                         "%s: the checkpoint's model differs from %s (%s); use a new --run-dir "
                         "or the original model config",
                         file, t->args.model, diff);
        } else if (!recipe_diff(&sr, &t->rc, diff, unsafe, sizeof diff)) {
            rc = bt_errf(err, BT_EUSAGE,
                         "%s: recipe keys changed since the checkpoint (%s); only total_steps, "
                         "micro_batch_size and the log/eval/checkpoint settings may change on "
                         "resume",
                         file, unsafe);
        } else {
            rc = ckpt_state_load(f, &t->m, t->m.params, t->opt.m, t->opt.v, err);
            if (rc == BT_OK && diff[0])
                log0_info("resume: recipe keys changed since the checkpoint (allowed): %s", diff);
        }
    }
    ckpt_file_close(f);
    return rc;
}

/* Rank 0: *resumed = 1 and *st filled when a checkpoint was loaded. */
static int find_and_load(struct trainer *t, struct train_state *st, int *resumed, char *err)
{
    *resumed = 0;
    int rc = ckpt_dir_clean_tmp(t->args.run_dir, err);
    long *steps;
    int n;
    if (rc == BT_OK)
        rc = ckpt_dir_list(t->args.run_dir, &steps, &n, err);
    if (rc != BT_OK)
        return rc;
    char first_err[BT_ERR_LEN] = "";
    for (int i = n - 1; i >= 0; i--) {
        char file[4200];
        ckpt_dir_step_path(file, sizeof file, t->args.run_dir, steps[i], 1);
        rc = load_one(t, file, st, err);
        if (rc == BT_OK) {
            *resumed = 1;
            if (i != n - 1)
                log_warn("resumed from step %ld, an older checkpoint: %s", steps[i], first_err);
            break;
        }
        if (rc == BT_EUSAGE)
            break;
        log_warn("checkpoint %s cannot be used: %s", file, err);
        if (!first_err[0])
            snprintf(first_err, sizeof first_err, "%s", err);
    }
    free(steps);
    if (rc != BT_OK && rc != BT_EUSAGE && n > 0)
        return bt_errf(err, BT_EFORMAT,
                       "%s/checkpoints: none of the %d checkpoints loads (newest: %s)",
                       t->args.run_dir, n, first_err);
    return n == 0 ? BT_OK : rc;
}

/* Keeps the metrics lines of steps <= step (the resumed run rewrites the rest). */
static int cut_metrics(const char *path, long step, char *err)
{
    if (!file_exists(path))
        return BT_OK;
    char *text;
    size_t len;
    int rc = file_read_all(path, &text, &len, err);
    if (rc != BT_OK)
        return rc;
    char *out = xmalloc(len + 1);
    size_t used = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t l = nl ? (size_t)(nl - line + 1) : strlen(line);
        const char *sp = strstr(line, "\"step\":");
        long s = sp && sp < line + l ? strtol(sp + 7, NULL, 10) : 0;
        if (s <= step && nl) { /* a line without newline was cut by a crash */
            memcpy(out + used, line, l);
            used += l;
        }
        line += l;
    }
    rc = file_write_atomic(path, out, used, err);
    xfree(text);
    xfree(out);
    return rc;
}

int train_resume(struct trainer *t, char *err)
{
    struct train_state st;
    memset(&st, 0, sizeof st);
    int resumed = 0, rc = BT_OK;
    if (t->rank == 0) {
        rc = find_and_load(t, &st, &resumed, err);
        if (rc == BT_OK && !resumed)
            bert_init_weights(&t->m, (uint64_t)t->rc.seed);
        if (rc == BT_OK)
            rc = cut_metrics(t->metrics_path, resumed ? st.step : 0, err);
        if (rc == BT_OK) {
            t->metrics = fopen(t->metrics_path, "a");
            if (!t->metrics)
                rc = bt_errf(err, BT_EIO, "%s: cannot open for appending: %s", t->metrics_path,
                             strerror(errno));
        }
    }
    int64_t h[9] = {rc, resumed, st.step, st.skipped, st.samples, st.opt_t, st.data_epoch,
                    st.data_sample, st.world};
    comm_bcast(h, sizeof h, 0);
    if (h[0] != BT_OK)
        return (int)h[0];
    size_t bytes = t->m.n_params * sizeof(float);
    comm_bcast(t->m.params, bytes, 0);
    t->resumed_from = -1;
    if (!h[1])
        return BT_OK;
    comm_bcast(t->opt.m, bytes, 0);
    comm_bcast(t->opt.v, bytes, 0);
    t->step = (long)h[2];
    t->skipped = (long)h[3];
    t->samples = h[4];
    t->opt.t = (long)h[5];
    t->resumed_from = t->step;
    rc = loader_seek(t->loader, (struct data_state){h[6], h[7]}, err);
    if (rc == BT_OK && t->rank == 0)
        log0_info("resumed from %s/checkpoints/step_%08ld (saved by %lld rank(s), now %d): data "
                  "epoch %lld sample %lld",
                  t->args.run_dir, t->step, (long long)h[8], t->world, (long long)h[6],
                  (long long)h[7]);
    return rc;
}
