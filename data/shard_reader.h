/* shard_reader.h - reads and validates one bert-prep shard (shard_format.h)
 * completely into memory, and tells shard kinds apart. Validation covers the
 * format name and version, dataset shapes, offsets (monotone, every sentence
 * non-empty and <= max_seq_len - 2 tokens, every document non-empty) and token
 * ids (< vocab_size). Errors are BT_EIO (unreadable) or BT_EFORMAT (not HDF5,
 * truncated, corrupt, foreign, unknown version), one sentence naming the file. */
#ifndef BT_SHARD_READER_H
#define BT_SHARD_READER_H

#include "check.h"
#include "shard_format.h"

enum shard_kind { SHARD_KIND_OURS, SHARD_KIND_NVIDIA };

/* Looks at an HDF5 file: ours (has the "format" attribute) or NVIDIA's (has an
 * "input_ids" dataset). BT_EFORMAT for anything else. */
int shard_probe(const char *path, enum shard_kind *kind, char *err) BT_WUR;

/* Owned arrays of one shard; free with shard_loaded_free. */
struct shard_loaded {
    struct shard_meta meta;
    int32_t *tokens;
    int64_t *sentence_offsets;
    int64_t *doc_offsets;
    char *vocab;
    size_t vocab_len;
};

int shard_reader_read(const char *path, struct shard_loaded *out, char *err) BT_WUR;
/* Reads only the attributes (for summaries). */
int shard_reader_meta(const char *path, struct shard_meta *m, char *err) BT_WUR;
void shard_loaded_free(struct shard_loaded *s);

#endif
