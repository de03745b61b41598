/* corpus.h - a whole bert-prep corpus in memory: the shards of a directory
 * concatenated in shard_index order, so document d / sentence s / token t are
 * the same whatever the number of shards. Memory: 4 bytes per token plus 8 per
 * sentence and per document (the loader holds the corpus on every rank).
 * Checks that the shard set is complete (indices 0..n_shards-1, each once) and
 * consistent (same vocabulary checksum, lowercase flag, special ids, limits). */
#ifndef BT_CORPUS_H
#define BT_CORPUS_H

#include "check.h"
#include "shard_format.h"

#include <stdint.h>

struct corpus {
    int32_t *tokens;   /* (n_tokens) */
    int64_t n_tokens;
    int64_t *sent_off; /* (n_sent + 1) token index of each sentence start */
    int64_t n_sent;
    int64_t *doc_off;  /* (n_docs + 1) sentence index of each document start */
    int64_t n_docs;
    struct shard_meta meta; /* shard 0's attributes; n_docs/n_sentences/n_tokens = totals */
    char *vocab;            /* vocab.txt bytes stored in the shards */
    size_t vocab_len;
};

/* Loads the files paths[0..n) (all bert-prep shards). */
int corpus_load(struct corpus *c, char *const *paths, int n, char *err) BT_WUR;
void corpus_free(struct corpus *c);

/* Document holding sentence s (binary search). */
int64_t corpus_doc_of_sentence(const struct corpus *c, int64_t s);

#endif
