/* json_util.c - see json_util.h. */
#include "json_util.h"

#include <string.h>

json_t *jsonu_load_file(const char *path, char *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (je.line <= 0)
            bt_errf(err, BT_EUSAGE, "%s: %s", path, je.text);
        else
            bt_errf(err, BT_EUSAGE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    return root;
}

json_t *jsonu_loads(const char *text, size_t len, const char *name, char *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        bt_errf(err, BT_EFORMAT, "%s: invalid JSON at line %d col %d: %s", name, je.line,
                je.column, je.text);
    return root;
}

const char *jsonu_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static int lookup(const json_t *obj, const char *key, int required, const json_t **v,
                  const char *where, char *err)
{
    *v = json_object_get(obj, key);
    if (*v && !json_is_null(*v))
        return BT_OK;
    if (required)
        return bt_errf(err, BT_EUSAGE, "%s: missing required key '%s'", where, key);
    return 1;
}

int jsonu_get_int(const json_t *obj, const char *key, int required, long long *out,
                  const char *where, char *err)
{
    const json_t *v;
    int rc = lookup(obj, key, required, &v, where, err);
    if (rc != BT_OK)
        return rc;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return BT_OK;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == (double)(long long)d) {
            *out = (long long)d;
            return BT_OK;
        }
    }
    return bt_errf(err, BT_EUSAGE, "%s: key '%s' must be an integer, got %s", where, key,
                   jsonu_type_name(v));
}

int jsonu_get_num(const json_t *obj, const char *key, int required, double *out,
                  const char *where, char *err)
{
    const json_t *v;
    int rc = lookup(obj, key, required, &v, where, err);
    if (rc != BT_OK)
        return rc;
    if (!json_is_number(v))
        return bt_errf(err, BT_EUSAGE, "%s: key '%s' must be a number, got %s", where, key,
                       jsonu_type_name(v));
    *out = json_number_value(v);
    return BT_OK;
}

int jsonu_get_str(const json_t *obj, const char *key, int required, const char **out,
                  const char *where, char *err)
{
    const json_t *v;
    int rc = lookup(obj, key, required, &v, where, err);
    if (rc != BT_OK)
        return rc;
    if (!json_is_string(v))
        return bt_errf(err, BT_EUSAGE, "%s: key '%s' must be a string, got %s", where, key,
                       jsonu_type_name(v));
    *out = json_string_value(v);
    return BT_OK;
}

int jsonu_get_bool(const json_t *obj, const char *key, int required, int *out,
                   const char *where, char *err)
{
    const json_t *v;
    int rc = lookup(obj, key, required, &v, where, err);
    if (rc != BT_OK)
        return rc;
    if (!json_is_boolean(v))
        return bt_errf(err, BT_EUSAGE, "%s: key '%s' must be true or false, got %s", where, key,
                       jsonu_type_name(v));
    *out = json_is_true(v);
    return BT_OK;
}
