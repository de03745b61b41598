/* keytable.h - a settings struct described by one table of JSON keys
 * {key, type, field offset, default, range or choices}: defaults, reading a JSON
 * object file, "key=value" overrides (--set), and the resolved values as JSON.
 * Unknown keys, wrong JSON types, non-integers for integer keys, out-of-range
 * numbers and strings outside their choices are BT_EUSAGE errors naming the file
 * (or --set) and the key; keys starting with '_' ("_comment") are skipped.
 * Field types: KT_INT long, KT_NUM double, KT_BOOL int, KT_STR char[str_len]. */
#ifndef BT_KEYTABLE_H
#define BT_KEYTABLE_H

#include "check.h"

#include <stddef.h>

enum kt_type { KT_INT, KT_NUM, KT_STR, KT_BOOL };

struct kt_key {
    const char *key;
    enum kt_type type;
    size_t offset;          /* offsetof(struct ..., field) */
    double dflt, min, max;  /* numbers and booleans */
    const char *sdflt;      /* strings */
    const char *choices;    /* strings: "a|b|c", or NULL for free text */
    int safe;               /* the owner's flag (bert-train: may change on resume) */
};

struct kt_table {
    const struct kt_key *keys;
    size_t n;
    size_t str_len;   /* size of every KT_STR field */
    const char *what; /* for messages: "recipe", "fine-tuning recipe" */
};

const struct kt_key *kt_find(const struct kt_table *t, const char *key);
void kt_defaults(const struct kt_table *t, void *obj);
/* Applies one "key=value". */
int kt_set(const struct kt_table *t, void *obj, const char *assignment, char *err) BT_WUR;
/* Defaults, then the keys of the JSON object in path (NULL: none), then the
 * n_sets assignments, in that order. */
int kt_load(const struct kt_table *t, void *obj, const char *path, char **sets, int n_sets,
            char *err) BT_WUR;
/* All keys in table order as pretty JSON (malloc'd; free with free()). */
char *kt_to_json(const struct kt_table *t, const void *obj);
/* 1 when key k holds different values in a and b. */
int kt_differs(const struct kt_key *k, const void *a, const void *b);

#endif
