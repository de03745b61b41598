/* checkpoint.c - see checkpoint.h. The only file that includes zstd.h. */
#include "checkpoint.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define HEADER_LEN 48
#define FOOTER_LEN 32
#define BOM 0x01020304u
#define PLANE_CHUNK ((size_t)1 << 18) /* floats per byte-plane block */
#define IO_CHUNK ((size_t)1 << 22)

static const char MAGIC[8] = {'B', 'E', 'R', 'T', 'C', 'K', 'P', 'T'};
static const char END_MAGIC[8] = {'B', 'T', 'C', 'K', 'E', 'N', 'D', '\0'};

struct ckpt_file {
    char *path;
    FILE *fp;
    uint64_t size;
    char *meta;
    int n;
    struct ckpt_entry *e;
};

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static uint32_t crc_update(uint32_t crc, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) { /* zlib takes uInt lengths */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

/* Byte-plane transform of n floats: out = all byte 0s, all byte 1s, ... */
static void to_planes(unsigned char *out, const float *in, size_t n)
{
    const unsigned char *b = (const unsigned char *)in;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            out[k * n + i] = b[4 * i + (size_t)k];
}

static void from_planes(float *out, const unsigned char *in, size_t n)
{
    unsigned char *b = (unsigned char *)out;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            b[4 * i + (size_t)k] = in[k * n + i];
}

/* ---- writing ---- */

struct writer {
    FILE *fp;
    const char *path;
    uint64_t pos;
    ZSTD_CCtx *cctx;
    unsigned char *out;
    size_t out_cap;
    unsigned char *planes;
};

static int w_write(struct writer *w, const void *buf, size_t n, char *err)
{
    int rc = file_write_all(w->fp, buf, n, w->path, err);
    w->pos += n;
    return rc;
}

/* Feeds n bytes to the current zstd stream (end = 1 on the last piece). */
static int w_compress(struct writer *w, const void *src, size_t n, int end, char *err)
{
    ZSTD_inBuffer in = {src, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->out, w->out_cap, 0};
        size_t left = ZSTD_compressStream2(w->cctx, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left))
            return bt_errf(err, BT_ERUNTIME, "%s: zstd compression failed: %s", w->path,
                           ZSTD_getErrorName(left));
        int rc = w_write(w, w->out, out.pos, err);
        if (rc != BT_OK)
            return rc;
        if (end ? left == 0 : in.pos == in.size)
            return BT_OK;
    }
}

static int write_tensor(struct writer *w, const struct ckpt_tensor *t, int planes, json_t *table,
                        char *err)
{
    size_t numel = 1;
    for (int d = 0; d < t->ndim; d++)
        numel = xmul(numel, (size_t)t->shape[d]);
    uint64_t start = w->pos;
    uint32_t crc = crc_update(0, t->data, numel * sizeof(float));
    ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
    ZSTD_CCtx_setPledgedSrcSize(w->cctx, numel * sizeof(float));
    int rc = BT_OK;
    if (numel == 0)
        rc = w_compress(w, "", 0, 1, err);
    for (size_t i = 0; rc == BT_OK && i < numel; i += PLANE_CHUNK) {
        size_t k = numel - i < PLANE_CHUNK ? numel - i : PLANE_CHUNK;
        const void *src = t->data + i;
        if (planes) {
            to_planes(w->planes, t->data + i, k);
            src = w->planes;
        }
        rc = w_compress(w, src, k * sizeof(float), i + k == numel, err);
    }
    if (rc != BT_OK)
        return rc;
    json_t *shape = json_array();
    for (int d = 0; d < t->ndim; d++)
        json_array_append_new(shape, json_integer(t->shape[d]));
    json_array_append_new(
        table, json_pack("{s:s,s:s,s:o,s:s,s:I,s:I,s:I,s:I}", "name", t->name, "dtype", "f32",
                         "shape", shape, "encoding", planes ? "zstd-planes" : "zstd", "offset",
                         (json_int_t)start, "csize", (json_int_t)(w->pos - start), "numel",
                         (json_int_t)numel, "crc32", (json_int_t)crc));
    return BT_OK;
}

int ckpt_file_write(const char *path, const char *meta_json, const struct ckpt_tensor *t, int n,
                    const struct ckpt_write_opts *o, char *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct writer w = {.path = tmp};
    w.fp = fopen(tmp, "wb");
    if (!w.fp)
        return bt_errf(err, BT_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    w.cctx = ZSTD_createCCtx();
    w.out_cap = ZSTD_CStreamOutSize() > IO_CHUNK ? ZSTD_CStreamOutSize() : IO_CHUNK;
    w.out = xmalloc(w.out_cap);
    w.planes = xmalloc(PLANE_CHUNK * sizeof(float));
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel, o->level);
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 0);
    if (o->threads > 1)
        ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_nbWorkers, o->threads);

    size_t meta_len = strlen(meta_json);
    unsigned char hdr[HEADER_LEN] = {0};
    memcpy(hdr, MAGIC, 8);
    put_u32(hdr + 8, CKPT_VERSION);
    put_u32(hdr + 12, BOM);
    put_u64(hdr + 16, meta_len);
    uint32_t hcrc = crc_update(0, hdr, HEADER_LEN);
    hcrc = crc_update(hcrc, meta_json, meta_len);
    int rc = w_write(&w, hdr, HEADER_LEN, err);
    if (rc == BT_OK)
        rc = w_write(&w, meta_json, meta_len, err);
    json_t *table = json_array();
    for (int i = 0; rc == BT_OK && i < n; i++)
        rc = write_tensor(&w, &t[i], o->byte_planes, table, err);
    char *tj = json_dumps(table, JSON_COMPACT);
    json_decref(table);
    uint64_t table_off = w.pos, table_len = strlen(tj);
    if (rc == BT_OK)
        rc = w_write(&w, tj, table_len, err);
    hcrc = crc_update(hcrc, tj, table_len);
    free(tj);
    unsigned char foot[FOOTER_LEN] = {0};
    put_u64(foot, table_off);
    put_u64(foot + 8, table_len);
    put_u32(foot + 16, hcrc);
    memcpy(foot + 24, END_MAGIC, 8);
    if (rc == BT_OK)
        rc = w_write(&w, foot, FOOTER_LEN, err);
    ZSTD_freeCCtx(w.cctx);
    xfree(w.out);
    xfree(w.planes);
    if (rc != BT_OK) {
        fclose(w.fp);
        remove(tmp);
        return rc;
    }
    return file_commit(w.fp, tmp, path, err);
}

/* ---- reading ---- */

static int read_at(struct ckpt_file *f, uint64_t off, void *buf, size_t n, char *err)
{
    if (fseeko(f->fp, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, n, f->fp) != n)
        return bt_errf(err, BT_EFORMAT, "%s: cannot read %zu bytes at offset %llu (truncated?)",
                       f->path, n, (unsigned long long)off);
    return BT_OK;
}

static int parse_table(struct ckpt_file *f, const char *text, size_t len, char *err)
{
    json_t *t = jsonu_loads(text, len, f->path, err);
    if (!t || !json_is_array(t)) {
        json_decref(t);
        return bt_errf(err, BT_EFORMAT, "%s: the tensor table is not a JSON array", f->path);
    }
    f->n = (int)json_array_size(t);
    f->e = xcalloc((size_t)f->n + 1, sizeof *f->e);
    for (int i = 0; i < f->n; i++) {
        json_t *r = json_array_get(t, (size_t)i), *shape;
        const char *name, *dtype, *enc;
        json_int_t off, cs, numel, crc;
        if (json_unpack(r, "{s:s,s:s,s:o,s:s,s:I,s:I,s:I,s:I}", "name", &name, "dtype", &dtype,
                        "shape", &shape, "encoding", &enc, "offset", &off, "csize", &cs, "numel",
                        &numel, "crc32", &crc) ||
            strcmp(dtype, "f32") || !json_is_array(shape) ||
            json_array_size(shape) > CKPT_MAX_DIMS || off < HEADER_LEN || cs < 0 ||
            (uint64_t)(off + cs) > f->size - FOOTER_LEN) {
            json_decref(t);
            return bt_errf(err, BT_EFORMAT, "%s: tensor table entry %d is malformed", f->path, i);
        }
        struct ckpt_entry *e = &f->e[i];
        snprintf(e->name, CKPT_NAME_LEN, "%s", name);
        e->ndim = (int)json_array_size(shape);
        size_t prod = 1;
        for (int d = 0; d < e->ndim; d++) {
            e->shape[d] = json_integer_value(json_array_get(shape, (size_t)d));
            prod *= (size_t)e->shape[d];
        }
        e->numel = (size_t)numel;
        e->byte_planes = !strcmp(enc, "zstd-planes");
        e->offset = (uint64_t)off;
        e->csize = (uint64_t)cs;
        e->crc = (uint32_t)crc;
        if (prod != e->numel) {
            json_decref(t);
            return bt_errf(err, BT_EFORMAT, "%s: tensor '%s': shape and size disagree", f->path,
                           e->name);
        }
    }
    json_decref(t);
    return BT_OK;
}

int ckpt_file_open(struct ckpt_file **out, const char *path, char *err)
{
    struct ckpt_file *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    *out = NULL;
    int rc = BT_OK;
    char *table = NULL;
    f->fp = fopen(path, "rb");
    if (!f->fp) {
        rc = bt_errf(err, errno == ENOENT ? BT_EUSAGE : BT_EIO, "%s: cannot open: %s", path,
                     strerror(errno));
        goto fail;
    }
    fseeko(f->fp, 0, SEEK_END);
    f->size = (uint64_t)ftello(f->fp);
    unsigned char hdr[HEADER_LEN], foot[FOOTER_LEN];
    if (f->size < HEADER_LEN + FOOTER_LEN) {
        rc = bt_errf(err, BT_EFORMAT, "%s: %llu bytes is too short for a checkpoint (truncated?)",
                     path, (unsigned long long)f->size);
        goto fail;
    }
    if ((rc = read_at(f, 0, hdr, HEADER_LEN, err)) != BT_OK)
        goto fail;
    if (memcmp(hdr, MAGIC, 8)) {
        rc = bt_errf(err, BT_EFORMAT, "%s: not a bertc checkpoint (wrong magic)", path);
        goto fail;
    }
    if (get_u32(hdr + 8) > CKPT_VERSION) {
        rc = bt_errf(err, BT_EFORMAT,
                     "%s: checkpoint format version %u is newer than this build reads (%d); "
                     "use a newer bertc",
                     path, get_u32(hdr + 8), CKPT_VERSION);
        goto fail;
    }
    if (get_u32(hdr + 12) != BOM) {
        rc = bt_errf(err, BT_EFORMAT, "%s: byte order mark 0x%08x: written on an unsupported "
                                      "big-endian machine",
                     path, get_u32(hdr + 12));
        goto fail;
    }
    if ((rc = read_at(f, f->size - FOOTER_LEN, foot, FOOTER_LEN, err)) != BT_OK)
        goto fail;
    uint64_t meta_len = get_u64(hdr + 16), toff = get_u64(foot), tlen = get_u64(foot + 8);
    if (memcmp(foot + 24, END_MAGIC, 8) || meta_len > f->size || toff > f->size ||
        tlen > f->size - toff || toff + tlen + FOOTER_LEN != f->size) {
        rc = bt_errf(err, BT_EFORMAT, "%s: no valid footer: the file is truncated or damaged",
                     path);
        goto fail;
    }
    f->meta = xmalloc((size_t)meta_len + 1);
    table = xmalloc((size_t)tlen + 1);
    if ((rc = read_at(f, HEADER_LEN, f->meta, (size_t)meta_len, err)) != BT_OK ||
        (rc = read_at(f, toff, table, (size_t)tlen, err)) != BT_OK)
        goto fail;
    f->meta[meta_len] = table[tlen] = '\0';
    uint32_t hcrc = crc_update(0, hdr, HEADER_LEN);
    hcrc = crc_update(hcrc, f->meta, (size_t)meta_len);
    hcrc = crc_update(hcrc, table, (size_t)tlen);
    if (hcrc != get_u32(foot + 16)) {
        rc = bt_errf(err, BT_EFORMAT, "%s: header checksum mismatch: metadata or tensor table "
                                      "damaged",
                     path);
        goto fail;
    }
    if ((rc = parse_table(f, table, (size_t)tlen, err)) != BT_OK)
        goto fail;
    xfree(table);
    *out = f;
    return BT_OK;
fail:
    xfree(table);
    ckpt_file_close(f);
    return rc;
}

void ckpt_file_close(struct ckpt_file *f)
{
    if (!f)
        return;
    if (f->fp)
        fclose(f->fp);
    xfree(f->path);
    xfree(f->meta);
    xfree(f->e);
    xfree(f);
}

const char *ckpt_file_meta(const struct ckpt_file *f)
{
    return f->meta;
}

int ckpt_file_count(const struct ckpt_file *f)
{
    return f->n;
}

const struct ckpt_entry *ckpt_file_entry(const struct ckpt_file *f, int i)
{
    return &f->e[i];
}

uint64_t ckpt_file_size(const struct ckpt_file *f)
{
    return f->size;
}

int ckpt_file_find(const struct ckpt_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->e[i].name, name))
            return i;
    return -1;
}

int ckpt_file_read(struct ckpt_file *f, int i, float *dst, char *err)
{
    const struct ckpt_entry *e = &f->e[i];
    if (fseeko(f->fp, (off_t)e->offset, SEEK_SET) != 0)
        return bt_errf(err, BT_EIO, "%s: seek failed", f->path);
    ZSTD_DCtx *d = ZSTD_createDCtx();
    size_t in_cap = ZSTD_DStreamInSize() > IO_CHUNK ? ZSTD_DStreamInSize() : IO_CHUNK;
    unsigned char *in = xmalloc(in_cap);
    unsigned char *planes = e->byte_planes ? xmalloc(PLANE_CHUNK * sizeof(float)) : NULL;
    size_t total = e->numel * sizeof(float), done = 0; /* bytes of dst complete */
    size_t blk = 0, fill = 0;                          /* byte-plane block length and fill */
    uint64_t left = e->csize;
    ZSTD_inBuffer ib = {in, 0, 0};
    int rc = BT_OK;
    while (rc == BT_OK && done < total) {
        if (ib.pos == ib.size) {
            size_t k = left < in_cap ? (size_t)left : in_cap;
            if (k == 0 || fread(in, 1, k, f->fp) != k) {
                rc = bt_errf(err, BT_EFORMAT, "%s: tensor '%s': payload truncated", f->path,
                             e->name);
                break;
            }
            left -= k;
            ib = (ZSTD_inBuffer){in, k, 0};
        }
        /* Plain data decodes straight into dst; byte planes into one block at a time. */
        if (planes && blk == 0) {
            blk = total - done < PLANE_CHUNK * sizeof(float) ? total - done
                                                             : PLANE_CHUNK * sizeof(float);
            fill = 0;
        }
        ZSTD_outBuffer ob = planes ? (ZSTD_outBuffer){planes + fill, blk - fill, 0}
                                   : (ZSTD_outBuffer){(unsigned char *)dst + done, total - done, 0};
        size_t z = ZSTD_decompressStream(d, &ob, &ib);
        if (ZSTD_isError(z)) {
            rc = bt_errf(err, BT_EFORMAT, "%s: tensor '%s': damaged payload (%s)", f->path,
                         e->name, ZSTD_getErrorName(z));
            break;
        }
        if (!planes) {
            done += ob.pos;
        } else if ((fill += ob.pos) == blk) {
            from_planes(dst + done / sizeof(float), planes, blk / sizeof(float));
            done += blk;
            blk = 0;
        }
    }
    ZSTD_freeDCtx(d);
    xfree(in);
    xfree(planes);
    if (rc == BT_OK && crc_update(0, dst, total) != e->crc)
        rc = bt_errf(err, BT_EFORMAT, "%s: tensor '%s': checksum mismatch (damaged data)", f->path,
                     e->name);
    return rc;
}

int ckpt_file_verify(struct ckpt_file *f, char *err)
{
    size_t big = 0;
    for (int i = 0; i < f->n; i++)
        big = f->e[i].numel > big ? f->e[i].numel : big;
    float *buf = xmalloc((big ? big : 1) * sizeof(float));
    int rc = BT_OK;
    for (int i = 0; i < f->n && rc == BT_OK; i++)
        rc = ckpt_file_read(f, i, buf, err);
    xfree(buf);
    return rc;
}
