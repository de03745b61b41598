/* safetensors.h - read and write Hugging Face safetensors files.
 * Layout: u64 little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets:[begin,end]}, "__metadata__": {...}}, then the
 * raw little-endian data (offsets relative to its start).
 * The reader loads the whole file and validates every entry (dtype, shape x dtype
 * size = byte length, offsets inside the file) before anything is used; errors
 * name the file and the tensor. The writer emits F32 tensors with
 * "__metadata__": {"format": "pt"} and commits the file atomically. */
#ifndef BT_SAFETENSORS_H
#define BT_SAFETENSORS_H

#include "check.h"

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8

enum st_dtype { ST_F32, ST_F64, ST_I64, ST_I32, ST_F16, ST_BF16, ST_U8, ST_BOOL, ST_DTYPE_COUNT };

struct st_tensor {
    char *name;
    enum st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t numel;
    const unsigned char *data; /* points into the file buffer */
    size_t nbytes;
};

struct st_file {
    char *path;
    char *buf; /* whole file */
    size_t size;
    int n;
    struct st_tensor *t;
};

int st_open(struct st_file *f, const char *path, char *err) BT_WUR;
void st_close(struct st_file *f);
const struct st_tensor *st_find(const struct st_file *f, const char *name);

/* Copies tensor `name` into dst converted to the destination type. The tensor must
 * exist and hold exactly `numel` elements (and `ndim` dims of `shape` when shape is
 * non-NULL); otherwise an error naming the file, the tensor and both shapes. */
int st_read_f32(const struct st_file *f, const char *name, float *dst, int ndim,
                const int64_t *shape, char *err) BT_WUR;
int st_read_f64(const struct st_file *f, const char *name, double *dst, int ndim,
                const int64_t *shape, char *err) BT_WUR;
int st_read_i64(const struct st_file *f, const char *name, int64_t *dst, int ndim,
                const int64_t *shape, char *err) BT_WUR;

struct st_out {
    const char *name;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const float *data;
};
/* Writes F32 tensors (in the given order) with __metadata__ {"format":"pt"}. */
int st_write_f32(const char *path, const struct st_out *ts, int n, char *err) BT_WUR;

const char *st_dtype_name(enum st_dtype d);
/* "[2, 64]" into buf. */
const char *st_shape_str(int ndim, const int64_t *shape, char *buf, size_t n);

#endif
