/* ft_recipe.h - the fine-tuning recipe of bert-finetune: our own JSON keys in
 * one table {key, type, default, range} (the bert-train recipe's rules: unknown
 * keys, wrong types and out-of-range values are BT_EUSAGE errors naming the file
 * or --set and the key; "_comment"-style keys are skipped).
 * Defaults follow Hugging Face's run_glue / run_ner / run_qa examples (AdamW,
 * linear decay, lr 5e-5, batch 32, 3 epochs, doc stride 128, max query 64,
 * max answer 30, n-best 20) with BERT's 10% warmup. */
#ifndef BT_FT_RECIPE_H
#define BT_FT_RECIPE_H

#include "check.h"
#include "recipe.h"

#define FT_RECIPE_STR_LEN 1024

struct ft_recipe {
    long seq_len, batch_size, micro_batch_size, epochs, max_steps;
    double lr, warmup_ratio, weight_decay, beta1, beta2, eps, grad_clip;
    double dropout;               /* < 0: keep the model config's dropout */
    long seed, log_every;
    char lowercase[FT_RECIPE_STR_LEN]; /* auto (tokenizer_config.json, else true), true, false */
    char labels[FT_RECIPE_STR_LEN];    /* "" (from the data) or "a,b,c" */
    long doc_stride, max_query_len, max_answer_len, n_best;
    char save_format[FT_RECIPE_STR_LEN]; /* checkpoint, hf, both, none */
};

void ft_recipe_defaults(struct ft_recipe *r);
int ft_recipe_load(struct ft_recipe *r, const char *path, char **sets, int n_sets,
                   char *err) BT_WUR;
int ft_recipe_set(struct ft_recipe *r, const char *assignment, char *err) BT_WUR;
char *ft_recipe_to_json(const struct ft_recipe *r); /* malloc'd, pretty */
/* The bert-train recipe fields the optimizer and the LR schedule read
 * (adamw, linear schedule, total and warmup steps). */
void ft_recipe_to_train(const struct ft_recipe *r, long total_steps, struct recipe *out);

#endif
