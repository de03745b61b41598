/* recipe.c - see recipe.h. */
#include "recipe.h"
#include "json_util.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { K_INT, K_NUM, K_STR, K_BOOL };

struct key_def {
    const char *key;
    enum key_type type;
    size_t offset;
    double dflt, min, max;
    const char *sdflt;
    const char *choices; /* "a|b|c" for strings */
    int safe;            /* may change on resume */
};

#define O(f) offsetof(struct recipe, f)
static const struct key_def keys[] = {
    {"objective", K_STR, O(objective), 0, 0, 0, "nsp", "nsp|sop|full-sentences|doc-sentences", 0},
    {"seq_len", K_INT, O(seq_len), 128, 8, 65536, NULL, NULL, 0},
    {"max_pred", K_INT, O(max_pred), 20, 1, 65536, NULL, NULL, 0},
    {"mask_prob", K_NUM, O(mask_prob), 0.15, 0.0, 1.0, NULL, NULL, 0},
    {"short_seq_prob", K_NUM, O(short_seq_prob), 0.1, 0.0, 1.0, NULL, NULL, 0},
    {"global_batch_size", K_INT, O(global_batch_size), 32, 1, 1e9, NULL, NULL, 0},
    {"micro_batch_size", K_INT, O(micro_batch_size), 16, 1, 1e9, NULL, NULL, 1},
    {"total_steps", K_INT, O(total_steps), 1000, 1, 1e15, NULL, NULL, 1},
    {"optimizer", K_STR, O(optimizer), 0, 0, 0, "adamw", "adamw|lamb", 0},
    {"lr", K_NUM, O(lr), 1e-4, 0.0, 10.0, NULL, NULL, 0},
    {"beta1", K_NUM, O(beta1), 0.9, 0.0, 1.0, NULL, NULL, 0},
    {"beta2", K_NUM, O(beta2), 0.999, 0.0, 1.0, NULL, NULL, 0},
    {"eps", K_NUM, O(eps), 1e-6, 0.0, 1.0, NULL, NULL, 0},
    {"weight_decay", K_NUM, O(weight_decay), 0.01, 0.0, 10.0, NULL, NULL, 0},
    {"bias_correction", K_BOOL, O(bias_correction), 1, 0, 1, NULL, NULL, 0},
    {"grad_clip", K_NUM, O(grad_clip), 1.0, 0.0, 1e9, NULL, NULL, 0},
    {"lr_schedule", K_STR, O(lr_schedule), 0, 0, 0, "linear", "linear|poly|constant", 0},
    {"warmup_steps", K_INT, O(warmup_steps), 100, 0, 1e15, NULL, NULL, 0},
    {"lr_power", K_NUM, O(lr_power), 1.0, 0.0, 100.0, NULL, NULL, 0},
    {"lr_end", K_NUM, O(lr_end), 0.0, 0.0, 10.0, NULL, NULL, 0},
    {"dropout", K_NUM, O(dropout), -1.0, -1.0, 0.99, NULL, NULL, 0},
    {"seed", K_INT, O(seed), 12345, 0, 9.2e18, NULL, NULL, 0},
    {"log_every", K_INT, O(log_every), 10, 1, 1e15, NULL, NULL, 1},
    {"eval_every", K_INT, O(eval_every), 0, 0, 1e15, NULL, NULL, 1},
    {"eval_batches", K_INT, O(eval_batches), 8, 1, 1e9, NULL, NULL, 1},
    {"checkpoint_every", K_INT, O(checkpoint_every), 0, 0, 1e15, NULL, NULL, 1},
    {"keep_checkpoints", K_INT, O(keep_checkpoints), 3, 1, 1e6, NULL, NULL, 1},
    {"permanent_every", K_INT, O(permanent_every), 0, 0, 1e15, NULL, NULL, 1},
    {"check_every", K_INT, O(check_every), 100, 0, 1e15, NULL, NULL, 1},
    {"on_nonfinite", K_STR, O(on_nonfinite), 0, 0, 0, "stop", "stop|skip", 1},
    {"grad_sync", K_STR, O(grad_sync), 0, 0, 0, "overlap", "overlap|blocking", 1},
};
#undef O
#define N_KEYS (sizeof keys / sizeof keys[0])

static const struct key_def *find_key(const char *k)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].key, k))
            return &keys[i];
    return NULL;
}

void recipe_defaults(struct recipe *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < N_KEYS; i++) {
        char *f = (char *)r + keys[i].offset;
        switch (keys[i].type) {
        case K_INT: *(long *)(void *)f = (long)keys[i].dflt; break;
        case K_NUM: *(double *)(void *)f = keys[i].dflt; break;
        case K_BOOL: *(int *)(void *)f = (int)keys[i].dflt; break;
        case K_STR: snprintf(f, RECIPE_STR_LEN, "%s", keys[i].sdflt); break;
        }
    }
}

static int in_choices(const char *v, const char *choices)
{
    size_t n = strlen(v);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, v, n))
            return 1;
        c += len + (bar ? 1 : 0);
    }
    return 0;
}

/* Stores a value already converted to double / string / bool, with checks. */
static int store(struct recipe *r, const struct key_def *k, double num, const char *str,
                 const char *where, char *err)
{
    char *f = (char *)r + k->offset;
    switch (k->type) {
    case K_STR:
        if (!in_choices(str, k->choices))
            return bt_errf(err, BT_EUSAGE, "%s: %s '%s' is not one of %s", where, k->key, str,
                           k->choices);
        snprintf(f, RECIPE_STR_LEN, "%s", str);
        return BT_OK;
    case K_INT:
        if (num != floor(num))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be an integer, got %g", where, k->key,
                           num);
        /* fall through */
    case K_NUM:
        if (!(num >= k->min && num <= k->max))
            return bt_errf(err, BT_EUSAGE, "%s: %s = %g is outside [%g, %g]", where, k->key, num,
                           k->min, k->max);
        if (k->type == K_INT)
            *(long *)(void *)f = (long)num;
        else
            *(double *)(void *)f = num;
        return BT_OK;
    case K_BOOL: *(int *)(void *)f = num != 0; return BT_OK;
    }
    return BT_OK;
}

static int set_from_json(struct recipe *r, const char *key, const json_t *v, const char *where,
                         char *err)
{
    const struct key_def *k = find_key(key);
    if (!k)
        return bt_errf(err, BT_EUSAGE, "%s: unknown recipe key '%s'", where, key);
    switch (k->type) {
    case K_STR:
        if (!json_is_string(v))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be a string, got %s", where, key,
                           jsonu_type_name(v));
        return store(r, k, 0, json_string_value(v), where, err);
    case K_BOOL:
        if (!json_is_boolean(v))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be true or false, got %s", where, key,
                           jsonu_type_name(v));
        return store(r, k, json_is_true(v), NULL, where, err);
    default:
        if (!json_is_number(v))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be a number, got %s", where, key,
                           jsonu_type_name(v));
        return store(r, k, json_number_value(v), NULL, where, err);
    }
}

int recipe_set(struct recipe *r, const char *assignment, char *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return bt_errf(err, BT_EUSAGE, "--set '%s': expected key=value", assignment);
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    const char *val = eq + 1;
    const struct key_def *k = find_key(key);
    if (!k)
        return bt_errf(err, BT_EUSAGE, "--set %s: unknown recipe key '%s'", key, key);
    if (k->type == K_STR)
        return store(r, k, 0, val, "--set", err);
    if (k->type == K_BOOL) {
        if (strcmp(val, "true") && strcmp(val, "false") && strcmp(val, "1") && strcmp(val, "0"))
            return bt_errf(err, BT_EUSAGE, "--set %s: expected true or false, got '%s'", key, val);
        return store(r, k, !strcmp(val, "true") || !strcmp(val, "1"), NULL, "--set", err);
    }
    char *end;
    errno = 0;
    double num = strtod(val, &end);
    if (*val == '\0' || *end || errno)
        return bt_errf(err, BT_EUSAGE, "--set %s: '%s' is not a number", key, val);
    return store(r, k, num, NULL, "--set", err);
}

int recipe_load(struct recipe *r, const char *path, char **sets, int n_sets, char *err)
{
    recipe_defaults(r);
    if (path) {
        json_t *j = jsonu_load_file(path, err);
        if (!j)
            return BT_EUSAGE;
        if (!json_is_object(j)) {
            json_decref(j);
            return bt_errf(err, BT_EUSAGE, "%s: expected a JSON object", path);
        }
        const char *key;
        json_t *v;
        int rc = BT_OK;
        json_object_foreach(j, key, v)
        {
            if (key[0] == '_') /* "_comment" and friends */
                continue;
            if ((rc = set_from_json(r, key, v, path, err)) != BT_OK)
                break;
        }
        json_decref(j);
        if (rc != BT_OK)
            return rc;
    }
    for (int i = 0; i < n_sets; i++) {
        int rc = recipe_set(r, sets[i], err);
        if (rc != BT_OK)
            return rc;
    }
    return recipe_validate(r, err);
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
    json_t *j = json_object();
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *f = (const char *)r + keys[i].offset;
        json_t *v = NULL;
        switch (keys[i].type) {
        case K_INT: v = json_integer(*(const long *)(const void *)f); break;
        case K_NUM: v = json_real(*(const double *)(const void *)f); break;
        case K_BOOL: v = json_boolean(*(const int *)(const void *)f); break;
        case K_STR: v = json_string(f); break;
        }
        json_object_set_new(j, keys[i].key, v);
    }
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

int recipe_key_is_safe_to_change(const char *key)
{
    const struct key_def *k = find_key(key);
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
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *fa = (const char *)a + keys[i].offset, *fb = (const char *)b + keys[i].offset;
        size_t sz = keys[i].type == K_STR   ? RECIPE_STR_LEN
                    : keys[i].type == K_INT ? sizeof(long)
                    : keys[i].type == K_NUM ? sizeof(double)
                                            : sizeof(int);
        int differ = keys[i].type == K_STR ? strcmp(fa, fb) != 0 : memcmp(fa, fb, sz) != 0;
        if (!differ)
            continue;
        append_key(changed, n, keys[i].key);
        if (!keys[i].safe)
            append_key(unsafe, n, keys[i].key);
    }
    return unsafe[0] == '\0';
}
