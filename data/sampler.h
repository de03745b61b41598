/* sampler.h - the example list of each epoch and its order, as pure functions
 * of (seed, epoch) over the data:
 *  - nsp / sop: the epoch's pairs (pairs.h, rebuilt for every epoch), shuffled
 *    by a Fisher-Yates permutation keyed rng_stream(SAMPLER_TAG_PERM, epoch, 0);
 *  - full-sentences / doc-sentences: the fixed blocks (packing.h), shuffled the
 *    same way;
 *  - NVIDIA shards: a two-level order that keeps reading sequential: the files
 *    are permuted per epoch, and the rows inside each file are permuted per
 *    (epoch, file); the epoch is file after file in that order.
 * Epoch lists are built on demand and the last few are cached; NVIDIA files are
 * read whole into a small cache when first needed. Not thread-safe: one thread
 * (the loader's producer) uses a sampler. */
#ifndef BT_SAMPLER_H
#define BT_SAMPLER_H

#include "check.h"
#include "corpus.h"
#include "nvidia_shard.h"
#include "packing.h"
#include "pairs.h"

#include <stdint.h>

#define SAMPLER_TAG_PERM 0x5045524dull     /* "PERM" */
#define SAMPLER_TAG_FILEPERM 0x46504552ull /* "FPER" */
#define SAMPLER_TAG_ROWPERM 0x52504552ull  /* "RPER" */
#define SAMPLER_EPOCH_SLOTS 2
#define SAMPLER_FILE_SLOTS 2

enum sampler_kind { SAMPLER_PAIRS, SAMPLER_BLOCKS, SAMPLER_NVIDIA };

struct sampler_cfg {
    enum sampler_kind kind;
    const struct corpus *corpus; /* PAIRS, BLOCKS */
    const struct nv_set *nv;     /* NVIDIA */
    int T;
    double short_seq_prob;
    int sop;        /* PAIRS: 1 = SOP, 0 = NSP */
    int cross_docs; /* BLOCKS: 1 = full-sentences, 0 = doc-sentences */
    int vocab_size; /* NVIDIA: id range check */
    uint64_t seed;
};

/* One example: exactly one of pair / block / nv is set. */
struct example_ref {
    const struct pair_ex *pair;
    const struct pack_block *block;
    const struct nv_file *nv;
    int64_t nv_row;
};

struct sampler_epoch {
    int64_t epoch; /* -1: empty slot */
    int64_t n;
    uint64_t last_use;
    struct pair_list pairs; /* PAIRS */
    uint32_t *perm;         /* PAIRS, BLOCKS: (n) example order */
    int *file_order;        /* NVIDIA: (n_files) */
    int64_t *file_start;    /* NVIDIA: (n_files + 1) first index of each file in order */
};

struct sampler_file {
    int file;  /* -1: empty */
    int64_t perm_epoch;
    uint64_t last_use;
    struct nv_file data;
    uint32_t *row_perm;
};

struct sampler {
    struct sampler_cfg cfg;
    struct pack_list blocks;
    struct sampler_epoch ep[SAMPLER_EPOCH_SLOTS];
    struct sampler_file files[SAMPLER_FILE_SLOTS];
    uint64_t clock;
    int64_t epoch0_forced; /* NSP forced random-next examples in epoch 0 */
};

int sampler_init(struct sampler *s, const struct sampler_cfg *cfg, char *err) BT_WUR;
void sampler_free(struct sampler *s);
/* Examples in epoch e (builds the epoch if needed). BT_EFORMAT if it is empty. */
int sampler_epoch_size(struct sampler *s, int64_t e, int64_t *n, char *err) BT_WUR;
/* Example idx (< epoch size) of epoch e. The reference stays valid until the
 * next sampler call. */
int sampler_get(struct sampler *s, int64_t e, int64_t idx, struct example_ref *out,
                char *err) BT_WUR;
/* The epoch's pair list (PAIRS only; builds it), for statistics. */
const struct pair_list *sampler_pairs(struct sampler *s, int64_t e, char *err);

#endif
