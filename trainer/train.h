/* train.h - the state of a bert-train run shared by train_main.c (set-up,
 * command line, tear-down) and train_loop.c (steps, evaluation, metrics). */
#ifndef BT_TRAIN_H
#define BT_TRAIN_H

#include "bert.h"
#include "ckpt_writer.h"
#include "grad_sync.h"
#include "loader.h"
#include "metrics.h"
#include "optimizer.h"
#include "recipe.h"

#include <stdio.h>

#define TRAIN_PATH_LEN 4096
#define TRAIN_MAX_SETS 256

struct train_args {
    const char *model, *data, *run_dir, *recipe, *eval_data;
    char *sets[TRAIN_MAX_SETS];
    int n_sets;
};

struct train_interval {
    long steps;
    double t_data, t_fwd, t_bwd, t_comm, t_opt, t_step;
    double tokens;
};

struct trainer {
    struct train_args args;
    struct bert_config cfg;
    struct recipe rc;
    enum objective objective;
    int rank, world, accum, threads;
    struct bert_model m;
    struct optimizer opt;
    struct grad_sync gs;
    struct bert_acts *acts;
    struct batch *mb;              /* (accum) micro-batches of the current step */
    struct loader *loader, *eval_loader;
    long step;                     /* optimizer updates done */
    long skipped;                  /* updates skipped for non-finite values */
    long long samples;             /* global samples consumed */
    FILE *metrics;                 /* rank 0: RUN_DIR/metrics.jsonl */
    char metrics_path[TRAIN_PATH_LEN];
    struct train_interval iv;
    double t_start;
    struct step_metrics last;      /* the most recent step's metrics */
    double first_loss;             /* loss of the first step this process ran */
    struct ckpt_writer writer;     /* rank 0 */
    long resumed_from;             /* step of the checkpoint resumed from, -1 for a fresh run */
};

/* Parses argv into a; BT_EUSAGE with a message for bad usage. */
int train_parse_args(struct train_args *a, int argc, char **argv, char *err) BT_WUR;
/* Local checks and set-up, no communication: configs, validation, loaders, run dir. */
int train_setup(struct trainer *t, char *err) BT_WUR;
/* Collective set-up after every rank passed train_setup: model, optimizer, and
 * either a fresh initialisation (rank 0, broadcast) or the resume from the
 * newest checkpoint that loads (rank 0 reads, everyone receives). */
int train_init_state(struct trainer *t, char *err) BT_WUR;
void train_teardown(struct trainer *t);
/* Part of train_init_state: fresh start or resume, metrics file, loader position. */
int train_resume(struct trainer *t, char *err) BT_WUR;
/* Runs steps until total_steps, an error, or a stop signal (*stopped = 1: a
 * checkpoint was saved; exit with TRAIN_EXIT_PREEMPTED). */
int train_run(struct trainer *t, int *stopped, char *err) BT_WUR;
/* Forward-only pass over eval_batches micro-batches of the eval loader. */
int train_evaluate(struct trainer *t, struct eval_metrics *out, char *err) BT_WUR;

#endif
