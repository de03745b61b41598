/* recipe.h - the training recipe: our own JSON keys, one table of
 * {key, type, default, range}. Unknown keys, wrong types and out-of-range values
 * are BT_EUSAGE errors naming the file (or --set) and the key. `--set key=value`
 * overrides any key after the file is read. */
#ifndef BT_RECIPE_H
#define BT_RECIPE_H

#include "check.h"

#define RECIPE_STR_LEN 32

struct recipe {
    char objective[RECIPE_STR_LEN]; /* nsp, sop, full-sentences, doc-sentences */
    long seq_len, max_pred;
    double mask_prob, short_seq_prob;
    char masking[RECIPE_STR_LEN];   /* token, whole-word, ngram (data/masking.h) */
    long global_batch_size, micro_batch_size, total_steps;
    char optimizer[RECIPE_STR_LEN];  /* adamw, lamb */
    double lr, beta1, beta2, eps, weight_decay, grad_clip;
    int bias_correction;
    char lr_schedule[RECIPE_STR_LEN]; /* linear, poly, constant */
    long warmup_steps;
    double lr_power, lr_end;
    double dropout;                  /* < 0: keep the model config's dropout */
    long seed;
    long log_every, eval_every, eval_batches, checkpoint_every, keep_checkpoints,
        permanent_every, check_every;
    char on_nonfinite[RECIPE_STR_LEN]; /* stop, skip */
    char grad_sync[RECIPE_STR_LEN];    /* overlap, blocking */
};

/* Defaults for every key. */
void recipe_defaults(struct recipe *r);
/* Reads path (NULL: defaults only) and applies the overrides "key=value". */
int recipe_load(struct recipe *r, const char *path, char **sets, int n_sets, char *err) BT_WUR;
int recipe_set(struct recipe *r, const char *assignment, char *err) BT_WUR;
/* Cross-field checks that need no model or data (ranges, enumerations). */
int recipe_validate(const struct recipe *r, char *err) BT_WUR;
/* The resolved recipe as pretty JSON (malloc'd). */
char *recipe_to_json(const struct recipe *r);
/* Keys that may change on resume without changing the run's results. */
int recipe_key_is_safe_to_change(const char *key);
/* Compares two recipes: fills `changed` with the names of the keys that differ and
 * `unsafe` with those among them that may not change on resume (comma separated);
 * returns 1 when only safe keys differ, 0 otherwise. */
int recipe_diff(const struct recipe *a, const struct recipe *b, char *changed, char *unsafe,
                size_t n);

#endif
