/* recipe.c - see recipe.h. The key table is read and written by keytable.c. */
#include "recipe.h"
#include "keytable.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define O(f) offsetof(struct recipe, f)
static const struct kt_key keys[] = {
    {"objective", KT_STR, O(objective), 0, 0, 0, "nsp", "nsp|sop|full-sentences|doc-sentences", 0},
    {"seq_len", KT_INT, O(seq_len), 128, 8, 65536, NULL, NULL, 0},
    {"max_pred", KT_INT, O(max_pred), 20, 1, 65536, NULL, NULL, 0},
    {"mask_prob", KT_NUM, O(mask_prob), 0.15, 0.0, 1.0, NULL, NULL, 0},
    {"short_seq_prob", KT_NUM, O(short_seq_prob), 0.1, 0.0, 1.0, NULL, NULL, 0},
    {"masking", KT_STR, O(masking), 0, 0, 0, "token", "token|whole-word|ngram", 0},
    {"global_batch_size", KT_INT, O(global_batch_size), 32, 1, 1e9, NULL, NULL, 0},
    {"micro_batch_size", KT_INT, O(micro_batch_size), 16, 1, 1e9, NULL, NULL, 1},
    {"total_steps", KT_INT, O(total_steps), 1000, 1, 1e15, NULL, NULL, 1},
    {"optimizer", KT_STR, O(optimizer), 0, 0, 0, "adamw", "adamw|lamb", 0},
    {"lr", KT_NUM, O(lr), 1e-4, 0.0, 10.0, NULL, NULL, 0},
    {"beta1", KT_NUM, O(beta1), 0.9, 0.0, 1.0, NULL, NULL, 0},
    {"beta2", KT_NUM, O(beta2), 0.999, 0.0, 1.0, NULL, NULL, 0},
    {"eps", KT_NUM, O(eps), 1e-6, 0.0, 1.0, NULL, NULL, 0},
    {"weight_decay", KT_NUM, O(weight_decay), 0.01, 0.0, 10.0, NULL, NULL, 0},
    {"bias_correction", KT_BOOL, O(bias_correction), 1, 0, 1, NULL, NULL, 0},
    {"grad_clip", KT_NUM, O(grad_clip), 1.0, 0.0, 1e9, NULL, NULL, 0},
    {"lr_schedule", KT_STR, O(lr_schedule), 0, 0, 0, "linear", "linear|poly|constant", 0},
    {"warmup_steps", KT_INT, O(warmup_steps), 100, 0, 1e15, NULL, NULL, 0},
    {"lr_power", KT_NUM, O(lr_power), 1.0, 0.0, 100.0, NULL, NULL, 0},
    {"lr_end", KT_NUM, O(lr_end), 0.0, 0.0, 10.0, NULL, NULL, 0},
    {"dropout", KT_NUM, O(dropout), -1.0, -1.0, 0.99, NULL, NULL, 0},
    {"seed", KT_INT, O(seed), 12345, 0, 9.2e18, NULL, NULL, 0},
    {"log_every", KT_INT, O(log_every), 10, 1, 1e15, NULL, NULL, 1},
    {"eval_every", KT_INT, O(eval_every), 0, 0, 1e15, NULL, NULL, 1},
    {"eval_batches", KT_INT, O(eval_batches), 8, 1, 1e9, NULL, NULL, 1},
    {"checkpoint_every", KT_INT, O(checkpoint_every), 0, 0, 1e15, NULL, NULL, 1},
    {"keep_checkpoints", KT_INT, O(keep_checkpoints), 3, 1, 1e6, NULL, NULL, 1},
    {"permanent_every", KT_INT, O(permanent_every), 0, 0, 1e15, NULL, NULL, 1},
    {"check_every", KT_INT, O(check_every), 100, 0, 1e15, NULL, NULL, 1},
    {"on_nonfinite", KT_STR, O(on_nonfinite), 0, 0, 0, "stop", "stop|skip", 1},
    {"grad_sync", KT_STR, O(grad_sync), 0, 0, 0, "overlap", "overlap|blocking", 1},
};
#undef O

static const struct kt_table table = {keys, sizeof keys / sizeof keys[0], RECIPE_STR_LEN,
                                      "recipe"};

void recipe_defaults(struct recipe *r)
{
    memset(r, 0, sizeof *r);
    kt_defaults(&table, r);
}

int recipe_set(struct recipe *r, const char *assignment, char *err)
{
    return kt_set(&table, r, assignment, err);
}

int recipe_load(struct recipe *r, const char *path, char **sets, int n_sets, char *err)
{
    memset(r, 0, sizeof *r);
    int rc = kt_load(&table, r, path, sets, n_sets, err);
    return rc != BT_OK ? rc : recipe_validate(r, err);
}

int recipe_validate(const struct recipe *r, char *err)
{
    if (r->global_batch_size % r->micro_batch_size)
        return bt_errf(err, BT_EUSAGE,
                       "global_batch_size %ld is not divisible by micro_batch_size %ld",
                       r->global_batch_size, r->micro_batch_size);
    if (r->max_pred > r->seq_len)
        return bt_errf(err, BT_EUSAGE, "max_pred %ld exceeds seq_len %ld", r->max_pred,
                       r->seq_len);
    if (r->beta1 >= 1.0 || r->beta2 >= 1.0)
        return bt_errf(err, BT_EUSAGE, "beta1 and beta2 must be < 1");
    return BT_OK;
}

char *recipe_to_json(const struct recipe *r)
{
    return kt_to_json(&table, r);
}

int recipe_key_is_safe_to_change(const char *key)
{
    const struct kt_key *k = kt_find(&table, key);
    return k && k->safe;
}

static void append_key(char *buf, size_t n, const char *key)
{
    size_t used = strlen(buf);
    if (used + strlen(key) + 3 < n)
        snprintf(buf + used, n - used, "%s%s", used ? ", " : "", key);
}

int recipe_diff(const struct recipe *a, const struct recipe *b, char *changed, char *unsafe,
                size_t n)
{
    changed[0] = unsafe[0] = '\0';
    for (size_t i = 0; i < table.n; i++) {
        if (!kt_differs(&keys[i], a, b))
            continue;
        append_key(changed, n, keys[i].key);
        if (!keys[i].safe)
            append_key(unsafe, n, keys[i].key);
    }
    return unsafe[0] == '\0';
}
