/* shard_format.h - the on-disk layout of bert-prep shards (HDF5), version 1.
 * docs/shard-format.md is the long form; keep both in sync.
 *
 * A corpus is a directory of files shard_NNNNN.h5 (N >= 1). Concatenating the
 * shards in shard_index order gives the corpus in input order. One shard:
 *
 *   datasets (1-D, chunked, shuffle + deflate level 1):
 *     tokens            n_tokens       uint16 LE (vocab_size <= 65536) or int32 LE
 *     sentence_offsets  n_sentences+1  int64: token index where sentence s starts,
 *                                      first 0, last n_tokens
 *     doc_offsets       n_docs+1       int64: sentence index where document d
 *                                      starts, first 0, last n_sentences
 *     vocab             bytes          uint8: the vocab.txt the ids refer to
 *   root attributes (scalars):
 *     format            string "bert-prep-shard"
 *     format_version    int32  1
 *     shard_index, n_shards, vocab_size, lowercase, max_seq_len, split_sentences,
 *     pad_id, unk_id, cls_id, sep_id, mask_id                      int32
 *     vocab_checksum                                               uint64
 *     n_docs, n_sentences, n_tokens             (this shard)       int64
 *     total_docs, total_sentences, total_tokens (whole corpus)     int64
 *     invalid_utf8_bytes, input_bytes           (whole input)      int64
 * Every document has at least one sentence and every sentence at least one
 * token; no sentence is longer than max_seq_len - 2 tokens. */
#ifndef BT_SHARD_FORMAT_H
#define BT_SHARD_FORMAT_H

#define SHARD_FORMAT_NAME "bert-prep-shard"
#define SHARD_FORMAT_VERSION 1
#define SHARD_FILE_PATTERN "shard_%05d.h5"

#include <stddef.h>
#include <stdint.h>

/* Attributes of one shard (and of the corpus it belongs to). */
struct shard_meta {
    int format_version;
    int shard_index, n_shards;
    int vocab_size, lowercase, max_seq_len, split_sentences;
    int32_t pad_id, unk_id, cls_id, sep_id, mask_id;
    uint64_t vocab_checksum;
    int64_t n_docs, n_sentences, n_tokens;
    int64_t total_docs, total_sentences, total_tokens;
    int64_t invalid_utf8_bytes, input_bytes;
};

/* The arrays of one shard (borrowed pointers when writing, owned when read). */
struct shard_data {
    const int32_t *tokens;           /* (n_tokens) */
    const int64_t *sentence_offsets; /* (n_sentences + 1), relative to this shard */
    const int64_t *doc_offsets;      /* (n_docs + 1), relative to this shard */
    const char *vocab;               /* vocab.txt bytes */
    size_t vocab_len;
};

#endif
