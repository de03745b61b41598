/* safetensors.c - see safetensors.h. */
#include "safetensors.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>

static const char *const dtype_names[ST_DTYPE_COUNT] = {"F32", "F64", "I64", "I32",
                                                        "F16", "BF16", "U8", "BOOL"};
static const size_t dtype_sizes[ST_DTYPE_COUNT] = {4, 8, 8, 4, 2, 2, 1, 1};

const char *st_dtype_name(enum st_dtype d)
{
    return (unsigned)d < ST_DTYPE_COUNT ? dtype_names[d] : "?";
}

const char *st_shape_str(int ndim, const int64_t *shape, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
    return buf;
}

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int parse_entry(struct st_file *f, struct st_tensor *t, const char *name, json_t *e,
                       size_t data_size, const unsigned char *data, char *err)
{
    const char *dt;
    json_t *shape = json_object_get(e, "shape");
    json_t *offs = json_object_get(e, "data_offsets");
    if (!json_is_object(e) || jsonu_get_str(e, "dtype", 1, &dt, f->path, err) != BT_OK ||
        !json_is_array(shape) || !json_is_array(offs) || json_array_size(offs) != 2)
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s': malformed header entry", f->path, name);
    t->name = xstrdup(name);
    t->dtype = ST_DTYPE_COUNT;
    for (int d = 0; d < ST_DTYPE_COUNT; d++)
        if (!strcmp(dt, dtype_names[d]))
            t->dtype = (enum st_dtype)d;
    if (t->dtype == ST_DTYPE_COUNT)
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s': unsupported dtype '%s'", f->path, name,
                       dt);
    if (json_array_size(shape) > ST_MAX_DIMS)
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s': too many dimensions", f->path, name);
    t->ndim = (int)json_array_size(shape);
    t->numel = 1;
    for (int i = 0; i < t->ndim; i++) {
        json_t *d = json_array_get(shape, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return bt_errf(err, BT_EFORMAT, "%s: tensor '%s': bad shape", f->path, name);
        t->shape[i] = json_integer_value(d);
        t->numel = xmul(t->numel, (size_t)t->shape[i]);
    }
    json_t *b = json_array_get(offs, 0), *en = json_array_get(offs, 1);
    if (!json_is_integer(b) || !json_is_integer(en) || json_integer_value(b) < 0 ||
        json_integer_value(en) < json_integer_value(b))
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s': bad data_offsets", f->path, name);
    size_t begin = (size_t)json_integer_value(b), end = (size_t)json_integer_value(en);
    if (end > data_size)
        return bt_errf(err, BT_EFORMAT,
                       "%s: tensor '%s' ends at byte %zu but the file holds %zu data bytes "
                       "(truncated file?)",
                       f->path, name, end, data_size);
    t->nbytes = end - begin;
    if (t->nbytes != xmul(t->numel, dtype_sizes[t->dtype]))
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s': %zu bytes do not match shape x %s",
                       f->path, name, t->nbytes, dt);
    t->data = data + begin;
    return BT_OK;
}

int st_open(struct st_file *f, const char *path, char *err)
{
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    int rc = file_read_all(path, &f->buf, &f->size, err);
    if (rc != BT_OK) {
        st_close(f);
        return rc;
    }
    if (f->size < 8) {
        st_close(f);
        return bt_errf(err, BT_EFORMAT, "%s: too short for a safetensors file (%zu bytes)",
                       path, f->size);
    }
    uint64_t hlen = load_le64((const unsigned char *)f->buf);
    if (hlen > f->size - 8) {
        st_close(f);
        return bt_errf(err, BT_EFORMAT,
                       "%s: header length %llu exceeds the file size %zu (truncated or not "
                       "safetensors)",
                       path, (unsigned long long)hlen, f->size);
    }
    json_t *root = jsonu_loads(f->buf + 8, (size_t)hlen, path, err);
    if (!root || !json_is_object(root)) {
        if (root) {
            json_decref(root);
            bt_errf(err, BT_EFORMAT, "%s: header is not a JSON object", path);
        }
        st_close(f);
        return BT_EFORMAT;
    }
    const unsigned char *data = (const unsigned char *)f->buf + 8 + hlen;
    size_t data_size = f->size - 8 - (size_t)hlen;
    f->t = xcalloc(json_object_size(root), sizeof *f->t);
    const char *key;
    json_t *val;
    rc = BT_OK;
    json_object_foreach(root, key, val)
    {
        if (!strcmp(key, "__metadata__"))
            continue;
        rc = parse_entry(f, &f->t[f->n], key, val, data_size, data, err);
        f->n++;
        if (rc != BT_OK)
            break;
    }
    json_decref(root);
    if (rc != BT_OK)
        st_close(f);
    return rc;
}

void st_close(struct st_file *f)
{
    for (int i = 0; i < f->n; i++)
        xfree(f->t[i].name);
    xfree(f->t);
    xfree(f->buf);
    xfree(f->path);
    memset(f, 0, sizeof *f);
}

const struct st_tensor *st_find(const struct st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name))
            return &f->t[i];
    return NULL;
}

static int check_tensor(const struct st_file *f, const char *name, int ndim, const int64_t *shape,
                        const struct st_tensor **out, char *err)
{
    const struct st_tensor *t = st_find(f, name);
    if (!t)
        return bt_errf(err, BT_EFORMAT, "%s: missing tensor '%s'", f->path, name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        char a[128], b[128];
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s' has shape %s, expected %s", f->path, name,
                       st_shape_str(t->ndim, t->shape, a, sizeof a),
                       st_shape_str(ndim, shape, b, sizeof b));
    }
    *out = t;
    return BT_OK;
}

/* Element i of t as double (little-endian host assumed, as on x86-64 and aarch64). */
static double elem_f64(const struct st_tensor *t, size_t i)
{
    switch (t->dtype) {
    case ST_F32: { float v; memcpy(&v, t->data + 4 * i, 4); return v; }
    case ST_F64: { double v; memcpy(&v, t->data + 8 * i, 8); return v; }
    case ST_I64: { int64_t v; memcpy(&v, t->data + 8 * i, 8); return (double)v; }
    case ST_I32: { int32_t v; memcpy(&v, t->data + 4 * i, 4); return v; }
    case ST_U8:
    case ST_BOOL: return t->data[i];
    case ST_BF16: {
        uint16_t h; memcpy(&h, t->data + 2 * i, 2);
        uint32_t w = (uint32_t)h << 16; float v; memcpy(&v, &w, 4); return v;
    }
    default: return 0.0;
    }
}

static int is_float_dtype(enum st_dtype d)
{
    return d == ST_F32 || d == ST_F64 || d == ST_BF16;
}

int st_read_f32(const struct st_file *f, const char *name, float *dst, int ndim,
                const int64_t *shape, char *err)
{
    const struct st_tensor *t;
    int rc = check_tensor(f, name, ndim, shape, &t, err);
    if (rc != BT_OK)
        return rc;
    if (!is_float_dtype(t->dtype))
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s' has dtype %s, expected a float type",
                       f->path, name, st_dtype_name(t->dtype));
    if (t->dtype == ST_F32)
        memcpy(dst, t->data, t->nbytes);
    else
        for (size_t i = 0; i < t->numel; i++)
            dst[i] = (float)elem_f64(t, i);
    return BT_OK;
}

int st_read_f64(const struct st_file *f, const char *name, double *dst, int ndim,
                const int64_t *shape, char *err)
{
    const struct st_tensor *t;
    int rc = check_tensor(f, name, ndim, shape, &t, err);
    if (rc != BT_OK)
        return rc;
    if (!is_float_dtype(t->dtype))
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s' has dtype %s, expected a float type",
                       f->path, name, st_dtype_name(t->dtype));
    for (size_t i = 0; i < t->numel; i++)
        dst[i] = elem_f64(t, i);
    return BT_OK;
}

int st_read_i64(const struct st_file *f, const char *name, int64_t *dst, int ndim,
                const int64_t *shape, char *err)
{
    const struct st_tensor *t;
    int rc = check_tensor(f, name, ndim, shape, &t, err);
    if (rc != BT_OK)
        return rc;
    if (is_float_dtype(t->dtype) || t->dtype == ST_F16)
        return bt_errf(err, BT_EFORMAT, "%s: tensor '%s' has dtype %s, expected an integer type",
                       f->path, name, st_dtype_name(t->dtype));
    for (size_t i = 0; i < t->numel; i++)
        dst[i] = (int64_t)elem_f64(t, i);
    return BT_OK;
}

int st_write_f32(const char *path, const struct st_out *ts, int n, char *err)
{
    json_t *hdr = json_object();
    json_object_set_new(hdr, "__metadata__", json_pack("{s:s}", "format", "pt"));
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t numel = 1;
        json_t *shape = json_array();
        for (int d = 0; d < ts[i].ndim; d++) {
            numel = xmul(numel, (size_t)ts[i].shape[d]);
            json_array_append_new(shape, json_integer(ts[i].shape[d]));
        }
        json_t *e = json_pack("{s:s, s:o, s:[I,I]}", "dtype", "F32", "shape", shape,
                              "data_offsets", (json_int_t)off, (json_int_t)(off + 4 * numel));
        json_object_set_new(hdr, ts[i].name, e);
        off += 4 * numel;
    }
    char *text = json_dumps(hdr, JSON_COMPACT);
    json_decref(hdr);
    size_t hlen = strlen(text);
    size_t padded = (hlen + 7) & ~(size_t)7; /* 8-byte aligned data start */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        free(text);
        return bt_errf(err, BT_EIO, "%s: cannot create", tmp);
    }
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int rc = file_write_all(fp, le, 8, tmp, err);
    if (rc == BT_OK)
        rc = file_write_all(fp, text, hlen, tmp, err);
    for (size_t i = hlen; rc == BT_OK && i < padded; i++)
        rc = file_write_all(fp, " ", 1, tmp, err);
    free(text);
    for (int i = 0; rc == BT_OK && i < n; i++) {
        size_t numel = 1;
        for (int d = 0; d < ts[i].ndim; d++)
            numel *= (size_t)ts[i].shape[d];
        rc = file_write_all(fp, ts[i].data, 4 * numel, tmp, err);
    }
    if (rc != BT_OK) {
        fclose(fp);
        remove(tmp);
        return rc;
    }
    return file_commit(fp, tmp, path, err);
}
