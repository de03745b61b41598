/* metrics.h - what a training step measured, its JSON line for
 * RUN_DIR/metrics.jsonl (rank 0 appends, one object per logged step, fsynced)
 * and the readable progress line. */
#ifndef BT_METRICS_H
#define BT_METRICS_H

#include "check.h"

#include <stdio.h>

struct step_metrics {
    long step;            /* optimizer updates done, after this one */
    long total_steps;
    double loss, mlm_loss, nsp_loss, mlm_acc, nsp_acc; /* nsp_* < 0: no sentence-pair task */
    double lr, grad_norm;
    double tokens_per_s;
    long long samples;    /* global samples consumed so far */
    long long epoch;
    double t_data, t_fwd, t_bwd, t_comm_exposed, t_opt, t_step; /* seconds per step, averaged */
    long skipped;         /* steps skipped for non-finite values so far */
    double elapsed;       /* seconds since this process started training */
};

struct eval_metrics {
    long step;
    double mlm_loss, mlm_acc, nsp_loss, nsp_acc;
    long long tokens, predictions;
};

/* Appends one line to f and flushes + fsyncs it. */
int metrics_write(FILE *f, const struct step_metrics *m, const char *path, char *err) BT_WUR;
int metrics_write_eval(FILE *f, const struct eval_metrics *m, const char *path, char *err) BT_WUR;
/* "step 120/1000 (12.0%) loss 6.1234 mlm 5.98 acc 0.123 | 4,321 tok/s | lr 1.0e-04 | ETA 3m12s" */
void metrics_print(FILE *out, const struct step_metrics *m);

#endif
