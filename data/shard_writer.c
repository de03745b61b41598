/* shard_writer.c - see shard_writer.h and shard_format.h. */
#include "shard_writer.h"
#include "shard_h5.h"

struct attr_i {
    const char *name;
    int64_t v;
    hid_t type;
};

int shard_writer_write(const char *path, const struct shard_meta *m, const struct shard_data *d,
                       char *err)
{
    h5_quiet();
    if (m->n_docs < 1 || m->n_sentences < 1 || m->n_tokens < 1 || d->vocab_len < 1)
        return bt_errf(err, BT_EUSAGE, "%s: a shard needs at least one token", path);
    if (!H5Zfilter_avail(H5Z_FILTER_DEFLATE) || !H5Zfilter_avail(H5Z_FILTER_SHUFFLE))
        return bt_errf(err, BT_EIO, "%s: this HDF5 library lacks the deflate/shuffle filters",
                       path);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0 || H5Pset_obj_track_times(fcpl, 0) < 0)
        return h5_fail(err, BT_EIO, path, "cannot set up the file");
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (f < 0)
        return h5_fail(err, BT_EIO, path, "cannot create the shard file");
    const struct attr_i attrs[] = {
        {"format_version", SHARD_FORMAT_VERSION, H5T_STD_I32LE},
        {"shard_index", m->shard_index, H5T_STD_I32LE},
        {"n_shards", m->n_shards, H5T_STD_I32LE},
        {"vocab_size", m->vocab_size, H5T_STD_I32LE},
        {"lowercase", m->lowercase, H5T_STD_I32LE},
        {"max_seq_len", m->max_seq_len, H5T_STD_I32LE},
        {"split_sentences", m->split_sentences, H5T_STD_I32LE},
        {"pad_id", m->pad_id, H5T_STD_I32LE},
        {"unk_id", m->unk_id, H5T_STD_I32LE},
        {"cls_id", m->cls_id, H5T_STD_I32LE},
        {"sep_id", m->sep_id, H5T_STD_I32LE},
        {"mask_id", m->mask_id, H5T_STD_I32LE},
        {"n_docs", m->n_docs, H5T_STD_I64LE},
        {"n_sentences", m->n_sentences, H5T_STD_I64LE},
        {"n_tokens", m->n_tokens, H5T_STD_I64LE},
        {"total_docs", m->total_docs, H5T_STD_I64LE},
        {"total_sentences", m->total_sentences, H5T_STD_I64LE},
        {"total_tokens", m->total_tokens, H5T_STD_I64LE},
        {"invalid_utf8_bytes", m->invalid_utf8_bytes, H5T_STD_I64LE},
        {"input_bytes", m->input_bytes, H5T_STD_I64LE},
    };
    int rc = h5_attr_put_str(f, path, "format", SHARD_FORMAT_NAME, err);
    for (size_t i = 0; rc == BT_OK && i < sizeof attrs / sizeof *attrs; i++)
        rc = h5_attr_put_int(f, path, attrs[i].name, attrs[i].type, attrs[i].v, err);
    if (rc == BT_OK)
        rc = h5_attr_put_u64(f, path, "vocab_checksum", m->vocab_checksum, err);
    hid_t tok_type = m->vocab_size <= 65536 ? H5T_STD_U16LE : H5T_STD_I32LE;
    if (rc == BT_OK)
        rc = h5_write_1d(f, path, "tokens", tok_type, H5T_NATIVE_INT32, d->tokens,
                         (size_t)m->n_tokens, 1u << 18, err);
    if (rc == BT_OK)
        rc = h5_write_1d(f, path, "sentence_offsets", H5T_STD_I64LE, H5T_NATIVE_INT64,
                         d->sentence_offsets, (size_t)m->n_sentences + 1, 1u << 16, err);
    if (rc == BT_OK)
        rc = h5_write_1d(f, path, "doc_offsets", H5T_STD_I64LE, H5T_NATIVE_INT64, d->doc_offsets,
                         (size_t)m->n_docs + 1, 1u << 16, err);
    if (rc == BT_OK)
        rc = h5_write_1d(f, path, "vocab", H5T_STD_U8LE, H5T_NATIVE_UCHAR, d->vocab,
                         d->vocab_len, 1u << 16, err);
    if (H5Fclose(f) < 0 && rc == BT_OK)
        rc = h5_fail(err, BT_EIO, path, "cannot close (disk full?)");
    return rc;
}
