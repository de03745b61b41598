/* keytable.c - see keytable.h. */
#include "keytable.h"
#include "json_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(obj, k) ((char *)(obj) + (k)->offset)

const struct kt_key *kt_find(const struct kt_table *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->keys[i].key, key))
            return &t->keys[i];
    return NULL;
}

void kt_defaults(const struct kt_table *t, void *obj)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct kt_key *k = &t->keys[i];
        char *f = FIELD(obj, k);
        switch (k->type) {
        case KT_INT: *(long *)(void *)f = (long)k->dflt; break;
        case KT_NUM: *(double *)(void *)f = k->dflt; break;
        case KT_BOOL: *(int *)(void *)f = (int)k->dflt; break;
        case KT_STR: snprintf(f, t->str_len, "%s", k->sdflt); break;
        }
    }
}

static int in_choices(const char *v, const char *choices)
{
    if (!choices)
        return 1;
    size_t n = strlen(v);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, v, n))
            return 1;
        c += len + (bar != NULL);
    }
    return 0;
}

/* Stores a value already converted to a number (booleans: 0/1) or a string. */
static int store(const struct kt_table *t, void *obj, const struct kt_key *k, double num,
                 const char *str, const char *where, char *err)
{
    char *f = FIELD(obj, k);
    switch (k->type) {
    case KT_STR:
        if (!in_choices(str, k->choices))
            return bt_errf(err, BT_EUSAGE, "%s: %s '%s' is not one of %s", where, k->key, str,
                           k->choices);
        if (strlen(str) >= t->str_len)
            return bt_errf(err, BT_EUSAGE, "%s: %s is longer than %zu bytes", where, k->key,
                           t->str_len - 1);
        snprintf(f, t->str_len, "%s", str);
        return BT_OK;
    case KT_BOOL: *(int *)(void *)f = num != 0; return BT_OK;
    case KT_INT:
        if (num != floor(num))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be an integer, got %g", where, k->key,
                           num);
        /* fall through */
    case KT_NUM:
        if (!(num >= k->min && num <= k->max))
            return bt_errf(err, BT_EUSAGE, "%s: %s = %g is outside [%g, %g]", where, k->key, num,
                           k->min, k->max);
        if (k->type == KT_INT)
            *(long *)(void *)f = (long)num;
        else
            *(double *)(void *)f = num;
        return BT_OK;
    }
    return BT_OK;
}

static int set_from_json(const struct kt_table *t, void *obj, const char *key, const json_t *v,
                         const char *where, char *err)
{
    const struct kt_key *k = kt_find(t, key);
    if (!k)
        return bt_errf(err, BT_EUSAGE, "%s: unknown %s key '%s'", where, t->what, key);
    switch (k->type) {
    case KT_STR:
        if (!json_is_string(v))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be a string, got %s", where, key,
                           jsonu_type_name(v));
        return store(t, obj, k, 0, json_string_value(v), where, err);
    case KT_BOOL:
        if (!json_is_boolean(v))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be true or false, got %s", where, key,
                           jsonu_type_name(v));
        return store(t, obj, k, json_is_true(v), NULL, where, err);
    default:
        if (!json_is_number(v))
            return bt_errf(err, BT_EUSAGE, "%s: %s must be a number, got %s", where, key,
                           jsonu_type_name(v));
        return store(t, obj, k, json_number_value(v), NULL, where, err);
    }
}

int kt_set(const struct kt_table *t, void *obj, const char *assignment, char *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return bt_errf(err, BT_EUSAGE, "--set '%s': expected key=value", assignment);
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    const char *val = eq + 1;
    const struct kt_key *k = kt_find(t, key);
    if (!k)
        return bt_errf(err, BT_EUSAGE, "--set %s: unknown %s key '%s'", key, t->what, key);
    if (k->type == KT_STR)
        return store(t, obj, k, 0, val, "--set", err);
    if (k->type == KT_BOOL) {
        int on = !strcmp(val, "true") || !strcmp(val, "1");
        if (!on && strcmp(val, "false") && strcmp(val, "0"))
            return bt_errf(err, BT_EUSAGE, "--set %s: expected true or false, got '%s'", key, val);
        return store(t, obj, k, on, NULL, "--set", err);
    }
    char *end;
    errno = 0;
    double num = strtod(val, &end);
    if (!*val || *end || errno)
        return bt_errf(err, BT_EUSAGE, "--set %s: '%s' is not a number", key, val);
    return store(t, obj, k, num, NULL, "--set", err);
}

int kt_load(const struct kt_table *t, void *obj, const char *path, char **sets, int n_sets,
            char *err)
{
    kt_defaults(t, obj);
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
            if (rc != BT_OK || key[0] == '_') /* "_comment" and friends */
                continue;
            rc = set_from_json(t, obj, key, v, path, err);
        }
        json_decref(j);
        if (rc != BT_OK)
            return rc;
    }
    for (int i = 0; i < n_sets; i++) {
        int rc = kt_set(t, obj, sets[i], err);
        if (rc != BT_OK)
            return rc;
    }
    return BT_OK;
}

char *kt_to_json(const struct kt_table *t, const void *obj)
{
    json_t *j = json_object();
    for (size_t i = 0; i < t->n; i++) {
        const struct kt_key *k = &t->keys[i];
        const char *f = (const char *)obj + k->offset;
        json_t *v = NULL;
        switch (k->type) {
        case KT_INT: v = json_integer(*(const long *)(const void *)f); break;
        case KT_NUM: v = json_real(*(const double *)(const void *)f); break;
        case KT_BOOL: v = json_boolean(*(const int *)(const void *)f); break;
        case KT_STR: v = json_string(f); break;
        }
        json_object_set_new(j, k->key, v);
    }
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

int kt_differs(const struct kt_key *k, const void *a, const void *b)
{
    const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;
    switch (k->type) {
    case KT_STR: return strcmp(fa, fb) != 0;
    case KT_INT: return memcmp(fa, fb, sizeof(long)) != 0;
    case KT_NUM: return memcmp(fa, fb, sizeof(double)) != 0;
    case KT_BOOL: return memcmp(fa, fb, sizeof(int)) != 0;
    }
    return 0;
}
