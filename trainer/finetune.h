/* finetune.h - the state of a bert-finetune run, shared by finetune_main.c
 * (command line, set-up, tear-down), finetune_loop.c (steps, epochs, metrics)
 * and finetune_eval.c (evaluation, official metrics, predictions, report).
 *
 * Data parallelism follows bert-train: every rank holds the whole (small)
 * fine-tuning data set; an epoch is a seeded permutation of the training rows
 * cut into global batches of batch_size rows; rank r takes the r-th slice of
 * each global batch, in micro-batches of micro_batch_size (accumulating when
 * batch_size > ranks x micro). Losses are normalised by the global label count,
 * encoder gradients are all-reduced per segment while backward runs, the head's
 * once per step. Dropout is keyed by (seed, step, global row index), so results
 * do not depend on the number of ranks beyond float summation order. */
#ifndef BT_FINETUNE_H
#define BT_FINETUNE_H

#include "bert.h"
#include "ft_compose.h"
#include "ft_conll.h"
#include "ft_feats.h"
#include "ft_heads.h"
#include "ft_model.h"
#include "ft_qa.h"
#include "ft_recipe.h"
#include "ft_squad.h"
#include "ft_tsv.h"
#include "grad_sync.h"
#include "optimizer.h"

#include <stdio.h>

#define FT_MAX_SETS 256

struct ft_args {
    enum ft_task task;
    const char *task_name, *model, *train, *eval, *out, *recipe, *vocab;
    char *sets[FT_MAX_SETS];
    int n_sets;
};

/* One data file of the task, read and turned into rows. */
struct ft_split {
    const char *path;
    struct ft_seq_set seq;
    struct ft_conll_set conll;
    struct ft_squad_set squad;
    struct ft_feats f;
    int n_examples;
};

struct ft_eval_result {
    double loss;
    double accuracy, precision, recall, f1, majority; /* seq-cls */
    double ner_p, ner_r, ner_f1;                     /* token-cls */
    long ner_pred, ner_gold, ner_correct;
    double em, qa_f1;                                /* qa, x100 */
    double main;                                     /* the task's headline metric */
    const char *main_name;
};

struct finetuner {
    struct ft_args args;
    struct ft_recipe rc;
    struct recipe opt_rc;           /* what optimizer.c and schedule.c read */
    int rank, world, threads, accum, micro, lowercase;
    struct ft_model_src src;
    struct vocab *vocab;
    struct ft_tok tok;
    struct ft_labels labels;
    struct ft_qa_opts qa;
    struct ft_split train, eval;
    struct bert_model m;
    struct ft_head head;
    struct optimizer opt;
    struct grad_sync gs;
    struct bert_acts *acts;
    struct batch mb;
    int32_t *lab;                   /* (micro, lw) labels of the micro-batch */
    struct ft_scratch scratch;      /* d(hidden), d(pooled) of a micro-batch */
    int32_t *perm;                  /* (train rows) order of the current epoch */
    long step, total_steps, steps_per_epoch;
    int epoch;
    FILE *metrics;
    char metrics_path[FT_PATH_LEN + 32];
    double t_start;
    struct ft_eval_result last_eval, best_eval;
    int best_epoch;
    double first_loss, last_loss;
};

int ft_parse_args(struct ft_args *a, int argc, char **argv, char *err) BT_WUR;
int ft_setup(struct finetuner *t, char *err) BT_WUR;
void ft_teardown(struct finetuner *t);
/* All epochs (evaluating after each), or only an evaluation when epochs is 0. */
int ft_run(struct finetuner *t, char *err) BT_WUR;
/* Evaluates on the eval split; rank 0 also writes the predictions file. */
int ft_evaluate(struct finetuner *t, struct ft_eval_result *res, char *err) BT_WUR;
/* Fills the micro-batch from rows idx[0..n) of split s (n <= micro; the rest
 * are padding rows with ignored labels); returns the labelled count. */
long ft_fill_batch(struct finetuner *t, const struct ft_split *s, const int32_t *idx, int n,
                   const int64_t *sample_index);
/* Encoder (+ pooler) and head forward on the filled micro-batch. */
void ft_forward(struct finetuner *t, int train, uint64_t step, float grad_scale,
                struct ft_head_result *r);
/* Rank 0: OUT/report.json (atomic). */
int ft_write_report(struct finetuner *t, double seconds, char *err) BT_WUR;
/* Appends one JSON object (consumed) to OUT/metrics.jsonl on rank 0. */
int ft_metrics_line(struct finetuner *t, void *json_obj, char *err) BT_WUR;

#endif
