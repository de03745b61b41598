/* shard_reader.c - see shard_reader.h. */
#include "shard_reader.h"
#include "mem.h"
#include "shard_h5.h"

#include <string.h>

int shard_probe(const char *path, enum shard_kind *kind, char *err)
{
    hid_t f;
    int rc = h5_open_ro(path, &f, err);
    if (rc != BT_OK)
        return rc;
    if (h5_has_attr(f, "format"))
        *kind = SHARD_KIND_OURS;
    else if (h5_has_dataset(f, "input_ids"))
        *kind = SHARD_KIND_NVIDIA;
    else
        rc = bt_errf(err, BT_EFORMAT,
                     "%s: neither a bert-prep shard (no 'format' attribute) nor an NVIDIA shard "
                     "(no 'input_ids' dataset)",
                     path);
    H5Fclose(f);
    return rc;
}

static int read_meta(hid_t f, const char *path, struct shard_meta *m, char *err)
{
    char fmt[64];
    int rc = h5_attr_get_str(f, path, "format", fmt, sizeof fmt, err);
    if (rc != BT_OK)
        return rc;
    if (strcmp(fmt, SHARD_FORMAT_NAME) != 0)
        return bt_errf(err, BT_EFORMAT, "%s: format '%s' is not '%s'", path, fmt,
                       SHARD_FORMAT_NAME);
    int64_t ver;
    if ((rc = h5_attr_get_i64(f, path, "format_version", &ver, err)) != BT_OK)
        return rc;
    if (ver != SHARD_FORMAT_VERSION)
        return bt_errf(err, BT_EFORMAT,
                       "%s: shard format version %lld, this build reads version %d; hint: "
                       "re-run bert-prep with this build",
                       path, (long long)ver, SHARD_FORMAT_VERSION);
    memset(m, 0, sizeof *m);
    m->format_version = (int)ver;
    struct {
        const char *name;
        int64_t *dst64;
        int *dst32;
        int32_t *dsti;
    } t[] = {
        {"shard_index", NULL, &m->shard_index, NULL},
        {"n_shards", NULL, &m->n_shards, NULL},
        {"vocab_size", NULL, &m->vocab_size, NULL},
        {"lowercase", NULL, &m->lowercase, NULL},
        {"max_seq_len", NULL, &m->max_seq_len, NULL},
        {"split_sentences", NULL, &m->split_sentences, NULL},
        {"pad_id", NULL, NULL, &m->pad_id},
        {"unk_id", NULL, NULL, &m->unk_id},
        {"cls_id", NULL, NULL, &m->cls_id},
        {"sep_id", NULL, NULL, &m->sep_id},
        {"mask_id", NULL, NULL, &m->mask_id},
        {"n_docs", &m->n_docs, NULL, NULL},
        {"n_sentences", &m->n_sentences, NULL, NULL},
        {"n_tokens", &m->n_tokens, NULL, NULL},
        {"total_docs", &m->total_docs, NULL, NULL},
        {"total_sentences", &m->total_sentences, NULL, NULL},
        {"total_tokens", &m->total_tokens, NULL, NULL},
        {"invalid_utf8_bytes", &m->invalid_utf8_bytes, NULL, NULL},
        {"input_bytes", &m->input_bytes, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int64_t v;
        if ((rc = h5_attr_get_i64(f, path, t[i].name, &v, err)) != BT_OK)
            return rc;
        if (t[i].dst64)
            *t[i].dst64 = v;
        else if (v < -0x7fffffffLL || v > 0x7fffffffLL)
            return bt_errf(err, BT_EFORMAT, "%s: attribute '%s' = %lld is out of range", path,
                           t[i].name, (long long)v);
        else if (t[i].dst32)
            *t[i].dst32 = (int)v;
        else
            *t[i].dsti = (int32_t)v;
    }
    if ((rc = h5_attr_get_u64(f, path, "vocab_checksum", &m->vocab_checksum, err)) != BT_OK)
        return rc;
    if (m->n_shards < 1 || m->shard_index < 0 || m->shard_index >= m->n_shards ||
        m->vocab_size < 1 || m->max_seq_len < 8 || m->n_docs < 1 || m->n_sentences < m->n_docs ||
        m->n_tokens < m->n_sentences)
        return bt_errf(err, BT_EFORMAT, "%s: inconsistent shard attributes", path);
    return BT_OK;
}

int shard_reader_meta(const char *path, struct shard_meta *m, char *err)
{
    hid_t f;
    int rc = h5_open_ro(path, &f, err);
    if (rc != BT_OK)
        return rc;
    rc = read_meta(f, path, m, err);
    H5Fclose(f);
    return rc;
}

static int check_len(hid_t f, const char *path, const char *name, int64_t want, char *err)
{
    int rank;
    uint64_t dims[4];
    int rc = h5_dims(f, path, name, &rank, dims, err);
    if (rc != BT_OK)
        return rc;
    if (rank != 1 || (want >= 0 && dims[0] != (uint64_t)want))
        return bt_errf(err, BT_EFORMAT, "%s: dataset '%s' has %llu elements, expected %lld",
                       path, name, (unsigned long long)dims[0], (long long)want);
    return BT_OK;
}

static int validate(const char *path, const struct shard_loaded *s, char *err)
{
    const struct shard_meta *m = &s->meta;
    const int64_t *so = s->sentence_offsets, *d = s->doc_offsets;
    if (so[0] != 0 || so[m->n_sentences] != m->n_tokens || d[0] != 0 ||
        d[m->n_docs] != m->n_sentences)
        return bt_errf(err, BT_EFORMAT, "%s: offsets do not span the shard", path);
    for (int64_t i = 0; i < m->n_sentences; i++) {
        int64_t len = so[i + 1] - so[i];
        if (len < 1 || len > m->max_seq_len - 2)
            return bt_errf(err, BT_EFORMAT, "%s: sentence %lld has %lld tokens (allowed 1..%d)",
                           path, (long long)i, (long long)len, m->max_seq_len - 2);
    }
    for (int64_t i = 0; i < m->n_docs; i++)
        if (d[i + 1] <= d[i])
            return bt_errf(err, BT_EFORMAT, "%s: document %lld is empty or out of order", path,
                           (long long)i);
    for (int64_t i = 0; i < m->n_tokens; i++)
        if (s->tokens[i] < 0 || s->tokens[i] >= m->vocab_size)
            return bt_errf(err, BT_EFORMAT, "%s: token %lld has id %d outside the vocabulary",
                           path, (long long)i, (int)s->tokens[i]);
    return BT_OK;
}

int shard_reader_read(const char *path, struct shard_loaded *out, char *err)
{
    memset(out, 0, sizeof *out);
    hid_t f;
    int rc = h5_open_ro(path, &f, err);
    if (rc != BT_OK)
        return rc;
    struct shard_meta *m = &out->meta;
    rc = read_meta(f, path, m, err);
    if (rc == BT_OK)
        rc = check_len(f, path, "tokens", m->n_tokens, err);
    if (rc == BT_OK)
        rc = check_len(f, path, "sentence_offsets", m->n_sentences + 1, err);
    if (rc == BT_OK)
        rc = check_len(f, path, "doc_offsets", m->n_docs + 1, err);
    if (rc == BT_OK)
        rc = check_len(f, path, "vocab", -1, err);
    if (rc == BT_OK) {
        int rank;
        uint64_t dims[4];
        rc = h5_dims(f, path, "vocab", &rank, dims, err);
        out->vocab_len = (size_t)dims[0];
    }
    if (rc == BT_OK) {
        out->tokens = xmalloc(xmul((size_t)m->n_tokens, sizeof(int32_t)));
        out->sentence_offsets = xmalloc(xmul((size_t)m->n_sentences + 1, sizeof(int64_t)));
        out->doc_offsets = xmalloc(xmul((size_t)m->n_docs + 1, sizeof(int64_t)));
        out->vocab = xmalloc(out->vocab_len + 1);
        out->vocab[out->vocab_len] = '\0';
        rc = h5_read_all(f, path, "tokens", H5T_NATIVE_INT32, out->tokens, err);
        if (rc == BT_OK)
            rc = h5_read_all(f, path, "sentence_offsets", H5T_NATIVE_INT64,
                             out->sentence_offsets, err);
        if (rc == BT_OK)
            rc = h5_read_all(f, path, "doc_offsets", H5T_NATIVE_INT64, out->doc_offsets, err);
        if (rc == BT_OK)
            rc = h5_read_all(f, path, "vocab", H5T_NATIVE_UCHAR, out->vocab, err);
        if (rc == BT_OK)
            rc = validate(path, out, err);
    }
    H5Fclose(f);
    if (rc != BT_OK)
        shard_loaded_free(out);
    return rc;
}

void shard_loaded_free(struct shard_loaded *s)
{
    xfree(s->tokens);
    xfree(s->sentence_offsets);
    xfree(s->doc_offsets);
    xfree(s->vocab);
    memset(s, 0, sizeof *s);
}
