/* loader.h - pre-training batches for one rank, from bert-prep shards or NVIDIA
 * DeepLearningExamples shards, with dynamic masking and the sentence-pair or
 * packing objectives of BERT (nsp), ALBERT (sop) and RoBERTa (full-sentences,
 * doc-sentences).
 *
 * The stream. The example list of epoch e and its order are a pure function of
 * (seed, e) over the shard contents (sampler.h); the masking of an example is a
 * pure function of (seed, e, index in epoch) (masking.h). The global stream is
 * epoch 0's examples in order, then epoch 1's, ... The whole data state is
 * struct data_state {epoch, sample}: the next global sample.
 *
 * Batches. Step s's global batch is the next global_batch (G) samples of the
 * stream; it may straddle an epoch boundary. With accum = G / (world *
 * micro_batch), rank r's a-th loader_next of a step (a = 0..accum-1) returns
 * global-batch rows [r*G/world + a*micro_batch, + micro_batch). After the
 * accum-th call the state advances by G. So the union of all ranks' micro-batches
 * of a step is the same for any world size, and resuming from a state on any
 * number of ranks continues the same stream.
 *
 * Rows. nsp/sop: [CLS] A [SEP] B [SEP], token_type 0 up to the first [SEP], 1
 * after; nsp_labels NSP 0 = is next, 1 = random; SOP 1 = swapped (B first).
 * full-sentences/doc-sentences: [CLS] tokens [SEP] with a [SEP] between
 * documents (full-sentences), token_type 0, nsp_labels -1. Padding uses the
 * vocabulary's [PAD] id, attention_mask 0, token_type 0.
 * Masking (masking.h): token, whole-word or ngram; words come from the
 * vocabulary (vocab_is_continuation), and the first token of a corpus sentence
 * always starts a word (a BPE line starts without the space marker).
 * MLM targets are gathered: pred_pos = row*T + t in row order, pred_label the
 * original ids, n_pred of them. sample_index[i] = epoch * 2^40 + index in epoch:
 * unique and independent of the world size (equal to the stream position
 * during epoch 0).
 *
 * NVIDIA shards: only objective nsp; seq_len >= the shards' sequence length
 * (rows are padded when larger); static_masks = 1 uses the stored masks
 * (max_pred >= their width), 0 restores the original ids and masks anew. The
 * vocabulary is read from vocab.txt in the data directory when present, else
 * bert-base-uncased's layout (30522 ids, [PAD] 0, [UNK] 100, [CLS] 101,
 * [SEP] 102, [MASK] 103, ids below 999 not drawn as random tokens) is assumed.
 *
 * Threads: with prefetch = 1 a background pthread prepares the next micro-batches
 * (a ring of LOADER_PREFETCH_DEPTH) while the trainer computes; loader_next then
 * only copies. One thread must own a struct loader. */
#ifndef BT_LOADER_H
#define BT_LOADER_H

#include "batch.h"
#include "check.h"

#include <stdint.h>

#define LOADER_PREFETCH_DEPTH 3

enum objective { OBJ_NSP, OBJ_SOP, OBJ_FULL_SENTENCES, OBJ_DOC_SENTENCES, OBJ_COUNT };
/* "nsp", "sop", "full-sentences", "doc-sentences"; BT_EUSAGE otherwise. */
int objective_parse(const char *s, enum objective *out);
const char *objective_name(enum objective o);

struct loader_opts {
    const char *dir;        /* directory holding shards: ours (bert-prep) or NVIDIA (.hdf5, .h5) */
    int seq_len;            /* T, including [CLS]/[SEP] */
    int max_pred;           /* max masked predictions per row (e.g. 20 @128, 80 @512) */
    double mask_prob;       /* 0.15 */
    double short_seq_prob;  /* 0.1 (nsp/sop) */
    enum objective objective;
    uint64_t seed;
    int rank, world;        /* this rank's slice of each global batch */
    int global_batch;       /* samples per optimizer step over all ranks */
    int micro_batch;        /* rows per loader_next call; global_batch % (world*micro_batch) == 0 else BT_EUSAGE */
    int static_masks;       /* NVIDIA shards only: 1 = use the stored masks, 0 = restore ids and re-mask dynamically */
    int masking;            /* enum mask_mode: token (0), whole-word, ngram (masking.h) */
    int prefetch;           /* 1 = prepare the next micro-batches in a background thread */
};

struct data_state {
    int64_t epoch;
    int64_t sample;
}; /* next global sample: epoch and index inside that epoch */

struct data_info {
    int vocab_size, lowercase;
    int32_t pad_id, unk_id, cls_id, sep_id, mask_id;
    uint64_t vocab_checksum;
    int64_t n_docs, n_sentences, n_tokens; /* 0 for NVIDIA shards (not stored there) */
    int64_t epoch_size;                    /* examples in epoch 0 */
    int nvidia;                            /* 1 when the source is NVIDIA-format shards */
};

struct loader;

/* Errors (one sentence naming the file or option): BT_EUSAGE for options (seq_len
 * below 8 or above the shards' max_seq_len, batch divisibility, rank, objective
 * not available for the source, no shards in dir, whole-word or ngram masking
 * of NVIDIA shards without a vocab.txt), BT_EFORMAT for unknown shard
 * versions and truncated or corrupt files, BT_EIO for unreadable ones. */
int loader_open(struct loader **out, const struct loader_opts *o, char *err) BT_WUR;
const struct data_info *loader_info(const struct loader *L);
/* Positions the loader at the start of the global batch beginning at st (the
 * value loader_state returned). Cost: building at most the epoch's example list. */
int loader_seek(struct loader *L, struct data_state st, char *err) BT_WUR;
/* Next micro-batch of this rank into b (batch_alloc(b, micro_batch, seq_len, max_pred)). */
int loader_next(struct loader *L, struct batch *b, char *err) BT_WUR;
/* Position of the next global batch; valid between optimizer steps. */
struct data_state loader_state(const struct loader *L);
/* Cumulative seconds loader_next spent waiting for data. */
double loader_wait_seconds(const struct loader *L);
void loader_close(struct loader *L);

/* ---- for tests and tools ------------------------------------------------- */
/* Epoch e's example count (builds the epoch). */
int loader_epoch_size(struct loader *L, int64_t e, int64_t *n, char *err) BT_WUR;
/* NSP: how many epoch-0 examples had their random next forced by a
 * one-sentence chunk (their label is 1 regardless of the coin). */
int64_t loader_forced_random(const struct loader *L);
/* Fills row i of b with example idx of epoch e (masked), as loader_next would. */
int loader_example(struct loader *L, int64_t e, int64_t idx, struct batch *b, int i,
                   char *err) BT_WUR;

#endif
