/* ft_recipe.c - see ft_recipe.h. */
#include "ft_recipe.h"
#include "json_util.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fk_type { FK_INT, FK_NUM, FK_STR, FK_BOOL };

struct fk_def {
    const char *key;
    enum fk_type type;
    size_t offset;
    double dflt, min, max;
    const char *sdflt, *choices; /* choices "a|b|c" or NULL for free text */
};

#define O(f) offsetof(struct ft_recipe, f)
static const struct fk_def fkeys[] = {
    {"seq_len", FK_INT, O(seq_len), 128, 8, 65536, NULL, NULL},
    {"batch_size", FK_INT, O(batch_size), 32, 1, 1e9, NULL, NULL},
    {"micro_batch_size", FK_INT, O(micro_batch_size), 32, 1, 1e9, NULL, NULL},
    {"epochs", FK_INT, O(epochs), 3, 0, 1e6, NULL, NULL},
    {"max_steps", FK_INT, O(max_steps), 0, 0, 1e15, NULL, NULL},
    {"lr", FK_NUM, O(lr), 5e-5, 0, 10, NULL, NULL},
    {"warmup_ratio", FK_NUM, O(warmup_ratio), 0.1, 0, 1, NULL, NULL},
    {"weight_decay", FK_NUM, O(weight_decay), 0.01, 0, 10, NULL, NULL},
    {"beta1", FK_NUM, O(beta1), 0.9, 0, 0.999999, NULL, NULL},
    {"beta2", FK_NUM, O(beta2), 0.999, 0, 0.999999, NULL, NULL},
    {"eps", FK_NUM, O(eps), 1e-8, 0, 1, NULL, NULL},
    {"grad_clip", FK_NUM, O(grad_clip), 1.0, 0, 1e9, NULL, NULL},
    {"dropout", FK_NUM, O(dropout), -1, -1, 0.99, NULL, NULL},
    {"seed", FK_INT, O(seed), 42, 0, 9.2e18, NULL, NULL},
    {"log_every", FK_INT, O(log_every), 10, 1, 1e15, NULL, NULL},
    {"lowercase", FK_STR, O(lowercase), 0, 0, 0, "auto", "auto|true|false"},
    {"labels", FK_STR, O(labels), 0, 0, 0, "", NULL},
    {"doc_stride", FK_INT, O(doc_stride), 128, 1, 65536, NULL, NULL},
    {"max_query_len", FK_INT, O(max_query_len), 64, 1, 65536, NULL, NULL},
    {"max_answer_len", FK_INT, O(max_answer_len), 30, 1, 65536, NULL, NULL},
    {"n_best", FK_INT, O(n_best), 20, 1, 1000, NULL, NULL},
    {"save_format", FK_STR, O(save_format), 0, 0, 0, "checkpoint", "checkpoint|hf|both|none"},
};
#undef O
#define N_FKEYS (sizeof fkeys / sizeof fkeys[0])

static const struct fk_def *fk_find(const char *k)
{
    for (size_t i = 0; i < N_FKEYS; i++)
        if (!strcmp(fkeys[i].key, k))
            return &fkeys[i];
    return NULL;
}

void ft_recipe_defaults(struct ft_recipe *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < N_FKEYS; i++) {
        char *f = (char *)r + fkeys[i].offset;
        switch (fkeys[i].type) {
        case FK_INT: *(long *)(void *)f = (long)fkeys[i].dflt; break;
        case FK_NUM: *(double *)(void *)f = fkeys[i].dflt; break;
        case FK_BOOL: *(int *)(void *)f = (int)fkeys[i].dflt; break;
        case FK_STR: snprintf(f, FT_RECIPE_STR_LEN, "%s", fkeys[i].sdflt); break;
        }
    }
}

static int choice_ok(const char *v, const char *choices)
{
    size_t n = strlen(v);
    for (const char *c = choices; c && *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, v, n))
            return 1;
        c += len + (bar != NULL);
    }
    return choices == NULL;
}

static int fk_store(struct ft_recipe *r, const struct fk_def *k, double num, const char *str,
                    const char *where, char *err)
{
    char *f = (char *)r + k->offset;
    switch (k->type) {
    case FK_STR:
        if (!choice_ok(str, k->choices))
            return bt_errf(err, BT_EUSAGE, "%s: %s '%s' is not one of %s", where, k->key, str,
                           k->choices);
        if (strlen(str) >= FT_RECIPE_STR_LEN)
            return bt_errf(err, BT_EUSAGE, "%s: %s is longer than %d bytes", where, k->key,
                           FT_RECIPE_STR_LEN - 1);
        snprintf(f, FT_RECIPE_STR_LEN, "%s", str);
        return BT_OK;
    case FK_BOOL: *(int *)(void *)f = num != 0; return BT_OK;
    case FK_INT:
        if (num != floor(num))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be an integer, got %g", where, k->key,
                           num);
        /* fall through */
    case FK_NUM:
        if (!(num >= k->min && num <= k->max))
            return bt_errf(err, BT_EUSAGE, "%s: %s = %g is outside [%g, %g]", where, k->key, num,
                           k->min, k->max);
        if (k->type == FK_INT)
            *(long *)(void *)f = (long)num;
        else
            *(double *)(void *)f = num;
        return BT_OK;
    }
    return BT_OK;
}

static int fk_from_json(struct ft_recipe *r, const char *key, const json_t *v, const char *where,
                        char *err)
{
    const struct fk_def *k = fk_find(key);
    if (!k)
        return bt_errf(err, BT_EUSAGE, "%s: unknown fine-tuning recipe key '%s'", where, key);
    if (k->type == FK_STR && !json_is_string(v))
        return bt_errf(err, BT_EUSAGE, "%s: %s must be a string, got %s", where, key,
                       jsonu_type_name(v));
    if (k->type == FK_BOOL && !json_is_boolean(v))
        return bt_errf(err, BT_EUSAGE, "%s: %s must be true or false, got %s", where, key,
                       jsonu_type_name(v));
    if ((k->type == FK_INT || k->type == FK_NUM) && !json_is_number(v))
        return bt_errf(err, BT_EUSAGE, "%s: %s must be a number, got %s", where, key,
                       jsonu_type_name(v));
    if (k->type == FK_STR)
        return fk_store(r, k, 0, json_string_value(v), where, err);
    return fk_store(r, k, k->type == FK_BOOL ? json_is_true(v) : json_number_value(v), NULL,
                    where, err);
}

int ft_recipe_set(struct ft_recipe *r, const char *assignment, char *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return bt_errf(err, BT_EUSAGE, "--set '%s': expected key=value", assignment);
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    const char *val = eq + 1;
    const struct fk_def *k = fk_find(key);
    if (!k)
        return bt_errf(err, BT_EUSAGE, "--set %s: unknown fine-tuning recipe key '%s'", key, key);
    if (k->type == FK_STR)
        return fk_store(r, k, 0, val, "--set", err);
    if (k->type == FK_BOOL) {
        int t = !strcmp(val, "true") || !strcmp(val, "1");
        if (!t && strcmp(val, "false") && strcmp(val, "0"))
            return bt_errf(err, BT_EUSAGE, "--set %s: expected true or false, got '%s'", key, val);
        return fk_store(r, k, t, NULL, "--set", err);
    }
    char *end;
    errno = 0;
    double num = strtod(val, &end);
    if (!*val || *end || errno)
        return bt_errf(err, BT_EUSAGE, "--set %s: '%s' is not a number", key, val);
    return fk_store(r, k, num, NULL, "--set", err);
}

int ft_recipe_load(struct ft_recipe *r, const char *path, char **sets, int n_sets, char *err)
{
    ft_recipe_defaults(r);
    if (path) {
        json_t *j = jsonu_load_file(path, err);
        if (!j)
            return BT_EUSAGE;
        int rc = json_is_object(j) ? BT_OK
                                   : bt_errf(err, BT_EUSAGE, "%s: expected a JSON object", path);
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            if (rc != BT_OK || key[0] == '_')
                continue;
            rc = fk_from_json(r, key, v, path, err);
        }
        json_decref(j);
        if (rc != BT_OK)
            return rc;
    }
    for (int i = 0; i < n_sets; i++) {
        int rc = ft_recipe_set(r, sets[i], err);
        if (rc != BT_OK)
            return rc;
    }
    if (r->batch_size % r->micro_batch_size)
        return bt_errf(err, BT_EUSAGE, "batch_size %ld is not divisible by micro_batch_size %ld",
                       r->batch_size, r->micro_batch_size);
    if (r->max_query_len > r->seq_len - 4)
        r->max_query_len = r->seq_len - 4;
    return BT_OK;
}

char *ft_recipe_to_json(const struct ft_recipe *r)
{
    json_t *j = json_object();
    for (size_t i = 0; i < N_FKEYS; i++) {
        const char *f = (const char *)r + fkeys[i].offset;
        json_t *v = NULL;
        switch (fkeys[i].type) {
        case FK_INT: v = json_integer(*(const long *)(const void *)f); break;
        case FK_NUM: v = json_real(*(const double *)(const void *)f); break;
        case FK_BOOL: v = json_boolean(*(const int *)(const void *)f); break;
        case FK_STR: v = json_string(f); break;
        }
        json_object_set_new(j, fkeys[i].key, v);
    }
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
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
