/* checkpoint.h - the checkpoint file: one self-describing file per checkpoint,
 * documented byte by byte in docs/checkpoint-format.md.
 *
 *   header (48 bytes): magic "BERTCKPT", version, byte-order mark, meta length
 *   metadata JSON (model config, recipe, step, data state, seeds, world, build)
 *   payloads: one zstd stream per float32 tensor (optionally byte-plane split)
 *   tensor table JSON: name, dtype, shape, encoding, offset, sizes, CRC-32
 *   footer (32 bytes): table offset and length, CRC-32 of header + metadata +
 *   table, end magic
 *
 * A file missing its footer is reported as truncated; every payload carries the
 * CRC-32 (zlib) of its uncompressed bytes. checkpoint.c is the only file that
 * includes zstd.h. Writers go to a temporary name and rename after fsync. */
#ifndef BT_CHECKPOINT_H
#define BT_CHECKPOINT_H

#include "check.h"

#include <stddef.h>
#include <stdint.h>

#define CKPT_VERSION 1
#define CKPT_NAME_LEN 128
#define CKPT_MAX_DIMS 4

struct ckpt_tensor {
    char name[CKPT_NAME_LEN];
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    const float *data;
};

struct ckpt_write_opts {
    int threads;     /* zstd worker threads (0: single-threaded) */
    int level;       /* zstd level (1 fast .. 19 small) */
    int byte_planes; /* split each float into byte planes before compressing */
};

struct ckpt_entry {
    char name[CKPT_NAME_LEN];
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    size_t numel;
    int byte_planes;
    uint64_t offset, csize; /* payload position in the file and compressed size */
    uint32_t crc;           /* CRC-32 of the uncompressed little-endian bytes */
};

struct ckpt_file;

/* Writes path atomically (path.tmp, fsync, rename, fsync of the directory). */
int ckpt_file_write(const char *path, const char *meta_json, const struct ckpt_tensor *t, int n,
                    const struct ckpt_write_opts *o, char *err) BT_WUR;
/* Opens and validates the header, footer, metadata and table (not the payloads).
 * Errors: BT_EIO unreadable; BT_EFORMAT wrong magic, newer version, truncated,
 * header checksum mismatch, malformed table. */
int ckpt_file_open(struct ckpt_file **out, const char *path, char *err) BT_WUR;
void ckpt_file_close(struct ckpt_file *f);
const char *ckpt_file_meta(const struct ckpt_file *f); /* NUL-terminated JSON */
int ckpt_file_count(const struct ckpt_file *f);
const struct ckpt_entry *ckpt_file_entry(const struct ckpt_file *f, int i);
int ckpt_file_find(const struct ckpt_file *f, const char *name); /* index or -1 */
uint64_t ckpt_file_size(const struct ckpt_file *f);
/* Decompresses entry i into dst (numel floats) and checks its CRC. */
int ckpt_file_read(struct ckpt_file *f, int i, float *dst, char *err) BT_WUR;
/* Reads every payload and checks every checksum. */
int ckpt_file_verify(struct ckpt_file *f, char *err) BT_WUR;


/* ---- model-level helpers (implemented in ckpt_state.c) ---- */
struct bert_model;
/* Writes a model-only checkpoint directory dir/model.ckpt + dir/DONE: the
 * parameters, plus task-head tensors in `extra` under their own (HF) names and
 * optional extra metadata (a JSON object text, stored under "extra"). */
int ckpt_save_model(const char *dir, const struct bert_model *m, const struct ckpt_tensor *extra,
                    int n_extra, const char *extra_meta_json, char *err) BT_WUR;
/* Loads a model from a checkpoint file, a step directory or a run directory
 * (newest complete checkpoint): reads its model config, calls bert_init on m and
 * fills the parameters. */
int ckpt_load_model(const char *path, struct bert_model *m, char *err) BT_WUR;

#endif
