/* ft_recipe.c - see ft_recipe.h. The key table is read and written by keytable.c. */
#include "ft_recipe.h"
#include "keytable.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define O(f) offsetof(struct ft_recipe, f)
static const struct kt_key keys[] = {
    {"seq_len", KT_INT, O(seq_len), 128, 8, 65536, NULL, NULL, 0},
    {"batch_size", KT_INT, O(batch_size), 32, 1, 1e9, NULL, NULL, 0},
    {"micro_batch_size", KT_INT, O(micro_batch_size), 32, 1, 1e9, NULL, NULL, 0},
    {"epochs", KT_INT, O(epochs), 3, 0, 1e6, NULL, NULL, 0},
    {"max_steps", KT_INT, O(max_steps), 0, 0, 1e15, NULL, NULL, 0},
    {"lr", KT_NUM, O(lr), 5e-5, 0, 10, NULL, NULL, 0},
    {"warmup_ratio", KT_NUM, O(warmup_ratio), 0.1, 0, 1, NULL, NULL, 0},
    {"weight_decay", KT_NUM, O(weight_decay), 0.01, 0, 10, NULL, NULL, 0},
    {"beta1", KT_NUM, O(beta1), 0.9, 0, 0.999999, NULL, NULL, 0},
    {"beta2", KT_NUM, O(beta2), 0.999, 0, 0.999999, NULL, NULL, 0},
    {"eps", KT_NUM, O(eps), 1e-8, 0, 1, NULL, NULL, 0},
    {"grad_clip", KT_NUM, O(grad_clip), 1.0, 0, 1e9, NULL, NULL, 0},
    {"dropout", KT_NUM, O(dropout), -1, -1, 0.99, NULL, NULL, 0},
    {"seed", KT_INT, O(seed), 42, 0, 9.2e18, NULL, NULL, 0},
    {"log_every", KT_INT, O(log_every), 10, 1, 1e15, NULL, NULL, 0},
    {"lowercase", KT_STR, O(lowercase), 0, 0, 0, "auto", "auto|true|false", 0},
    {"labels", KT_STR, O(labels), 0, 0, 0, "", NULL, 0},
    {"doc_stride", KT_INT, O(doc_stride), 128, 1, 65536, NULL, NULL, 0},
    {"max_query_len", KT_INT, O(max_query_len), 64, 1, 65536, NULL, NULL, 0},
    {"max_answer_len", KT_INT, O(max_answer_len), 30, 1, 65536, NULL, NULL, 0},
    {"n_best", KT_INT, O(n_best), 20, 1, 1000, NULL, NULL, 0},
    {"save_format", KT_STR, O(save_format), 0, 0, 0, "checkpoint", "checkpoint|hf|both|none", 0},
};
#undef O

static const struct kt_table table = {keys, sizeof keys / sizeof keys[0], FT_RECIPE_STR_LEN,
                                      "fine-tuning recipe"};

void ft_recipe_defaults(struct ft_recipe *r)
{
    memset(r, 0, sizeof *r);
    kt_defaults(&table, r);
}

int ft_recipe_set(struct ft_recipe *r, const char *assignment, char *err)
{
    return kt_set(&table, r, assignment, err);
}

int ft_recipe_load(struct ft_recipe *r, const char *path, char **sets, int n_sets, char *err)
{
    memset(r, 0, sizeof *r);
    int rc = kt_load(&table, r, path, sets, n_sets, err);
    if (rc != BT_OK)
        return rc;
    if (r->batch_size % r->micro_batch_size)
        return bt_errf(err, BT_EUSAGE, "batch_size %ld is not divisible by micro_batch_size %ld",
                       r->batch_size, r->micro_batch_size);
    if (r->max_query_len > r->seq_len - 4)
        r->max_query_len = r->seq_len - 4;
    return BT_OK;
}


char *ft_recipe_to_json(const struct ft_recipe *r)
{
    return kt_to_json(&table, r);
}

void ft_recipe_to_train(const struct ft_recipe *r, long total_steps, struct recipe *out)
{
    recipe_defaults(out);
    snprintf(out->optimizer, sizeof out->optimizer, "adamw");
    snprintf(out->lr_schedule, sizeof out->lr_schedule, "linear");
    out->lr = r->lr;
    out->lr_end = 0;
    out->beta1 = r->beta1;
    out->beta2 = r->beta2;
    out->eps = r->eps;
    out->weight_decay = r->weight_decay;
    out->grad_clip = r->grad_clip;
    out->bias_correction = 1;
    out->total_steps = total_steps > 0 ? total_steps : 1;
    out->warmup_steps = (long)ceil(r->warmup_ratio * (double)total_steps);
    out->seed = r->seed;
}
