/* json_util.h - the project's JSON type is jansson's json_t; this file owns the
 * jansson include and adds loading with "file:line:col" errors and typed getters
 * whose errors name the file and key.
 * Getters return BT_OK when found, 1 when absent and not required, BT_EUSAGE
 * (with err filled) on a wrong type or a missing required key. */
#ifndef BT_JSON_UTIL_H
#define BT_JSON_UTIL_H

#include "check.h"

#include <jansson.h>

json_t *jsonu_load_file(const char *path, char *err);
json_t *jsonu_loads(const char *text, size_t len, const char *name, char *err);

int jsonu_get_int(const json_t *obj, const char *key, int required, long long *out,
                  const char *where, char *err) BT_WUR;
int jsonu_get_num(const json_t *obj, const char *key, int required, double *out,
                  const char *where, char *err) BT_WUR;
int jsonu_get_str(const json_t *obj, const char *key, int required, const char **out,
                  const char *where, char *err) BT_WUR;
int jsonu_get_bool(const json_t *obj, const char *key, int required, int *out,
                   const char *where, char *err) BT_WUR;

/* Name of a JSON type for messages ("integer", "string", ...). */
const char *jsonu_type_name(const json_t *v);

#endif
